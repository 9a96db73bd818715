"""The environment settings: read and checked in one place, documented in the README."""

import re

import pytest

from bot.settings import VARIABLES, Settings, SettingsError, from_env


def test_nothing_set_gives_the_safe_defaults():
    assert from_env({}) == Settings(
        host="127.0.0.1", port=5005, actions_port=5055, database_url=None, cors_origins=(), jwt_secret=None
    )


def test_every_variable_is_read():
    s = from_env(
        {
            "BOT_PORT": "8080",
            "BOT_HOST": "0.0.0.0",
            "ACTIONS_PORT": "6000",
            "BOT_JWT_SECRET": "s3cret",
            "BOT_DATABASE_URL": " postgres://u:p@h/db ",
            "BOT_CORS_ORIGINS": "https://www.Example-Clinic.org/, https://b.example.org:443",
            "BOT_WORKERS": " 2 ",
        }
    )
    assert s.workers == 2 and from_env({}).workers == 1
    assert (s.port, s.host, s.actions_port, s.jwt_secret) == (8080, "0.0.0.0", 6000, "s3cret")
    assert s.database_url == "postgresql://u:p@h/db", "the old postgres:// scheme SQLAlchemy 1.4 refuses is fixed"
    assert s.cors_origins == ("https://www.example-clinic.org", "https://b.example.org")


@pytest.mark.parametrize(
    "env,named",
    [
        ({"BOT_PORT": "eighty"}, "BOT_PORT"),
        ({"ACTIONS_PORT": "70000"}, "ACTIONS_PORT"),
        ({"BOT_CORS_ORIGINS": "www.example-clinic.org/page"}, "BOT_CORS_ORIGINS"),
        ({"BOT_DATABASE_URL": "conversations.db"}, "BOT_DATABASE_URL"),
        ({"BOT_WORKERS": "0"}, "BOT_WORKERS"),
        ({"BOT_WORKERS": "two"}, "BOT_WORKERS"),
        ({"BOT_WORKERS": "64"}, "BOT_WORKERS"),
    ],
)
def test_a_bad_value_is_refused_with_the_variables_name(env, named):
    with pytest.raises(SettingsError, match=named):
        from_env(env)


def test_the_readme_documents_exactly_these_variables(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^ *\| `((?:BOT_|ACTIONS_)[A-Z_]+)` \|", readme, flags=re.M))
    assert documented == set(VARIABLES)


def test_only_the_settings_module_reads_the_bots_variables(root):
    readers = []
    for path in (root / "bot").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"environ(?:\.get)?\(?\[?[\"'](?:BOT_|ACTIONS_PORT)", text) or re.search(
            r"getenv\([\"'](?:BOT_|ACTIONS_PORT)", text
        ):
            readers.append(path.relative_to(root).as_posix())
    assert readers == []


@pytest.mark.parametrize("bad", ["abc", "-1", "301"])
def test_drain_seconds_must_be_a_sensible_number(bad):
    with pytest.raises(SettingsError, match="BOT_DRAIN_SECONDS must be a number of seconds"):
        from_env({"BOT_DRAIN_SECONDS": bad})


def test_drain_and_redis_settings():
    s = from_env({"BOT_DRAIN_SECONDS": "3", "BOT_REDIS_URL": " redis://10.0.0.5:6379/1 "})
    assert s.drain_seconds == 3.0 and s.redis_url == "redis://10.0.0.5:6379/1"
    assert from_env({}).redis_url is None and from_env({}).drain_seconds == 0.0
    with pytest.raises(SettingsError, match="BOT_REDIS_URL must be a Redis URL"):
        from_env({"BOT_REDIS_URL": "10.0.0.5:6379"})
