"""The one exception tree of rgpd.

The core raises these; only the CLI edge (``rgpd.cli``) turns them into exit codes,
so that the library can be used from other programs without ``sys.exit`` surprises.

::

    RgpdError                       base of everything rgpd raises on purpose
    ├── UsageError                  exit 2: the caller asked for something impossible
    │   ├── ConfigError             rgpd.toml, environment, missing key file
    │   ├── InvalidInput            a field with a problem (YAML, form, CLI value)
    │   │   └── ValidationFailed    several InvalidInput at once (register import)
    │   ├── NotFound                unknown organisation, activity, request...
    │   │   └── UnknownOrganisation
    │   ├── Conflict                duplicate reference, impossible state transition
    │   │   └── TransitionRefused   request state machine (Art. 12 workflow)
    │   └── LockHeld                another run of the same scan profile is active
    ├── StorageError                the database cannot be reached or migrated
    │   └── StorageBusy             a write lock could not be had in time: retry later
    ├── CryptoError                 wrong key, tampered ciphertext, unknown key id
    │   └── KeyMismatch             the key file belongs to another install than the database
    ├── IntegrityError              the audit chain is broken (exit 1: a finding)
    ├── SourceError                 one file / database / table could not be read;
    │   ├── UnsupportedFormat       recorded as a scan error, the scan goes on
    │   ├── CorruptDocument
    │   ├── LimitExceeded           size cap, zip bomb, nesting depth, timeout
    │   └── SourceUnreachable       database down, permission denied
    └── PartialFailure              exit 3: the work completed but some units failed

Exit codes (documented in the README): 0 ok, 1 findings / lint errors / broken chain,
2 usage or input error, 3 partial failure, 4 storage or crypto failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class RgpdError(Exception):
    """Base class: every error rgpd raises on purpose."""

    exit_code = 4


class UsageError(RgpdError):
    exit_code = 2


class ConfigError(UsageError):
    pass


class InvalidInput(UsageError):
    """One field with one problem; ``field`` is a dotted path (``activities[3].legal_basis``)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


@dataclass
class FieldProblem:
    field: str
    problem: str


class ValidationFailed(InvalidInput):
    """Several field problems found at once, so the user fixes them in one pass."""

    def __init__(self, problems: list[FieldProblem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        lines = "; ".join(f"{p.field}: {p.problem}" for p in problems[:20])
        more = f" (+{len(problems) - 20})" if len(problems) > 20 else ""
        super().__init__("", f"{head}{lines}{more}")


class NotFound(UsageError):
    pass


class UnknownOrganisation(NotFound):
    def __init__(self, slug: str) -> None:
        self.slug = slug
        from rgpd.i18n import _

        super().__init__(_("unknown organisation: {slug}", slug=repr(slug)))


class Conflict(UsageError):
    pass


class TransitionRefused(Conflict):
    pass


class LockHeld(UsageError):
    pass


class StorageError(RgpdError):
    exit_code = 4


class StorageBusy(StorageError):
    """Another writer held the database too long (lock wait, deadlock, serialisation).

    Nothing was written: the whole unit of work can be tried again. The intake
    server answers 503 with ``Retry-After``, never 500.
    """


class CryptoError(RgpdError):
    exit_code = 4


class KeyMismatch(CryptoError):
    """The key file and the database are not of the same install (or the key file is gone).

    Writing on would seal values no key can open, so every write is refused.
    """


class IntegrityError(RgpdError):
    """The audit log chain is broken; ``problems`` names each entry."""

    exit_code = 1

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


class SourceError(RgpdError):
    """One unit of work failed; the caller records it and goes on."""

    exit_code = 3
    reason = "error"


class UnsupportedFormat(SourceError):
    reason = "unsupported"


class CorruptDocument(SourceError):
    reason = "corrupt"


class LimitExceeded(SourceError):
    reason = "limit"


class SourceUnreachable(SourceError):
    reason = "unreachable"


@dataclass
class PartialFailure(RgpdError):
    """Completed with failed units; carries the result so the CLI can still render it."""

    message: str = ""
    failures: list[str] = field(default_factory=list)
    exit_code = 3

    def __post_init__(self) -> None:
        super().__init__(self.message)


#: What in a third-party exception's text could be content of the document or row
#: that failed: quoted or bytes literals (parsers quote the offending token), e-mail
#: addresses, runs of four digits or more (NIR, phone, IBAN, date), and words with
#: non-ASCII letters (parsers speak ASCII English; French content does not).
_QUOTED = re.compile(r"""[bB]?'[^']*'?|[bB]?"[^"]*"?|«[^»]*»?|“[^”]*”?|‘[^’]*’?""")
_EMAIL = re.compile(r"\S*@\S*")
_DIGITS = re.compile(r"\d(?:[\s./\-]*\d){3,}")
_NON_ASCII_WORD = re.compile(r"\S*[^\x00-\x7f]\S*")
_SPACES = re.compile(r"\s+")
DETAIL_MAX = 120


def safe_text(text: str) -> str:
    """``text`` from a parser, a driver or a tool's stderr, with anything content-like cut.

    Such texts quote the bytes they choked on (a name, a NIR, an e-mail) and end up
    stored as scan errors and printed; personal data is never stored in clear, so
    only a redacted, bounded remainder survives.
    """
    for pattern in (_QUOTED, _EMAIL, _DIGITS, _NON_ASCII_WORD):
        text = pattern.sub("…", text)
    text = _SPACES.sub(" ", "".join(c if c.isprintable() else " " for c in text)).strip()
    if len(text) > DETAIL_MAX:
        text = text[: DETAIL_MAX - 1].rstrip() + "…"
    return text if text.strip("… ") else ""


def safe_detail(exc: BaseException) -> str:
    """The class of a third-party exception and its :func:`safe_text`, for error messages."""
    text = safe_text(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
