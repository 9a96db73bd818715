"""The report's charts as PNG bytes (matplotlib, no screen, no files)."""

from __future__ import annotations

import io
from datetime import date
from typing import Dict, List, Sequence, Tuple

BLUE, LIGHT_BLUE, ORANGE, RED, GREEN, GREY = "#1f5f99", "#8fb8de", "#e08a00", "#c0392b", "#2e8b57", "#9a9a9a"


def _figure(width: float = 9.0, height: float = 3.6):
    # The object API (no pyplot): no global state, no GUI backend, safe in any process.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _style(ax, title: str, xlabel: str, ylabel: str) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(title, fontsize=13, loc="left", fontweight="bold")
    ax.set_xlabel(xlabel, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=10)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="y" if ylabel else "x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    (ax.yaxis if ylabel else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


def _day_labels(days: Sequence[str]) -> List[str]:
    return [date.fromisoformat(d).strftime("%d %b") for d in days]


def _day_ticks(ax, n: int, labels: List[str]) -> None:
    step = max(1, -(-n // 8))  # at most eight dates under the axis, so they never overlap
    ax.set_xticks(range(0, n, step))
    ax.set_xticklabels(labels[::step], fontsize=9)


def grouped_days(
    title: str, days: Sequence[str], series: Sequence[Tuple[str, Sequence[float], str]], ylabel: str
) -> bytes:
    """Bars per day, one colour per series, side by side."""
    fig = _figure()
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(series))
    for i, (name, values, colour) in enumerate(series):
        ax.bar([x - 0.4 + width * (i + 0.5) for x in range(len(days))], values, width=width, label=name, color=colour)
    _style(ax, title, "Day", ylabel)
    _day_ticks(ax, len(days), _day_labels(days))
    # Head room above the tallest bar, so the legend never hides one.
    top = max([max(values, default=0) for _, values, _ in series] + [1])
    ax.set_ylim(0, top * 1.3 + 0.5)
    ax.legend(frameon=False, fontsize=9, loc="upper left", ncol=len(series))
    return _png(fig)


def percent_days(title: str, days: Sequence[str], shares: Sequence[float]) -> bytes:
    from matplotlib.ticker import MaxNLocator

    fig = _figure()
    ax = fig.add_subplot()
    ax.bar(range(len(days)), [s * 100 for s in shares], color=ORANGE, width=0.6)
    _style(ax, title, "Day", "% of messages")
    ax.yaxis.set_major_locator(MaxNLocator(6))
    ax.set_ylim(0, max(10.0, max([s * 100 for s in shares] or [0]) * 1.15))
    _day_ticks(ax, len(days), _day_labels(days))
    return _png(fig)


def horizontal(
    title: str, labels: Sequence[str], series: Sequence[Tuple[str, Sequence[float], str]], xlabel: str
) -> bytes:
    """Horizontal bars, largest on top; several series are stacked."""
    fig = _figure(height=max(2.4, 0.8 + 0.34 * len(labels)))
    ax = fig.add_subplot()
    y = list(range(len(labels)))[::-1]
    left = [0.0] * len(labels)
    for name, values, colour in series:
        ax.barh(y, values, left=left, color=colour, label=name, height=0.6)
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=9)
    _style(ax, title, xlabel, "")
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=9, loc="lower right")
    return _png(fig)


def charts(figures: Dict) -> Dict[str, bytes]:
    """Every chart of the report, by name; a chart with nothing to show is left out."""
    from bot.report.figures import topic_label

    out: Dict[str, bytes] = {}
    daily = figures["per_day"]
    days = [d["date"] for d in daily]
    if days:
        out["activity"] = grouped_days(
            "Conversations and messages per day",
            days,
            [
                ("Conversations", [d["conversations"] for d in daily], BLUE),
                ("Messages from patients", [d["messages"] for d in daily], LIGHT_BLUE),
            ],
            "Number",
        )
        out["safety"] = grouped_days(
            "Safety and crisis responses per day",
            days,
            [
                ("Safety response (sent to a clinician)", [d["safety_responses"] for d in daily], ORANGE),
                ("Crisis response (emergency numbers)", [d["crisis_responses"] for d in daily], RED),
            ],
            "Responses",
        )
        out["unanswered"] = percent_days(
            "Messages the bot could not answer, per day",
            days,
            [d["unanswered"] / d["messages"] if d["messages"] else 0 for d in daily],
        )
    topics = figures["questions_per_topic"]
    if topics:
        out["topics"] = horizontal(
            "Questions per topic",
            [topic_label(t) for t in topics],
            [("Questions", list(topics.values()), BLUE)],
            "Questions",
        )
    feedback = figures["feedback_per_topic"]
    if feedback:
        order = sorted(feedback, key=lambda t: -(feedback[t]["helpful"] + feedback[t]["not_helpful"]))
        out["feedback"] = horizontal(
            "Was the answer helpful? Patients' taps per topic",
            [topic_label(t) for t in order],
            [
                ("Helpful", [feedback[t]["helpful"] for t in order], GREEN),
                ("Not helpful", [feedback[t]["not_helpful"] for t in order], GREY),
            ],
            "Taps",
        )
    return out
