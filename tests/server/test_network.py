"""The bot never contacts anything but this machine: every connection it opens, traced by
strace across the supervisor, the Rasa server and the action server, goes to loopback."""

import re
import shutil
import uuid

import pytest

from tools.localserver import LocalBot

pytestmark = pytest.mark.slow

INET = re.compile(r'sin_addr=inet_addr\("([\d.]+)"\)')
INET6 = re.compile(r'inet_pton\(AF_INET6, "([^"]+)"')


def is_loopback(address):
    return address.startswith("127.") or address in ("::1", "0.0.0.0") or address.startswith("::ffff:127.")


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (apt-get install strace)")
def test_no_connection_leaves_the_machine(root, model_path, rendered, tmp_path):
    trace = tmp_path / "trace.txt"
    prefix = [shutil.which("strace"), "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace)]
    with LocalBot(
        model_path,
        cwd=root,
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"},
        log_path=tmp_path / "server.log",
        command_prefix=prefix,
    ) as bot:
        sender = uuid.uuid4().hex
        assert bot.send(sender, "what is ketamine")[0]["text"] == rendered["utter_topic_what_is_ketamine"]
        handoff = bot.send(sender, "what is the clinic phone number")
        assert len(handoff) == 2, "the action server must have been reached (through loopback)"
        assert bot.send(sender, "i want to die")[0]["text"] == rendered["utter_crisis:suicide"]
    text = trace.read_text()
    addresses = INET.findall(text) + INET6.findall(text)
    assert "127.0.0.1" in addresses, "the trace must see the bot's own loopback connections"
    outside = sorted({a for a in addresses if not is_loopback(a)})
    assert not outside, f"the bot contacted {outside}"
