"""/repo, /unit, /registry: paged lists with filter buttons, as the chat's linked user.

``/repo weather station`` searches (every word must match); the buttons page
through the result (editMessageText), toggle "mine only", visibility levels or
public/private, and open an entry. A list opened under a repo or a registry
("Units", "Repos over it") is the same kind of list with a parent filter.
"""
from __future__ import annotations

from telebot import util

from ...services import repos, repository_registry, telegram
from .. import callbacks as cb
from .. import keyboards, list_views, views
from .common import button_handler, chat_id_of, guarded, show

COMMANDS = [
    ("repo", "browse repos (add words to search)"),
    ("unit", "browse units and act on yours (add words to search)"),
    ("registry", "browse the repository registry (add words to search)"),
]
KIND_OF_COMMAND = {"repo": cb.REPO, "unit": cb.UNIT, "registry": cb.REGISTRY}


def render(agent, view: list_views.ListView, page: int):
    """(text, keyboard) of ``page`` of the list; a page past the end shows the last one."""
    count, items = list_views.fetch(agent, view, page)
    pages = list_views.pages(count)
    if page >= pages:
        page = pages - 1
        count, items = list_views.fetch(agent, view, page)
    return views.list_text(view, count, page, pages), keyboards.list_keyboard(view, items, page, pages)


def register(bot) -> None:
    @bot.message_handler(commands=list(KIND_OF_COMMAND))
    @guarded(bot)
    def browse(message):
        chat_id = message.chat.id
        agent = telegram.agent_for_chat(chat_id)
        command = util.extract_command(message.text or "").lower()
        view = list_views.new(chat_id, KIND_OF_COMMAND[command], util.extract_arguments(message.text or ""))
        text, markup = render(agent, view, 0)
        bot.send_message(chat_id, text, reply_markup=markup)

    @button_handler(bot, "L", "F", "N", "R")
    def list_buttons(call):
        parsed = cb.parse(call.data)
        if parsed.action == "N":
            return None
        chat_id = chat_id_of(call)
        agent = telegram.agent_for_chat(chat_id)
        if parsed.action == "R":
            view = _related(agent, chat_id, parsed)
            page = 0
        else:
            view = list_views.load(chat_id, parsed.token)
            page = parsed.page
            if parsed.action == "F":
                try:
                    view.toggle(parsed.code)
                except ValueError:
                    raise cb.Forged(parsed.code) from None
                list_views.save(chat_id, view)
                page = 0
        text, markup = render(agent, view, page)
        show(bot, call, text, markup)
        return None


def _related(agent, chat_id, parsed: cb.Parsed) -> list_views.ListView:
    """Units of a repo, or repos over a registry entry; the parent must be visible."""
    if parsed.kind == cb.REPO:
        repo = repos.get(agent, parsed.uuid)
        return list_views.new(chat_id, cb.UNIT, parent=repo.uuid, parent_name=f"repo {repo.name}")
    registry = repository_registry.get(agent, parsed.uuid)
    return list_views.new(chat_id, cb.REPO, parent=registry.uuid, parent_name=registry.repository_url)
