"""The source article (content/article.txt), split into its sections.

The article is the only source of the bot's answers; tests use this to check that every
answer is supported by the section it cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict

# A section heading is a short line of its own ending in a colon ("The Basics of Ketamine:").
_HEADING = re.compile(r"^([A-Z][^:\n]{2,80}):\s*$")


@dataclass(frozen=True)
class Article:
    date: str
    title: str
    author: str
    sections: Dict[str, str]


def parse_article(text: str) -> Article:
    lines = [line.rstrip() for line in text.splitlines()]
    header = [line.strip() for line in lines if line.strip()][:3]
    if len(header) < 3:
        raise ValueError("the article must start with its date, title and author")
    date, title, author = header
    sections: Dict[str, list] = {}
    current = None
    for line in lines:
        m = _HEADING.match(line.strip())
        if m:
            current = m.group(1).strip()
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line.strip())
    if not sections:
        raise ValueError("no sections found in the article")
    return Article(
        date=date, title=title, author=author, sections={name: " ".join(body) for name, body in sections.items()}
    )
