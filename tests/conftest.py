"""Shared fixtures: the real domain, the trained model, and real bot servers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import yaml

from bot.clinic import load_clinic, response_variables
from tools.evaluation import render_responses

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "clinic-bot.tar.gz"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def clinic_variables() -> dict:
    return response_variables(load_clinic(ROOT / "clinic.yml"))


@pytest.fixture(scope="session")
def rendered(domain, clinic_variables) -> dict:
    """Every response's text as a patient sees it, clinic details filled in."""
    next_steps = load_clinic(ROOT / "clinic.yml").next_steps
    return render_responses(domain["responses"], clinic_variables, next_steps=next_steps)


@pytest.fixture(scope="session")
def model_path() -> str:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make test`, which trains it first")
    return str(MODEL)


@pytest.fixture(scope="session")
def event_loop_for_agent():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def chat(model_path, event_loop_for_agent):
    """Talks to the trained model in-process (no HTTP): chat(text, sender=None) -> replies."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    from bot.dialogue.graph_runner import use_in_rasa

    use_in_rasa()  # as bot/rasa_server.py runs the model
    nlg = EndpointConfig(type="bot.nlg.ClinicResponseGenerator", clinic_file=str(ROOT / "clinic.yml"))
    agent = Agent.load(model_path, generator=nlg)

    def _chat(text: str, sender: str = None) -> list:
        return event_loop_for_agent.run_until_complete(agent.handle_text(text, sender_id=sender or uuid.uuid4().hex))

    return _chat


TIERS = ("unit", "model", "server")  # the folders: no model / the trained model in-process / real servers


def pytest_collection_modifyitems(items):
    for item in items:
        tier = next((t for t in TIERS if t in item.path.parts), None)
        if tier:
            item.add_marker(tier)
    # Quick tiers first, so that they report first.
    items.sort(key=lambda item: next((i for i, t in enumerate(TIERS) if item.get_closest_marker(t)), len(TIERS)))


# ---- The scale-out profile: two instances behind haproxy, PostgreSQL, Redis (tools/localcluster.py) ----


@pytest.fixture(scope="session")
def cluster_redis():
    from redis_server import redis_server

    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def cluster_database():
    from postgres_db import temporary_database

    with temporary_database() as url:
        yield url


@pytest.fixture(scope="session")
def clinic_cluster(model_path, cluster_redis, cluster_database, tmp_path_factory):
    """The cluster `python -m bot cluster` runs, with the clinic's test site allowed."""
    import shutil

    from tools.localcluster import LocalCluster
    from widget_browser import CLINIC_SITE

    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        pytest.skip("haproxy is not installed (Debian package haproxy)")
    workdir = tmp_path_factory.mktemp("cluster")
    with LocalCluster(
        model_path, ROOT, cluster_database, cluster_redis.url, workdir, env={"BOT_CORS_ORIGINS": CLINIC_SITE}
    ) as running:
        yield running
