"""Inline keyboards of the browsing messages; every button's data comes from ``callbacks``."""
from __future__ import annotations

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

from . import callbacks as cb
from .list_views import CLEAR_SEARCH, LEVEL_FLAGS, MINE, PUBLIC_CYCLE, ListView
from .views import item_label

MAX_LABEL = 60
PUBLIC_LABELS = {None: "Public + private", True: "Public only", False: "Private only"}


def _button(text: str, data: str) -> InlineKeyboardButton:
    text = text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
    return InlineKeyboardButton(text, callback_data=data)


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    markup = InlineKeyboardMarkup()
    for row in rows:
        if row:
            markup.row(*row)
    return markup


def _check(on: bool, text: str) -> str:
    return ("✓ " if on else "") + text


def pager(page: int, pages: int, data_for) -> list[InlineKeyboardButton]:
    """« n/m » with arrows only where there is somewhere to go."""
    if pages <= 1:
        return []
    row = []
    if page > 0:
        row.append(_button("« Prev", data_for(page - 1)))
    row.append(_button(f"{page + 1}/{pages}", cb.NOOP))
    if page + 1 < pages:
        row.append(_button("Next »", data_for(page + 1)))
    return row


def list_keyboard(view: ListView, items: list, page: int, pages: int) -> InlineKeyboardMarkup:
    back = cb.Back(view.token, page)
    rows = [[_button(item_label(view.kind, item), cb.open_(view.kind, item.uuid, back))] for item in items]
    rows.append(pager(page, pages, lambda p: cb.list_page(view.token, p)))
    rows.append([_button(_check(view.mine, "Mine only"), cb.toggle(view.token, MINE))])
    if view.kind == cb.REGISTRY:
        rows[-1].append(_button(PUBLIC_LABELS[view.public], cb.toggle(view.token, PUBLIC_CYCLE)))
    else:
        rows.append([_button(_check(level in view.levels, level), cb.toggle(view.token, flag))
                     for flag, level in LEVEL_FLAGS.items()])
    if view.search:
        rows.append([_button("✕ Clear search", cb.toggle(view.token, CLEAR_SEARCH))])
    return _markup(rows)


def _back_row(back: cb.Back | None) -> list[InlineKeyboardButton]:
    return [_button("« Back to the list", cb.list_page(back.token, back.page))] if back else []


ROLLOUT_BUTTONS = {"Running": (("⏸ Pause rollout", "p"), ("✕ Abort rollout", "a")),
                   "Paused": (("▶ Resume rollout", "r"), ("✕ Abort rollout", "a"))}


def repo_keyboard(repo, back: cb.Back | None, rollout=None, controls: bool = False) -> InlineKeyboardMarkup:
    """``controls``: the caller may pause/abort ``rollout`` (its repo's creator)."""
    offered = ROLLOUT_BUTTONS.get(rollout.status.value, ()) if rollout is not None and controls else ()
    return _markup([
        [_button("Units", cb.related(cb.REPO, repo.uuid)),
         _button("Repository", cb.open_(cb.REGISTRY, repo.repository_registry_uuid))],
        [_button(text, cb.rollout_action(code, rollout.uuid)) for text, code in offered],
        _back_row(back),
    ])


def registry_keyboard(registry, back: cb.Back | None) -> InlineKeyboardMarkup:
    return _markup([[_button("Repos over it", cb.related(cb.REGISTRY, registry.uuid))], _back_row(back)])


def unit_keyboard(unit, is_creator: bool, back: cb.Back | None) -> InlineKeyboardMarkup:
    """Documents, commands and logs only for the creator (the services refuse others anyway)."""
    rows = []
    if is_creator:
        rows.append([_button(name, cb.action(code, unit.uuid))
                     for code, name in (("e", "env.json"), ("z", "zip"), ("t", "tar"), ("g", "tgz"))])
        rows.append([_button(name, cb.action(code, unit.uuid)) for code, name in cb.COMMANDS.items()])
    views = [_button("Inputs", cb.view(cb.INPUTS, unit.uuid, 0, back)),
             _button("Outputs", cb.view(cb.OUTPUTS, unit.uuid, 0, back))]
    if is_creator:
        views.append(_button("Logs", cb.view(cb.LOGS, unit.uuid, 0, back)))
    rows.append(views)
    rows.append([_button("Repo", cb.open_(cb.REPO, unit.repo_uuid))])
    rows.append(_back_row(back))
    return _markup(rows)


def sub_view_keyboard(code: str, unit, page: int, pages: int, back: cb.Back | None) -> InlineKeyboardMarkup:
    return _markup([
        pager(page, pages, lambda p: cb.view(code, unit.uuid, p, back)),
        [_button("↻ Refresh", cb.view(code, unit.uuid, page, back)),
         _button("« Unit", cb.open_(cb.UNIT, unit.uuid, back))],
    ])
