"""Real bot servers for the server tier. One bot in the most common configuration (no action
server, the clinic's site allowed) is shared by every test that needs nothing else, so
fewer servers start; a test that needs its own configuration starts its own."""

from pathlib import Path

import pytest

from tools.localserver import LocalBot
from widget_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    CLINIC_SITE,
    clinic_page,
    new_page,
    require,
    wait_for_saved_crisis_lines,
)


@pytest.fixture(scope="session")
def shared_bot(root, model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shared-bot")
    with LocalBot(
        model_path,
        cwd=root,
        action_server=False,
        log_path=tmp / "server.log",
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp}/conv.db", "BOT_CORS_ORIGINS": CLINIC_SITE},
    ) as running:
        running.db = tmp / "conv.db"
        yield running


# ---- The widget in a real browser (tests/widget_browser.py) ----


@pytest.fixture(scope="module")
def bot(shared_bot):
    # The widget is served by the bot itself: the shared bot's extra allowed origin changes nothing here.
    return shared_bot


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).exists(), f"Chromium is not installed ({CHROMIUM}); `apt-get install chromium`")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def requests_seen():
    return []


@pytest.fixture
def page(browser, bot, requests_seen):
    page = new_page(browser, bot, requests_seen)
    yield page
    page.context.close()


@pytest.fixture
def clinic(browser, bot):
    page, violations = clinic_page(browser, bot.url)
    wait_for_saved_crisis_lines(page)
    yield page
    assert violations == [], "the widget needs nothing the clinic's policy does not allow"
    page.context.close()
