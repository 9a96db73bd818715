"""The widget's fail-safe word list: the crisis rules of content/safety_patterns.yml as
regular expressions a browser can run when the bot cannot be reached.

Each crisis rule becomes one regular-expression source that matches lower-cased text, with
the same meaning as the rule guard's spaCy patterns (bot/safety/patterns.py) as far as a
regular expression can have it:

- a base form matches every form the pipeline's lemma lookup table gives that lemma ("die":
  die, died, dies), the same words the guard's lemma match accepts; `=word` and other
  forms match only as written; `@list` is any word of the term list;
- `*` is up to three words; `#number` is digits or a number word (spaCy's LIKE_NUM);
  `#urgent_bp` the same blood-pressure readings as the guard's;
- words run together by the tokenizer's contractions ("dont" = do + nt, "im" = i + m) match
  as the guard reads them, so "not want" catches "i dont want";
- apostrophes match both ' and ’ (the widget receives typed text, curly or straight).

The rule's `unless` patterns are compiled the same way: a message that matches them does not
count for that rule. Only syntax that Python's `re` (with re.ASCII) and JavaScript's RegExp
read the same way is used: (?:...), |, ?, {0,3}, character classes, \\b, \\w, \\W, \\d.
No lookbehind, no flags: the text is lower-cased before matching.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple

from bot.safety.patterns import (
    _WORD,
    GAP_WIDTH,
    URGENT_BP_REGEX,
    URGENT_BP_WORD,
    PatternError,
    Rule,
    compile_pattern,
    parse_rules,
    read_pattern_file,
    whole_message,
)

CRISIS = "crisis"
SEPARATOR = r"\W*"  # between two words: spaces and punctuation, or nothing before a contraction
# spaCy's LIKE_NUM for English: digits (with , . / and ordinal endings) or number words.
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
    "twelfth"
).split()
APOSTROPHE_CLASS = "'\u2019"


@lru_cache(maxsize=1)
def _lookup_strings() -> Dict[str, str]:
    """The English lemma lookup table as strings (form -> lemma), from spacy-lookups-data.

    The built pipeline keeps only the hashes of the forms, so the strings come from the
    package the pipeline was built from; each one is checked against the pipeline's table.
    """
    import spacy_lookups_data

    path = Path(str(spacy_lookups_data.get_file("en_lemma_lookup.json.gz")))
    if path.exists():
        return json.loads(gzip.decompress(path.read_bytes()))
    return json.loads(Path(str(spacy_lookups_data.get_file("en_lemma_lookup.json"))).read_text(encoding="utf-8"))


class WordForms:
    """What the pipeline reads as one word: the forms of each lemma, and contractions."""

    def __init__(self, nlp, lookup: Optional[Mapping[str, str]] = None) -> None:
        self.nlp = nlp
        self._lemmas: Dict[str, List[str]] = {}
        self._forms_of: Dict[str, Set[str]] = {}
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        self._forms: Dict[str, Set[str]] = defaultdict(set)
        for form, lemma in (lookup if lookup is not None else _lookup_strings()).items():
            # Only what the built pipeline itself maps this way.
            if table.get(form) == lemma and form != lemma:
                self._forms[lemma].add(form)
        # Pieces the tokenizer splits off a word with nothing in between ("nt" of "dont",
        # "m" of "im"), with the words they follow ("do", "i").
        self.hosts: Dict[str, Set[str]] = defaultdict(set)
        from spacy.attrs import ORTH

        for text, pieces in nlp.tokenizer.rules.items():
            orths = [str(p.get(ORTH, "")) for p in pieces]
            if len(orths) < 2 or "".join(orths) != text:
                continue
            for i in range(1, len(orths)):
                self.hosts[_plain(orths[i].lower())].add(_plain("".join(orths[:i]).lower()))

    def lemmas(self, word: str) -> List[str]:
        # The same words recur across the rule file (term lists are expanded in every pattern
        # that uses them), and this runs at every start of the bot: lemmatize each once.
        if word not in self._lemmas:
            self._lemmas[word] = [t.lemma_ for t in self.nlp(word)]
        return self._lemmas[word]

    def forms(self, lemma: str) -> Set[str]:
        """Every single word whose lemma is `lemma`, `lemma` itself included."""
        if lemma not in self._forms_of:
            found = {lemma}
            for form in self._forms.get(lemma, ()):
                form = form.lower()
                if len(self.nlp.tokenizer(form)) == 1:  # "dont" is never one word: the tokenizer splits it
                    found.add(form)
            self._forms_of[lemma] = {_plain(f) for f in found}
        return set(self._forms_of[lemma])


def _plain(text: str) -> str:
    return without_accents(text.replace("\u2019", "'"))


def without_accents(text: str) -> str:
    """`text` with its letters' accents dropped ("violó" -> "violo"), as the widget reads a
    message: JavaScript's \\b counts an accented letter as no letter at all, so a word ending in
    one would never end a match. Patients type Spanish with and without accents alike."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


# ---- regular expressions from word lists -----------------------------------------------------


def _escape_char(ch: str, in_class: bool = False) -> str:
    if ch == "'":
        return APOSTROPHE_CLASS if in_class else f"[{APOSTROPHE_CLASS}]"
    specials = "\\]^-[" if in_class else "\\.^$*+?()[]{}|/"
    return "\\" + ch if ch in specials else ch


def alternation(words: Sequence[str]) -> str:
    """A compact regular expression matching exactly `words` (a trie: kill(?:ed|ing|s)?)."""
    trie: Dict[str, Any] = {}
    for word in sorted(set(words)):
        if not word:
            raise ValueError("empty word")
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True
    return _node_regex(trie) or ""


def _node_regex(node: Dict[str, Any]) -> Optional[str]:
    if list(node) == [""]:
        return None
    sequences, singles = [], []
    for ch in sorted(k for k in node if k):
        rest = _node_regex(node[ch])
        if rest is None:
            singles.append(ch)
        else:
            sequences.append(_escape_char(ch) + rest)
    optional = "" in node
    if singles:
        if len(singles) == 1:
            sequences.append(_escape_char(singles[0]))
        elif singles == ["'"]:
            sequences.append(_escape_char("'"))
        else:
            sequences.append("[" + "".join(_escape_char(c, in_class=True) for c in singles) + "]")
    if len(sequences) == 1:
        one = sequences[0]
        if not optional:
            return one
        return one + "?" if _is_atom(one) else f"(?:{one})?"
    group = "(?:" + "|".join(sequences) + ")"
    return group + "?" if optional else group


def _is_atom(regex: str) -> bool:
    """One character, one escaped character or one character class."""
    if len(regex) == 1 or (len(regex) == 2 and regex[0] == "\\"):
        return True
    return regex.startswith("[") and regex.endswith("]") and regex.count("[") == 1


# ---- patterns ---------------------------------------------------------------------------------


class FailsafeCompiler:
    def __init__(self, words: WordForms, terms: Mapping[str, Sequence[str]]) -> None:
        self.words = words
        self.terms = terms

    def pattern(self, pattern: str) -> str:
        """One guard pattern as a regular-expression source."""
        compile_pattern(pattern, self.terms, self.words.lemmas)  # the guard's own checks first
        pattern, whole = whole_message(pattern)
        items = self._items(pattern)
        while items and items[0][0] == "gap":
            items.pop(0)
        while items and items[-1][0] == "gap":
            items.pop()
        parts: List[str] = []
        previous = "start"  # what came before: start, gap, optional, word, number
        pieces = ""  # contraction pieces that may be joined to the word before
        for i, (kind, forms, optional) in enumerate(items):
            if kind == "gap":
                # The gap's first word may be a piece joined to the word before ("m" of "im").
                parts.append(f"(?:{pieces}{_gap(GAP_WIDTH - 1)}|{_gap(GAP_WIDTH)})" if pieces else _gap(GAP_WIDTH))
                previous = "gap"
                continue
            separator = "" if previous == "start" else SEPARATOR
            if kind == "number":
                body = separator + r"\b" + NUMBER
                pieces = ""
            elif kind == "urgent_bp":
                body = separator + URGENT_BP_REGEX
                pieces = ""
            elif kind == "punctuation":
                body = separator + _group(alternation(sorted(forms)))
                pieces = ""
            else:
                body = separator + self._word(forms, attached=previous == "word")
                pieces = "" if optional else self._joined_pieces(forms)
                if i + 1 == len(items) and pieces:
                    body += f"(?:{pieces})?"
            parts.append(f"(?:{body})?" if optional else body)
            previous = "optional" if optional else kind
        if items and items[-1][0] == "word":
            parts.append(r"\b")
        if whole:
            return rf"^\W*(?:{''.join(parts)})\W*$"
        return "".join(parts)

    def rule(self, rule: Rule) -> Dict[str, str]:
        entry = {"rule": rule.id, "category": rule.category, "source": self._any(rule.patterns)}
        if rule.unless:
            entry["unless"] = self._any(rule.unless)
        return entry

    def _any(self, patterns: Sequence[str]) -> str:
        sources = []
        for p in patterns:
            source = self.pattern(p)
            if source not in sources:
                sources.append(source)
        return "|".join(sources)

    def _items(self, pattern: str) -> List[Tuple[str, FrozenSet[str], bool]]:
        items: List[Tuple[str, FrozenSet[str], bool]] = []
        for word in pattern.split():
            if word == "*":
                items.append(("gap", frozenset(), False))
                continue
            if word in ("#number", "#number?"):
                items.append(("number", frozenset(), word.endswith("?")))
                continue
            if word == URGENT_BP_WORD:
                items.append(("urgent_bp", frozenset(), False))
                continue
            m = _WORD.match(word)
            if not m:
                raise PatternError(f"cannot read {word!r} in pattern {pattern!r}")
            body, optional = m.group(1), bool(m.group(2))
            forms: Set[str] = set()
            for alt in body.split("|"):
                for option in self.terms[alt[1:]] if alt.startswith("@") else [alt]:
                    forms |= self._forms(option)
            if all(not re.search(r"\w", f) for f in forms):
                # Punctuation ("self -? harm"): the separator between words already allows
                # it where it is optional; where it is required, it is matched as written.
                if not optional:
                    items.append(("punctuation", frozenset(forms), False))
                continue
            items.append(("word", frozenset(forms), optional))
        return items

    def _forms(self, option: str) -> Set[str]:
        word = _plain(option.lower().lstrip("="))
        lemma = self.words.lemmas(word)[0]
        if option.startswith("=") or lemma != word:
            return {word}  # matched as written
        return self.words.forms(word)

    def _joined_pieces(self, forms: FrozenSet[str]) -> str:
        """The contraction pieces the tokenizer splits off one of `forms` ("m" after "i")."""
        pieces = sorted(p for p, hosts in self.words.hosts.items() if hosts & forms)
        return _group(alternation(pieces)) if pieces else ""

    def _word(self, forms: FrozenSet[str], attached: bool) -> str:
        """A word of the pattern, after the separator: one of `forms` as a whole word, or a
        contraction piece ("nt") joined to the word before. Right after a required word that
        word is the host; elsewhere the piece brings its own host ("dont" for "not")."""
        whole = r"\b" + _group(alternation(sorted(forms)))
        pieces = sorted(f for f in forms if f in self.words.hosts)
        if not pieces:
            return whole
        if attached:
            return f"(?:{whole}|{alternation(pieces)})"
        by_hosts: Dict[FrozenSet[str], List[str]] = defaultdict(list)
        for piece in pieces:
            by_hosts[frozenset(self.words.hosts[piece])].append(piece)
        joined = [
            _group(alternation(sorted(hosts))) + _group(alternation(group))
            for hosts, group in sorted(by_hosts.items(), key=lambda kv: kv[1])
        ]
        return r"\b(?:" + "|".join([_group(alternation(sorted(forms))), *joined]) + ")"


def _gap(words: int) -> str:
    """Up to `words` words of anything."""
    return r"(?:\W+\w+){0,%d}" % words


def _group(regex: str) -> str:
    """`regex` safe to concatenate: wrapped when it has a top-level alternation."""
    depth = 0
    escaped = False
    in_class = False
    for ch in regex:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return f"(?:{regex})"
    return regex


NUMBER = r"(?:\d+(?:[.,/]\d+)*(?:st|nd|rd|th)?|" + _group(alternation(NUMBER_WORDS)) + r"\b)"


# ---- the list the widget gets ----------------------------------------------------------------


def compile_failsafe(data: Mapping, nlp=None, lookup: Optional[Mapping[str, str]] = None) -> List[Dict[str, str]]:
    """Every crisis rule of the pattern file (its raw YAML mapping) as
    {"rule", "category", "source", "unless"?}, in the file's order."""
    from bot.spacy_pipeline import load_pipeline

    terms, rules = parse_rules(data)
    compiler = FailsafeCompiler(WordForms(nlp or load_pipeline(), lookup), terms)
    return [compiler.rule(rule) for rule in rules if rule.intent == CRISIS]


def load_failsafe(path: Path, nlp=None) -> List[Dict[str, str]]:
    return compile_failsafe(read_pattern_file(path), nlp)


def failsafe_categories(patterns: Sequence[Mapping[str, str]], text: str, urgency: Sequence[str] = ()) -> List[str]:
    """The kinds of crisis whose fail-safe patterns match `text`, most urgent first: what the
    widget does, in Python (for tests and tools)."""
    lowered = without_accents(text.lower())
    found = []
    for p in patterns:
        if re.search(p["source"], lowered, re.ASCII) and not (
            p.get("unless") and re.search(p["unless"], lowered, re.ASCII)
        ):
            if p["category"] not in found:
                found.append(p["category"])
    order = list(urgency)
    return sorted(found, key=lambda c: order.index(c) if c in order else len(order))
