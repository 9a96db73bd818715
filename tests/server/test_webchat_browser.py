"""rasa-webchat 1.0.1, the socket.io client many Rasa sites use, embedded on the clinic's own
site (another origin, listed in BOT_CORS_ORIGINS), in Chromium against the real bot.

A Python socket.io client ignores CORS; a browser refuses a handshake that names the allowed
origin twice, which is what Rasa 3.6 sent (bot/web/socketio.py). rasa-webchat also fetches
Google Fonts: every request that would leave this machine is blocked and recorded.
"""

import urllib.parse
from pathlib import Path

import pytest

from widget_browser import CLINIC_SITE, LOCAL_HOSTS, LOOPBACK_PERMISSIONS, require

pytestmark = pytest.mark.slow

WEBCHAT = Path(__file__).parents[1] / "browser" / "node_modules" / "rasa-webchat" / "lib" / "index.js"


def webchat_page(bot_url):
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example Ketamine Clinic</title></head>
<body><main><h1>Example Ketamine Clinic</h1><div id="webchat"></div></main>
<script src="/webchat.js"></script>
<script>
  WebChat.default({{
    selector: "#webchat", embedded: true, initPayload: "/greet",
    socketUrl: "{bot_url}", socketPath: "/socket.io/", title: "Example Ketamine Clinic",
    params: {{storage: "session"}}
  }}, null);
</script></body></html>"""


BOT_TEXT = ".rw-response .rw-message-text"  # not the typing dots, which are a .rw-response too


def responses(page):
    return [" ".join(t.split()) for t in page.locator(BOT_TEXT).all_inner_texts()]


def send(page, text):
    before = page.locator(BOT_TEXT).count()
    page.locator(".rw-new-message").fill(text)
    page.locator(".rw-send").click()
    page.wait_for_function(f"() => document.querySelectorAll('{BOT_TEXT}').length > {before}")
    return responses(page)[before]


def test_rasa_webchat_on_the_clinics_site_gets_answers_over_socketio(browser, shared_bot, rendered):
    converse_with_webchat(browser, shared_bot.url, rendered)


def test_rasa_webchat_gets_answers_through_the_cluster(browser, clinic_cluster, rendered):
    """socket.io's polling requests of one session must all reach the instance that holds it:
    haproxy routes /socket.io/ by source address (bot/scale/cluster.py)."""
    converse_with_webchat(browser, clinic_cluster.url, rendered)


def converse_with_webchat(browser, bot_url, rendered):
    require(WEBCHAT.exists(), f"rasa-webchat is not installed ({WEBCHAT}); run `make setup`")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(LOOPBACK_PERMISSIONS, origin=CLINIC_SITE)
    page = context.new_page()
    blocked = []

    def route(r):
        url = r.request.url
        if url.startswith(CLINIC_SITE + "/webchat.js"):
            r.fulfill(status=200, content_type="application/javascript", body=WEBCHAT.read_text(encoding="utf-8"))
        elif url.startswith(CLINIC_SITE + "/"):
            r.fulfill(status=200, content_type="text/html; charset=utf-8", body=webchat_page(bot_url))
        elif urllib.parse.urlsplit(url).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.goto(CLINIC_SITE + "/")
    page.locator(BOT_TEXT).first.wait_for(timeout=30000)  # the greeting, over socket.io
    assert responses(page)[0].startswith("Hello, I'm the Example Ketamine Clinic education assistant.")

    answer = send(page, "what is bdnf?")
    assert answer.startswith("BDNF is short for Brain-Derived Neurotrophic Factor.")
    assert "Questions about whether this is right for you?" in answer
    safety = send(page, "Should I stop my Lexapro before my first infusion?")
    assert safety.startswith(" ".join(rendered["utter_safety"].split())[:80])

    # rasa-webchat asks for Google Fonts; nothing else may leave the machine.
    assert blocked and all(urllib.parse.urlsplit(u).hostname == "fonts.googleapis.com" for u in blocked), blocked
    context.close()
