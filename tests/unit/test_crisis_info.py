"""The crisis information the widget gets (bot/web/crisis_info.py): help lines by kind of
crisis from clinic.yml and content/safety_patterns.yml, and the fail-safe word list."""

import gzip
import json

import pytest
import yaml

from bot.clinic import parse_clinic
from bot.safety.patterns import parse_categories
from bot.spacy_pipeline import make_pipeline
from bot.web.crisis_info import CrisisInfoError, accepts_gzip, build_crisis_info, crisis_info, encoded, find_category


@pytest.fixture(scope="module")
def nlp():
    return make_pipeline()


@pytest.fixture(scope="module")
def info(root, nlp):
    return build_crisis_info(root / "clinic.yml", root / "content" / "safety_patterns.yml", nlp)


@pytest.fixture(scope="module")
def raw_clinic(root):
    return yaml.safe_load((root / "clinic.yml").read_text())


@pytest.fixture(scope="module")
def categories(root):
    return parse_categories(yaml.safe_load((root / "content" / "safety_patterns.yml").read_text()))


def names(lines):
    return [line["name"] for line in lines]


def test_us_numbers_and_every_kind_of_crisis_most_urgent_first(info, categories):
    assert info["country"] == "US" and info["emergency_number"] == "911"
    assert [c["id"] for c in info["categories"]] == [c.id for c in categories]
    assert all(c["title"] and c["help"] for c in info["categories"])
    suicide = find_category(info, "suicide")
    assert names(suicide["help"]) == ["988 Suicide & Crisis Lifeline", "Emergency services"]
    assert [link["href"] for link in suicide["help"][0]["links"]] == ["tel:988", "sms:988"]
    assert names(find_category(info, "overdose")["help"]) == ["Emergency services", "Poison Control"]
    assert names(find_category(info, "medical_emergency")["help"]) == ["Emergency services"]


def test_each_kind_names_its_help_in_the_order_of_its_help_list(info, categories):
    expected = {
        "emergency": "Emergency services",
        "suicide": "988 Suicide & Crisis Lifeline",
        "sexual_assault": "RAINN National Sexual Assault Hotline",
        "abuse": "National Domestic Violence Hotline",
        "poison": "Poison Control",
    }
    for category in categories:
        assert names(find_category(info, category.id)["help"]) == [expected[k] for k in category.help]


def test_the_panel_lists_every_line_once_emergency_first(info):
    assert names(info["lines"]) == [
        "Emergency services",
        "988 Suicide & Crisis Lifeline",
        "RAINN National Sexual Assault Hotline",
        "National Domestic Violence Hotline",
        "Poison Control",
    ]
    assert info["lines"][0]["links"] == [{"kind": "call", "label": "Call 911", "href": "tel:911"}]


def test_links_are_tel_sms_or_https_only(info):
    lines = info["lines"] + [line for c in info["categories"] for line in c["help"]]
    hrefs = [link["href"] for line in lines for link in line["links"]]
    assert hrefs and all(h.startswith(("tel:", "sms:", "https://")) for h in hrefs)
    assert "sms:88788?body=START" in hrefs and "https://rainn.org" in hrefs


def test_another_country_gets_its_own_numbers_and_shared_lines_once(raw_clinic, categories):
    au = crisis_info(parse_clinic({**raw_clinic, "country": "AU"}), categories, [])
    assert au["emergency_number"] == "000"
    assert names(au["lines"]) == ["Emergency services", "Lifeline", "1800RESPECT", "Poisons Information Centre"]
    gb = crisis_info(parse_clinic({**raw_clinic, "country": "GB"}), categories, [])
    assert names(find_category(gb, "suicide")["help"]) == ["Samaritans", "Emergency services"]
    assert gb["lines"][0]["links"][0]["href"] == "tel:999"


def test_the_fail_safe_list_is_included(info):
    patterns = info["failsafe"]["patterns"]
    assert {p["category"] for p in patterns} == {c["id"] for c in info["categories"]}
    assert all(isinstance(p["source"], str) and p["source"] for p in patterns)
    plain, packed = encoded(info)
    assert json.loads(plain) == info and gzip.decompress(packed) == plain
    assert len(packed) < 40_000  # what a phone fetches once a session


@pytest.mark.parametrize(
    "header, gzip_ok",
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("", False),
        (None, False),
    ],
)
def test_gzip_only_where_the_client_accepts_it(header, gzip_ok):
    assert accepts_gzip(header) is gzip_ok


def test_a_broken_clinic_file_is_an_error_with_the_reason(tmp_path, root, nlp):
    (tmp_path / "clinic.yml").write_text("name: Only a name\n")
    with pytest.raises(CrisisInfoError, match="missing"):
        build_crisis_info(tmp_path / "clinic.yml", root / "content" / "safety_patterns.yml", nlp)
    with pytest.raises(CrisisInfoError, match="cannot read"):
        build_crisis_info(tmp_path / "absent.yml", root / "content" / "safety_patterns.yml", nlp)


@pytest.mark.parametrize(
    "content",
    [
        "rules: [\n",  # not YAML
        "rules: []\n",  # no kinds of crisis
        "crisis_categories: [{id: suicide, title: S, help: [suicide]}]\n"
        "rules: [{id: a, intent: crisis, category: suicide, description: x, patterns: ['@nolist']}]\n",
    ],
)
def test_a_broken_pattern_file_is_an_error_with_the_reason(tmp_path, root, nlp, content):
    (tmp_path / "patterns.yml").write_text(content)
    with pytest.raises(CrisisInfoError, match="crisis rules"):
        build_crisis_info(root / "clinic.yml", tmp_path / "patterns.yml", nlp)
    with pytest.raises(CrisisInfoError):
        build_crisis_info(root / "clinic.yml", tmp_path / "absent.yml", nlp)


def test_the_channel_builds_it_once_and_retries_a_failure_only_after_a_while(monkeypatch, root):
    import asyncio

    import bot.web.channel as channel
    import bot.web.crisis_info as crisis_module

    calls = []

    def build(clinic_file, patterns_file):
        calls.append(patterns_file)
        if patterns_file.name == "broken.yml":
            raise CrisisInfoError("broken")
        return {"country": "US"}

    monkeypatch.setattr(crisis_module, "build_crisis_info", build)
    good = channel.ClinicWebInput(clinic_file=str(root / "clinic.yml"))

    async def twice(web):
        return [await web._crisis(), await web._crisis()]

    assert asyncio.run(twice(good)) == [{"country": "US"}] * 2
    assert len(calls) == 1
    broken = channel.ClinicWebInput(patterns_file="broken.yml")
    assert asyncio.run(twice(broken)) == [None, None]
    assert len(calls) == 2, "a failure is not rebuilt on every request"
    monkeypatch.setattr(channel, "CRISIS_RETRY_SECONDS", 0.0)
    asyncio.run(broken._crisis())
    assert len(calls) == 3
