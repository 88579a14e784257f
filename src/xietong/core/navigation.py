"""The left navigation: apps register their entries; an entry shows only to users who may use it.

Areas follow design/ui.md (工作台 · 客户 · 商机 · 报价与合同 · 订单与回款 · 产销协同 · 协作 · 分析 · 设置).
An area with no visible entry is not shown, so a module appears once it exists and the user may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

AREAS: list[tuple[str, str | Promise]] = [
    ("workbench", _("Workbench")),
    ("customers", _("Customers")),
    ("pipeline", _("Opportunities")),
    ("quotes", _("Quotes & contracts")),
    ("orders", _("Orders & payments")),
    ("supply", _("Sales & operations")),
    ("collaboration", _("Collaboration")),
    ("analytics", _("Analytics")),
    ("settings", _("Settings")),
]


@dataclass(frozen=True)
class NavItem:
    area: str
    label: str | Promise
    url_name: str
    icon: str
    order: int = 100
    visible: Callable[[Any], bool] = lambda user: True


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if item.area not in dict(AREAS):
        raise ValueError(f"unknown navigation area {item.area}")
    _items.append(item)


def menu_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    entries_all: list[dict[str, Any]] = []
    for code, label in AREAS:
        entries = []
        for item in sorted((i for i in _items if i.area == code), key=lambda i: i.order):
            if not item.visible(user):
                continue
            url = reverse(item.url_name)
            entries.append({"label": item.label, "url": url, "icon": item.icon, "active": False})
        if entries:
            groups.append({"code": code, "label": label, "items": entries})
            entries_all.extend(entries)
    # One active entry: the longest URL the path is under ("/org/users/5/" → Users, not Organisation).
    matches = [
        e for e in entries_all if current_path == e["url"] or (e["url"] != "/" and current_path.startswith(e["url"]))
    ]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    return groups


# Templates apps add to the top bar (left of the language menu), e.g. the notification bell.
_topbar: list[str] = []


def register_topbar(template_name: str) -> None:
    if template_name not in _topbar:
        _topbar.append(template_name)


def topbar_items() -> list[str]:
    return list(_topbar)
