"""The register report (Art. 30): one sheet per activity, completeness, register checks."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rgpd import labels
from rgpd.i18n import _, format_date, format_number
from rgpd.registry.compliance import (
    Check,
    completeness_checks,
)
from rgpd.registry.io.public import public_register
from rgpd.registry.model import (
    Activity,
    Organisation,
    RecipientKind,
    Register,
    Software,
)
from rgpd.registry.rules import (
    LintIssue,
    Severity,
    dpia_verdict,
    lint_register,
)
from rgpd.reports.context.common import (
    OrgData,
    Table,
    basis_label,
    category_label,
    make_table,
)

# ================================================================================ register


@dataclass(frozen=True)
class Field:
    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FieldGroup:
    title: str
    article: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class ActivitySheet:
    """One activity in the layout of the CNIL's register template (« fiche de registre »)."""

    ref: str
    name: str
    status: str
    department: str
    completeness: float
    checks: tuple[Check, ...]
    groups: tuple[FieldGroup, ...]
    issues: tuple[LintIssue, ...]
    dpia_required: bool
    dpia_done: bool
    dpia_reasons: tuple[str, ...]


@dataclass(frozen=True)
class RegisterContext:
    activities_count: int
    validated_count: int
    mean_completeness: float
    errors: int
    warnings: int
    summary: Table
    sheets: tuple[ActivitySheet, ...]
    processors: Table
    public: Table
    issues: Table
    software: Table | None = None  # logiciels et supports (issue 14)


def _f(label: str, values: Iterable[str | None]) -> Field:
    return Field(label, tuple(v for v in values if v))


def _party(p: Any) -> str:
    if p is None:
        return ""
    bits = [p.name, p.address, p.email, p.phone]
    return ", ".join(b for b in bits if b)


def _retention_line(a: Activity) -> list[str]:
    out = []
    for u in a.data_categories:
        r = u.retention
        if r is None:
            out.append(f"{category_label(u.category)}{_(': ')}{_('not recorded')}")
            continue
        text = _("{active} active", active=labels.duration_code(r.active))
        if r.intermediate:
            text += " + " + _("{n} intermediate", n=labels.duration_code(r.intermediate))
        text += f", {labels.final_disposition(r.final)}"
        if r.trigger:
            text += f" ({r.trigger})"
        out.append(f"{category_label(u.category)}{_(': ')}{text}")
    return out


def _information_lines(a: Activity) -> list[str | None]:
    info = a.information
    if info is None:
        return []
    provided = {True: _("people are informed"), False: _("people are not informed"), None: None}
    return [provided[info.provided], info.where, info.how]


def _opinion_lines(a: Activity) -> list[str | None]:
    op = a.dpo_opinion
    if op is None:
        return []
    validated = None
    if op.validated:
        validated = " ".join(
            x
            for x in (
                _("validated"),
                op.date.isoformat() if op.date else None,
                _("by {name}", name=op.by) if op.by else None,
            )
            if x
        )
    return [op.opinion, validated]


def activity_sheet(
    a: Activity, org: Organisation | None, issues: Sequence[LintIssue]
) -> ActivitySheet:
    """The CNIL template's sections, in its order, for one activity."""
    verdict = dpia_verdict(a)
    checks = completeness_checks(a, org)
    sec = a.security
    groups = (
        FieldGroup(
            _("Parties"),
            "Art. 30(1)(a)",
            (
                _f(_("Controller"), [_party(a.controller) or (org.name if org else "")]),
                _f(_("Joint controllers"), [_party(p) for p in a.joint_controllers]),
                _f(_("Representative"), [_party(a.representative)]),
                _f(
                    _("Data protection officer"),
                    [_party(a.dpo) or (org.dpo_name or org.dpo_email or "" if org else "")],
                ),
                _f(_("Department in charge"), [a.department]),
                _f(_("Software"), a.software),
                _f(
                    _("Dates"),
                    [
                        _("created {d}", d=format_date(a.created)) if a.created else None,
                        _("updated {d}", d=format_date(a.updated)) if a.updated else None,
                        _("review {d}", d=format_date(a.review_date)) if a.review_date else None,
                    ],
                ),
            ),
        ),
        FieldGroup(
            _("Purposes and lawfulness"),
            "Art. 30(1)(b), Art. 6, Art. 9",
            (
                _f(_("Purposes"), a.purposes),
                _f(_("Legal basis"), [basis_label(a.legal_basis), a.legal_basis_text]),
                _f(
                    _("Special categories (Art. 9(2))"),
                    [
                        f"9(2)({a.art9_condition.value})" if a.art9_condition else None,
                        a.art9_details,
                    ],
                ),
                _f(_("Offences (Art. 10)"), [a.art10_basis if a.art10 else None]),
            ),
        ),
        FieldGroup(
            _("People and data"),
            "Art. 30(1)(c)",
            (
                _f(_("Categories of data subjects"), [s.value for s in a.data_subjects]),
                _f(
                    _("Categories of personal data"),
                    [
                        category_label(u.category)
                        + (" ⚠" if u.sensitive else "")
                        + (f" — {u.description}" if u.description else "")
                        for u in a.data_categories
                    ],
                ),
                _f(_("Sources"), a.sources),
            ),
        ),
        FieldGroup(
            _("Retention"),
            "Art. 30(1)(f), Art. 5(1)(e)",
            (_f(_("Retention per data category"), _retention_line(a)),),
        ),
        FieldGroup(
            _("Recipients and transfers"),
            "Art. 30(1)(d)-(e)",
            (
                _f(
                    _("Internal recipients"),
                    [r.name for r in a.recipients if r.kind == RecipientKind.INTERNAL],
                ),
                _f(
                    _("External recipients"),
                    [r.name for r in a.recipients if r.kind == RecipientKind.EXTERNAL],
                ),
                _f(
                    _("Processors"),
                    [r.name for r in a.recipients if r.kind == RecipientKind.PROCESSOR],
                ),
                _f(
                    _("Transfers outside the EU"),
                    [f"{t.country} — {t.recipient} ({t.safeguard.value})" for t in a.transfers],
                ),
            ),
        ),
        FieldGroup(
            _("Security measures"),
            "Art. 30(1)(g), Art. 32",
            (
                _f(_("Access control"), sec.access_control),
                _f(_("Traceability"), sec.traceability),
                _f(_("Software protection"), sec.software_protection),
                _f(_("Backup"), sec.backup),
                _f(_("Encryption"), sec.encryption),
                _f(_("Control of processors"), sec.processor_control),
                _f(_("Other measures"), sec.other),
            ),
        ),
        FieldGroup(
            _("Collection, information and DPO opinion"),
            "Art. 7(1), Art. 13-14, Art. 39(1)",
            (
                _f(
                    _("Activity carried out"),
                    [_("yes") if a.active else _("no longer (kept for history)")],
                ),
                _f(
                    _("Estimated number of people"),
                    [format_number(a.estimated_people) if a.estimated_people is not None else None],
                ),
                _f(
                    _("Means of collection"),
                    [*(m.value for m in a.collection_methods), a.collection_details],
                ),
                _f(_("Paper processing"), [_("yes") if a.paper_processing else None]),
                _f(_("Information of the people (Art. 13-14)"), _information_lines(a)),
                _f(
                    _("Consent: form and proof (Art. 7(1))"),
                    [a.consent.form, a.consent.proof] if a.consent else [],
                ),
                _f(_("DPO opinion (Art. 39(1))"), _opinion_lines(a)),
                _f(
                    _("Precisions"),
                    [a.data_subjects_details, a.data_categories_details, a.recipients_details],
                ),
            ),
        ),
        FieldGroup(
            _("Impact assessment"),
            "Art. 35",
            (
                _f(
                    _("DPIA"),
                    [
                        (_("required") if verdict.required else _("not required"))
                        + " — "
                        + (_("done") if a.dpia.done else _("not done")),
                        a.dpia.reference,
                    ],
                ),
            ),
        ),
    )
    return ActivitySheet(
        ref=a.ref,
        name=a.name,
        status=a.status.value,
        department=a.department or "",
        completeness=sum(c.ok for c in checks) / len(checks),
        checks=tuple(checks),
        groups=groups,
        issues=tuple(issues),
        dpia_required=verdict.required,
        dpia_done=a.dpia.done,
        dpia_reasons=verdict.reasons,
    )


def build_register(data: OrgData, today: date, *, with_sheets: bool = True) -> RegisterContext:
    reg = data.register
    org = reg.organisation or data.org
    reg = reg.model_copy(update={"organisation": org})
    issues = lint_register(reg, today)
    by_act: dict[str | None, list[LintIssue]] = defaultdict(list)
    for i in issues:
        by_act[i.activity_ref].append(i)
    sheets = [activity_sheet(a, org, by_act.get(a.ref, [])) for a in reg.activities]
    errors = sum(1 for i in issues if i.severity == Severity.ERROR)
    warnings = sum(1 for i in issues if i.severity == Severity.WARNING)
    summary = make_table(
        "register-summary",
        _("Processing activities"),
        (
            _("Activity"),
            _("Department"),
            _("Legal basis"),
            _("Completeness"),
            _("Errors"),
            _("Warnings"),
            _("DPIA"),
        ),
        (
            (
                s.name,
                s.department,
                basis_label(a.legal_basis),
                f"{round(s.completeness * 100)} %",
                sum(1 for i in s.issues if i.severity == Severity.ERROR),
                sum(1 for i in s.issues if i.severity == Severity.WARNING),
                (_("required") if s.dpia_required else _("not required"))
                + (", " + (_("done") if s.dpia_done else _("not done")) if s.dpia_required else ""),
            )
            for s, a in zip(sheets, reg.activities, strict=True)
        ),
        _("The register holds no activity yet."),
    )
    processors = make_table(
        "processors",
        _("Processors (Art. 28)"),
        (_("Processor"), _("Services"), _("Contract"), _("Hosting")),
        (
            (
                p.name,
                ", ".join(p.services),
                p.contract_date if p.contract_date else _("no contract recorded"),
                " ".join(x for x in (p.hosting_provider, p.hosting_country) if x),
            )
            for p in reg.processors
        ),
        _("No processor recorded."),
    )
    software = _software_table(reg.software, reg)
    pub = public_register(reg)
    public = make_table(
        "public-register",
        _("Public register (what may be published)"),
        (_("Activity"), _("Purposes"), _("Legal basis"), _("Data"), _("Retention")),
        (
            (
                e["name"],
                "; ".join(e["purposes"]),
                e["legal_basis"],
                "; ".join(e["data_categories"]),
                "; ".join(e["retention"]),
            )
            for e in pub
        ),
        _("No validated activity to publish."),
    )
    names = {a.ref: a.name for a in reg.activities}
    issue_table = make_table(
        "lint",
        _("Register check: errors and warnings"),
        (_("Activity"), _("Severity"), _("Problem"), _("Article")),
        (
            (
                names.get(i.activity_ref or "", i.activity_ref or _("(register)")),
                _("error") if i.severity == Severity.ERROR else _("warning"),
                i.message,
                i.article,
            )
            for i in issues
            if i.severity != Severity.INFO
        ),
        _("No problem found in the register."),
    )
    mean = statistics.fmean(s.completeness for s in sheets) if sheets else 0.0
    return RegisterContext(
        activities_count=len(sheets),
        validated_count=sum(1 for a in reg.activities if a.status.value == "valide"),
        mean_completeness=mean,
        errors=errors,
        warnings=warnings,
        summary=summary,
        sheets=tuple(sheets) if with_sheets else (),
        processors=processors,
        public=public,
        issues=issue_table,
        software=software,
    )


def _software_table(items: Sequence[Software], reg: Register) -> Table:
    """The software and supports register, links shown by name (Art. 28, Art. 30(1)(g))."""
    acts = {a.ref: a.name for a in reg.activities}
    procs = {p.ref: p.name for p in reg.processors}
    return make_table(
        "software",
        _("Software and supports"),
        (
            _("Software or support"),
            _("Kind"),
            _("Editor and version"),
            _("Hosting"),
            _("Processors"),
            _("Activities"),
            _("Security notes"),
        ),
        (
            (
                sw.name,
                labels.support_medium(sw.medium) if sw.medium else labels.software_kind(sw.kind),
                " ".join(x for x in (sw.editor, sw.version) if x),
                " — ".join(
                    x
                    for x in (
                        labels.hosting(sw.hosting) if sw.hosting else None,
                        sw.country,
                        sw.location,
                    )
                    if x
                ),
                ", ".join(procs.get(r, r) for r in sw.processors),
                ", ".join(acts.get(r, r) for r in sw.activities),
                "; ".join(sw.security),
            )
            for sw in items
        ),
        _("No software or support recorded."),
    )
