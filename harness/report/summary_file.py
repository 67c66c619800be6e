"""`--summary-to FILE`: append a run's or a suite's summary.md to a file CI shows.

    check_summary_target(path)       # before the run: UsageError (exit 2) if it cannot be written
    append_summary(path, text)       # after it: appended, never overwritten

Appending is what GitHub's $GITHUB_STEP_SUMMARY expects (several steps and tools share the file),
and it also suits a note file a GitLab job posts to a merge request. It spares the pipeline from
finding the suite folder, whose name carries a timestamp.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import InfrastructureError, UsageError


def summary_target(value: str) -> Path:
    """argparse type: an empty value is the usual sign of an unset CI variable."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "empty path; outside GitHub Actions $GITHUB_STEP_SUMMARY is unset: "
            "give a file such as reports/summary.md, or leave the option out"
        )
    return Path(value)


def check_summary_target(path: Path) -> None:
    """Fail before a long run, not after it, if `path` cannot be appended to."""
    if path.is_dir():
        raise UsageError(f"--summary-to {path} is a directory; give a file to append to")
    if not path.parent.is_dir():
        raise UsageError(
            f"--summary-to {path}: the folder {path.parent} does not exist; create it first"
        )
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(
            f"--summary-to {path}: cannot write there ({exc.strerror}); give a writable file"
        ) from None


def append_summary(path: Path, text: str) -> None:
    """Append `text`, after a blank line if the file already holds something."""
    try:
        with path.open("a", encoding="utf-8") as out:
            if out.tell() > 0:
                out.write("\n")
            out.write(text)
    except OSError as exc:
        raise InfrastructureError(
            f"--summary-to {path}: cannot append the summary ({exc.strerror}); "
            "it is also in summary.md in the report folder"
        ) from None
