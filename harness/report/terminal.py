"""The checks as a terminal shows them (`harness run`, the pytest plugin's failure, the demo).

    for line in summary_lines(journal.checks):
        print(line)

      pass  served_rate.during  99.2%  >= 90.0%  n=212 (210 good), 95% CI 96.6%-99.7%
      pass  time_to_served       1.3s  <= 5s     2 fault episodes
      FAIL  nothing_lost            3  <= 0      exact count
            3 accepted registrations never reached the ERM

Result, check, value, threshold and evidence are written as summary.md and report.html write them
(harness.report.values); each column is as wide as its widest cell, the values right-aligned.
Under a check that did not pass, its reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Final

from harness.report.values import evidence_text, measured_text, status_text, threshold_text
from harness.results.checks import CheckResult

INDENT: Final = "  "
GAP: Final = "  "


def aligned(rows: Sequence[Sequence[str]], *, right: Collection[int] = ()) -> list[str]:
    """Rows of cells as lines of columns, each as wide as its widest cell and GAP apart; the
    columns numbered in `right` are right-aligned. No line ends in spaces."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        GAP.join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def summary_lines(results: Sequence[CheckResult]) -> Iterator[str]:
    """One line per check (result, id, value, threshold, evidence), and the reason under each
    that did not pass."""
    rows = [
        (status_text(r.status), r.id, measured_text(r), threshold_text(r), evidence_text(r))
        for r in results
    ]
    reason_at = INDENT + " " * (max((len(row[0]) for row in rows), default=0) + len(GAP))
    for check, line in zip(results, aligned(rows, right={2}), strict=True):
        yield INDENT + line
        if not check.passed:
            yield reason_at + check.reason
