"""ADR 0013: the quote-to-cash apps depend one way, pipeline ← quotes ← contracts ← receivables ← orders,
and the approval engine imports none of the document apps. An app tells the apps to its left what they
need to know through their extension points (e.g. ``contracts.registrations.register_dependent``,
``quotes.registrations.register_dependent``, ``approvals.registry.register``), registered from its
``AppConfig.ready``; it is never imported by them.

The rule is read from the source (no Django needed): every module of an app, its imports (absolute,
relative, at the top or inside a function), the dotted names it hands to ``import_module``, ``mock.patch``
and the like, the models it names to ``apps.get_model``, and the template tag libraries its templates load.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "xietong"

# the app → the apps it must not depend on (those to its right in the chain)
FORBIDDEN: dict[str, frozenset[str]] = {
    "pipeline": frozenset({"quotes", "contracts", "receivables", "orders"}),
    "quotes": frozenset({"contracts", "receivables", "orders"}),
    "contracts": frozenset({"receivables", "orders"}),
    "receivables": frozenset({"orders"}),
    "approvals": frozenset({"quotes", "contracts", "receivables", "orders"}),
}

# Known violations not yet inverted: (module path under src/, the app it reaches), each with a comment
# saying why it stays. Empty since contracts and quotes ask through extension points; keep it so.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _app_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "xietong" else None


def _references(source: str, package: str) -> list[tuple[int, str]]:
    """(line, dotted name) for every module ``source`` (a module of ``package``) imports or names."""
    tree = ast.parse(source)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # "from xietong import orders" names the app in the alias
            out.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("xietong."):
            out.append((node.lineno, node.value.split(":")[0]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "get_model"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append((node.lineno, "xietong." + node.args[0].value.split(".")[0]))
    return out


def _tag_libraries() -> dict[str, str]:
    """Template tag library → the app that owns it."""
    return {
        library.stem: app_dir.name
        for app_dir in PACKAGE.iterdir()
        if (app_dir / "templatetags").is_dir()
        for library in (app_dir / "templatetags").glob("*.py")
        if library.stem != "__init__"
    }


LOAD = re.compile(r"{%\s*load\s+([^%]*?)\s*%}")
INCLUDE = re.compile(r"""{%\s*(?:include|extends)\s+["']([a-z_]+)/""")


def _scan() -> tuple[list[str], set[tuple[str, str]]]:
    """The violations, and the entries of ALLOWED that were met."""
    libraries = _tag_libraries()
    found: list[str] = []
    allowed: set[tuple[str, str]] = set()

    def hit(where: str, target: str | None, banned: frozenset[str], message: str) -> None:
        if target not in banned:
            return
        if (where, target) in ALLOWED:
            allowed.add((where, target))
        else:
            found.append(message)

    for app, banned in FORBIDDEN.items():
        for path in sorted((PACKAGE / app).rglob("*.py")):
            where = path.relative_to(SRC).as_posix()
            for line, dotted in _references(path.read_text(encoding="utf-8"), _package_of(path)):
                target = _app_of(dotted)
                hit(where, target, banned, f"{where}:{line} imports {dotted} ({app} must not depend on {target})")
        for path in sorted((PACKAGE / app).rglob("*.html")):
            where = path.relative_to(SRC).as_posix()
            text = path.read_text(encoding="utf-8")
            for match in LOAD.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                for library in match.group(1).split():
                    target = libraries.get(library)
                    hit(where, target, banned, f"{where}:{line} loads {library} ({app} must not depend on {target})")
            for match in INCLUDE.finditer(text):
                target = match.group(1)
                line = text.count("\n", 0, match.start()) + 1
                hit(where, target, banned, f"{where}:{line} includes a {target} template ({app} must not depend on it)")
    return found, allowed


def test_quote_to_cash_apps_depend_only_on_apps_to_their_left() -> None:
    found, allowed = _scan()
    assert found == []
    # an entry of ALLOWED that was fixed is removed, so the list only ever shrinks
    assert allowed == set(ALLOWED)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from xietong.orders.services import ordered_of_contract_lines", True),
        ("def f():\n    from xietong.receivables import services\n", True),
        ("from xietong import orders", True),
        ("from ..orders import services", True),
        ("from .. import receivables", True),
        ("import xietong.orders.models", True),
        ("patch('xietong.orders.services.ordered_of_contract_lines')", True),
        ("apps.get_model('orders.Order')", True),
        ("from xietong.quotes.models import Quote", False),
        ("from ..core import audit", False),
        ("orders = 3", False),
    ],
)
def test_the_scan_sees_every_kind_of_reference(source: str, found: bool) -> None:
    """The rule's own check: a module of contracts reaching orders or receivables in each way is seen."""
    references = _references(source, "xietong.contracts")
    assert any(_app_of(dotted) in FORBIDDEN["contracts"] for _, dotted in references) is found
