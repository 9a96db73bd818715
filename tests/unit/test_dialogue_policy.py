"""The rule policy sees the recent turns only: same answers, flat cost."""

from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.rule_policy import recent_start, recent_tracker


def turn(text, intent):
    return [
        UserUttered(text, {"name": intent, "confidence": 1.0}),
        ActionExecuted(f"utter_{intent}"),
        BotUttered("..."),
        ActionExecuted("action_listen"),
    ]


def conversation(turns):
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for i in range(turns):
        events += turn(f"question {i}", "topic_bdnf")
    return events


def test_a_short_conversation_is_left_whole():
    assert recent_start(conversation(3), turns=3) == 0


def test_the_window_starts_at_the_action_listen_before_a_patient_message():
    events = conversation(10)
    cut = recent_start(events, turns=3)
    assert isinstance(events[cut], ActionExecuted) and events[cut].action_name == "action_listen"
    assert sum(isinstance(e, UserUttered) for e in events[cut:]) == 3


def test_the_recent_tracker_keeps_the_conversations_slots_and_latest_message():
    slot = TextSlot("crisis_kind", mappings=[])
    events = conversation(1) + [SlotSet("crisis_kind", "suicide")] + conversation(8)[2:]
    tracker = DialogueStateTracker.from_events("s", events, slots=[slot])
    short = recent_tracker(tracker, turns=3)
    assert len(short.events) < len(tracker.events)
    assert short.get_slot("crisis_kind") == "suicide", "a slot set long ago is still seen by the rules"
    assert short.latest_message.text == tracker.latest_message.text
    assert short.latest_action_name == tracker.latest_action_name
    # The states the rules are matched against are those of the whole conversation, apart
    # from the first two: the empty state every tracker starts with, and the carried slots.
    recent_states = short.past_states(_domain())[2:]
    assert recent_states == tracker.past_states(_domain())[-len(recent_states) :]
    assert len(recent_states) == 2 * 3, "two states a turn, three turns"


def _domain():
    from rasa.shared.core.domain import Domain

    return Domain.from_dict(
        {
            "intents": ["topic_bdnf"],
            "actions": ["utter_topic_bdnf"],
            "responses": {"utter_topic_bdnf": [{"text": "..."}]},
            "slots": {"crisis_kind": {"type": "text", "mappings": []}},
        }
    )
