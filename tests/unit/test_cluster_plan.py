"""What `python -m bot cluster` starts, and the haproxy configuration it writes."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from bot.scale.cluster import children, cluster_settings, haproxy_config
from bot.settings import SettingsError

PG = "postgresql://bot@127.0.0.1:5432/clinic"


def test_the_cluster_needs_a_postgresql_database():
    with pytest.raises(SettingsError, match="BOT_DATABASE_URL must name the PostgreSQL database"):
        cluster_settings({})
    with pytest.raises(SettingsError, match="SQLite is for one instance only"):
        cluster_settings({"BOT_DATABASE_URL": "sqlite:///var/conversations.db"})


def test_instances_listen_next_to_the_balancer_and_share_redis():
    s = cluster_settings({"BOT_DATABASE_URL": PG, "BOT_PORT": "8000"}, instances=3)
    assert s.port == 8000 and s.instance_ports == (8001, 8002, 8003)
    assert s.redis_url == "redis://127.0.0.1:6379/0"


def test_each_instance_is_restarted_behind_one_proxy_and_drains_before_stopping():
    s = cluster_settings({"BOT_DATABASE_URL": PG, "BOT_REDIS_URL": "redis://10.0.0.5:6379/1"})
    plan = children(s, "python", {"PATH": "/usr/bin"}, "/usr/sbin/haproxy")
    assert [c.name for c in plan] == ["the action server", "instance 1", "instance 2", "haproxy"]
    for child in plan[1:3]:
        assert child.restart
        assert child.env["SANIC_PROXIES_COUNT"] == "1", "rate limits per patient, not per proxy"
        assert child.env["BOT_DRAIN_SECONDS"] == "3"
        assert child.env["BOT_REDIS_URL"] == "redis://10.0.0.5:6379/1"
        assert child.env["BOT_DATABASE_URL"] == PG
        assert child.command[child.command.index("--endpoints") + 1] == "deploy/endpoints.yml"
        assert child.command[child.command.index("--interface") + 1] == "127.0.0.1"
    assert [c.env["BOT_PORT"] for c in plan[1:3]] == ["5006", "5007"]  # each its own spool folder
    assert not plan[0].restart and not plan[3].restart


def test_haproxy_never_resends_a_request_and_keeps_socketio_sessions_on_one_instance():
    config = haproxy_config("127.0.0.1", 5005, (5006, 5007))
    assert "retry-on conn-failure" in config
    assert "option http-server-close" in config
    assert "option httpchk GET /health" in config
    socketio = config.split("backend socketio", 1)[1]
    assert "balance source" in socketio and "hash-type consistent" in socketio
    assert "server bot1 127.0.0.1:5006 check" in socketio and "server bot2 127.0.0.1:5007 check" in socketio
    assert "bind 127.0.0.1:5005" in config


def test_haproxy_accepts_the_configuration(tmp_path):
    haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if haproxy is None:
        pytest.skip("haproxy is not installed (Debian package haproxy)")
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config("127.0.0.1", 5005, (5006, 5007)))
    checked = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_scale_out_endpoints_name_the_shared_lock_store(root, monkeypatch):
    from rasa.core.utils import read_endpoints_from_path

    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("BOT_PORT", "5006")
    endpoints = read_endpoints_from_path(root / "deploy" / "endpoints.yml")
    assert endpoints.lock_store.type == "bot.scale.lock_store.ClinicLockStore"
    assert endpoints.tracker_store.kwargs["spool_dir"] == "var/spool/5006"
