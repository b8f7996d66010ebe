"""The CNIL PIA tool's JSON export, in and out, without loss. Pure: dicts in, dicts out.

The PIA tool (LINCnil/pia) exports one DPIA as ``{"pia", "answers", "measures",
"evaluations", "comments"}`` and imports the same shape. Questions are numbered
as in its ``pia_architecture.json`` (:data:`~rgpd.registry.dpia.model.QUESTIONS`);
evaluations point at an item (``"1.1"``, ``"3.2"``), a question
(``"2.1.211"``) or a measure (``"3.1.<measure id>"``); a risk's evaluation
carries its residual severity and likelihood as gauges ``x`` and ``y``.

*Without loss* means: whatever the tool wrote comes back when rgpd writes the
DPIA out again. What rgpd models (answers, measures, evaluations, opinions,
comments, names, statuses) lives in :class:`ImpactAssessment`; the tool's
bookkeeping (ids, timestamps, which keys each record had, keys of newer tool
versions, answers or evaluations pointing at questions rgpd does not know) is
kept in :class:`~rgpd.registry.dpia.model.Trace` records and written back as it
came. Records rgpd creates get the tool's usual keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from rgpd.errors import FieldProblem, InvalidInput, ValidationFailed
from rgpd.i18n import _
from rgpd.registry.dpia.model import (
    QUESTIONS,
    RISK_ITEMS,
    RISK_KINDS,
    RISK_QUESTIONS,
    Evaluation,
    ImpactAssessment,
    Risk,
    Trace,
    answer_at,
    risk_question,
)
from rgpd.registry.io.sheets import norm
from rgpd.registry.model import SLUG_RE

__all__ = ["from_pia_json", "slug_for", "to_pia_json"]

# Keys of each tool record that rgpd models; the others go to ``Trace.extra``.
_PIA_KEYS = {
    "id",
    "created_at",
    "updated_at",
    "name",
    "author_name",
    "evaluator_name",
    "validator_name",
    "category",
    "status",
    "dpos_names",
    "dpo_status",
    "dpo_opinion",
    "people_names",
    "concerned_people_searched_opinion",
    "concerned_people_searched_content",
    "concerned_people_status",
    "concerned_people_opinion",
    "rejection_reason",
    "applied_adjustments",
    "rejected_reason",
    "applied_adjustements",
}
#: Newer versions of the tool (pia.model.ts) spell two keys differently; whichever a
#: file uses is read, and written back under the same spelling.
_PIA_ALIASES = {
    "rejection_reason": "rejected_reason",
    "applied_adjustments": "applied_adjustements",
}
_ANSWER_KEYS = {"id", "created_at", "updated_at", "pia_id", "reference_to", "data"}
_MEASURE_KEYS = {"id", "created_at", "updated_at", "pia_id", "title", "content", "placeholder"}
_EVAL_KEYS = {
    "id",
    "created_at",
    "updated_at",
    "pia_id",
    "reference_to",
    "status",
    "evaluation_comment",
    "action_plan_comment",
    "estimated_implementation_date",
    "person_in_charge",
    "global_status",
    "gauges",
}
_COMMENT_KEYS = {
    "id",
    "created_at",
    "updated_at",
    "pia_id",
    "reference_to",
    "description",
    "for_measure",
}

# Key order of the records the tool writes (used for records rgpd creates).
_ANSWER_ORDER = ["pia_id", "reference_to", "data", "created_at", "id", "updated_at"]
_MEASURE_ORDER = ["title", "pia_id", "content", "placeholder", "created_at", "id", "updated_at"]
_EVAL_ORDER = [
    "status",
    "pia_id",
    "reference_to",
    "action_plan_comment",
    "evaluation_comment",
    "gauges",
    "estimated_implementation_date",
    "person_in_charge",
    "global_status",
    "created_at",
    "id",
    "updated_at",
]
_COMMENT_ORDER = ["description", "pia_id", "reference_to", "for_measure", "created_at", "id"]
_PIA_ORDER = [
    "id",
    "status",
    "name",
    "author_name",
    "evaluator_name",
    "validator_name",
    "dpo_status",
    "dpo_opinion",
    "concerned_people_opinion",
    "concerned_people_status",
    "rejection_reason",
    "applied_adjustments",
    "created_at",
    "updated_at",
    "dpos_names",
    "people_names",
    "concerned_people_searched_opinion",
    "concerned_people_searched_content",
    "category",
]


_DEFAULT_PLACEHOLDER = "measures.default_placeholder"


def slug_for(name: str) -> str:
    """A DPIA reference made from its name (« Vidéoprotection » → ``videoprotection``)."""
    s = re.sub(r"[^a-z0-9]+", "-", norm(name)).strip("-")[:60] or "aipd"
    return s if SLUG_RE.match(s) else f"aipd-{s}"[:60]


# ================================================================================ import


def _trace(rec: Mapping[str, Any], modelled: set[str]) -> Trace:
    return Trace(
        id=rec.get("id"),
        created_at=rec.get("created_at"),
        updated_at=rec.get("updated_at"),
        keys=list(rec),
        extra={k: v for k, v in rec.items() if k not in modelled},
    )


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _evaluation(rec: Mapping[str, Any], *, risk: bool) -> Evaluation:
    trace = _trace(rec, _EVAL_KEYS)
    gauges = rec.get("gauges")
    if not risk and gauges is not None and gauges != {"x": 0, "y": 0}:
        trace.extra["gauges"] = gauges  # only risks have residual gauges: keep what came
    return Evaluation.model_validate(
        {
            "status": rec.get("status") or 0,
            "comment": rec.get("evaluation_comment"),
            "action_plan": rec.get("action_plan_comment"),
            "implementation_date": rec.get("estimated_implementation_date"),
            "person_in_charge": rec.get("person_in_charge"),
            "global_status": rec.get("global_status") or 0,
            "trace": trace,
        }
    )


def _canonical_data(question: int, dpia: ImpactAssessment) -> dict[str, Any]:
    """The ``data`` rgpd writes for ``question`` (overridden by what the tool had, if it differed)."""
    if question in QUESTIONS:
        return {"text": answer_at(dpia, question).text, "gauge": 0, "list": []}
    kind, n = _risk_of(question)
    risk = dpia.risk(kind)
    field = RISK_QUESTIONS[n]
    if n <= 4:
        return {"text": "", "gauge": None, "list": list(getattr(risk, field))}
    level = getattr(risk, field)
    return {
        "text": getattr(risk, f"{field}_text"),
        "gauge": int(level) if level is not None else 0,
        "list": [],
    }


def _risk_of(question: int) -> tuple[str, int]:
    item, n = divmod(question - 300, 10)
    kinds = {v: k for k, v in RISK_ITEMS.items()}
    if question // 100 != 3 or item not in kinds or n not in RISK_QUESTIONS:
        raise KeyError(question)
    return kinds[item], n


def _known_question(q: Any) -> bool:
    if not isinstance(q, int) or isinstance(q, bool):
        return False
    if q in QUESTIONS:
        return True
    try:
        _risk_of(q)
    except KeyError:
        return False
    return True


def _set_answer(data: dict[str, Any], q: int, payload: Mapping[str, Any]) -> None:
    """Write the tool's answer ``payload`` (its ``data``) into the DPIA dict ``data``."""
    if q in QUESTIONS:
        part, item, fld = QUESTIONS[q]
        data[part][item][fld]["text"] = _text(payload.get("text"))
        return
    kind, n = _risk_of(q)
    risk = data["risks"][kind]
    fld = RISK_QUESTIONS[n]
    if n <= 4:
        risk[fld] = [str(x) for x in payload.get("list") or []]
    else:
        risk[fld] = payload.get("gauge") or None
        risk[f"{fld}_text"] = _text(payload.get("text"))


def _odd_data(q: int, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What of the tool's ``data`` differs from what rgpd would write for the same content."""
    if q in QUESTIONS or _risk_of(q)[1] >= 5:
        expected: dict[str, Any] = {
            "text": _text(payload.get("text")),
            "gauge": (payload.get("gauge") or 0) if q not in QUESTIONS else 0,
            "list": [],
        }
    else:
        expected = {"text": "", "gauge": None, "list": [str(x) for x in payload.get("list") or []]}
    return {k: v for k, v in payload.items() if k not in expected or expected[k] != v}


def _either(pia: Mapping[str, Any], key: str) -> Any:
    return pia[key] if key in pia else pia.get(_PIA_ALIASES[key])


def _skeleton() -> dict[str, Any]:
    """An empty DPIA as a dict, filled by the import then validated once."""
    blank = ImpactAssessment(ref="x", name="x").model_dump()
    return blank


def from_pia_json(
    doc: Any, *, ref: str | None = None, activity_ref: str | None = None, source: str = ""
) -> ImpactAssessment:
    """A PIA tool export → :class:`ImpactAssessment` (every problem reported at once).

    Raises :class:`~rgpd.errors.ValidationFailed` naming each bad record
    (``answers[3].reference_to``…) when the file is not a PIA tool export.
    """
    problems: list[FieldProblem] = []
    if not isinstance(doc, Mapping) or not isinstance(doc.get("pia"), Mapping):
        raise InvalidInput(source or "pia", _("not a PIA tool export: no 'pia' object"))
    pia = doc["pia"]
    name = _text(pia.get("name"))
    name = name if name.strip() else "AIPD"
    data = _skeleton()
    data.update(
        ref=ref or slug_for(name),
        name=name,
        activity_ref=activity_ref,
        author=pia.get("author_name"),
        evaluator=pia.get("evaluator_name"),
        validator=pia.get("validator_name"),
        category=pia.get("category"),
        pia=_trace(pia, _PIA_KEYS).model_dump(),
    )
    data["validation"] = {
        "dpo_names": pia.get("dpos_names"),
        "dpo_status": pia.get("dpo_status"),
        "dpo_opinion": pia.get("dpo_opinion"),
        "people_names": pia.get("people_names"),
        "people_searched": pia.get("concerned_people_searched_opinion"),
        "people_not_sought_reason": pia.get("concerned_people_searched_content"),
        "people_status": pia.get("concerned_people_status"),
        "people_opinion": pia.get("concerned_people_opinion"),
        "decision": pia.get("status") or 0,
        "rejection_reason": _either(pia, "rejection_reason"),
        "applied_adjustments": _either(pia, "applied_adjustments"),
    }
    unknown: dict[str, list[Any]] = {"answers": [], "evaluations": []}
    traces: dict[int, dict[str, Any]] = {}

    def records(key: str) -> list[Mapping[str, Any]]:
        items = doc.get(key) or []
        if not isinstance(items, list):
            problems.append(FieldProblem(key, _("expected a list")))
            return []
        out = []
        for i, rec in enumerate(items):
            if isinstance(rec, Mapping):
                out.append(rec)
            else:
                problems.append(FieldProblem(f"{key}[{i}]", _("expected an object")))
        return out

    for i, rec in enumerate(records("answers")):
        q = rec.get("reference_to")
        payload = rec.get("data")
        if not isinstance(q, int) or not _known_question(q):
            unknown["answers"].append(dict(rec))
            continue
        if not isinstance(payload, Mapping):
            problems.append(FieldProblem(f"answers[{i}].data", _("expected an object")))
            continue
        if q in traces:
            problems.append(
                FieldProblem(f"answers[{i}].reference_to", _("question {q} answered twice", q=q))
            )
            continue
        _set_answer(data, q, payload)
        trace = _trace(rec, _ANSWER_KEYS)
        odd = _odd_data(q, payload)
        if odd:
            trace.extra["data"] = odd
        traces[q] = trace.model_dump()
    data["answer_traces"] = traces

    measures: list[dict[str, Any]] = []
    for i, rec in enumerate(records("measures")):
        mid = rec.get("id")
        if not isinstance(mid, int) or isinstance(mid, bool):
            mid = max([int(m["id"]) for m in measures], default=0) + 1
            if rec.get("id") is not None:
                problems.append(FieldProblem(f"measures[{i}].id", _("expected a number")))
        measures.append(
            {
                "id": mid,
                "title": _text(rec.get("title")),
                "content": _text(rec.get("content")),
                "placeholder": None
                if rec.get("placeholder") == _DEFAULT_PLACEHOLDER
                else rec.get("placeholder"),
                "trace": _trace(rec, _MEASURE_KEYS).model_dump(),
            }
        )
    data["measures"] = measures
    by_id = {m["id"]: m for m in measures}

    for i, rec in enumerate(records("evaluations")):
        where = str(rec.get("reference_to", ""))
        parts = where.split(".")
        target: dict[str, Any] | None = None
        risk_kind: str | None = None
        if where == "1.1":
            target = data["context"]["overview"]
        elif where == "1.2":
            target = data["context"]["data"]
        elif len(parts) == 3 and parts[0] == "2" and parts[2].isdigit():
            q = int(parts[2])
            if q in QUESTIONS and QUESTIONS[q][0] == "principles":
                part, item, fld = QUESTIONS[q]
                if parts[1] == ("1" if item == "proportionality" else "2"):
                    target = data[part][item][fld]
        elif len(parts) == 3 and parts[:2] == ["3", "1"] and parts[2].isdigit():
            target = by_id.get(int(parts[2]))
        elif len(parts) == 2 and parts[0] == "3" and parts[1].isdigit():
            kinds = {v: k for k, v in RISK_ITEMS.items()}
            risk_kind = kinds.get(int(parts[1]))
            target = data["risks"][risk_kind] if risk_kind else None
        if target is None or target.get("evaluation") is not None:
            unknown["evaluations"].append(dict(rec))
            continue
        try:
            ev = _evaluation(rec, risk=risk_kind is not None)
        except ValidationError as exc:
            problems += [
                FieldProblem(f"evaluations[{i}].{'.'.join(map(str, e['loc']))}", e["msg"])
                for e in exc.errors()
            ]
            continue
        target["evaluation"] = ev.model_dump()
        if risk_kind:
            gauges = rec.get("gauges") or {}
            if isinstance(gauges, Mapping):
                target["residual_severity"] = gauges.get("x") or None
                target["residual_likelihood"] = gauges.get("y") or None

    comments = []
    for i, rec in enumerate(records("comments")):
        reference = rec.get("reference_to")
        if isinstance(reference, str) and reference.isdigit():
            reference = int(reference)
        if not isinstance(reference, int):
            problems.append(FieldProblem(f"comments[{i}].reference_to", _("expected a number")))
            continue
        comments.append(
            {
                "reference": reference,
                "text": _text(rec.get("description")),
                "for_measure": bool(rec.get("for_measure")),
                "trace": _trace(rec, _COMMENT_KEYS).model_dump(),
            }
        )
    data["comments"] = comments
    for key, items in unknown.items():
        if items:
            data["pia"]["extra"][f"_{key}"] = items
    if problems:
        raise ValidationFailed(problems, source)
    try:
        return ImpactAssessment.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            [
                FieldProblem(".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, "))
                for e in exc.errors()
            ],
            source,
        ) from None


# ================================================================================ export


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _shape(full: dict[str, Any], trace: Trace | None, order: list[str]) -> dict[str, Any]:
    """``full`` laid out as the tool had it: its keys in its order, then anything new.

    A record the tool wrote without a key gets no such key back (unless rgpd now
    has a value for it); a record rgpd created drops the keys it has no value for.
    """
    values = {**(trace.extra if trace else {}), **full}
    if trace is not None and trace.keys is not None:
        out = {k: values.get(k) for k in trace.keys}
        out.update({k: v for k, v in values.items() if k not in out and v is not None})
        return out
    keys = [k for k in order if k in values] + [k for k in values if k not in order]
    return {k: values[k] for k in keys if values[k] is not None}


def _stamps(trace: Trace | None, created: str) -> dict[str, Any]:
    if trace is None:
        return {"created_at": created, "id": None, "updated_at": None}
    return {"created_at": trace.created_at, "id": trace.id, "updated_at": trace.updated_at}


def _eval_json(
    ev: Evaluation,
    where: str,
    pia_id: int,
    created: str,
    gauges: dict[str, int] | None = None,
) -> dict[str, Any]:
    full: dict[str, Any] = {
        "status": int(ev.status),
        "pia_id": pia_id,
        "reference_to": where,
        "action_plan_comment": ev.action_plan,
        "evaluation_comment": ev.comment,
        "gauges": gauges
        or (ev.trace.extra.get("gauges") if ev.trace else None)
        or {"x": 0, "y": 0},
        "estimated_implementation_date": ev.implementation_date,
        "person_in_charge": ev.person_in_charge,
        "global_status": ev.global_status,
        **_stamps(ev.trace, created),
    }
    return _shape(full, ev.trace, _EVAL_ORDER)


def to_pia_json(dpia: ImpactAssessment, *, now: datetime) -> dict[str, Any]:
    """:class:`ImpactAssessment` → the JSON the PIA tool imports (``now`` stamps new records)."""
    created = _stamp(now)
    pia_trace = dpia.pia
    pia_id = pia_trace.id if pia_trace and pia_trace.id is not None else 1
    v = dpia.validation
    pia_full: dict[str, Any] = {
        "id": pia_id,
        "status": int(v.decision),
        "name": dpia.name,
        "author_name": dpia.author,
        "evaluator_name": dpia.evaluator,
        "validator_name": dpia.validator,
        "dpo_status": v.dpo_status,
        "dpo_opinion": v.dpo_opinion,
        "concerned_people_opinion": v.people_opinion,
        "concerned_people_status": v.people_status,
        "rejection_reason": v.rejection_reason,
        "applied_adjustments": v.applied_adjustments,
        "created_at": pia_trace.created_at if pia_trace else created,
        "updated_at": pia_trace.updated_at if pia_trace else created,
        "dpos_names": v.dpo_names,
        "people_names": v.people_names,
        "concerned_people_searched_opinion": v.people_searched,
        "concerned_people_searched_content": v.people_not_sought_reason,
        "category": dpia.category,
    }
    if pia_trace is not None and pia_trace.keys is not None:
        for key, alias in _PIA_ALIASES.items():
            if alias in pia_trace.keys and key not in pia_trace.keys:
                pia_full[alias] = pia_full.pop(key)
    extra = dict(pia_trace.extra) if pia_trace else {}
    unknown_answers = extra.pop("_answers", [])
    unknown_evaluations = extra.pop("_evaluations", [])
    pia_out = _shape(
        pia_full,
        pia_trace.model_copy(update={"extra": extra}) if pia_trace else None,
        _PIA_ORDER,
    )

    answers: list[dict[str, Any]] = []
    questions = sorted(QUESTIONS) + [
        risk_question(kind, n) for kind in RISK_KINDS for n in RISK_QUESTIONS
    ]
    for q in questions:
        trace = dpia.answer_traces.get(q)
        payload = _canonical_data(q, dpia)
        if trace is None and not (payload["text"] or payload["list"] or payload["gauge"]):
            continue  # nothing to say: the tool creates the answer when it is typed
        if trace is not None and isinstance(trace.extra.get("data"), Mapping):
            # the tool's own values come back where rgpd has nothing to say
            payload = {
                **payload,
                **{
                    k: v
                    for k, v in trace.extra["data"].items()
                    if payload.get(k) in (None, "", [], 0)
                },
            }
        full = {"pia_id": pia_id, "reference_to": q, "data": payload, **_stamps(trace, created)}
        answers.append(_shape(full, trace, _ANSWER_ORDER))

    measures = [
        _shape(
            {
                "title": m.title,
                "pia_id": pia_id,
                "content": m.content,
                "placeholder": m.placeholder or _DEFAULT_PLACEHOLDER,
                **_stamps(m.trace, created),
                "id": m.id,
            },
            m.trace,
            _MEASURE_ORDER,
        )
        for m in dpia.measures
    ]

    evaluations: list[dict[str, Any]] = []
    if dpia.context.overview.evaluation:
        evaluations.append(_eval_json(dpia.context.overview.evaluation, "1.1", pia_id, created))
    if dpia.context.data.evaluation:
        evaluations.append(_eval_json(dpia.context.data.evaluation, "1.2", pia_id, created))
    for q in sorted(QUESTIONS):
        part, item, _fld = QUESTIONS[q]
        ev = answer_at(dpia, q).evaluation
        if part == "principles" and ev is not None:
            n = 1 if item == "proportionality" else 2
            evaluations.append(_eval_json(ev, f"2.{n}.{q}", pia_id, created))
    for m in dpia.measures:
        if m.evaluation:
            evaluations.append(_eval_json(m.evaluation, f"3.1.{m.id}", pia_id, created))
    for kind in RISK_KINDS:
        risk: Risk = dpia.risk(kind)
        gauges = {
            "x": int(risk.residual_severity or 0),
            "y": int(risk.residual_likelihood or 0),
        }
        ev = risk.evaluation
        if ev is None and (gauges["x"] or gauges["y"]):
            ev = Evaluation()
        if ev is not None:
            evaluations.append(_eval_json(ev, f"3.{RISK_ITEMS[kind]}", pia_id, created, gauges))

    comments = [
        _shape(
            {
                "description": c.text,
                "pia_id": pia_id,
                "reference_to": c.reference,
                "for_measure": c.for_measure,
                **_stamps(c.trace, created),
            },
            c.trace,
            _COMMENT_ORDER,
        )
        for c in dpia.comments
    ]
    return {
        "pia": pia_out,
        "answers": answers + list(unknown_answers),
        "measures": measures,
        "evaluations": evaluations + list(unknown_evaluations),
        "comments": comments,
    }
