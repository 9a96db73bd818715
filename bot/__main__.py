"""Command line: `python -m bot <command>` (also installed as `clinic-bot`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build-spacy", help="build the blank English + lookup-lemma spaCy pipeline")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: var/spacy/<name>)")

    p = sub.add_parser("run", help="run the Rasa server and the action server (Ctrl-C stops both)")
    p.add_argument("--model", default="models", help="model file or folder (default: models/)")
    p.add_argument(
        "--credentials", default="credentials.yml", help="input channels and their limits (default: credentials.yml)"
    )
    p.add_argument(
        "--endpoints",
        default="endpoints.yml",
        help="conversation store, response filler and action server (default: endpoints.yml)",
    )
    p.add_argument(
        "--no-action-server",
        action="store_true",
        help="do not start the action server (answers and safety responses still work)",
    )

    p = sub.add_parser(
        "cluster",
        help="the scale-out profile: several instances behind haproxy, with PostgreSQL and Redis (docs/deploy.md)",
    )
    p.add_argument("--model", default="models", help="model file or folder (default: models/)")
    p.add_argument("--instances", type=int, default=2, help="how many Rasa instances (default: 2)")

    p = sub.add_parser("check-clinic", help="validate clinic.yml and print the values the answers use")
    p.add_argument("path", nargs="?", type=Path, default=Path("clinic.yml"))

    p = sub.add_parser("purge", help="delete conversations older than the retention period, or one patient's")
    p.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="retention period in days (default: retention_days in endpoints.yml, else 30)",
    )
    p.add_argument("--conversation", metavar="ID", help="delete this one conversation, whatever its age")
    p.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    p.add_argument("--db", metavar="URL", help="database URL (default: BOT_DATABASE_URL, else endpoints.yml)")
    p.add_argument("--endpoints", type=Path, default=Path("endpoints.yml"))

    p = sub.add_parser("report", help="staff report: one self-contained HTML file (or JSON figures)")
    p.add_argument("--out", type=Path, default=Path("report.html"), help="HTML file to write (default: report.html)")
    p.add_argument("--since", type=float, metavar="DAYS", help="only the last DAYS days (default: everything stored)")
    p.add_argument(
        "--format",
        choices=["html", "json"],
        default="html",
        help="json prints the figures instead of writing the HTML file",
    )
    p.add_argument("--db", metavar="URL", help="database URL (default: BOT_DATABASE_URL, else endpoints.yml)")
    p.add_argument("--endpoints", type=Path, default=Path("endpoints.yml"))

    args = parser.parse_args(argv)

    if args.command == "purge":
        return _purge(args)

    if args.command == "report":
        return _report(args)

    if args.command == "build-spacy":
        from bot import spacy_pipeline

        print(spacy_pipeline.build(args.out or spacy_pipeline.DEFAULT_DIR))
        return 0

    if args.command == "check-clinic":
        from bot.clinic import ClinicConfigError, load_clinic, response_variables

        try:
            clinic = load_clinic(args.path)
        except ClinicConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        for key, value in response_variables(clinic).items():
            print(f"{key}: {value}")
        print(f'timezone (for "are you open now?"): {clinic.timezone}')
        print(f'crisis help lines ({clinic.country}), as the widget\'s "Get help now" links them:')
        for line in (clinic.crisis.emergency_line(), *clinic.crisis.lines.values()):
            print(f"  {line.name}: " + ", ".join(f"{link['label']} <{link['href']}>" for link in line.links()))
        return 0

    if args.command == "cluster":
        from bot.scale.cluster import run as run_cluster

        return run_cluster(dict(os.environ), cwd=Path.cwd(), instances=args.instances, model=args.model)

    if args.command == "run":
        from bot.supervisor import ServerSettings, run

        settings = ServerSettings.from_env(
            dict(os.environ), model=args.model, credentials=args.credentials, endpoints=args.endpoints
        )
        return run(settings, cwd=Path.cwd(), action_server=not args.no_action_server)

    return 2


def _open_store(args: argparse.Namespace):
    """The conversation database for purge and report, or None after saying why not."""
    from bot.storage.db import open_database

    try:
        return open_database(args.endpoints, args.db)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def _purge(args: argparse.Namespace) -> int:
    import time

    from bot.storage.db import retention_days
    from bot.storage.retention import purge

    engine = _open_store(args)
    if engine is None:
        return 1
    days = args.older_than if args.older_than is not None else retention_days(args.endpoints)
    result = purge(engine, now=time.time(), older_than_days=days, conversation=args.conversation, dry_run=args.dry_run)
    engine.dispose()
    verb = "Would delete" if args.dry_run else "Deleted"
    what = (
        f"conversation {args.conversation}"
        if args.conversation
        else f"{len(result.conversations)} conversation(s) whose last message is older than {days:g} days"
    )
    if args.conversation and not result.events:
        print(f"No conversation {args.conversation} is stored.")
    else:
        print(f"{verb} {what} ({result.events} stored events).")
    return 0


def _report(args: argparse.Namespace) -> int:
    import json
    import time

    from bot.report.figures import compute_figures, load_rows

    engine = _open_store(args)
    if engine is None:
        return 1
    now = time.time()
    since = now - args.since * 86400 if args.since is not None else None
    figures = compute_figures(load_rows(engine, since=since), since=since, until=now)
    engine.dispose()
    if args.format == "json":
        print(json.dumps(figures, indent=2))
        return 0
    from bot.report.html import render_report

    args.out.write_text(render_report(figures), encoding="utf-8")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
