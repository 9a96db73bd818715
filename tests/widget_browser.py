"""Driving the widget in a real browser (Debian's Chromium, through Playwright): the pages,
the clinic's own site on another origin, and small helpers shared by the browser tests in
tests/server/ (their fixtures are in tests/server/conftest.py).
"""

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# Flags for a headless Chromium that makes no connection of its own (updates, sync, etc.).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def require(condition, reason):
    if condition:
        return
    if os.environ.get("BOT_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (BOT_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def new_page(browser, bot, requests_seen, **context_options):
    context = browser.new_context(
        viewport=context_options.pop("viewport", {"width": 1280, "height": 800}), bypass_csp=True, **context_options
    )
    page = context.new_page()
    page.on("request", lambda r: requests_seen.append(r.url))
    page.goto(bot.url + "/")
    return page


def open_widget(page):
    page.get_by_role("button", name="Questions? Chat with us").click()
    page.wait_for_selector(".kcw-bot")  # the greeting


def bot_texts(page):
    return [t.replace("Assistant: ", "", 1) for t in page.locator(".kcw-bot").all_text_contents()]


def wait_for_reply(page, before):
    """Until the log holds more than `before` bot messages. An arrow function: a bare
    expression would need eval(), which the clinic's Content Security Policy forbids."""
    page.wait_for_function(f"() => document.querySelectorAll('.kcw-bot').length > {before}")


def ask(page, text):
    before = page.locator(".kcw-bot").count()
    page.get_by_label("Your question").fill(text)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    return bot_texts(page)[before]


def conversation(page):
    """The conversation the widget keeps in sessionStorage (beside the crisis lines), or None."""
    return page.evaluate("""() => {
        const key = Object.keys(sessionStorage).find(k => k.startsWith('clinic-chat:'));
        return key ? JSON.parse(sessionStorage.getItem(key)) : null;
    }""")


def run_axe(page):
    require(AXE.exists(), f"axe-core is not installed ({AXE}); run `make setup`")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}
    })""")
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


# ---- "Get help now" and the offline fail-safe, on the clinic's own site ---------------------
#
# These pages are served at the clinic's address (CLINIC_SITE, answered by Playwright), another
# origin from the bot, under a Content Security Policy that allows only the bot: the way a
# clinic embeds the widget.

CLINIC_SITE = "https://www.example-clinic.org"
CRISIS_ROUTE = "**/webhooks/clinic/crisis"
WEBHOOK_ROUTE = "**/webhooks/clinic/webhook"
LIVE_SCHEMES = ("tel:", "sms:", "https:")
LOOPBACK_PERMISSIONS = ["local-network-access"]


def clinic_page(browser, bot_url, enforce_csp=True, viewport=None):
    """The clinic's page with the widget from `bot_url`; returns (page, CSP violations seen)."""
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example Ketamine Clinic</title></head>
<body><main><h1>Example Ketamine Clinic</h1><p>Questions about ketamine therapy? Ask our assistant.</p></main>
<script src="{bot_url}/widget/widget.js" defer data-clinic-name="Example Ketamine Clinic"
        data-emergency-number="911"></script></body></html>"""
    csp = (
        f"default-src 'none'; script-src {bot_url}; style-src {bot_url}; connect-src {bot_url}; "
        "img-src 'self'; base-uri 'none'; form-action 'none'"
    )
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, bypass_csp=not enforce_csp)
    # The test's bot listens on loopback, which Chromium keeps from public sites unless allowed
    # (Local Network Access); a clinic's real bot has a public address and needs no permission.
    context.grant_permissions(LOOPBACK_PERMISSIONS, origin=CLINIC_SITE)
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.route(
        CLINIC_SITE + "/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", headers={"Content-Security-Policy": csp}, body=html
        ),
    )
    page.goto(CLINIC_SITE + "/")
    return page, violations


def wait_for_saved_crisis_lines(page):
    page.wait_for_function("() => Object.keys(sessionStorage).some(k => k.startsWith('clinic-chat-crisis:'))")


def crisis_info(bot_url):
    with urllib.request.urlopen(
        urllib.request.Request(bot_url + "/webhooks/clinic/crisis", headers={"Origin": CLINIC_SITE}), timeout=30
    ) as r:
        return json.loads(r.read())


def help_button(page):
    return page.get_by_role("button", name="Get help now")


def panel_links(page):
    return page.locator("#kcw-help-panel a").evaluate_all(
        "links => links.map(a => [a.getAttribute('href'), a.textContent, a.target, a.rel])"
    )
