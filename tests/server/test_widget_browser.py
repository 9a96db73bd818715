"""The widget in a real browser (Debian's Chromium, driven by Playwright) against the real bot.

Screenshots of the open widget (desktop and 320 px) are saved in test-artifacts/.
Skipped where Chromium is not installed, unless BOT_REQUIRE_BROWSER=1 (set by .ci/run), where
a missing browser is a failure.
"""

import json
import urllib.parse
import urllib.request

import pytest

from tools.localserver import LocalBot
from widget_browser import (
    ARTIFACTS,
    CLINIC_SITE,
    CRISIS_ROUTE,
    LIVE_SCHEMES,
    LOCAL_HOSTS,
    WEBHOOK_ROUTE,
    ask,
    bot_texts,
    clinic_page,
    conversation,
    crisis_info,
    help_button,
    new_page,
    open_widget,
    panel_links,
    run_axe,
    wait_for_reply,
    wait_for_saved_crisis_lines,
)


pytestmark = pytest.mark.slow


def test_open_greet_and_answer_a_topic_question(page, rendered, clinic_variables):
    launcher = page.get_by_role("button", name="Questions? Chat with us")
    assert launcher.get_attribute("aria-expanded") == "false"
    open_widget(page)
    dialog = page.get_by_role("dialog")
    assert clinic_variables["clinic_name"] in dialog.inner_text()
    assert "not medical advice" in page.locator(".kcw-notice").inner_text()
    assert "911" in page.locator(".kcw-notice").inner_text()
    assert page.evaluate("document.activeElement.id") == "kcw-input", "focus moves into the dialog"
    assert page.get_by_role("log").get_attribute("aria-live") == "polite", "new messages are announced"
    assert bot_texts(page)[0] == rendered["utter_greet"]
    assert ask(page, "What is BDNF?") == rendered["utter_topic_bdnf"]
    assert page.get_by_role("group", name="Was this answer helpful?").count() == 1
    assert page.get_by_label("Your question").input_value() == "", "sent text is cleared once answered"


def test_a_clinical_decision_gets_the_fixed_safety_response(page, rendered):
    open_widget(page)
    assert ask(page, "Should I stop my Lexapro before ketamine?") == rendered["utter_safety"]


def test_several_questions_in_one_message_get_every_answer_in_order(clinic, rendered):
    # On the clinic's own site (another origin, its Content Security Policy), as patients see it.
    open_widget(clinic)
    before = clinic.locator(".kcw-bot").count()
    clinic.get_by_label("Your question").fill("What is ketamine and can I take it with my Zoloft?")
    clinic.keyboard.press("Enter")
    wait_for_reply(clinic, before + 1)
    assert bot_texts(clinic)[before:] == [rendered["utter_safety"], rendered["utter_topic_what_is_ketamine"]]


def test_a_condition_the_article_does_not_name_is_said_first_as_text(page, rendered):
    open_widget(page)
    answer = ask(page, "does ketamine help ocd")
    first, rest = answer.split("\n", 1)
    assert first == "The article doesn't mention OCD. Here is what it says that comes closest:"
    assert rest == rendered["utter_topic_conditions_treated"]


def test_an_unsure_question_offers_close_topics_and_a_tap_answers(clinic, rendered):
    # On the clinic's own site, as patients see it: the offer's buttons are real buttons.
    open_widget(clinic)
    offer = ask(clinic, "ketamine speed vs depression pills, whats the story")
    assert offer == rendered["utter_close_topics"]
    before = clinic.locator(".kcw-bot").count()
    clinic.get_by_role("button", name="Why is it called rapid-acting?").click()
    wait_for_reply(clinic, before)
    assert bot_texts(clinic)[before] == rendered["utter_topic_rapid_action"]


def test_quick_replies_and_feedback_are_buttons(page, rendered):
    open_widget(page)
    page.get_by_role("button", name="All topics").click()
    page.wait_for_function("document.querySelectorAll('.kcw-bot').length > 1")
    assert bot_texts(page)[1] == rendered["utter_topic_menu"]
    assert page.locator(".kcw-user").last.inner_text().endswith("All topics")
    page.get_by_role("button", name="Resilience").click()
    page.wait_for_function("document.querySelectorAll('.kcw-bot').length > 2")
    assert bot_texts(page)[2] == rendered["utter_topic_resilience"]
    page.get_by_role("button", name="Helpful", exact=True).click()
    page.wait_for_function("document.querySelectorAll('.kcw-bot').length > 3")
    assert bot_texts(page)[3] == rendered["utter_feedback_helpful"]
    assert page.get_by_role("button", name="Helpful", exact=True).count() == 0, "one tap per answer"


def test_keyboard_only(page, rendered):
    for _ in range(5):  # past the page's own focusable parts to the launcher
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "kcw-launcher":
            break
    assert page.evaluate("document.activeElement.className") == "kcw-launcher"
    page.keyboard.press("Enter")
    page.wait_for_selector(".kcw-bot")
    assert page.evaluate("document.activeElement.id") == "kcw-input"
    page.keyboard.type("what does ketamine do to glutamate")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.kcw-bot').length > 1")
    assert bot_texts(page)[1] == rendered["utter_topic_glutamate"]
    # Shift+Enter is a new line, not a send.
    page.keyboard.type("line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    assert page.get_by_label("Your question").input_value() == "line one\nline two"
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").is_hidden()
    assert page.evaluate("document.activeElement.className") == "kcw-launcher", "focus returns to the launcher"
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring == "solid", "visible focus"


def test_markup_typed_by_the_patient_is_shown_as_text(page):
    open_widget(page)
    attack = '<img src=x onerror="window.__xss=1"><a href="javascript:window.__xss=2">click</a>'
    ask(page, attack)
    assert page.locator(".kcw-user").last.inner_text().endswith(attack)
    assert page.locator(".kcw-root img, .kcw-root a[href^='javascript']").count() == 0
    assert page.evaluate("window.__xss") is None


def test_a_hostile_response_cannot_inject_markup_or_live_javascript_links(page):
    hostile = [
        {
            "text": 'Echo: <img src=x onerror="window.__xss=1"> javascript:window.__xss=2 '
            '<a href="javascript:window.__xss=3">x</a> see https://www.example.org/info.',
            "buttons": [{"title": "<b onmouseover=window.__xss=4>bold</b>", "payload": "/topic_menu"}],
        }
    ]
    page.route(
        "**/webhooks/clinic/webhook",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile)),
    )
    open_widget(page)  # the greeting is the hostile response too
    ask(page, "hello")
    root = page.locator(".kcw-root")
    assert root.locator("img, b, script").count() == 0
    links = page.get_by_role("log").locator("a").evaluate_all("links => links.map(a => [a.href, a.target, a.rel])")
    assert links == [["https://www.example.org/info", "_blank", "noopener noreferrer"]] * 2
    page.get_by_role("button", name="<b onmouseover=window.__xss=4>bold</b>").last.hover()
    assert page.evaluate("window.__xss") is None


def test_a_typing_indicator_shows_while_waiting(page, rendered):
    open_widget(page)

    def slow(route):
        page.wait_for_timeout(800)
        route.continue_()

    page.route("**/webhooks/clinic/webhook", slow)
    page.get_by_label("Your question").fill("what is bdnf")
    page.keyboard.press("Enter")
    assert page.locator(".kcw-typing").is_visible()
    assert page.get_by_role("status").inner_text() == "The assistant is typing"
    page.wait_for_function("document.querySelectorAll('.kcw-bot').length > 1")
    assert page.locator(".kcw-typing").is_hidden()


def test_cant_reach_the_assistant_then_retry_keeps_what_was_typed(page, rendered):
    open_widget(page)
    page.route("**/webhooks/clinic/webhook", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Your question").fill("what is synaptogenesis")
    page.keyboard.press("Enter")
    page.wait_for_selector(".kcw-error")
    assert "can't reach the assistant" in page.locator(".kcw-error").inner_text()
    assert page.get_by_label("Your question").input_value() == "what is synaptogenesis"
    page.unroute("**/webhooks/clinic/webhook")
    page.get_by_role("button", name="Try again").click()
    page.wait_for_function("document.querySelectorAll('.kcw-bot').length > 1")
    assert bot_texts(page)[1] == rendered["utter_topic_synaptogenesis"]
    assert page.locator(".kcw-error").count() == 0


def test_conversation_lives_in_session_storage_only_and_can_be_cleared(browser, bot, requests_seen, rendered):
    page = new_page(browser, bot, requests_seen)
    open_widget(page)
    ask(page, "what is an integration session")
    conversation_id = conversation(page)["id"]
    assert len(conversation_id) == 32
    assert page.evaluate("localStorage.length") == 0 and page.evaluate("document.cookie") == ""
    page.reload()
    page.wait_for_selector(".kcw-bot")
    assert bot_texts(page)[-1] == rendered["utter_topic_integration_sessions"], "survives a reload"
    page.get_by_role("button", name="Clear conversation").click()
    page.wait_for_function("document.querySelectorAll('.kcw-user').length == 0")
    page.wait_for_selector(".kcw-bot")
    assert conversation(page)["id"] != conversation_id
    page.context.close()
    other = new_page(browser, bot, requests_seen)  # a new tab session: nothing carried over
    assert conversation(other) is None
    assert other.get_by_role("dialog").is_hidden()
    other.context.close()


@pytest.mark.parametrize("width,height,name", [(1280, 800, "desktop"), (320, 640, "320px")])
def test_accessibility_and_screenshots(browser, bot, requests_seen, width, height, name):
    page = new_page(browser, bot, requests_seen, viewport={"width": width, "height": height})
    assert run_axe(page) == [], "the closed launcher"
    open_widget(page)
    ask(page, "can ketamine help with PTSD?")
    assert run_axe(page) == [], "the open widget with a conversation"
    for part in (
        page.get_by_role("dialog"),
        page.get_by_role("button", name="Close chat"),
        page.get_by_role("button", name="Clear conversation"),
        page.get_by_role("button", name="Send"),
    ):
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, "fully on screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))
    page.context.close()


def test_usable_at_200_percent_zoom(browser, bot, requests_seen, rendered):
    # 200% zoom on a 1280x800 screen lays the page out in 640x400 CSS pixels.
    page = new_page(browser, bot, requests_seen, viewport={"width": 640, "height": 400}, device_scale_factor=2)
    open_widget(page)
    for control in (
        page.get_by_label("Your question"),
        page.get_by_role("button", name="Send"),
        page.get_by_role("button", name="Close chat"),
    ):
        box = control.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 400 and box["x"] + box["width"] <= 640
    assert ask(page, "what is bdnf") == rendered["utter_topic_bdnf"]
    page.context.close()


def test_reduced_motion_stops_the_typing_animation(browser, bot, requests_seen):
    page = new_page(browser, bot, requests_seen, reduced_motion="reduce")
    open_widget(page)
    assert page.evaluate("getComputedStyle(document.querySelector('.kcw-dot')).animationName") == "none"
    page.context.close()


def test_no_request_leaves_this_machine(page, requests_seen):
    open_widget(page)
    ask(page, "how does ketamine work")
    hosts = {urllib.parse.urlsplit(u).hostname for u in requests_seen if not u.startswith("data:")}
    assert hosts and hosts <= LOCAL_HOSTS


def test_get_help_now_opens_the_crisis_lines_from_the_header(clinic, bot):
    open_widget(clinic)
    button = help_button(clinic)
    assert button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "kcw-help-panel"
    button.click()
    panel = clinic.locator("#kcw-help-panel")
    assert panel.is_visible() and button.get_attribute("aria-expanded") == "true"
    assert clinic.evaluate("document.getElementById('kcw-help-panel').contains(document.activeElement)")
    info = crisis_info(bot.url)
    names = clinic.locator("#kcw-help-panel .kcw-line-name").all_text_contents()
    assert names == [line["name"] for line in info["lines"]]
    assert names[:2] == ["Emergency services", "988 Suicide & Crisis Lifeline"]
    links = panel_links(clinic)
    assert [href for href, *_ in links] == [link["href"] for line in info["lines"] for link in line["links"]]
    assert all(href.startswith(LIVE_SCHEMES) for href, *_ in links)
    assert ["tel:988", "Call 988", "", ""] in links and ["sms:988", "Text 988", "", ""] in links
    chats = [(target, rel) for href, _, target, rel in links if href.startswith("https:")]
    assert chats and set(chats) == {("_blank", "noopener noreferrer")}


def test_help_panel_by_keyboard_escape_returns_to_the_button(clinic):
    open_widget(clinic)
    for _ in range(12):  # back from the message box, past the log and its buttons, to the header
        if clinic.evaluate("document.activeElement.textContent") == "Get help now":
            break
        clinic.keyboard.press("Shift+Tab")
    assert clinic.evaluate("document.activeElement.textContent") == "Get help now"
    clinic.keyboard.press("Enter")
    assert clinic.locator("#kcw-help-panel").is_visible()
    assert clinic.get_by_label("Your question").is_hidden(), "the panel takes the chat's place"
    assert clinic.evaluate("document.activeElement.id") == "kcw-help-title", "focus moves into the panel"
    clinic.keyboard.press("Tab")
    assert clinic.evaluate("document.activeElement.getAttribute('href')") == "tel:911"
    clinic.keyboard.press("Escape")
    assert clinic.locator("#kcw-help-panel").is_hidden()
    assert clinic.get_by_role("dialog").is_visible(), "Escape closes the panel, not the chat"
    assert clinic.get_by_label("Your question").is_visible(), "the chat is back"
    assert clinic.evaluate("document.activeElement.textContent") == "Get help now"
    assert help_button(clinic).get_attribute("aria-expanded") == "false"
    clinic.keyboard.press("Space")
    assert clinic.locator("#kcw-help-panel").is_visible()
    clinic.get_by_role("button", name="Back to the chat").press("Enter")
    assert clinic.locator("#kcw-help-panel").is_hidden()
    assert clinic.evaluate("document.activeElement.textContent") == "Get help now"


@pytest.mark.parametrize("width,height", [(1280, 800), (320, 640)])
def test_help_panel_has_no_accessibility_violations(browser, bot, width, height):
    # axe-core is injected as an inline script, so this page's policy is not enforced.
    page, _ = clinic_page(browser, bot.url, enforce_csp=False, viewport={"width": width, "height": height})
    wait_for_saved_crisis_lines(page)
    open_widget(page)
    help_button(page).click()
    assert page.locator("#kcw-help-panel").is_visible()
    assert run_axe(page) == [], "the open help panel"
    for link in page.locator("#kcw-help-panel a").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 44
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-help-{width}px.png"))
    page.context.close()


def test_crisis_lines_with_other_links_stay_text(browser, bot):
    page, _ = clinic_page(browser, bot.url)
    hostile = crisis_info(bot.url)
    hostile["lines"] = [
        {
            "name": "<img src=x onerror=window.__xss=1>",
            "describe": "",
            "links": [
                {"kind": "call", "label": "Call", "href": "javascript:window.__xss=2"},
                {"kind": "call", "label": "Dial", "href": "tel:988;ext=javascript:1"},
                {"kind": "chat", "label": "Chat", "href": "http://example.org/chat"},
                {"kind": "text", "label": "Text", "href": "sms:988?body=<b>"},
                {"kind": "call", "label": "Call 988", "href": "tel:988"},
            ],
        }
    ]
    page.evaluate("sessionStorage.clear()")
    page.route(
        CRISIS_ROUTE, lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile))
    )
    page.reload()
    wait_for_saved_crisis_lines(page)
    open_widget(page)
    help_button(page).click()
    assert [href for href, *_ in panel_links(page)] == ["tel:988"]
    assert page.locator("#kcw-help-panel .kcw-line-text").all_text_contents() == ["Call", "Dial", "Chat", "Text"]
    assert page.locator(".kcw-root img").count() == 0 and page.evaluate("window.__xss") is None
    page.context.close()


def test_a_reload_without_the_bot_keeps_the_saved_crisis_lines(clinic, bot):
    clinic.route(CRISIS_ROUTE, lambda route: route.abort("connectionrefused"))
    clinic.reload()
    open_widget(clinic)
    help_button(clinic).click()
    names = clinic.locator("#kcw-help-panel .kcw-line-name").all_text_contents()
    assert names == [line["name"] for line in crisis_info(bot.url)["lines"]]


def test_without_the_lines_or_a_saved_copy_the_panel_gives_the_emergency_number(browser, bot):
    page, _ = clinic_page(browser, bot.url)
    wait_for_saved_crisis_lines(page)  # the first load's request is done: it cannot refill the storage
    page.route(CRISIS_ROUTE, lambda route: route.abort("connectionrefused"))
    page.evaluate("sessionStorage.clear()")
    page.reload()
    open_widget(page)
    help_button(page).click()
    text = page.locator("#kcw-help-panel").inner_text()
    assert "If you are in danger right now, call 911." in text
    assert [href for href, *_ in panel_links(page)] == ["tel:911"]
    page.context.close()


def test_the_bot_answering_with_an_error_shows_the_crisis_lines_for_a_crisis_message(clinic):
    open_widget(clinic)
    clinic.route(
        WEBHOOK_ROUTE,
        lambda route: route.fulfill(
            status=503, content_type="application/json", body=json.dumps({"error": "unavailable", "message": "Down."})
        ),
    )
    clinic.get_by_label("Your question").fill("I took a whole bottle of my pills")
    clinic.keyboard.press("Enter")
    card = clinic.locator(".kcw-crisis")
    card.wait_for()
    assert card.get_attribute("role") == "alert"
    assert "Overdose or poisoning" in card.inner_text()
    assert [a.get_attribute("href") for a in card.locator("a").all()] == ["tel:911", "tel:18002221222"]
    assert clinic.locator(".kcw-error").count() == 0
    assert clinic.get_by_label("Your question").input_value() == "I took a whole bottle of my pills"
    clinic.get_by_label("Your question").fill("what is bdnf")
    clinic.locator(".kcw-crisis .kcw-retry").click()  # "Try again" sends the crisis message again
    clinic.locator(".kcw-crisis").wait_for()
    clinic.locator(".kcw-send").click()
    clinic.locator(".kcw-error").wait_for()
    assert clinic.locator(".kcw-error").inner_text().startswith("Down.")
    assert clinic.locator(".kcw-crisis").count() == 1


def test_with_the_bot_stopped_a_crisis_message_gets_the_crisis_lines(browser, root, model_path, tmp_path):
    # A bot of its own, stopped mid-conversation: a real dead server, not a simulated one.
    own = LocalBot(
        model_path,
        cwd=root,
        action_server=False,
        log_path=tmp_path / "server.log",
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp_path}/conv.db", "BOT_CORS_ORIGINS": CLINIC_SITE},
    ).start()
    try:
        page, _ = clinic_page(browser, own.url, enforce_csp=False)  # for axe-core, below
        wait_for_saved_crisis_lines(page)
        open_widget(page)
    finally:
        own.stop()
    page.get_by_label("Your question").fill("i want to kill myself")
    page.keyboard.press("Enter")
    card = page.locator(".kcw-crisis")
    card.wait_for()
    assert "Thoughts of suicide or self-harm" in card.inner_text()
    assert "988 Suicide & Crisis Lifeline" in card.inner_text()
    hrefs = [a.get_attribute("href") for a in card.locator("a").all()]
    assert hrefs == ["tel:988", "sms:988", "tel:911"], "the crisis line first, then the emergency number"
    assert page.locator(".kcw-error").count() == 0
    page.get_by_label("Your question").fill("what is bdnf")
    page.keyboard.press("Enter")
    page.locator(".kcw-error").wait_for()
    assert "can't reach the assistant" in page.locator(".kcw-error").inner_text()
    assert page.locator(".kcw-crisis").count() == 1, "an ordinary question gets the ordinary error"
    assert run_axe(page) == [], "the crisis card"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-offline-crisis.png"))
    help_button(page).click()
    assert "988 Suicide & Crisis Lifeline" in page.locator("#kcw-help-panel").inner_text()
    help_button(page).click()
    # Spanish with its accents: JavaScript's \b would not end a match at "golpeó" unless the
    # widget drops accents as the word list was compiled.
    page.get_by_label("Your question").fill("mi esposo me golpeó anoche")
    page.keyboard.press("Enter")
    page.locator(".kcw-crisis").nth(1).wait_for()
    assert "National Domestic Violence Hotline" in page.locator(".kcw-crisis").nth(1).inner_text()
    page.context.close()


def test_the_widget_on_the_clinics_site_answers_through_the_cluster(browser, clinic_cluster, rendered):
    page, violations = clinic_page(browser, clinic_cluster.url)
    wait_for_saved_crisis_lines(page)
    open_widget(page)
    assert ask(page, "what is bdnf?").startswith(rendered["utter_topic_bdnf"].split("\n")[0][:60])
    assert ask(page, "Should I stop my Lexapro before my first infusion?").startswith(rendered["utter_safety"][:60])
    assert violations == []
    page.context.close()
