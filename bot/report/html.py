"""Renders the figures as one self-contained HTML file: charts embedded as PNG data, styles
inline, nothing fetched from anywhere, so it can be mailed or opened offline.

Patient texts are escaped: a message typed as "<script>..." must show as text in the staff's
browser, never run.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from html import escape
from typing import Dict, List, Optional

from bot.report.charts import charts
from bot.report.figures import CRISIS_KIND_LABELS, topic_label

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d1d1d;max-width:1000px;
margin:24px auto;padding:0 20px;line-height:1.45}
h1{font-size:26px;margin-bottom:2px}
h2{font-size:19px;margin-top:34px;border-bottom:2px solid #e3e3e3;padding-bottom:4px}
.muted{color:#555;font-size:14px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0}
.card{border:1px solid #d6d6d6;border-radius:8px;padding:10px 12px;min-width:110px;flex:1 1 0}
.card b{display:block;font-size:26px}.card span{font-size:13px;color:#444}
img{max-width:100%;height:auto;display:block;margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:14px;margin:8px 0}
th,td{border-bottom:1px solid #e3e3e3;text-align:left;padding:5px 8px;vertical-align:top}
th{background:#f4f6f8}td.n,th.n{text-align:right;white-space:nowrap}
details summary{cursor:pointer;color:#1f5f99}
ul.texts{margin:4px 0 4px 18px;padding:0}
"""

CHART_ALT = {
    "activity": "Bar chart of conversations and patient messages for each day",
    "topics": "Bar chart of the number of questions on each topic",
    "safety": "Bar chart of safety and crisis responses for each day",
    "unanswered": "Bar chart of the percentage of messages the bot could not answer, for each day",
    "feedback": "Bar chart of helpful and not helpful taps for each topic",
}


def _img(name: str, png: Optional[bytes]) -> str:
    if not png:
        return '<p class="muted">Nothing to show for this period.</p>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(CHART_ALT[name])}" src="data:image/png;base64,{data}">'


def _long_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%a %d %B %Y").replace(" 0", " ")


def _card(value: object, label: str) -> str:
    return f'<div class="card"><b>{escape(str(value))}</b><span>{escape(label)}</span></div>'


def _table(headers: List[str], rows: List[List[object]], numeric_from: int = 1) -> str:
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if i >= numeric_from else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(str(v))}</td>' if i >= numeric_from else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(figures: Dict, generated: Optional[datetime] = None) -> str:
    generated = generated or datetime.now()
    t = figures["totals"]
    pngs = charts(figures)
    period = figures["period"]
    period_text = (
        f"{_long_date(period['from'])} to {_long_date(period['to'])}" if period["from"] else "no conversations stored"
    )
    share = f"{t['unanswered_share'] * 100:.0f}%"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Patient chatbot report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Patient chatbot report</h1>",
        f'<p class="muted">Period: {escape(period_text)}. '
        f'Made on {escape(generated.strftime("%d %B %Y at %H:%M"))}.</p>',
        '<div class="cards">',
        _card(t["conversations"], "conversations"),
        _card(t["messages"], "messages from patients"),
        _card(f"{t['unanswered']} ({share})", "messages the bot could not answer"),
        _card(t["safety_responses"], "safety responses"),
        _card(t["crisis_responses"], "crisis responses"),
        _card(f"{t['feedback_helpful']} / {t['feedback_not_helpful']}", "answers rated helpful / not helpful"),
        _card(t["patients_saving_questions"], "patients who saved a question for their provider"),
        "</div>",
        "<h2>How much the bot was used</h2>",
        _img("activity", pngs.get("activity")),
        "<h2>What patients asked about</h2>",
        '<p class="muted">Questions the bot answered from the article, by topic.</p>',
        _img("topics", pngs.get("topics")),
        _table(["Topic", "Questions"], [[topic_label(k), v] for k, v in figures["questions_per_topic"].items()]),
        "<h2>Safety and crisis responses</h2>",
        '<p class="muted">A <b>safety response</b> tells the patient to ask a clinician (the question needed a '
        "clinical decision). A <b>crisis response</b> gives the emergency numbers.</p>",
        _img("safety", pngs.get("safety")),
        _table(
            ["Day", "Safety responses", "Crisis responses"],
            [
                [_long_date(d["date"]), d["safety_responses"], d["crisis_responses"]]
                for d in figures["per_day"]
                if d["safety_responses"] or d["crisis_responses"]
            ],
        ),
        '<p class="muted">Crisis responses by kind of crisis: each kind names its own help first.</p>',
        _table(
            ["Kind of crisis", "Crisis responses"],
            [[CRISIS_KIND_LABELS.get(k, k), v] for k, v in figures.get("crisis_responses_per_kind", {}).items()],
        ),
        "<h2>Questions the bot could not answer</h2>",
        f'<p class="muted">{t["unanswered"]} of {t["messages"]} messages ({share}) got the answer that the '
        "bot cannot help with that. They are grouped by the words they share, largest group first: the "
        "big groups show which information patients look for and the bot does not have.</p>",
        _img("unanswered", pngs.get("unanswered")),
        _unanswered(figures["unanswered_groups"]),
        "<h2>Were the answers helpful?</h2>",
        '<p class="muted">Taps on the "Helpful" and "Not helpful" buttons under each answer.</p>',
        _img("feedback", pngs.get("feedback")),
        _table(
            ["Topic", "Helpful", "Not helpful"],
            [[topic_label(k), v["helpful"], v["not_helpful"]] for k, v in figures["feedback_per_topic"].items()],
        ),
        '<p class="muted">Patient texts are shown as stored: names, phone numbers, email addresses, dates, '
        "identity numbers and web addresses were replaced by [NAME], [PHONE], [EMAIL], [DATE], [ID_NUMBER] "
        "and [URL] before they were saved. Conversations are deleted after the retention period.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _unanswered(groups: List[Dict]) -> str:
    if not groups:
        return '<p class="muted">None in this period.</p>'
    rows = []
    for g in groups:
        texts = "".join(
            f"<li>{escape(x['text'])}"
            + (f" <span class=\"muted\">(×{x['count']})</span>" if x["count"] > 1 else "")
            + "</li>"
            for x in g["texts"]
        )
        rows.append(
            f"<tr><td>{escape(g['label'])}</td><td class=\"n\">{g['count']}</td>"
            f"<td><details{' open' if len(g['texts']) <= 3 else ''}><summary>{len(g['texts'])} "
            f"different wording(s)</summary><ul class=\"texts\">{texts}</ul></details></td></tr>"
        )
    return (
        "<table><thead><tr><th>Words in common</th><th class=\"n\">Messages</th>"
        "<th>What patients wrote</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
