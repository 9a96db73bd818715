"""The staff report's figures, computed from the stored events (pure, except `load_rows`).

Definitions, agreed with the dialogue design (domain.yml, data/rules):
- a *message* is a patient message other than a tap on the feedback buttons;
- a message the bot *could not answer* is one whose answer was `utter_out_of_scope` (the
  out_of_scope intent or the NLU fallback);
- a *safety response* is `utter_safety`, a *crisis response* `utter_crisis`; its *kind of
  crisis* is the `crisis_category` the NLU gave the patient message it answered;
- a message's *topic* is its `topic_*` intent (the topic menu is not a topic);
- a feedback tap counts for the topic of the latest article answer (`utter_topic_*`) before
  it in the same conversation;
- a patient *saved a question for their provider* when their conversation has the
  `save_question_for_provider` intent (the widget's button under the safety response). The
  questions themselves stay in the patient's browser: only the count is known here.
Days are the report machine's local calendar days.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional

import sqlalchemy as sa

from bot.report.grouping import group_similar
from bot.storage.db import EVENTS

# The decline, and the decline of the part of a message the article does not cover.
UNANSWERED_ACTIONS = {"utter_out_of_scope", "utter_out_of_scope_rest"}
SAFETY_ACTION = "utter_safety"
CRISIS_ACTION = "utter_crisis"
FEEDBACK = {"feedback_helpful": "helpful", "feedback_not_helpful": "not_helpful"}
SAVED_QUESTION = "save_question_for_provider"
NOT_A_TOPIC = {"topic_menu"}
CRISIS_KIND = "crisis_category"


def load_rows(engine: sa.engine.Engine, since: Optional[float] = None) -> List[Dict[str, Any]]:
    """The user messages and bot actions, in the order they were stored."""
    query = (
        sa.select(
            EVENTS.c.sender_id,
            EVENTS.c.type_name,
            EVENTS.c.timestamp,
            EVENTS.c.intent_name,
            EVENTS.c.action_name,
            EVENTS.c.data,
        )
        .where(EVENTS.c.type_name.in_(("user", "action")))
        .order_by(EVENTS.c.sender_id, EVENTS.c.id)
    )
    if since is not None:
        query = query.where(EVENTS.c.timestamp >= since)
    rows = []
    with engine.connect() as conn:
        for sender, type_name, ts, intent, action, data in conn.execute(query):
            event = json.loads(data) if type_name == "user" else {}
            rows.append(
                {
                    "sender_id": sender,
                    "type_name": type_name,
                    "timestamp": ts,
                    "intent_name": intent,
                    "action_name": action,
                    "text": event.get("text"),
                    "crisis_kind": crisis_kind(event.get("parse_data") or {}),
                }
            )
    return rows


def crisis_kind(parse_data: Dict[str, Any]) -> Optional[str]:
    """The kind of crisis the NLU gave a message, if any."""
    return next((e.get("value") for e in parse_data.get("entities") or [] if e.get("entity") == CRISIS_KIND), None)


def _day(ts: float) -> date:
    return datetime.fromtimestamp(ts).date()


def _days(first: date, last: date) -> List[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def compute_figures(
    rows: Iterable[Dict[str, Any]], since: Optional[float] = None, until: Optional[float] = None
) -> Dict[str, Any]:
    """Every number in the report, from event rows ordered by conversation, then as stored."""
    per_day: Dict[date, Counter] = defaultdict(Counter)
    senders_per_day: Dict[date, set] = defaultdict(set)
    senders: set = set()
    question_savers: set = set()
    topics: Counter[str] = Counter()
    crisis_kinds: Counter[str] = Counter()
    feedback: Dict[str, Counter] = defaultdict(Counter)
    unanswered_texts: List[str] = []
    last_user: Dict[str, Optional[Dict[str, Any]]] = {}
    last_article: Dict[str, Optional[str]] = {}
    seen_days: List[date] = []

    for row in rows:
        sender, ts = row["sender_id"], row["timestamp"]
        day = _day(ts)
        seen_days.append(day)
        if row["type_name"] == "user":
            intent = row["intent_name"]
            senders.add(sender)
            senders_per_day[day].add(sender)
            if intent in FEEDBACK:
                topic = last_article.get(sender)
                if topic:
                    feedback[topic][FEEDBACK[intent]] += 1
                continue
            if intent == SAVED_QUESTION:
                question_savers.add(sender)
                continue
            per_day[day]["messages"] += 1
            last_user[sender] = row
            if intent and intent.startswith("topic_") and intent not in NOT_A_TOPIC:
                topics[intent] += 1
        elif row["type_name"] == "action":
            action = row["action_name"] or ""
            if action in UNANSWERED_ACTIONS:
                per_day[day]["unanswered"] += 1
                question = last_user.get(sender)
                if question and question.get("text"):
                    unanswered_texts.append(question["text"])
            elif action == SAFETY_ACTION:
                per_day[day]["safety_responses"] += 1
            elif action == CRISIS_ACTION:
                per_day[day]["crisis_responses"] += 1
                question = last_user.get(sender)
                crisis_kinds[(question or {}).get("crisis_kind") or "unknown"] += 1
            elif action.startswith("utter_topic_") and "topic_" + action[len("utter_topic_") :] not in NOT_A_TOPIC:
                last_article[sender] = action[len("utter_") :]

    # Every day of the period gets a point, quiet days included, so the charts show gaps.
    ends = seen_days + [_day(t) for t in (since, until) if t is not None]
    days = _days(min(ends), max(ends)) if ends else []
    daily: List[Dict[str, Any]] = [
        {
            "date": d.isoformat(),
            "conversations": len(senders_per_day[d]),
            "messages": per_day[d]["messages"],
            "unanswered": per_day[d]["unanswered"],
            "safety_responses": per_day[d]["safety_responses"],
            "crisis_responses": per_day[d]["crisis_responses"],
        }
        for d in days
    ]

    messages = sum(d["messages"] for d in daily)
    unanswered = sum(d["unanswered"] for d in daily)
    helpful = sum(c["helpful"] for c in feedback.values())
    not_helpful = sum(c["not_helpful"] for c in feedback.values())
    return {
        "period": {"from": days[0].isoformat() if days else None, "to": days[-1].isoformat() if days else None},
        "totals": {
            "conversations": len(senders),
            "messages": messages,
            "topic_questions": sum(topics.values()),
            "unanswered": unanswered,
            "unanswered_share": round(unanswered / messages, 4) if messages else 0.0,
            "safety_responses": sum(d["safety_responses"] for d in daily),
            "crisis_responses": sum(d["crisis_responses"] for d in daily),
            "feedback_helpful": helpful,
            "feedback_not_helpful": not_helpful,
            "patients_saving_questions": len(question_savers),
        },
        "per_day": daily,
        "questions_per_topic": dict(sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))),
        "crisis_responses_per_kind": dict(sorted(crisis_kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "feedback_per_topic": {
            topic: {"helpful": c["helpful"], "not_helpful": c["not_helpful"]} for topic, c in sorted(feedback.items())
        },
        "unanswered_groups": group_similar(unanswered_texts),
    }


# Where the intent name alone would read oddly.
TOPIC_LABELS = {
    "topic_vs_antidepressants": "Ketamine versus antidepressants",
    "topic_what_is_ketamine": "What ketamine is",
    "topic_how_it_works": "How it works",
}


CRISIS_KIND_LABELS = {
    "overdose": "Overdose or poisoning",
    "medical_emergency": "Medical emergency",
    "harm_to_others": "Harm to others",
    "suicide": "Suicide or self-harm",
    "sexual_assault": "Sexual assault",
    "abuse": "Abuse at home",
    "unknown": "Kind not known",
}


def topic_label(intent: str) -> str:
    """'topic_nmda_receptors' -> 'NMDA receptors', for people who never saw an intent name."""
    if intent in TOPIC_LABELS:
        return TOPIC_LABELS[intent]
    words = intent[len("topic_") :].split("_") if intent.startswith("topic_") else intent.split("_")
    text = " ".join(w.upper() if w in {"nmda", "bdnf", "ptsd"} else w for w in words)
    return text[:1].upper() + text[1:]
