"""The staff report: figures from event rows (pure), the HTML file, and the command line."""

import re
import time


from bot.report.figures import compute_figures, topic_label
from bot.report.grouping import group_similar
from bot.report.html import render_report

T0 = time.mktime((2026, 3, 2, 10, 0, 0, 0, 0, -1))  # local 2 March 2026, 10:00
DAY = 86400


def user(sender, ts, intent, text="...", kind=None):
    return {
        "sender_id": sender,
        "type_name": "user",
        "timestamp": ts,
        "intent_name": intent,
        "action_name": None,
        "text": text,
        "crisis_kind": kind,
    }


def action(sender, ts, name):
    return {
        "sender_id": sender,
        "type_name": "action",
        "timestamp": ts,
        "intent_name": None,
        "action_name": name,
        "text": None,
    }


def turn(sender, ts, intent, answer, text="..."):
    return [user(sender, ts, intent, text), action(sender, ts, answer), action(sender, ts, "action_listen")]


ROWS = [
    action("a", T0, "action_session_start"),
    action("a", T0, "action_listen"),
    *turn("a", T0, "topic_bdnf", "utter_topic_bdnf"),
    *turn("a", T0 + 1, "feedback_helpful", "utter_feedback_helpful", "/feedback_helpful"),
    *turn("a", T0 + 2, "out_of_scope", "utter_out_of_scope", "how much is one infusion"),
    *turn("a", T0 + 3, "topic_menu", "utter_topic_menu"),
    *turn("a", T0 + 4, "feedback_not_helpful", "utter_feedback_not_helpful", "/feedback_not_helpful"),
    *turn("b", T0 + 5, "clinical_decision", "utter_safety"),
    *turn("b", T0 + 6, "feedback_helpful", "utter_feedback_helpful"),  # no article before it: not counted
    *turn("b", T0 + 7, "save_question_for_provider", "utter_question_saved", "/save_question_for_provider"),
    *turn("b", T0 + 8, "save_question_for_provider", "utter_question_saved", "/save_question_for_provider"),
    *turn("c", T0 + DAY * 2, "crisis", "utter_crisis"),
    *turn("c", T0 + DAY * 2 + 1, "topic_nmda_receptors", "utter_topic_nmda_receptors"),
    *turn("c", T0 + DAY * 2 + 2, "topic_bdnf", "utter_topic_bdnf"),
    *turn("c", T0 + DAY * 2 + 3, "feedback_not_helpful", "utter_feedback_not_helpful"),
    *turn("c", T0 + DAY * 2 + 4, "nlu_fallback", "utter_out_of_scope", "what does an infusion cost"),
    *turn("c", T0 + DAY * 2 + 5, "out_of_scope", "utter_out_of_scope", "where do I park"),
]


def test_figures_follow_the_agreed_definitions():
    f = compute_figures(ROWS)
    assert f["period"] == {"from": "2026-03-02", "to": "2026-03-04"}
    assert f["totals"] == {
        "conversations": 3,
        "messages": 9,
        "topic_questions": 3,
        "unanswered": 3,
        "unanswered_share": round(3 / 9, 4),
        "safety_responses": 1,
        "crisis_responses": 1,
        "feedback_helpful": 1,
        "feedback_not_helpful": 2,
        "patients_saving_questions": 1,  # one patient, two questions: a tap is not a message
    }
    assert f["per_day"] == [
        {
            "date": "2026-03-02",
            "conversations": 2,
            "messages": 4,
            "unanswered": 1,
            "safety_responses": 1,
            "crisis_responses": 0,
        },
        {
            "date": "2026-03-03",
            "conversations": 0,
            "messages": 0,
            "unanswered": 0,
            "safety_responses": 0,
            "crisis_responses": 0,
        },
        {
            "date": "2026-03-04",
            "conversations": 1,
            "messages": 5,
            "unanswered": 2,
            "safety_responses": 0,
            "crisis_responses": 1,
        },
    ]
    assert f["questions_per_topic"] == {"topic_bdnf": 2, "topic_nmda_receptors": 1}
    # The menu is not an article answer: a's second tap still rates BDNF; c's rates the latest, BDNF.
    assert f["feedback_per_topic"] == {"topic_bdnf": {"helpful": 1, "not_helpful": 2}}
    assert [(g["label"], g["count"]) for g in f["unanswered_groups"]] == [("cost, infusion", 2), ("park", 1)]


def test_the_period_runs_to_the_end_date_given():
    f = compute_figures(ROWS[:5], since=T0 - DAY, until=T0 + DAY)
    assert [d["date"] for d in f["per_day"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert compute_figures([])["per_day"] == [] and compute_figures([])["totals"]["unanswered_share"] == 0.0


def test_similar_questions_are_grouped_and_counted():
    groups = group_similar(
        [
            "how much is one infusion",
            "What does an infusion cost?",
            "how much is one infusion",
            "do you take insurance",
            "is it covered by my insurance",
            "hello?",
        ]
    )
    assert [(g["count"], [t["text"] for t in g["texts"]]) for g in groups] == [
        (3, ["how much is one infusion", "What does an infusion cost?"]),
        (2, ["do you take insurance", "is it covered by my insurance"]),
        (1, ["hello?"]),
    ]
    assert groups[0]["texts"][0]["count"] == 2


def test_topic_labels_read_as_words():
    assert topic_label("topic_nmda_receptors") == "NMDA receptors"
    assert topic_label("topic_vs_antidepressants") == "Ketamine versus antidepressants"
    assert topic_label("topic_ptsd") == "PTSD"


def outside_references(html):
    return (
        re.findall(r"""(?:src|href)\s*=\s*(?!["']?data:)""", html, re.I)
        + re.findall(r"url\((?!data:)", html)
        + re.findall(r"@import", html)
    )


def test_html_is_self_contained_has_the_charts_and_escapes_patient_text():
    rows = ROWS + turn("d", T0 + 3, "out_of_scope", "utter_out_of_scope", '<script>alert("x")</script> price?')
    html = render_report(compute_figures(rows))
    assert outside_references(html) == []
    assert "http://" not in html and "https://" not in html
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 5 and all(len(data) > 5000 for _, data in images)
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; price?" in html
    for title in (
        "What patients asked about",
        "Safety and crisis responses",
        "Questions the bot could not answer",
        "Were the answers helpful?",
    ):
        assert title in html


def test_an_empty_store_gives_a_report_without_charts():
    html = render_report(compute_figures([]))
    assert "no conversations stored" in html and "<img" not in html


def test_crisis_responses_are_counted_by_kind():
    rows = [
        user("x", T0, "crisis", kind="overdose"),
        action("x", T0, "utter_crisis"),
        user("y", T0 + 1, "crisis", kind="overdose"),
        action("y", T0 + 1, "utter_crisis"),
        user("z", T0 + 2, "crisis", "/crisis"),  # a payload: no kind
        action("z", T0 + 2, "utter_crisis"),
        user("z", T0 + 3, "topic_bdnf"),
        action("z", T0 + 3, "utter_topic_bdnf"),
    ]
    figures = compute_figures(rows)
    assert figures["crisis_responses_per_kind"] == {"overdose": 2, "unknown": 1}
    assert figures["totals"]["crisis_responses"] == 3
    html = render_report(figures, generated=__import__("datetime").datetime(2026, 3, 3, 9, 0))
    assert "Overdose or poisoning" in html and "Kind not known" in html


def test_the_kind_of_crisis_is_read_from_the_stored_parse_data():
    from bot.report.figures import crisis_kind

    parse = {"entities": [{"entity": "crisis_category", "value": "abuse", "start": 0, "end": 5}]}
    assert crisis_kind(parse) == "abuse"
    assert crisis_kind({"entities": []}) is None
