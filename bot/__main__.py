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
    p.add_argument("--credentials", default="credentials.yml",
                   help="input channels and their limits (default: credentials.yml)")
    p.add_argument("--no-action-server", action="store_true",
                   help="do not start the action server (answers and safety responses still work)")

    p = sub.add_parser("check-clinic", help="validate clinic.yml and print the values the answers use")
    p.add_argument("path", nargs="?", type=Path, default=Path("clinic.yml"))

    args = parser.parse_args(argv)

    if args.command == "build-spacy":
        from bot import spacy_pipeline

        print(spacy_pipeline.build(args.out or spacy_pipeline.DEFAULT_DIR))
        return 0

    if args.command == "check-clinic":
        from bot.clinic import ClinicConfigError, load_clinic, response_variables

        try:
            variables = response_variables(load_clinic(args.path))
        except ClinicConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        for key, value in variables.items():
            print(f"{key}: {value}")
        return 0

    if args.command == "run":
        from bot.supervisor import ServerSettings, run

        settings = ServerSettings.from_env(dict(os.environ), model=args.model,
                                           credentials=args.credentials)
        return run(settings, cwd=Path.cwd(), action_server=not args.no_action_server)

    return 2


if __name__ == "__main__":
    sys.exit(main())
