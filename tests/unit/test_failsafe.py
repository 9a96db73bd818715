"""The widget's fail-safe word list (bot/safety/failsafe.py): the crisis rules as regular
expressions. Evaluated here with Python's `re` and re.ASCII, which reads the syntax the
compiler uses (groups, alternation, classes, {0,3}, \\b, \\w, \\W, \\d) as JavaScript does;
one test runs the same sources in Node where it is installed."""

import ast
import gzip
import json
import random
import re
import shutil
import subprocess

import pytest
from pattern_language_cases import PATTERN_LANGUAGE_CASES

from bot.safety.failsafe import (
    FailsafeCompiler,
    WordForms,
    alternation,
    compile_failsafe,
    failsafe_categories,
)
from bot.safety.patterns import parse_categories, parse_rules

# What a phone fetches once a session, gzipped (GET /webhooks/clinic/crisis), and what the tab
# then keeps in sessionStorage (a few MB per site).
MAX_GZIPPED_BYTES = 40_000
MAX_BYTES = 400_000


@pytest.fixture(scope="module")
def failsafe(pattern_file, nlp):
    return compile_failsafe(pattern_file, nlp)


@pytest.fixture(scope="module")
def urgency(pattern_file):
    return [c.id for c in parse_categories(pattern_file)]


@pytest.fixture(scope="module")
def compiler(nlp, pattern_file):
    terms, _ = parse_rules(pattern_file)
    return FailsafeCompiler(WordForms(nlp), {**terms, "self": ["myself"]})


def general_questions(root):
    """The questions tests/unit/test_safety_patterns.py::test_general_questions_do_not_fire
    says the guard must leave alone, read from that file so the two lists cannot drift."""
    tree = ast.parse((root / "tests" / "unit" / "test_safety_patterns.py").read_text())
    function = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "test_general_questions_do_not_fire"
    )
    questions = ast.literal_eval(function.decorator_list[0].args[1])
    assert len(questions) > 10
    return questions


def crisis_rules(pattern_file):
    _, rules = parse_rules(pattern_file)
    return [r for r in rules if r.intent == "crisis"]


# ---- the shipped rules -------------------------------------------------------------------------


def test_every_crisis_rule_is_in_the_list_with_its_kind_of_crisis(failsafe, pattern_file):
    rules = crisis_rules(pattern_file)
    assert [(p["rule"], p["category"]) for p in failsafe] == [(r.id, r.category) for r in rules]
    assert all(("unless" in p) == bool(r.unless) for p, r in zip(failsafe, rules))


def test_every_crisis_example_matches_its_own_kind_of_crisis(failsafe, pattern_file, urgency):
    misses = [
        (rule.id, example)
        for rule in crisis_rules(pattern_file)
        for example in rule.examples
        if rule.category not in failsafe_categories(failsafe, example, urgency)
    ]
    assert not misses


def test_general_questions_do_not_fire(failsafe, root):
    fired = {q: failsafe_categories(failsafe, q) for q in general_questions(root)}
    assert {q: c for q, c in fired.items() if c} == {}


@pytest.mark.parametrize(
    "text,absent,present",
    [
        # The patient is the one harmed: abuse, not a threat to others.
        ("i was beaten up by my husband last night", "harm_to_others", "abuse"),
        # The article's own topic, asked in general.
        ("is ketamine being studied for rape survivors with ptsd", "sexual_assault", None),
        ("what is the abuse potential of ketamine", "abuse", None),
        ("will i pass out during the infusion", "medical_emergency", None),
        # A definition asked alone (a whole-message exception, "^ ... $"); told with more, a crisis.
        ("What is suicide?", "suicide", None),
        ("what is an overdose, i took 20 of my pills", "medical_emergency", "overdose"),
    ],
)
def test_unless_cancels_its_rule(failsafe, text, absent, present):
    found = failsafe_categories(failsafe, text)
    assert absent not in found
    if present:
        assert present in found


def test_without_unless_the_same_message_would_fire(failsafe):
    rules = [{k: v for k, v in p.items() if k != "unless"} for p in failsafe]
    assert "harm_to_others" in failsafe_categories(rules, "i was beaten up by my husband last night")
    assert "sexual_assault" in failsafe_categories(rules, "is ketamine being studied for rape survivors with ptsd")


@pytest.mark.parametrize(
    "text,category",
    [
        ("i want to kill myself", "suicide"),
        ("I don't want to be alive anymore", "suicide"),
        ("i dont want to live", "suicide"),
        ("i don\u2019t want to live", "suicide"),  # a phone's curly apostrophe
        ("im gona kill him i swear", "harm_to_others"),
        ("I took a whole bottle of my Xanax", "overdose"),
        ("my dad is unresponsive after his infusion", "medical_emergency"),
        ("my bp just read 220/130", "medical_emergency"),
        ("pressure is 70 over 40 and i feel faint", "medical_emergency"),
    ],
)
def test_crisis_messages_get_their_kind_first(failsafe, urgency, text, category):
    assert failsafe_categories(failsafe, text, urgency)[0] == category


@pytest.mark.parametrize("text", ["my blood pressure is 120/80, is ketamine ok", "can i move it from 10/12 to 11/12"])
def test_an_ordinary_blood_pressure_reading_or_a_date_is_no_emergency(failsafe, urgency, text):
    assert failsafe_categories(failsafe, text, urgency) == []


def test_several_kinds_come_most_urgent_first(failsafe, urgency):
    found = failsafe_categories(failsafe, "i swallowed all my xanax and i want to die", urgency)
    assert found[:2] == ["overdose", "suicide"]


def test_sources_use_only_syntax_javascript_reads_the_same(failsafe):
    for p in failsafe:
        for source in (p["source"], p.get("unless", "")):
            # No lookbehind, lookahead, named groups, inline flags, backreferences or \p{}.
            assert not re.search(r"\(\?[^:]|\\[1-9pPkAZz]", source), p["rule"]
            re.compile(source, re.ASCII)


def test_the_list_is_small(failsafe):
    body = json.dumps({"patterns": failsafe}).encode()
    print(f"fail-safe list: {len(body)} bytes, {len(gzip.compress(body))} gzipped, for {len(failsafe)} rules")
    assert len(body) < MAX_BYTES
    assert len(gzip.compress(body)) < MAX_GZIPPED_BYTES


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_javascript_matches_exactly_what_python_matches(failsafe, pattern_file, root):
    texts = [e for r in parse_rules(pattern_file)[1] for e in r.examples] + general_questions(root)
    texts = [t.lower() for t in texts] + ["i\u2019m fine", "what is bdnf"]
    python = [[bool(re.search(p["source"], t, re.ASCII)) for p in failsafe] for t in texts]
    script = (
        "const [sources, texts] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const res = sources.map(s => new RegExp(s));"
        "console.log(JSON.stringify(texts.map(t => res.map(r => r.test(t)))));"
    )
    run = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([[p["source"] for p in failsafe], texts]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == python


# ---- the pattern language as regular expressions -----------------------------------------------


@pytest.mark.parametrize(
    "pattern,text,expected",
    [
        *PATTERN_LANGUAGE_CASES,  # as the rule guard reads them
        ("kill", "skill", False),
        ("#number over #number", "two over three", True),
        ("took #number", "took 10mg", True),
        ("not want", "i dont want that", True),  # the tokenizer reads "dont" as do + not
        ("not want", "i don't want that", True),
        ("not want", "i don\u2019t want that", True),
        ("not want", "i want that", False),
        ("i be", "im tired", True),  # "im" is i + m, whose lemma is "be"
        ("i be", "i'm tired", True),
        ("i be", "is it", False),
        ("i * kill", "im gonna kill", True),
        ("she * not move", "shes not moving", True),
        ("self -? harm", "self-harm", True),
        ("non -? consensual", "non-consensual", True),
        ("kms", "gonna kms", True),
    ],
)
def test_pattern_language(compiler, pattern, text, expected):
    assert bool(re.search(compiler.pattern(pattern), text.lower(), re.ASCII)) is expected


def test_alternation_matches_exactly_its_words():
    rng = random.Random(7)
    for _ in range(200):
        words = {"".join(rng.choice("ab'-.") for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 8))}
        regex = re.compile(alternation(sorted(words)), re.ASCII)
        probes = words | {"".join(rng.choice("ab'-.") for _ in range(rng.randint(1, 5))) for _ in range(30)}
        for probe in probes:
            assert bool(regex.fullmatch(probe)) == (probe in words), (sorted(words), probe)


def test_alternation_is_compact():
    assert alternation(["kill", "killed", "killing", "kills"]) == "kill(?:ed|ing|s)?"
    assert alternation(["pill", "pills"]) == "pills?"
    assert alternation(["n't"]) == "n['\u2019]t"
