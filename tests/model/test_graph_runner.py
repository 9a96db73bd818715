"""The server's way of running the model (its graph node after node, the rules that fit a run of
states remembered) gives what Rasa's own way gives, turn for turn."""

import asyncio
from pathlib import Path

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.utils.endpoints import EndpointConfig

from bot.dialogue.graph_runner import SequentialGraphRunner
from bot.dialogue.rule_policy import RecentTurnsRulePolicy

CONVERSATIONS = [
    ["hello", "what is ketamine", "tell me more", "what does NMDA mean?", "thanks", "bye"],
    ["what is bdnf and can i take it with my zoloft", "should i try it?", "how much does it cost"],
    ["i want to end my life", "no i'm fine, you misunderstood", "what is an integration session"],
    ["", "   ", "<b>what</b> is glutamate??", "how does it help ptsd", "and bipolar?", "why?"],
    # The same topic asked again right after its answer: a rule that looks a turn back.
    ["what is glutamate", "what is glutamate?", "what are nmda receptors", "what is bdnf", "what is bdnf"],
    ["my friend took a whole bottle of pills and won't wake up", "ok", "how fast does it work"],
]


# What differs between two loads of the same model whatever runs it: the time, the model's id
# and each message's random id.
VARYING = ("timestamp", "metadata", "message_id")


def _events(tracker):
    events = []
    for event in tracker.events:
        record = {k: v for k, v in event.as_dict().items() if k not in VARYING}
        if "parse_data" in record:
            record["parse_data"] = {k: v for k, v in record["parse_data"].items() if k not in VARYING}
        events.append(record)
    return events


def _rule_policies(agent):
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return [node._component for node in nodes if isinstance(getattr(node, "_component", None), RecentTurnsRulePolicy)]


def _run(model_path, runner, monkeypatch, remember_rules):
    monkeypatch.setattr(rasa.core.processor, "DaskGraphRunner", runner)
    clinic = Path(__file__).resolve().parents[2] / "clinic.yml"
    nlg = EndpointConfig(type="bot.nlg.ClinicResponseGenerator", clinic_file=str(clinic))
    agent = Agent.load(model_path, generator=nlg)
    assert type(agent.processor.graph_runner) is runner
    policies = _rule_policies(agent)
    assert policies, "the model has the rule policy"
    for policy in policies:
        if not remember_rules:
            policy._rule_memo = None  # Rasa's own lookup, every time

    async def talk():
        transcripts = []
        for number, turns in enumerate(CONVERSATIONS):
            sender = f"conversation-{number}"
            replies = [await agent.handle_text(text, sender_id=sender) for text in turns]
            tracker = await agent.tracker_store.retrieve(sender)
            transcripts.append((replies, _events(tracker)))
        if remember_rules:
            assert all(policy._rule_memo for policy in policies), "the lookups were remembered"
        return transcripts

    return asyncio.new_event_loop().run_until_complete(talk())


def test_the_server_answers_and_records_exactly_as_rasa_would(model_path):
    with pytest.MonkeyPatch.context() as patch:
        by_dask = _run(model_path, DaskGraphRunner, patch, remember_rules=False)
    with pytest.MonkeyPatch.context() as patch:
        in_order = _run(model_path, SequentialGraphRunner, patch, remember_rules=True)
    assert len(by_dask) == len(in_order) == len(CONVERSATIONS)
    for (dask_replies, dask_events), (replies, events) in zip(by_dask, in_order):
        assert replies == dask_replies
        assert events == dask_events
    assert any(len(events) > 20 for _, events in in_order), "the conversations reach the policies many times"
