"""Preparing for the appointment, in a real browser on the clinic's own site (another origin
from the bot): the list of questions for the provider, its printout, plain answers with the
article's wording one tap away, and read-aloud.

Screenshots of the list, its printout and a plain answer are saved in test-artifacts/.
"""

import sqlite3
import uuid

import pytest

from widget_browser import (
    ARTIFACTS,
    CLINIC_SITE,
    ask,
    bot_texts,
    clinic_page,
    open_widget,
    run_axe,
    wait_for_reply,
    wait_for_saved_crisis_lines,
)

pytestmark = pytest.mark.slow

CLINICAL_QUESTION = "Should I stop my Lexapro before my first infusion?"
SAVE_BUTTON = "Add this question to my list for my provider"

# A speechSynthesis that records instead of speaking: headless Chromium has no voices.
SPEECH_STUB = """
window.__spoken = []; window.__cancelled = 0;
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: {
  speak: function (u) { window.__spoken.push(u.text); window.__current = u; },
  cancel: function () { window.__cancelled += 1; },
}});
"""
NO_SPEECH = "Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: undefined });"


def saved_questions(page):
    return page.evaluate("""() => {
        const key = Object.keys(sessionStorage).find(k => k.startsWith('clinic-chat-questions:'));
        return key ? JSON.parse(sessionStorage.getItem(key)).map(q => q.text) : [];
    }""")


def listed_questions(page):
    return page.locator("#kcw-questions-panel .kcw-question-text").all_text_contents()


def save_the_clinical_question(page, rendered):
    open_widget(page)
    assert ask(page, CLINICAL_QUESTION) == rendered["utter_safety"], "the safety response's words are unchanged"
    before = page.locator(".kcw-bot").count()
    page.get_by_role("button", name=SAVE_BUTTON).click()
    wait_for_reply(page, before)
    assert bot_texts(page)[-1] == rendered["utter_question_saved"]


def stored_events(db):
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT data FROM events")]


def test_a_question_saved_from_the_safety_response_stays_in_the_browser(clinic, bot, rendered):
    save_the_clinical_question(clinic, rendered)
    assert clinic.get_by_text("Added to your list for your provider.").is_visible()
    assert clinic.get_by_role("button", name=SAVE_BUTTON).count() == 0, "offered once per question"
    assert saved_questions(clinic) == [CLINICAL_QUESTION]

    header_button = clinic.get_by_role("button", name="My questions (1)")
    header_button.click()
    assert header_button.get_attribute("aria-expanded") == "true"
    assert clinic.evaluate("document.activeElement.id") == "kcw-questions-title"
    assert listed_questions(clinic) == [CLINICAL_QUESTION]

    edited = f"Can I drive home after my infusion? {uuid.uuid4().hex}"
    clinic.get_by_role("button", name="Edit question 1").click()
    clinic.get_by_label("Edit question 1").fill(edited)
    clinic.get_by_role("button", name="Save", exact=True).click()
    clinic.get_by_label("Add a question").fill("What should I bring on the day?")
    clinic.get_by_role("button", name="Add", exact=True).click()
    assert listed_questions(clinic) == [edited, "What should I bring on the day?"]
    clinic.get_by_role("button", name="Remove question 2").click()
    assert listed_questions(clinic) == [edited]
    assert saved_questions(clinic) == [edited]
    assert clinic.get_by_role("button", name="My questions (1)").count() == 1

    clinic.reload()  # the list survives a reload of the tab (the chat reopens as it was)
    clinic.wait_for_selector(".kcw-bot")
    assert saved_questions(clinic) == [edited]
    assert clinic.get_by_text("Added to your list for your provider.").is_visible()

    events = stored_events(bot.db)
    assert not [e for e in events if edited in e], "the list never reaches the conversation store"
    saved = [e for e in events if "save_question_for_provider" in e and '"event": "user"' in e]
    assert saved and all('"/save_question_for_provider"' in e for e in saved), "only the fact, no text"


def test_the_list_can_be_copied_and_printed_on_a_clean_page(browser, bot, rendered):
    page, violations = clinic_page(browser, bot.url)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=CLINIC_SITE)
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    page.reload()
    wait_for_saved_crisis_lines(page)
    save_the_clinical_question(page, rendered)
    page.get_by_role("button", name="My questions (1)").click()

    page.get_by_role("button", name="Copy list").click()
    page.wait_for_function("() => document.querySelector('.kcw-questions-status').textContent.startsWith('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Example Ketamine Clinic: my questions for my provider (")
    assert copied.endswith("\n1. " + CLINICAL_QUESTION)

    page.get_by_role("button", name="Print list").click()
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    sheet = page.locator(".kcw-print-sheet")
    assert sheet.is_visible()
    assert sheet.locator("h1").inner_text() == "Example Ketamine Clinic"
    assert sheet.locator("li").all_text_contents() == [CLINICAL_QUESTION]
    today = page.evaluate("new Date().toLocaleDateString(undefined, {year: 'numeric', month: 'long', day: 'numeric'})")
    assert today in sheet.inner_text()
    assert (
        page.locator("main:not(.kcw-print-sheet)").is_hidden() and page.locator(".kcw-root").is_hidden()
    ), "nothing else on the page"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "questions-printed.png"))

    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator(".kcw-print-sheet").count() == 0
    page.emulate_media(media="screen")
    assert page.locator("main").is_visible(), "printing the clinic's page itself is untouched"
    assert violations == []
    page.context.close()


def test_clearing_the_conversation_asks_before_clearing_the_list(clinic, rendered):
    save_the_clinical_question(clinic, rendered)
    clinic.get_by_role("button", name="Clear conversation").click()
    choice = clinic.get_by_role("group", name="Also clear your list of questions for your provider?")
    assert choice.is_visible()
    assert clinic.evaluate("document.activeElement.textContent") == "Clear the chat, keep my list"
    clinic.get_by_role("button", name="Cancel").click()
    assert choice.is_hidden() and clinic.locator(".kcw-user").count() == 1, "nothing cleared"

    clinic.get_by_role("button", name="Clear conversation").click()
    clinic.get_by_role("button", name="Clear the chat, keep my list").click()
    clinic.wait_for_function("() => document.querySelectorAll('.kcw-user').length == 0")
    assert saved_questions(clinic) == [CLINICAL_QUESTION]

    clinic.get_by_role("button", name="Clear conversation").click()
    clinic.get_by_role("button", name="Clear both").click()
    assert saved_questions(clinic) == []
    assert clinic.get_by_role("button", name="My questions", exact=True).count() == 1


def test_a_plain_answer_first_then_the_articles_wording(clinic, rendered):
    open_widget(clinic)
    assert ask(clinic, "what does BDNF do?") == rendered["utter_topic_bdnf"]
    assert "Questions about whether this is right for you?" in rendered["utter_topic_bdnf"]
    before = clinic.locator(".kcw-bot").count()
    clinic.get_by_role("button", name="More detail from the article").click()
    wait_for_reply(clinic, before)
    assert bot_texts(clinic)[-1] == rendered["utter_article_detail:bdnf"]
    assert clinic.locator(".kcw-user").last.inner_text().endswith("More detail from the article")


def test_read_aloud_speaks_an_answer_and_stops_when_the_next_one_starts(browser, bot, rendered):
    page, _ = clinic_page(browser, bot.url)
    page.add_init_script(SPEECH_STUB)
    page.reload()
    open_widget(page)
    answer = ask(page, "what is glutamate")
    read = page.get_by_role("button", name="Read aloud").last
    read.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("window.__spoken") == [answer]
    assert page.get_by_role("button", name="Stop reading").count() == 1
    cancelled = page.evaluate("window.__cancelled")
    ask(page, "what is synaptogenesis")
    assert page.evaluate("window.__cancelled") > cancelled, "a new answer stops the reading"
    assert page.get_by_role("button", name="Stop reading").count() == 0
    page.get_by_role("button", name="Read aloud").last.click()
    page.evaluate("window.__current.onend()")
    assert page.get_by_role("button", name="Stop reading").count() == 0
    assert page.evaluate("window.__spoken")[-1] == rendered["utter_topic_synaptogenesis"]
    page.context.close()


def test_read_aloud_is_not_offered_without_speech_synthesis(browser, bot):
    page, _ = clinic_page(browser, bot.url)
    page.add_init_script(NO_SPEECH)
    page.reload()
    open_widget(page)
    ask(page, "what is glutamate")
    assert page.locator(".kcw-read").count() == 0
    page.context.close()


@pytest.mark.parametrize("width,height", [(1280, 800), (320, 640)])
def test_the_list_answers_and_choices_have_no_accessibility_violations(browser, bot, rendered, width, height):
    # axe-core is injected as an inline script, so this page's policy is not enforced.
    page, _ = clinic_page(browser, bot.url, enforce_csp=False, viewport={"width": width, "height": height})
    page.add_init_script(SPEECH_STUB)
    page.add_init_script("window.print = () => {};")
    page.reload()
    wait_for_saved_crisis_lines(page)
    open_widget(page)
    ask(page, "how does ketamine work?")
    assert run_axe(page) == [], "a plain answer with read-aloud and more detail"
    before = page.locator(".kcw-bot").count()
    page.get_by_role("button", name="More detail from the article").click()
    wait_for_reply(page, before)
    assert bot_texts(page)[-1] == rendered["utter_article_detail:how_it_works"]
    page.get_by_role("button", name="Read aloud").last.click()
    assert run_axe(page) == [], "the article's wording, being read aloud"
    ask(page, "what is BDNF?")
    # The question at the top of the log, so that the picture shows the whole answer.
    page.evaluate("""() => {
        const log = document.querySelector('.kcw-log');
        const asked = [...log.querySelectorAll('.kcw-user')].pop();
        log.scrollTop = asked.offsetTop - log.offsetTop - 8;
    }""")
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_role("dialog").screenshot(path=str(ARTIFACTS / f"plain-answer-{width}px.png"))
    ask(page, CLINICAL_QUESTION)
    assert run_axe(page) == [], "the safety response with the offer to save the question"
    page.get_by_role("button", name=SAVE_BUTTON).click()
    page.get_by_role("button", name="My questions (1)").click()
    page.get_by_role("button", name="Edit question 1").click()
    assert run_axe(page) == [], "the list, one question being edited"
    page.keyboard.press("Escape")
    page.get_by_role("button", name="My questions (1)").click()
    page.get_by_role("dialog").screenshot(path=str(ARTIFACTS / f"questions-{width}px.png"))
    page.get_by_role("button", name="Print list").click()
    page.emulate_media(media="print")
    assert page.locator(".kcw-print-sheet").is_visible()
    assert run_axe(page) == [], "the printed list"
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Clear conversation").click()
    assert run_axe(page) == [], "the choice before clearing"
    for button in page.locator(".kcw-header-actions button, .kcw-confirm button").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
    page.context.close()
