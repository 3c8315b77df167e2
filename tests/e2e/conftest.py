"""Browser-test fixtures: each test module gets its own `streamlit run` (tests/e2e/browser.py) with its own
empty $DIGITLAB_HOME (`server`, or `shared_server` for a shared one), and a headless Debian Chromium driven by
Playwright: `page` for one person, `person()` for as many as a test needs."""

from __future__ import annotations

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e-home")
    srv = start_server(home, home / "streamlit.log")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """A shared server (DIGITLAB_SHARED=1): every visitor gets a lab of their own."""
    home = tmp_path_factory.mktemp("e2e-shared-home")
    srv = start_server(home, home / "streamlit.log", env={"DIGITLAB_SHARED": "1"})
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def person(browser):
    """A new browser context per call, at a desktop's size or a phone's (touch): another person, with cookies
    and storage of their own."""
    contexts = []

    def open_context(phone: bool = False):
        context = browser.new_context(**(PHONE if phone else DESKTOP))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(**DESKTOP)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
