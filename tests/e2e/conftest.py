"""Playwright in Debian's Chromium (never a downloaded browser). Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# How long a click, a navigation or an ``expect`` waits. The machines that run CI are shared and
# sometimes several times slower than usual: a page that takes 10 s to load there is slow, not broken.
TIMEOUT_MS = 30_000
DESKTOP: dict[str, Any] = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "zh-CN",
}


@pytest.fixture(scope="module")
def browser(django_db_setup: Any) -> Iterator[Any]:
    """One Chromium per module, started after the test database exists.

    Playwright's sync API keeps an event loop running in this thread while the browser is open;
    the ORM calls the e2e tests make are plain synchronous calls, so Django's async-safety guard
    is told so for exactly that time.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the test command installs Debian's chromium package")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def open_page(browser: Any, phone: bool = False) -> Any:
    """A page in a fresh browser context (its own cookies), desktop- or phone-sized; close ``page.context``."""
    page = browser.new_context(**(PHONE if phone else DESKTOP)).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = open_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    page = open_page(browser, phone=True)
    yield page
    page.context.close()


@pytest.fixture
def contexts(browser: Any) -> Iterator[list[Any]]:
    """The contexts a test opened with ``logged_in``, closed after it."""
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()


def logged_in(browser: Any, contexts: list[Any], base: str, username: str, password: str, phone: bool = False) -> Any:
    """A page in a fresh context (desktop or phone-sized) logged in as ``username``, on the home page."""
    pg = open_page(browser, phone=phone)
    contexts.append(pg.context)
    log_in(pg, base, username, password)
    return pg


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/")


def drag_card(page: Any, card: Any, column: Any) -> None:
    """Drag a board card to a column and wait for the server's answer to the move: the card shows in
    its new column before the move is written, so what the test reads next must wait for it."""
    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST"):
        card.drag_to(column)


def pick(page: Any, name: str, typed: str, choice: str) -> None:
    """Choose in a search box (``SearchSelect``): type ``typed`` into the box of ``select[name=…]``,
    wait for the server's answer and click the result that reads ``choice``."""
    box = page.locator(f"select[name='{name}'] + .ts-wrapper")
    box.locator(".ts-control").click()
    with page.expect_response(lambda r: "/api/v1/" in r.url and "q=" in r.url and r.status == 200):
        box.locator("input").fill(typed)
    page.locator(".ts-dropdown:visible .option", has_text=choice).first.click()


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot from the top (the sticky top bar would otherwise sit mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
