"""The steady tracker gives Rasa's applied events and copies, at a cost that does not grow."""

import random

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.dialogue.tracker import SteadyTracker

SLOTS = [TextSlot("crisis_category", mappings=[]), TextSlot("last_topic", mappings=[])]


def plain_turn(rng):
    intent = rng.choice(["topic_bdnf", "greet", "crisis", "clinical_decision"])
    return [
        UserUttered(f"message {rng.random()}", {"name": intent, "confidence": 1.0}),
        ActionExecuted(f"utter_{intent}"),
        BotUttered(f"answer {rng.random()}"),
        ActionExecuted("action_listen"),
    ]


def rare_event(rng):
    return rng.choice(
        [
            lambda: SlotSet("crisis_category", rng.choice(["suicide", "overdose", None])),
            lambda: SlotSet("last_topic", "bdnf"),
            lambda: SessionStarted(),
            lambda: Restarted(),
            lambda: UserUtteranceReverted(),
            lambda: ActionReverted(),
            lambda: ActiveLoop(rng.choice(["a_form", None])),
            lambda: FollowupAction("utter_greet"),
            lambda: ConversationPaused(),
            lambda: ConversationResumed(),
            lambda: AllSlotsReset(),
        ]
    )()


def event_stream(seed, length=150, rare_share=0.1):
    rng = random.Random(seed)
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    while len(events) < length:
        events += [rare_event(rng)] if rng.random() < rare_share else plain_turn(rng)
    return events


def state(tracker):
    return tracker.current_state(EventVerbosity.ALL)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("rare_share", [0.0, 0.05, 0.3])
def test_applied_events_and_copies_are_rasas_after_every_event(seed, rare_share):
    rasa = DialogueStateTracker("s", SLOTS)
    steady = SteadyTracker("s", SLOTS)
    for event in event_stream(seed, rare_share=rare_share):
        rasa.update(event)
        steady.update(event)
        assert steady.applied_events() == rasa.applied_events()
        if rasa.events[-1] is event and len(rasa.events) % 7 == 0:
            duplicate = steady.copy()
            assert state(duplicate) == state(rasa.copy()) == state(rasa)
            assert duplicate.applied_events() == rasa.applied_events()


@pytest.mark.parametrize("seed", range(10))
def test_a_tracker_read_from_the_store_is_rasas_too(seed):
    events = [event.as_dict() for event in event_stream(seed, rare_share=0.1)]
    rasa = DialogueStateTracker.from_dict("s", events, SLOTS)
    steady = SteadyTracker.from_dict("s", events, SLOTS)
    assert isinstance(steady, SteadyTracker)
    assert state(steady) == state(rasa)
    assert steady.applied_events() == rasa.applied_events()
    assert state(steady.copy()) == state(rasa.copy())


def test_a_copy_is_independent_of_its_original():
    original = SteadyTracker.from_events("s", event_stream(1, length=60, rare_share=0.0), slots=SLOTS)
    original.update(SlotSet("crisis_category", "overdose"))
    applied_before = original.applied_events()
    duplicate = original.copy()
    duplicate.update(SlotSet("crisis_category", "suicide"))
    duplicate.update(UserUttered("later", {"name": "greet", "confidence": 1.0}))
    assert original.get_slot("crisis_category") == "overdose"
    assert duplicate.get_slot("crisis_category") == "suicide"
    assert original.applied_events() == applied_before
    assert len(duplicate.applied_events()) == len(applied_before) + 2


def test_the_applied_events_returned_can_be_changed_by_the_caller():
    tracker = SteadyTracker.from_events("s", event_stream(2, length=40, rare_share=0.0), slots=SLOTS)
    expected = tracker.applied_events()
    tracker.applied_events().clear()
    assert tracker.applied_events() == expected
