"""Command line for the path-determination engine.

    python -m bot.paths < case.json            # prints the result JSON
    python -m bot.paths --explain < case.json  # prints the plain-Chinese explanation instead
    python -m bot.paths --batch < cases.jsonl  # one payload per line -> one JSON line each

On invalid input the single mode prints {"errors": [{"field", "message"}, ...]} to stdout and
exits with status 2. In --batch mode every output line is what the single mode would print for
that line (compact), an invalid line yields its {"errors": ...} object, and the exit status is 2
if any line was invalid, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.rules.engine import InputError, determine_paths
from bot.rules.explain import explain_result
from bot.texts import t


def _run(text: str) -> tuple[dict, bool]:
    """(output object, ok) for one JSON payload text."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        return {"errors": [{"field": "(input)", "message": t("paths.cli.bad_json", error=exc)}]}, False
    try:
        return determine_paths(payload), True
    except InputError as exc:
        return {"errors": exc.errors}, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.paths", description=t("paths.cli.description"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--batch", action="store_true", help="JSON lines in, JSON lines out")
    mode.add_argument("--explain", action="store_true", help="print the Chinese explanation")
    args = parser.parse_args(argv)

    if args.batch:
        all_ok = True
        for line in sys.stdin:
            if not line.strip():
                continue
            out, ok = _run(line)
            all_ok &= ok
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0 if all_ok else 2

    out, ok = _run(sys.stdin.read())
    if ok and args.explain:
        print(explain_result(out))
    else:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
