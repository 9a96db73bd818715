"""Rasa's RulePolicy, shown only the last few turns of a conversation.

Every rule here is one patient message and the bot's response to it, so the rules never need
more than the last turns. Rasa's RulePolicy rebuilds the state of every earlier turn at every
prediction, twice a turn, which made a turn late in a 100-turn conversation cost three times
a turn at its start. Giving it a tracker of the recent turns (with the slots and active loop
they started with, which the rules may test) keeps a turn's cost flat.

Which rules fit a run of states is worked out once: a loaded model's rules never change, and
Rasa tests every rule against every state, twice a turn, which was a sixth of a turn's time.

It also plays the answers that follow the first when a message held several questions
(`more_answers` in the message's parse data, bot/nlu/multi_question.py): each is a response of
the domain, so they need no custom action and work with the action server down.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Hashable, List, Optional, Sequence, Set, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.tracker import ACTIVE_LOOP

RECENT_TURNS_KEY = "recent_turns"
MORE_ANSWERS_KEY = "more_answers"  # bot/nlu/multi_question.py
# Distinct runs of states remembered: a few hundred occur in practice (intents x the slots the
# rules read); the bound only keeps an unusual conversation from growing the process.
MEMO_LIMIT = 20_000


# Event kinds by their type_name: comparing a string is many times cheaper than isinstance()
# against Rasa's event classes (abstract base classes), and these loops see every event of a
# long conversation. ("form" is the legacy name of an active-loop event.)
USER, ACTION, SLOT, SESSION_STARTED = "user", "action", "slot", "session_started"


def recent_start(events: List[Event], turns: int) -> int:
    """Index of the first event of the last `turns` patient turns (0: keep everything).

    A turn starts at the action_listen before the patient's message, so the first state the
    policy sees is the same "previous action: action_listen" it would see in the whole tracker.
    Reads from the end back to the earliest of those turns only.
    """
    seen = 0
    for cut in range(len(events) - 1, -1, -1):
        if events[cut].type_name == USER:
            seen += 1
            if seen == turns:
                break
    else:
        return 0
    if not any(events[i].type_name == USER for i in range(cut)):
        return 0
    if cut > 0 and events[cut - 1].type_name == ACTION:
        cut -= 1
    return cut


def carried_into(events: List[Event], cut: int) -> List[Event]:
    """The events before `cut` that still shape the state after it: the last value set for
    each slot and the last active-loop change, since the session started."""
    slots: Dict[str, Event] = {}
    loop: Optional[Event] = None
    for i in range(cut - 1, -1, -1):
        event = events[i]
        kind = event.type_name
        if kind == SESSION_STARTED:
            break
        if kind == SLOT:
            slots.setdefault(event.key, event)  # type: ignore[attr-defined]
        elif kind in ACTIVE_LOOP and loop is None:
            loop = event
    return [*reversed(list(slots.values())), *([loop] if loop else [])]


def recent_tracker(tracker: DialogueStateTracker, turns: int) -> DialogueStateTracker:
    """The tracker of the last `turns` turns, with the slots and active loop they started with,
    so that every state the rules are matched against is the same as in the whole tracker."""
    events = list(tracker.events)
    cut = recent_start(events, turns)
    if cut == 0:
        return tracker
    return DialogueStateTracker.from_events(
        tracker.sender_id,
        [*carried_into(events, cut), *events[cut:]],
        slots=[copy.copy(slot) for slot in tracker.slots.values()],
    )


def next_of_more_answers(events: Sequence[Event]) -> Optional[str]:
    """The next action when the latest message asked for more than one answer, else None.

    None until the rules have given the first answer; then each of `more_answers` not given
    yet, in order; then action_listen, so that nothing else is said after them. Reads the
    events from the end back to the latest message only, so a turn costs the same late in a
    long conversation.
    """
    done: List[str] = []
    for event in reversed(events):
        if isinstance(event, UserUttered):
            more = list((event.parse_data or {}).get(MORE_ANSWERS_KEY) or [])  # type: ignore[attr-defined]
            break
        if isinstance(event, ActionExecuted) and event.action_name:
            done.insert(0, event.action_name)
    else:
        return None
    if not more or not done:
        return None
    pending = [name for name in more if name not in done[1:]]
    if pending:
        return pending[0]
    return ACTION_LISTEN_NAME


def frozen_states(states: Sequence[Dict[str, Dict[str, Any]]]) -> Hashable:
    """The states as a hashable value, equal exactly when the states are equal."""
    return tuple(
        tuple(sorted((part, tuple(sorted(features.items()))) for part, features in state.items())) for state in states
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RecentTurnsRulePolicy(RulePolicy):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # Three turns: a rule may look one turn back ("so should I do it?" after an answer);
        # the rest is margin.
        return {**RulePolicy.get_default_config(), RECENT_TURNS_KEY: 3}

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "RecentTurnsRulePolicy":
        policy = super().load(config, model_storage, resource, execution_context, **kwargs)
        # Only a loaded policy remembers: while training, Rasa changes the rules in place
        # between lookups.
        policy._rule_memo = {}  # type: ignore[attr-defined]
        return policy  # type: ignore[return-value]

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[Dict[str, Any]]) -> Set[Text]:
        memo: Optional[Dict[Hashable, Set[Text]]] = getattr(self, "_rule_memo", None)
        if memo is None:
            return super()._get_possible_keys(lookup, states)
        try:
            key = (id(lookup), frozen_states(states))
            keys = memo.get(key)
        except TypeError:  # a feature value that can't be hashed: no memo, same answer
            return super()._get_possible_keys(lookup, states)
        if keys is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            keys = memo[key] = super()._get_possible_keys(lookup, states)
        return set(keys)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        follow = next_of_more_answers(tracker.events)  # type: ignore[arg-type]
        if follow is not None and follow in domain.action_names_or_texts:
            probabilities = self._default_predictions(domain)
            probabilities[domain.action_names_or_texts.index(follow)] = 1.0
            return self._prediction(probabilities)
        recent = recent_tracker(tracker, int(self.config[RECENT_TURNS_KEY]))
        return super().predict_action_probabilities(recent, domain, rule_only_data, **kwargs)
