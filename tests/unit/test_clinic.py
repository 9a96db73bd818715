"""clinic.yml: the one file a clinic edits, and the values the answers are filled with."""

import re

import pytest
import yaml

from bot.clinic import ClinicConfigError, load_clinic, parse_clinic, response_variables


@pytest.fixture
def raw(root):
    return yaml.safe_load((root / "clinic.yml").read_text())


def test_shipped_clinic_file_uses_only_fictional_contact_details(raw):
    assert "555" in raw["phone"]
    for field in ("email", "website", "booking_url"):
        assert "example.org" in raw[field]


def test_us_is_the_default_crisis_country_with_the_national_lines(root):
    clinic = load_clinic(root / "clinic.yml")
    assert clinic.country == "US"
    assert clinic.emergency_number == "911"
    assert clinic.crisis.line("suicide").describe() == "988 Suicide & Crisis Lifeline (call or text 988)"
    assert clinic.crisis.line("sexual_assault").call == "800-656-4673"
    abuse = clinic.crisis.line("abuse")
    assert (abuse.call, abuse.text, abuse.text_word) == ("800-799-7233", "88788", "START")
    assert clinic.crisis.line("poison").call == "1-800-222-1222"


def test_country_switch_changes_crisis_numbers(raw):
    clinic = parse_clinic({**raw, "country": "gb"})
    assert clinic.emergency_number == "999"
    assert "116 123" in clinic.crisis_line
    assert "Outside the UK" in clinic.outside_note
    assert response_variables(clinic)["abuse_line"].endswith("(call 0808 2000 247)")


def test_a_country_without_a_line_of_some_kind_names_the_crisis_line_or_the_emergency_number(raw):
    clinic = parse_clinic({**raw, "country": "CA"})
    assert "sexual_assault" not in clinic.crisis.lines
    assert clinic.crisis.line("sexual_assault") == clinic.crisis.line("suicide")
    assert clinic.crisis.line("poison").call == "911"


def test_help_links_are_tel_sms_and_https_only(root):
    clinic = load_clinic(root / "clinic.yml")
    links = [link for line in clinic.crisis.lines.values() for link in line.links()]
    assert {link["href"].split(":")[0] for link in links} == {"tel", "sms", "https"}
    assert {"kind": "text", "label": "Text START to 88788", "href": "sms:88788?body=START"} in links
    assert {"kind": "call", "label": "Call 800-799-7233", "href": "tel:8007997233"} in links


@pytest.mark.parametrize(
    "entry,message",
    [
        ({"suicide": {"name": "Line", "call": "988"}}, "emergency_number"),
        ({"emergency_number": "911"}, "suicide"),
        ({"emergency_number": "call us", "suicide": {"name": "Line", "call": "988"}}, "emergency_number"),
        ({"emergency_number": "911", "suicide": {"call": "988"}}, "name"),
        ({"emergency_number": "911", "suicide": {"name": "Line"}}, "call"),
        ({"emergency_number": "911", "suicide": {"name": "Line", "call": "nine-eight-eight"}}, "dial"),
        ({"emergency_number": "911", "suicide": {"name": "Line", "call": "988", "chat": "http://x.org"}}, "https"),
        ({"emergency_number": "911", "suicide": {"name": "Line", "call": "988", "text_word": "HOME"}}, "text"),
        ({"emergency_number": "911", "suicide": {"name": "Line", "call": "988"}, "poisons": {}}, "unknown"),
    ],
)
def test_check_clinic_rejects_crisis_lines_a_patient_could_not_use(raw, entry, message):
    with pytest.raises(ClinicConfigError, match=message):
        parse_clinic({**raw, "crisis": {**raw["crisis"], "FR": entry}})


@pytest.mark.parametrize(
    "field", ["name", "phone", "email", "timezone", "opening_hours", "website", "booking_url", "crisis"]
)
def test_missing_field_is_named_in_the_error(raw, field):
    broken = {k: v for k, v in raw.items() if k != field}
    with pytest.raises(ClinicConfigError, match=field):
        parse_clinic(broken)


def test_country_without_crisis_entry_is_rejected(raw):
    with pytest.raises(ClinicConfigError, match="'FR'"):
        parse_clinic({**raw, "country": "FR"})


def test_links_must_be_https(raw):
    with pytest.raises(ClinicConfigError, match="https"):
        parse_clinic({**raw, "website": "javascript:alert(1)"})


def test_unreadable_file_gives_a_clear_error(tmp_path):
    with pytest.raises(ClinicConfigError, match="cannot read"):
        load_clinic(tmp_path / "missing.yml")


def test_every_placeholder_in_the_domain_is_provided(domain, clinic_variables):
    used = set()
    for variations in domain["responses"].values():
        for v in variations:
            used |= set(re.findall(r"{(\w+)}", v.get("text", "")))
    assert used, "the domain is expected to use clinic placeholders"
    # The one placeholder the message itself fills: the condition the article does not name.
    from bot.nlg import UNNAMED_CONDITION

    missing = used - set(clinic_variables) - {UNNAMED_CONDITION}
    assert not missing, f"not provided by clinic.yml: {missing}"


def test_response_variables_are_plain_strings(root):
    variables = response_variables(load_clinic(root / "clinic.yml"))
    assert all(isinstance(v, str) and v for v in variables.values())


def test_patients_read_the_hours_the_open_now_extra_checks(raw):
    clinic = parse_clinic(
        {
            **raw,
            "opening_hours": {"mon": "09:00-17:00", "tue": "09:00-17:00", "wed": "09:00-17:00", "sat": "10:30-14:00"},
        }
    )
    assert clinic.hours == "Mon-Wed 9am-5pm, Sat 10:30am-2pm"
    assert clinic.opening_hours["sat"][0].hour == 10
    assert response_variables(clinic)["clinic_hours"] == clinic.hours


def test_a_separate_hours_text_is_refused_so_there_is_one_truth(raw):
    with pytest.raises(ClinicConfigError, match="opening_hours"):
        parse_clinic({**raw, "hours": "Mon-Fri 9am-5pm"})


@pytest.mark.parametrize(
    "change,message",
    [
        ({"timezone": "Mars/Olympus_Mons"}, "time zone"),
        ({"opening_hours": {"mon": "17:00-09:00"}}, "closing time"),
        ({"opening_hours": {"someday": "09:00-17:00"}}, "unknown day"),
        ({"opening_hours": {"mon": "nine to five"}}, "09:00-17:00"),
    ],
)
def test_check_clinic_rejects_what_the_open_now_extra_would_trip_on(raw, change, message):
    with pytest.raises(ClinicConfigError, match=message):
        parse_clinic({**raw, **change})


def test_next_steps_is_on_unless_switched_off_and_must_be_true_or_false(root):
    import yaml

    data = yaml.safe_load((root / "clinic.yml").read_text())
    assert parse_clinic({k: v for k, v in data.items() if k != "next_steps"}).next_steps is True
    assert parse_clinic({**data, "next_steps": False}).next_steps is False
    with pytest.raises(ClinicConfigError, match="next_steps"):
        parse_clinic({**data, "next_steps": "no"})
