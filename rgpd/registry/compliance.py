"""The compliance score: one number, its points and the ranked actions (the one home).

Every report (the compliance scorecard, the annual report, the multi-organisation
totals) and ``rgpd report compliance --json`` read :func:`compliance_score`; the
report layer only gathers the facts (:class:`ScanFacts`, :class:`RequestFacts`)
and lays the result out. Pure: no database, no clock (``today``/``now`` are
parameters), no rendering. The formula is documented in docs/compliance-score.md.

**Formula.** Ten points, each measured against the article that requires it and
weighted (a point with nothing to measure, e.g. no processor, is *not
applicable* and leaves the total)::

    point                                article                    weight  earned
    register completeness                Art. 30(1)                 20      20 x mean share of fields filled
    activities without register errors   Art. 30, 6, 9              15      15 x clean / activities
    DPIAs required and done              Art. 35                    15      15 x done / required
    processors with a contract           Art. 28(3)                 10      10 x with contract / processors
    data found where declared            Art. 30(1), 5(2)           10      10 x declared / sources with data
    files kept within retention          Art. 5(1)(e)               10      10 x within / declared sources
    requests answered or open in time    Art. 12(3)                 10      10 x in time / (answered + open)
    breaches notified within 72 hours    Art. 33(1)                 10      10 x on time / to notify
    NIR only where the décret allows it  Art. 87, décret 2019-341   10      10 x authorised / NIR sources
    special categories where declared    Art. 9(1), 30(1)(c)        10      10 x declared / special sources
    passwords under a slow, salted hash  Art. 32(1)(a)              10      10 x well kept / password columns

    base  = round(100 x sum(earned) / sum(weight of applicable points))
    score = max(0, base - min(20, 5 x number of critical risks present))

The **critical risks** are the ones the action list ranks first: a breach past
72 hours without notification or decision, an overdue request, a NIR outside an
activity claiming a domain of décret n° 2019-341, special-category data in an
undeclared place, a breach notified late, a password column kept in clear or under
a fast hash (Art. 32(1)(a); CNIL délibération n° 2022-100: one leaked table gives
every account away). Each *kind* present costs 5 points
(20 at most) on top of its ratio point, so one such finding among thousands of
clean sources still shows in the score. Requests and breaches count over all
the recorded history, whatever period a report displays, so every report shows
the same score on the same day.

What counts as a weak password storage is decided once, by the scan
(``rgpd.scan.findings.WEAK_PASSWORD_STORAGE``); the report layer counts the columns
with it (:class:`ScanFacts`), this module only weighs the count.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from rgpd import labels
from rgpd.i18n import N_, NP_, Contexted, _, _n, format_date
from rgpd.registry.model import (
    Activity,
    Breach,
    BreachStatus,
    Organisation,
    Register,
    Role,
)
from rgpd.registry.rules import LintIssue, Severity, dpia_verdict, lint_register

#: Actions listed, by risk.
MAX_ACTIONS = 10
#: Points lost per kind of critical risk present, and at most.
CRITICAL_PENALTY = 5
CRITICAL_CAP = 20

#: The critical risks, in words (the score's penalty line).
CRITICAL_LABELS = {
    "breach_overdue": N_("breach past 72 hours without notification (Art. 33(1))"),
    "request_overdue": N_("overdue request (Art. 12(3))"),
    "nir_unauthorised": N_("NIR outside décret n° 2019-341"),
    "special_undeclared": N_("special-category data in undeclared places (Art. 9(1))"),
    "breach_late": N_("breach notified late (Art. 33(1))"),
    "password_weak": N_("passwords kept in clear or under a weak hash (Art. 32(1)(a))"),
}

#: Base risk of each kind of action, highest first (the volume adds to it, capped).
RISK = {
    "breach_overdue": 100,
    "request_overdue": 90,
    "nir_unauthorised": 85,
    "breach_late": 80,
    # a leaked table of clear or fast-hashed passwords opens every account at once
    "password_weak": 80,
    "dpia_missing": 75,
    "special_undeclared": 70,
    "lint_error": 60,
    "processor_contract": 55,
    "retention_overrun": 45,
    "undeclared_location": 40,
    "requests_late": 35,
    "scan_errors": 20,
}


def risk_of(kind: str, volume: int = 1) -> int:
    """The risk of one action of ``kind`` touching ``volume`` items (the one ranking).

    The compliance report ranks its actions with it and the action plan
    (:mod:`rgpd.actions.model`) takes its priorities from it.
    """
    return RISK[kind] + min(15, round(5 * math.log10(max(volume, 1))))


#: Priority bands of a risk, highest first: (lowest risk of the band, band).
PRIORITY_BANDS: tuple[tuple[int, str], ...] = (
    (80, "critical"),
    (55, "high"),
    (35, "medium"),
    (0, "low"),
)
#: Their labels, under the "priority" context: French says "priorité haute, moyenne,
#: basse" (feminine), not the "élevé, moyen, faible" of a risk (rgpd.labels.SEVERITY).
PRIORITY_LABELS: dict[str, Contexted] = {
    "critical": NP_("priority", "critical"),
    "high": NP_("priority", "high"),
    "medium": NP_("priority", "medium"),
    "low": NP_("priority", "low"),
}


def priority_band(risk: int) -> str:
    """``critical`` / ``high`` / ``medium`` / ``low``: the band of a :func:`risk_of` value."""
    for floor, band in PRIORITY_BANDS:
        if risk >= floor:
            return band
    return "low"


# ----------------------------------------------------------------- completeness


@dataclass(frozen=True)
class Check:
    """One completeness check of an activity, with the article that requires it."""

    label: str
    article: str
    ok: bool


def completeness_checks(a: Activity, org: Organisation | None) -> list[Check]:
    """The Art. 30(1) fields a register entry must fill (30(2) for processor activities)."""
    checks: list[Check] = []
    if a.role == Role.CONTROLLER:
        checks.append(
            Check(
                _("Controller and DPO contacts"),
                "Art. 30(1)(a)",
                (a.controller is not None or org is not None)
                and (a.dpo is not None or bool(org and (org.dpo_name or org.dpo_email))),
            )
        )
        checks.append(Check(_("Legal basis"), "Art. 6(1)", a.legal_basis is not None))
    else:
        checks.append(Check(_("Controllers served"), "Art. 30(2)(a)", bool(a.controllers_served)))
    checks += [
        Check(_("Purposes"), "Art. 30(1)(b)", bool(a.purposes)),
        Check(_("Categories of data subjects"), "Art. 30(1)(c)", bool(a.data_subjects)),
        Check(_("Categories of personal data"), "Art. 30(1)(c)", bool(a.data_categories)),
        Check(_("Recipients"), "Art. 30(1)(d)", bool(a.recipients)),
        Check(
            _("Retention period for every data category"),
            "Art. 30(1)(f)",
            bool(a.data_categories) and all(u.retention for u in a.data_categories),
        ),
        Check(_("Security measures"), "Art. 30(1)(g), Art. 32", a.security.families_filled() > 0),
    ]
    return checks


def completeness(a: Activity, org: Organisation | None) -> float:
    checks = completeness_checks(a, org)
    return sum(c.ok for c in checks) / len(checks)


# ------------------------------------------------------------------------ facts


@dataclass(frozen=True)
class ScanFacts:
    """What the scans found, as counted by the data map (first declared location wins)."""

    sources_with_findings: int = 0
    undeclared_sources: int = 0
    undeclared_locations: tuple[tuple[str, int], ...] = ()
    special_sources: int = 0
    special_undeclared_sources: int = 0
    nir_sources: int = 0
    nir_unauthorised_sources: int = 0
    retention_overruns: int = 0
    overruns_by_activity: tuple[tuple[str, str, int, date], ...] = ()  # ref, name, files, oldest
    errors_count: int = 0
    #: database columns holding passwords whose storage the scan judged (Art. 32(1)(a))
    password_sources: int = 0
    #: of them, kept in clear or under a weak hash (``WEAK_PASSWORD_STORAGE`` of the scan)
    password_weak_sources: int = 0
    #: those columns, named ``connection:table.column`` (never a value), with their storage
    password_weak_columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RequestFacts:
    """Requests over the whole history: answered, still open, overdue, answered late."""

    answered: int = 0
    open_count: int = 0
    overdue_refs: tuple[str, ...] = ()
    late_refs: tuple[str, ...] = ()

    @property
    def overdue_count(self) -> int:
        return len(self.overdue_refs)


# ----------------------------------------------------------------------- result


@dataclass(frozen=True)
class ScorePoint:
    """One line of the scorecard: what was measured, against which article, from which items."""

    key: str
    label: str
    article: str
    weight: int
    earned: float  # 0..weight
    applicable: bool
    explanation: str
    items: tuple[str, ...]

    @property
    def percent(self) -> int | None:
        return round(100 * self.earned / self.weight) if self.applicable else None


@dataclass(frozen=True)
class ActionItem:
    """One ranked action; ``kind`` is a key of :data:`RISK` and ``key`` names its cause.

    ``key`` is stable from one day to the next (``lint_error:ETAT-CIVIL``,
    ``breach_overdue:V-2026-01``): the action plan keys its actions by it, so a
    re-run updates an action instead of adding a twin, and an action whose key
    is gone from the report had its cause removed.
    """

    rank: int
    title: str
    article: str
    risk: int
    why: str
    kind: str = ""
    key: str = ""


@dataclass(frozen=True)
class Compliance:
    """The score (None: nothing to measure), its points, the ranked actions."""

    score: int | None
    points: tuple[ScorePoint, ...]
    actions: tuple[ActionItem, ...]
    completeness: tuple[tuple[Activity, float], ...]
    critical: tuple[str, ...]  # the kinds of critical risk present (see the module)
    #: Every action found, ranked (``actions`` is its head): what the action plan syncs with.
    all_actions: tuple[ActionItem, ...] = ()

    @property
    def penalty(self) -> int:
        """Points taken off the weighted mean for the critical risks present."""
        return min(CRITICAL_CAP, CRITICAL_PENALTY * len(self.critical))

    def public(self) -> dict[str, object]:
        """The ``--json`` object."""
        return {
            "score": self.score,
            "critical_risks": list(self.critical),
            "penalty": self.penalty,
            "points": [
                {
                    "key": p.key,
                    "label": p.label,
                    "article": p.article,
                    "weight": p.weight,
                    "earned": p.earned if p.applicable else None,
                    "explanation": p.explanation,
                }
                for p in self.points
            ],
            "actions": [
                {
                    "rank": a.rank,
                    "title": a.title,
                    "article": a.article,
                    "risk": a.risk,
                    "key": a.key,
                }
                for a in self.actions
            ],
        }


def _ratio_point(
    key: str,
    label: str,
    article: str,
    weight: int,
    good: int,
    total: int,
    explanation: str,
    items: Iterable[str],
    na: str,
) -> ScorePoint:
    if total <= 0:
        return ScorePoint(key, label, article, weight, 0.0, False, na, ())
    return ScorePoint(
        key,
        label,
        article,
        weight,
        round(weight * good / total, 2),
        True,
        explanation,
        tuple(items),
    )


@dataclass(frozen=True)
class _BreachLine:
    ref: str
    title: str
    status: BreachStatus
    people: int | None
    hours: float


@dataclass(frozen=True)
class _Breaches:
    lines: tuple[_BreachLine, ...]

    def count(self, status: BreachStatus) -> int:
        return sum(1 for line in self.lines if line.status is status)

    @property
    def on_time(self) -> int:
        return self.count(BreachStatus.ON_TIME)

    @property
    def late(self) -> int:
        return self.count(BreachStatus.LATE)

    @property
    def overdue(self) -> int:
        return self.count(BreachStatus.OVERDUE)

    @property
    def notified(self) -> int:
        return self.on_time + self.late


def _breach_summary(breaches: Sequence[Breach], now: datetime) -> _Breaches:
    lines = []
    for b in breaches:
        lines.append(
            _BreachLine(
                b.ref, b.title, b.status(now), b.people_count, round(b.clock(now).hours_elapsed, 1)
            )
        )
    return _Breaches(tuple(lines))


def _critical_risks(
    scan: ScanFacts, requests: RequestFacts, breaches: _Breaches
) -> tuple[str, ...]:
    present = {
        "breach_overdue": breaches.overdue > 0,
        "request_overdue": requests.overdue_count > 0,
        "nir_unauthorised": scan.nir_unauthorised_sources > 0,
        "special_undeclared": scan.special_undeclared_sources > 0,
        "breach_late": breaches.late > 0,
        "password_weak": scan.password_weak_sources > 0,
    }
    return tuple(k for k, v in present.items() if v)


def compliance_score(
    register: Register,
    *,
    organisation: Organisation | None = None,
    today: date,
    now: datetime,
    scan: ScanFacts,
    requests: RequestFacts,
) -> Compliance:
    """The score, its points and the ranked actions (formula: the module's docstring).

    ``register``'s breaches are judged by :meth:`Breach.status` on ``now``;
    ``today`` is the day the register rules are checked on.
    """
    org = register.organisation or organisation
    reg = register.model_copy(update={"organisation": org})
    acts = reg.activities
    issues = lint_register(reg, today)
    err_by_act: dict[str, list[LintIssue]] = defaultdict(list)
    for i in issues:
        if i.severity == Severity.ERROR:
            err_by_act[i.activity_ref or ""].append(i)
    names = {a.ref: a.name for a in acts}
    points: list[ScorePoint] = []

    comp = [(a, completeness(a, org)) for a in acts]
    if acts:
        mean = statistics.fmean(c for _a, c in comp)
        points.append(
            ScorePoint(
                "register_completeness",
                _("Register completeness"),
                "Art. 30(1)",
                20,
                round(20 * mean, 2),
                True,
                _(
                    "Average share of the Art. 30(1) fields filled, over {n} activities.",
                    n=len(acts),
                ),
                tuple(f"{a.name}: {round(c * 100)} %" for a, c in comp if c < 1),
            )
        )
    else:
        points.append(
            ScorePoint(
                "register_completeness",
                _("Register completeness"),
                "Art. 30(1)",
                20,
                0.0,
                True,
                _("The register is empty: every public authority keeps one (Art. 30(1))."),
                (),
            )
        )
    clean = [a for a in acts if not err_by_act.get(a.ref)]
    points.append(
        _ratio_point(
            "lint_errors",
            _("Activities without register errors"),
            "Art. 30, Art. 6, Art. 9",
            15,
            len(clean),
            len(acts),
            _(
                "{good} of {total} activities pass the register check without error.",
                good=len(clean),
                total=len(acts),
            ),
            (
                f"{names.get(i.activity_ref or '', _('(register)'))}: {i.message}"
                for a_ref, lst in err_by_act.items()
                for i in lst
                if a_ref
            ),
            _("No activity to check."),
        )
    )
    dpia_req = [a for a in acts if dpia_verdict(a).required]
    dpia_missing = [a for a in dpia_req if not a.dpia.done]
    points.append(
        _ratio_point(
            "dpia",
            _("DPIAs required and done"),
            "Art. 35",
            15,
            len(dpia_req) - len(dpia_missing),
            len(dpia_req),
            _(
                "{done} of {required} required DPIAs are done.",
                done=len(dpia_req) - len(dpia_missing),
                required=len(dpia_req),
            ),
            (a.name for a in dpia_missing),
            _("No activity requires a DPIA."),
        )
    )
    procs = reg.processors
    no_contract = [p for p in procs if p.contract_date is None]
    points.append(
        _ratio_point(
            "processors",
            _("Processors with a contract"),
            "Art. 28(3)",
            10,
            len(procs) - len(no_contract),
            len(procs),
            _(
                "{good} of {total} processors have a recorded contract.",
                good=len(procs) - len(no_contract),
                total=len(procs),
            ),
            (p.name for p in no_contract),
            _("No processor recorded."),
        )
    )
    points.append(
        _ratio_point(
            "locations",
            _("Data found where the register says it is"),
            "Art. 30(1), Art. 5(2)",
            10,
            scan.sources_with_findings - scan.undeclared_sources,
            scan.sources_with_findings,
            _(
                "{bad} of {total} sources holding personal data are in no location declared in "
                "the register.",
                bad=scan.undeclared_sources,
                total=scan.sources_with_findings,
            ),
            (f"{loc}: {n}" for loc, n in scan.undeclared_locations),
            _("No scan yet: run `rgpd scan files`."),
        )
    )
    declared_sources = scan.sources_with_findings - scan.undeclared_sources
    points.append(
        _ratio_point(
            "retention",
            _("Files kept within their retention period"),
            "Art. 5(1)(e)",
            10,
            declared_sources - scan.retention_overruns,
            declared_sources,
            _(
                "{bad} files are older than the longest retention their activity declares "
                "(modification date used as an indicator).",
                bad=scan.retention_overruns,
            ),
            (
                _n(
                    "{name}: {n} file, oldest {date}",
                    "{name}: {n} files, oldest {date}",
                    n,
                    name=name,
                    date=format_date(oldest),
                )
                for _ref, name, n, oldest in scan.overruns_by_activity
            ),
            _("No scanned file in a declared location."),
        )
    )
    due_total = requests.answered + requests.open_count
    points.append(
        _ratio_point(
            "requests",
            _("Requests answered or open within the deadline"),
            "Art. 12(3)",
            10,
            due_total - requests.overdue_count - len(requests.late_refs),
            due_total,
            _(
                "{overdue} open requests are overdue and {late} were answered late.",
                overdue=requests.overdue_count,
                late=len(requests.late_refs),
            ),
            (*requests.overdue_refs, *requests.late_refs),
            _("No request received."),
        )
    )
    breaches = _breach_summary(reg.breaches, now)
    to_notify = breaches.notified + breaches.overdue
    points.append(
        _ratio_point(
            "breaches",
            _("Breaches notified within 72 hours"),
            "Art. 33(1)",
            10,
            breaches.on_time,
            to_notify,
            _(
                "{late} notified late and {overdue} past 72 hours without notification or "
                "recorded decision.",
                late=breaches.late,
                overdue=breaches.overdue,
            ),
            (
                f"{line.ref}: {line.title}"
                for line in breaches.lines
                if line.status in (BreachStatus.LATE, BreachStatus.OVERDUE)
            ),
            _("No breach to notify."),
        )
    )
    points.append(
        _ratio_point(
            "nir",
            _("NIR only where décret n° 2019-341 allows it"),
            "Art. 87; décret n° 2019-341",
            10,
            scan.nir_sources - scan.nir_unauthorised_sources,
            scan.nir_sources,
            _n(
                "{n} of {total} sources holding a NIR is outside an activity claiming a domain "
                "of the décret.",
                "{n} of {total} sources holding a NIR are outside an activity claiming a domain "
                "of the décret.",
                scan.nir_unauthorised_sources,
                total=scan.nir_sources,
            ),
            (),
            _("No NIR found by the scans."),
        )
    )
    points.append(
        _ratio_point(
            "special_categories",
            _("Special-category data only in declared places"),
            "Art. 9(1), Art. 30(1)(c)",
            10,
            scan.special_sources - scan.special_undeclared_sources,
            scan.special_sources,
            _n(
                "{n} of {total} sources holding special-category data is in no declared location.",
                "{n} of {total} sources holding special-category data are in no declared location.",
                scan.special_undeclared_sources,
                total=scan.special_sources,
            ),
            (),
            _("No special-category data found by the scans."),
        )
    )
    points.append(
        _ratio_point(
            "passwords",
            _("Passwords kept under a slow, salted hash"),
            "Art. 32(1)(a)",
            10,
            scan.password_sources - scan.password_weak_sources,
            scan.password_sources,
            _n(
                "{n} of {total} password column is kept in clear or under a weak hash "
                "(CNIL deliberation 2022-100).",
                "{n} of {total} password columns are kept in clear or under a weak hash "
                "(CNIL deliberation 2022-100).",
                scan.password_weak_sources,
                total=scan.password_sources,
            ),
            (f"{col}: {labels.password_storage(how)}" for col, how in scan.password_weak_columns),
            _("No password column found by the database scans."),
        )
    )
    critical = _critical_risks(scan, requests, breaches)
    applicable = [p for p in points if p.applicable]
    score = (
        max(
            0,
            round(100 * sum(p.earned for p in applicable) / sum(p.weight for p in applicable))
            - min(CRITICAL_CAP, CRITICAL_PENALTY * len(critical)),  # = Compliance.penalty
        )
        if applicable
        else None
    )

    # -- actions ranked by risk
    cands: list[tuple[int, str, str, str, str, str]] = []  # risk, title, article, why, kind, key
    for line in breaches.lines:
        if line.status == BreachStatus.OVERDUE:
            cands.append(
                (
                    risk_of("breach_overdue", line.people or 1),
                    _("Notify the CNIL of breach {ref} or record why not", ref=line.ref),
                    "Art. 33(1), Art. 33(5)",
                    _("Aware for {hours} hours, past the 72-hour limit.", hours=line.hours),
                    "breach_overdue",
                    f"breach_overdue:{line.ref}",
                )
            )
        elif line.status == BreachStatus.LATE:
            cands.append(
                (
                    risk_of("breach_late", 1),
                    _("Record the reasons for the late notification of {ref}", ref=line.ref),
                    "Art. 33(1)",
                    _("Notified after {hours} hours.", hours=line.hours),
                    "breach_late",
                    f"breach_late:{line.ref}",
                )
            )
    if requests.overdue_count:
        cands.append(
            (
                risk_of("request_overdue", requests.overdue_count),
                _n(
                    "Answer the overdue request",
                    "Answer the {n} overdue requests",
                    requests.overdue_count,
                ),
                "Art. 12(3)",
                ", ".join(requests.overdue_refs[:5]) + (" …" if requests.overdue_count > 5 else ""),
                "request_overdue",
                "request_overdue",
            )
        )
    if scan.nir_unauthorised_sources:
        cands.append(
            (
                risk_of("nir_unauthorised", scan.nir_unauthorised_sources),
                _n(
                    "Remove or justify the NIR found in {n} source outside an authorised activity",
                    "Remove or justify the NIR found in {n} sources outside an authorised activity",
                    scan.nir_unauthorised_sources,
                ),
                "Art. 87; décret n° 2019-341",
                _("The NIR may only be used for the purposes the décret lists."),
                "nir_unauthorised",
                "nir_unauthorised",
            )
        )
    if scan.password_weak_sources:
        cols = [col for col, _how in scan.password_weak_columns]
        cands.append(
            (
                risk_of("password_weak", scan.password_weak_sources),
                _n(
                    "Hash the passwords of {n} column with a slow, salted function",
                    "Hash the passwords of {n} columns with a slow, salted function",
                    scan.password_weak_sources,
                ),
                "Art. 32(1)(a)",
                _(
                    "Kept in clear or under a fast hash: {columns} (CNIL deliberation 2022-100: "
                    "bcrypt, Argon2, scrypt or PBKDF2).",
                    columns=", ".join(cols[:5]) + (" …" if len(cols) > 5 else ""),
                ),
                "password_weak",
                "password_weak",
            )
        )
    for a in dpia_missing:
        cands.append(
            (
                risk_of("dpia_missing", 1),
                _("Carry out the DPIA of « {name} »", name=a.name),
                "Art. 35",
                " ".join(dpia_verdict(a).reasons[-1:]),
                "dpia_missing",
                f"dpia_missing:{a.ref}",
            )
        )
    special_undeclared = scan.special_undeclared_sources
    if special_undeclared:
        cands.append(
            (
                risk_of("special_undeclared", special_undeclared),
                _(
                    "Declare or remove special-category data found in {n} undeclared sources",
                    n=special_undeclared,
                ),
                "Art. 9, Art. 30(1)(c)",
                _("Health, beliefs, opinions or offences outside any declared location."),
                "special_undeclared",
                "special_undeclared",
            )
        )
    for ref, lst in sorted(err_by_act.items(), key=lambda kv: -len(kv[1])):
        if not ref:
            continue
        cands.append(
            (
                risk_of("lint_error", len(lst)),
                _n(
                    "Fix the register entry « {name} » ({n} error)",
                    "Fix the register entry « {name} » ({n} errors)",
                    len(lst),
                    name=names.get(ref, ref),
                ),
                ", ".join(dict.fromkeys(i.article for i in lst)),
                lst[0].message,
                "lint_error",
                f"lint_error:{ref}",
            )
        )
    for p in no_contract:
        cands.append(
            (
                risk_of("processor_contract", 1),
                _("Sign and record a contract with {name}", name=p.name),
                "Art. 28(3)",
                _("No contract date in the processors register."),
                "processor_contract",
                f"processor_contract:{p.ref}",
            )
        )
    for _ref, name, n, oldest in scan.overruns_by_activity:
        cands.append(
            (
                risk_of("retention_overrun", n),
                _n(
                    "Destroy or archive {n} old file of « {name} »",
                    "Destroy or archive {n} old files of « {name} »",
                    n,
                    name=name,
                ),
                "Art. 5(1)(e)",
                _("Oldest modified on {date}.", date=format_date(oldest)),
                "retention_overrun",
                f"retention_overrun:{_ref}",
            )
        )
    if scan.undeclared_locations:
        cands.append(
            (
                risk_of("undeclared_location", scan.undeclared_sources),
                _n(
                    "Declare or clean the source with personal data outside the register",
                    "Declare or clean the {n} sources with personal data outside the register",
                    scan.undeclared_sources,
                ),
                "Art. 30(1)",
                ", ".join(loc for loc, _count in scan.undeclared_locations[:3]),
                "undeclared_location",
                "undeclared_location",
            )
        )
    if requests.late_refs:
        cands.append(
            (
                risk_of("requests_late", len(requests.late_refs)),
                _n(
                    "Review why {n} request was answered late",
                    "Review why {n} requests were answered late",
                    len(requests.late_refs),
                ),
                "Art. 12(3)",
                ", ".join(requests.late_refs[:5]),
                "requests_late",
                "requests_late",
            )
        )
    if scan.errors_count:
        cands.append(
            (
                risk_of("scan_errors", scan.errors_count),
                _n(
                    "Check the source the scan could not read",
                    "Check the {n} sources the scan could not read",
                    scan.errors_count,
                ),
                "Art. 5(2)",
                _("Unread sources may hold personal data."),
                "scan_errors",
                "scan_errors",
            )
        )
    cands.sort(key=lambda c: (-c[0], c[1]))
    ranked = tuple(
        ActionItem(i + 1, title, art, risk, why, kind, key)
        for i, (risk, title, art, why, kind, key) in enumerate(cands)
    )
    return Compliance(
        score, tuple(points), ranked[:MAX_ACTIONS], tuple(comp), critical, all_actions=ranked
    )
