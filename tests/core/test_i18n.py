"""The Simplified Chinese catalogue: complete, up to date with the code, and used by the pages.

- every entry of ``locale/zh_Hans/LC_MESSAGES/django.po`` is translated and none is fuzzy;
- the catalogue holds exactly the strings the code marks (``makemessages`` run on a copy of the
  package), so a new string without a translation fails the suite;
- the pages speak Chinese to a zh-hans user and English to an en user.

Needs GNU gettext (``msgfmt``, ``xgettext``, ``msgmerge``), which the test command installs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

PACKAGE_DIR = Path(settings.PACKAGE_DIR)  # src/xietong
PO_PATH = PACKAGE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# What makemessages is told to skip, as in docs (the same arguments as the documented command).
IGNORE = ["migrations/*", "static/*"]

needs_gettext = pytest.mark.skipif(
    shutil.which("msgfmt") is None or shutil.which("xgettext") is None, reason="GNU gettext is not installed"
)


# --- a small .po reader (no dependency) --------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text.strip()[1:-1])


def read_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file, header and obsolete (``#~``) entries left out.

    Each entry: ``msgctxt`` (or None), ``msgid``, ``msgid_plural`` (or None), ``msgstr`` (list of
    the translated forms) and ``flags`` (set, e.g. {"fuzzy", "python-format"}).
    """
    entries: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines or all(line.startswith("#~") for line in lines):
            continue
        entry: dict[str, Any] = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": [], "flags": set()}
        key: str | None = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#"):
                continue
            match = _KEYWORD.match(line)
            if match:
                key, value = match.group(1), _unquote(match.group(2))
                if key.startswith("msgstr"):
                    entry["msgstr"].append(value)
                else:
                    entry[key] = value
            elif line.startswith('"') and key is not None:
                value = _unquote(line)
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += value
                else:
                    entry[key] += value
        if entry["msgid"] == "":  # the header
            continue
        entries.append(entry)
    return entries


def msgids(entries: list[dict[str, Any]]) -> set[tuple[str | None, str, str | None]]:
    return {(e["msgctxt"], e["msgid"], e["msgid_plural"]) for e in entries}


# --- (a) complete ------------------------------------------------------------------------------


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = read_po(PO_PATH)
    assert entries, "the zh_Hans catalogue is empty"
    untranslated = [e["msgid"] for e in entries if not e["msgstr"] or not all(e["msgstr"])]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []
    header = PO_PATH.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert "charset=UTF-8" in header


def test_chinese_has_one_plural_form_and_keeps_every_placeholder():
    for entry in read_po(PO_PATH):
        if entry["msgid_plural"] is not None:
            assert len(entry["msgstr"]) == 1, entry["msgid"]
        wanted = sorted(re.findall(r"%\(\w+\)[sd]|\{\w*\}|<[^>]+>", entry["msgid"]))
        for form in entry["msgstr"]:
            assert sorted(re.findall(r"%\(\w+\)[sd]|\{\w*\}|<[^>]+>", form)) == wanted, entry["msgid"]


@needs_gettext
def test_msgfmt_accepts_the_catalogue(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "translated message" in result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr


# --- (b) up to date ----------------------------------------------------------------------------


@needs_gettext
def test_the_catalogue_holds_exactly_the_strings_the_code_marks(tmp_path):
    """Run makemessages on a copy of the package (no settings, so it writes only into the copy)."""
    copy = tmp_path / "xietong"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "static"))
    (copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").unlink()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    ignores = [arg for pattern in IGNORE for arg in ("--ignore", pattern)]
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location", *ignores],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    fresh = msgids(read_po(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = msgids(read_po(PO_PATH))
    missing = sorted(fresh - committed, key=str)
    stale = sorted(committed - fresh, key=str)
    assert missing == [], (
        "strings marked in the code but not in the catalogue; run makemessages (see docs) and translate them"
    )
    assert stale == [], "strings in the catalogue the code no longer marks; run makemessages"


# --- (c) the pages speak the user's language -----------------------------------------------------


@pytest.fixture
def compiled_catalogue(settings: Any) -> None:
    """Compile the catalogue when the .mo is missing or older than the .po, then reload catalogues."""
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip("GNU gettext is not installed and the catalogue is not compiled")
        subprocess.run(["msgfmt", "--check-format", "-o", str(MO_PATH), str(PO_PATH)], check=True)
    # Setting LOCALE_PATHS (even to itself) makes Django drop the translations it has loaded.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _nav_labels(html: str) -> list[str]:
    return re.findall(r'<span class="xt-nav-label">([^<]+)</span>', html)


def _nav_headings(html: str) -> list[str]:
    return re.findall(r'<div class="xt-nav-heading">([^<]+)</div>', html)


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


PAGES = {
    # url: (zh-hans title, en title, zh text on the page, en text on the page)
    "/": ("今日工作台 · 协同", "My day · XieTong", "今日到期和逾期的任务", "Tasks due today and overdue"),
    "/accounts/access/": ("我的权限 · 协同", "My access · XieTong", "我的权限", "What my roles allow"),
    "/org/": ("组织架构 · 协同", "Organisation · XieTong", "新建事业部", "New business unit"),
    "/org/users/": ("用户 · 协同", "Users · XieTong", "新建用户", "New user"),
    "/org/roles/": ("角色 · 协同", "Roles · XieTong", "新建角色", "New role"),
}


@pytest.mark.django_db
def test_pages_are_in_chinese_for_a_zh_hans_user_and_in_english_for_an_en_user(compiled_catalogue, admin, admin_client):
    assert admin.language == "zh-hans"
    for url, (zh_title, _en_title, zh_text, _en_text) in PAGES.items():
        html = _page(admin_client, url)
        assert '<html lang="zh-hans">' in html, url
        assert _title(html) == zh_title, url
        assert zh_text in html, url
        assert _nav_headings(html) == [
            "工作台",
            "客户",
            "商机",
            "报价与合同",
            "订单与回款",
            "产销协同",
            "协作",
            "设置",
        ], url
        assert _nav_labels(html) == [
            "今日工作台",
            "动态",
            "通知",
            "待我审批",
            "我发起的审批",
            "客户",
            "联系人",
            "线索",
            "线索池",
            "公海",
            "久未跟进的客户",
            "查重",
            "查重复核",
            "撞单",
            "导入",
            "商机看板",
            "商机",
            "销售预测",
            "商机分析",
            "产品",
            "报价单",
            "合同",
            "价格表",
            "订单",
            "运营待办",
            "回款记录",
            "发票",
            "应收账龄",
            "需求计划",
            "统计预测",
            "可承诺量",
            "供应图表",
            "物料与提前期",
            "库存",
            "预计入库",
            "应急预案",
            "任务",
            "日历",
            "组织架构",
            "用户",
            "角色",
            "审计日志",
            "线索分配",
            "审批流",
            "合同编号",
            "我的审批委托",
            "销售流程",
            "查重规则",
            "产品分类",
        ], url
        assert "退出登录" in html and "个人资料" in html and "访问令牌" in html, url
    assert "管理员，你好" in _page(admin_client, "/")
    users = _page(admin_client, "/org/users/")
    for header in ("姓名", "团队", "事业部", "角色", "职位", "手机号", "最近登录"):
        assert f">{header}<" in users, header

    admin.language = "en"
    admin.save()
    for url, (_zh_title, en_title, _zh_text, en_text) in PAGES.items():
        html = _page(admin_client, url)
        assert '<html lang="en">' in html, url
        assert _title(html) == en_title, url
        assert en_text in html, url
        assert _nav_headings(html) == [
            "Workbench",
            "Customers",
            "Opportunities",
            "Quotes &amp; contracts",
            "Orders &amp; payments",
            "Sales &amp; operations",
            "Collaboration",
            "Settings",
        ], url
        assert _nav_labels(html) == [
            "My day",
            "Feed",
            "Notifications",
            "Waiting for my approval",
            "Submitted for approval",
            "Customers",
            "Contacts",
            "Leads",
            "Lead pools",
            "Public pools",
            "Forgotten customers",
            "Duplicate check",
            "Duplicate review",
            "Ownership conflicts",
            "Imports",
            "Board",
            "Opportunities",
            "Forecast",
            "Pipeline analysis",
            "Products",
            "Quotes",
            "Contracts",
            "Price books",
            "Orders",
            "Operations queue",
            "Payments received",
            "Invoices",
            "Receivables aging",
            "Demand plans",
            "Statistical forecasts",
            "Available to promise",
            "Supply charts",
            "Items and lead times",
            "Inventory",
            "Scheduled receipts",
            "Contingency plans",
            "Tasks",
            "Calendar",
            "Organisation",
            "Users",
            "Roles",
            "Audit trail",
            "Lead assignment",
            "Approval flows",
            "Contract numbers",
            "My delegations",
            "Sales processes",
            "Duplicate rules",
            "Product categories",
        ], url
        assert "Log out" in html and "设置" not in html, url
    assert "Hello, 管理员" in _page(admin_client, "/")
