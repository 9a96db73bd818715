"""Rasa's conversation tracker, with the two things Rasa's processor does to the whole
conversation on every turn made proportional to what changed since.

On every turn Rasa's processor asks for the applied events (to see whether a session has
started, and again for the last patient message) and copies the tracker before each action,
by replaying every event of the conversation into a new one. Both grew with the conversation:
sampled over turns 301-600 of one conversation, they took a third of the server's time. Here
the applied events are kept and extended by the events added since, and a copy takes over the
events and the state they left instead of replaying them.

Anything that would change how earlier events apply (a restart, a new session, an undone
action or message, an active loop) falls back to Rasa's own computation, so the results are
Rasa's (tests/unit/test_tracker.py compares them over many event sequences).
"""

from __future__ import annotations

import copy
from typing import List, Optional, Tuple

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.trackers import DialogueStateTracker, AnySlotDict
from rasa.shared.core.events import Event

# Events after which the earlier applied events are not simply extended (type_name compared:
# many times cheaper than isinstance() against Rasa's abstract event classes).
ACTIVE_LOOP = frozenset({"active_loop", "form"})
RESHAPING = frozenset({"restart", "session_started", "undo", "rewind"}) | ACTIVE_LOOP


class SteadyTracker(DialogueStateTracker):
    # (number of events, identity of the last of them, applied events) when last computed.
    _applied: Optional[Tuple[int, int, List[Event]]] = None

    def applied_events(self) -> List[Event]:
        events = self.events
        count = len(events)
        last = id(events[-1]) if count else 0
        cached = self._applied
        if cached is not None:
            cached_count, cached_last, applied = cached
            if cached_count == count and cached_last == last:
                return list(applied)
            if self._extends(cached_count, cached_last):
                added = [events[i] for i in range(cached_count, count)]
                if not any(event.type_name in RESHAPING for event in added):
                    applied = applied + added
                    self._applied = (count, last, applied)
                    return list(applied)
        applied = super().applied_events()
        # With an active loop anywhere in the events, Rasa undoes a loop's executions by
        # looking back at the earlier ones: kept only when there is none.
        if not any(event.type_name in ACTIVE_LOOP for event in events):
            self._applied = (count, last, applied)
        return list(applied)

    def _extends(self, cached_count: int, cached_last: int) -> bool:
        """Whether the events seen then are still the first events now (only appended since)."""
        events = self.events
        return events.maxlen is None and 0 < cached_count <= len(events) and id(events[cached_count - 1]) == cached_last

    def copy(self) -> DialogueStateTracker:
        """A duplicate in the state this tracker is in, without replaying its events."""
        if isinstance(self.slots, AnySlotDict):
            return super().copy()
        duplicate = SteadyTracker(
            self.sender_id or DEFAULT_SENDER_ID,
            None,
            self._max_event_history,
            is_rule_tracker=self.is_rule_tracker,
        )
        duplicate.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
        duplicate.events.extend(self.events)
        duplicate._paused = self._paused
        duplicate.followup_action = self.followup_action
        duplicate.latest_action = dict(self.latest_action) if self.latest_action is not None else None
        duplicate.latest_message = self.latest_message
        duplicate.latest_bot_utterance = self.latest_bot_utterance
        duplicate.active_loop = copy.copy(self.active_loop)
        duplicate._applied = self._applied
        return duplicate
