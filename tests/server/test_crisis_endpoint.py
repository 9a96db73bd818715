"""GET /webhooks/clinic/crisis on a real server: the help lines and the fail-safe word list the
widget keeps, the same origin rules as the chat endpoint, and a 503 (never a 500) when the
rules cannot be read."""

import gzip
import http.client
import json
import urllib.parse

import pytest
import yaml

from tools.localserver import LocalBot

pytestmark = pytest.mark.slow

CLINIC_SITE = "https://www.example-clinic.org"
PATH = "/webhooks/clinic/crisis"


def get(bot, headers=None):
    host, port = urllib.parse.urlsplit(bot.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("GET", PATH, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, json.loads(resp.read())
    finally:
        conn.close()


def test_the_clinic_site_gets_the_help_lines_with_cors_and_caching(shared_bot):
    status, headers, body = get(shared_bot, {"Origin": CLINIC_SITE})
    assert status == 200
    assert headers["access-control-allow-origin"] == CLINIC_SITE
    assert headers["cache-control"] == "public, max-age=300"
    assert "origin" in headers["vary"].lower()
    assert body["country"] == "US" and body["emergency_number"] == "911"
    suicide = next(c for c in body["categories"] if c["id"] == "suicide")
    assert suicide["help"][0]["name"] == "988 Suicide & Crisis Lifeline"
    assert {link["href"] for link in suicide["help"][0]["links"]} == {"tel:988", "sms:988"}
    assert body["lines"][0]["links"][0]["href"] == "tel:911"
    assert {p["category"] for p in body["failsafe"]["patterns"]} == {c["id"] for c in body["categories"]}


def test_a_client_that_accepts_gzip_gets_the_list_gzipped(shared_bot):
    host, port = urllib.parse.urlsplit(shared_bot.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("GET", PATH, headers={"Origin": CLINIC_SITE, "Accept-Encoding": "gzip, deflate, br"})
        resp = conn.getresponse()
        packed = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    assert resp.status == 200 and headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    body = json.loads(gzip.decompress(packed))
    assert body["failsafe"]["patterns"] and len(packed) < 40_000
    # A client that does not say it reads gzip gets plain JSON (http.client sends "identity").
    assert get(shared_bot, {"Origin": CLINIC_SITE})[2] == body


def test_the_bots_own_page_gets_them_without_an_origin_header(shared_bot):
    status, headers, body = get(shared_bot)
    assert status == 200 and body["failsafe"]["patterns"]
    assert "access-control-allow-origin" not in headers


def test_other_sites_are_refused(shared_bot):
    status, headers, body = get(shared_bot, {"Origin": "https://evil.example.com"})
    assert status == 403 and body["error"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in headers


def test_a_broken_pattern_file_gives_a_503_with_a_json_error(root, model_path, tmp_path):
    (tmp_path / "patterns.yml").write_text("rules: [\n")
    credentials = yaml.safe_load((root / "credentials.yml").read_text())
    credentials["bot.web.channel.ClinicWebInput"]["patterns_file"] = str(tmp_path / "patterns.yml")
    (tmp_path / "credentials.yml").write_text(yaml.safe_dump(credentials))
    with LocalBot(
        model_path,
        cwd=root,
        action_server=False,
        log_path=tmp_path / "server.log",
        credentials=str(tmp_path / "credentials.yml"),
        env={"BOT_DATABASE_URL": f"sqlite:///{tmp_path}/conv.db", "BOT_CORS_ORIGINS": CLINIC_SITE},
    ) as bot:
        status, headers, body = get(bot, {"Origin": CLINIC_SITE})
        assert status == 503 and body["error"] == "crisis_info_unavailable"
        assert "emergency" in body["message"]
        assert headers["access-control-allow-origin"] == CLINIC_SITE
        assert headers["cache-control"] == "no-store"
        assert get(bot)[0] == 503, "still unavailable, still no 500"
        replies = bot.send("a1b2c3d4e5f6a7b8", "what is bdnf?")
        assert replies and replies[0]["text"], "the chat itself is unaffected"
    assert "clinic.crisis_info.failed" in (tmp_path / "server.log").read_text()
