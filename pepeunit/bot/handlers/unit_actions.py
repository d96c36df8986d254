"""A unit's actions and sub-views from its buttons.

- documents: env.json and the firmware archives (zip, tar, tgz with the REST
  defaults), sent with sendDocument; built by ``unit_env.get_env`` and
  ``unit_firmware.firmware`` exactly as for REST (creator or the unit itself);
- commands: Update, EnvUpdate, SchemaUpdate, LogSync through
  ``unit_commands.send_command``; the notice says whether it was published;
- sub-views: the unit's Input and Output nodes (paged, with their last value),
  read with ``unit_nodes.list_`` so node visibility applies, and its recent logs,
  newest first, read with ``unit_logs.list_`` (creator only, like REST).
"""
from __future__ import annotations

import io
import json

from ...models import BackendTopicCommand, OrderByDate, UnitNodeTypeEnum
from ...services import unit_commands, unit_env, unit_firmware, unit_logs, unit_nodes, units
from ...services.listing import Page
from .. import callbacks as cb
from .. import keyboards, views
from .common import Alert, button_handler, chat_id_of, pressed, show

NODES_PAGE_SIZE = 8
LOGS_PAGE_SIZE = 15
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # Telegram's limit for files a bot sends
NODE_VIEWS = {cb.INPUTS: (UnitNodeTypeEnum.INPUT, "Inputs"), cb.OUTPUTS: (UnitNodeTypeEnum.OUTPUT, "Outputs")}
EXTENSIONS = {"zip": "zip", "tar": "tar", "tgz": "tgz"}


def document(agent, uuid, what: str) -> tuple[bytes, str, str]:
    """(content, file name, unit name) of a unit document, made by the REST door's service calls."""
    if what == "env":
        body, file_name = json.dumps(unit_env.get_env(agent, uuid), indent=4).encode(), "env.json"
    else:
        body, _mimetype = unit_firmware.firmware(agent, uuid, what)
        file_name = None
    name = units.get(agent, uuid).name  # after the service admitted the agent
    return body, file_name or f"{name}.{EXTENSIONS[what]}", name


def send_document(bot, call, agent, uuid, what: str) -> str | None:
    body, file_name, unit_name = document(agent, uuid, what)
    if len(body) > MAX_DOCUMENT_BYTES:
        return Alert(views.TOO_BIG.format(views.size(len(body)), views.size(MAX_DOCUMENT_BYTES)))
    caption = views.DOCUMENT_CAPTIONS[what].format(views.clip(unit_name))
    bot.send_document(chat_id_of(call), io.BytesIO(body), visible_file_name=file_name, caption=caption)
    return None


def send_command(agent, uuid, code: str) -> str:
    command = BackendTopicCommand(cb.COMMANDS[code])
    sent = unit_commands.send_command(agent, uuid, command)
    if not sent:
        return Alert(views.command_not_in_schema(command.value))
    return views.command_sent(command.value, units.get(agent, uuid).name)


def _paged(fetch, page: int, size: int):
    """(count, rows, page, pages) with a page past the end moved to the last one."""
    count, rows = fetch(Page(page * size, size))
    pages = max(1, -(-count // size))
    if page >= pages:
        page = pages - 1
        count, rows = fetch(Page(page * size, size))
    return count, rows, page, pages


def nodes_view(agent, parsed: cb.Parsed):
    unit = units.get(agent, parsed.uuid)
    kind, title = NODE_VIEWS[parsed.code]

    def fetch(window: Page):
        filters = unit_nodes.UnitNodeFilter(page=window, unit_uuid=unit.uuid, type=[kind],
                                            order_by_create_date=OrderByDate.asc)
        return unit_nodes.list_(agent, filters)

    count, nodes, page, pages = _paged(fetch, parsed.page, NODES_PAGE_SIZE)
    text = views.nodes_text(unit, title, count, nodes, page, pages)
    return text, keyboards.sub_view_keyboard(parsed.code, unit, page, pages, parsed.back)


def logs_view(agent, parsed: cb.Parsed):
    def fetch(window: Page):
        return unit_logs.list_(agent, unit_logs.UnitLogFilter(uuid=parsed.uuid, page=window))

    count, logs, page, pages = _paged(fetch, parsed.page, LOGS_PAGE_SIZE)  # the service checks access first
    unit = units.get(agent, parsed.uuid)
    text = views.logs_text(unit, count, logs, page, pages)
    return text, keyboards.sub_view_keyboard(parsed.code, unit, page, pages, parsed.back)


SUB_VIEWS = {cb.INPUTS: nodes_view, cb.OUTPUTS: nodes_view, cb.LOGS: logs_view}


def register(bot) -> None:
    @button_handler(bot, "A")
    def unit_action(call):
        parsed, agent = pressed(call)
        if parsed.code in cb.DOCUMENTS:
            return send_document(bot, call, agent, parsed.uuid, cb.DOCUMENTS[parsed.code])
        return send_command(agent, parsed.uuid, parsed.code)

    @button_handler(bot, "V")
    def unit_sub_view(call):
        parsed, agent = pressed(call)
        view = SUB_VIEWS.get(parsed.code)
        if view is None:
            raise cb.Forged(call.data)
        text, markup = view(agent, parsed)
        show(bot, call, text, markup)
        return None
