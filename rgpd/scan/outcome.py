"""What a scan's outcome means for the exit code IT acts on (issue 12), in one place.

Cron and systemd only see a number, so it must say what to do:

* **0** clean;
* **1** findings (at or above ``--fail-on``) or contradictions with the register:
  a result for the DPO, not a failure;
* **3** something that should have been read was not: a source that could not be
  read at all (database unreachable, share missing) or files that failed for a
  reason someone can fix (permission denied, I/O error, a worker that crashed or
  timed out);
* **5** clean apart from files that cannot be read *by design*: encrypted,
  corrupt, or above the size and archive limits. They are recorded (``rgpd
  findings errors``) and reported, but one password-protected PDF must not turn
  every nightly run into a failure. ``rgpd schedule`` units treat 1 and 5 as success.

Errors win over findings in profiles (an unreachable database must not hide behind
"findings"); ``scan files`` and ``scan db`` keep ``--fail-on`` first, as documented.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_FAILED = 3
EXIT_UNREADABLE = 5

#: Reasons a file is unreadable by design: recorded, reported, not a failure of the run.
EXPECTED_UNREADABLE = frozenset(
    {
        "encrypted",
        "corrupt",
        "too_large",
        "too_many_pages",
        "archive_entries",
        "archive_total",
        "archive_ratio",
        "archive_depth",
    }
)


def is_expected(reason: str) -> bool:
    return reason in EXPECTED_UNREADABLE


def failure_code(errors: Iterable[Any]) -> int:
    """3 when any error needs someone, 5 when all are unreadable-by-design, else 0."""
    reasons = [str(getattr(e, "reason", "error")) for e in errors]
    if not reasons:
        return EXIT_OK
    if all(is_expected(r) for r in reasons):
        return EXIT_UNREADABLE
    return EXIT_FAILED


def command_exit_code(tripped: bool, errors: Iterable[Any]) -> int:
    """``scan files`` / ``scan db``: findings at or above ``--fail-on`` first, then errors."""
    if tripped:
        return EXIT_FINDINGS
    return failure_code(errors)


def profile_exit_code(errors: Iterable[Any], *, notify_failed: bool, findings: bool) -> int:
    """``scan run``: errors that need someone win; then findings; then unreadable files."""
    code = failure_code(errors)
    if code == EXIT_FAILED or notify_failed:
        return EXIT_FAILED
    if findings:
        return EXIT_FINDINGS
    return code
