"""The registry of modules that roles grant permissions on.

Each app registers its modules in its ``modules.py`` (imported from ``AppConfig.ready``). A role
holds, per registered module, a set of actions and one data scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise

from .choices import Action


@dataclass(frozen=True)
class Module:
    code: str
    label: str | Promise
    actions: tuple[str, ...]
    scoped: bool = True  # False: the module has no records to scope (e.g. role administration)
    order: int = 100


_registry: dict[str, Module] = {}


def register(
    code: str, label: str | Promise, *, actions: Iterable[str], scoped: bool = True, order: int = 100
) -> Module:
    acts = tuple(actions)
    unknown = set(acts) - set(Action.values)
    if unknown:
        raise ValueError(f"unknown actions {sorted(unknown)} for module {code}")
    module = Module(code=code, label=label, actions=acts, scoped=scoped, order=order)
    _registry[code] = module
    return module


def get(code: str) -> Module:
    return _registry[code]


def all_modules() -> list[Module]:
    return sorted(_registry.values(), key=lambda m: (m.order, m.code))


def choices() -> list[tuple[str, str | Promise]]:
    return [(m.code, m.label) for m in all_modules()]
