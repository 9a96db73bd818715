"""How `make run` starts the servers: safe defaults, clear errors."""

import pytest

from bot.supervisor import ServerSettings, actions_command, child_env, rasa_command


def test_defaults_are_localhost_5005_and_no_http_api():
    s = ServerSettings.from_env({})
    cmd = rasa_command("python", s)
    assert cmd[cmd.index("--interface") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "5005"
    assert "--enable-api" not in cmd
    assert "--auth-token" not in cmd


def test_http_api_only_with_a_jwt_secret():
    cmd = rasa_command("python", ServerSettings.from_env({"BOT_JWT_SECRET": "s3cret"}))
    assert "--enable-api" in cmd
    assert cmd[cmd.index("--jwt-secret") + 1] == "s3cret"
    assert "--auth-token" not in cmd, "a token in the query string ends up in access logs"


def test_port_host_and_origins_from_environment():
    s = ServerSettings.from_env(
        {
            "BOT_PORT": "8080",
            "BOT_HOST": "0.0.0.0",
            "ACTIONS_PORT": "6000",
            "BOT_CORS_ORIGINS": "https://clinic.example.org, https://b.example.org",
        }
    )
    cmd = rasa_command("python", s)
    assert cmd[cmd.index("--port") + 1] == "8080"
    assert cmd[cmd.index("--interface") + 1] == "0.0.0.0"
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "--cors"] == [
        "https://clinic.example.org",
        "https://b.example.org",
    ]
    assert actions_command("python", s)[-1] == "6000"


@pytest.mark.parametrize("bad", ["abc", "0", "70000", "-1"])
def test_bad_port_is_a_clear_error(bad):
    with pytest.raises(SystemExit, match="BOT_PORT must be a port number"):
        ServerSettings.from_env({"BOT_PORT": bad})


def test_children_run_without_telemetry_and_find_the_action_server():
    env = child_env({"RASA_TELEMETRY_ENABLED": "true"}, ServerSettings(actions_port=6001))
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["ACTION_SERVER_URL"] == "http://127.0.0.1:6001/webhook"


def test_bot_workers_become_rasa_s_sanic_workers():
    assert child_env({}, ServerSettings.from_env({"BOT_WORKERS": "2"}))["SANIC_WORKERS"] == "2"
    # A SANIC_WORKERS left in the shell does not override the bot's own setting.
    assert child_env({"SANIC_WORKERS": "4"}, ServerSettings.from_env({}))["SANIC_WORKERS"] == "1"
