"""Real bot servers for the server tier. One bot in the most common configuration (no action
server, the clinic's site allowed) is shared by every test that needs nothing else, so
fewer servers start; a test that needs its own configuration starts its own."""

import pytest

from tools.localserver import LocalBot

CLINIC_SITE = "https://www.example-clinic.org"


@pytest.fixture(scope="session")
def shared_bot(root, model_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shared-bot")
    with LocalBot(
        model_path,
        cwd=root,
        action_server=False,
        log_path=tmp / "server.log",
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp}/conv.db", "BOT_CORS_ORIGINS": CLINIC_SITE},
    ) as running:
        running.db = tmp / "conv.db"
        yield running
