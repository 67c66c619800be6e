"""Publish the JSON Schema of journal.json: `python -m harness.results.schema [--check]`.

Without arguments it (re)writes harness/schemas/journal.schema.json from the Journal model; with
--check it exits 1 if the published file differs (tests/test_journal.py does the same).
"""

from __future__ import annotations

import argparse
import json
import sys

from harness.results.journal import SCHEMA_PATH, journal_schema


def render() -> str:
    return json.dumps(journal_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.results.schema")
    parser.add_argument("--check", action="store_true", help="fail if the published file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is stale; run python -m harness.results.schema", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
