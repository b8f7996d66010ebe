"""Answering a request from the person's data: one call for ``rgpd requests fulfil``.

Which procedure answers which right is decided in :mod:`rgpd.requests.rights`
(:func:`~rgpd.requests.rights.procedure_for`); this module runs it: the access
package (built or delivered), the erasure plan (built, or executed from the
stored plan), the rectification or the restriction (planned, or applied). It
returns what was done for the caller to render; a source that failed raises
:class:`~rgpd.requests.erasure.ExecutionFailed` carrying the outcome, as the
procedures themselves do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rgpd.errors import InvalidInput
from rgpd.i18n import _
from rgpd.requests import erasure, fulfil, service
from rgpd.requests.rights import Procedure, procedure_for
from rgpd.workspace import Workspace


@dataclass
class Answer:
    """What one ``fulfil`` call did; exactly the fields of its procedure are set."""

    reference: str
    procedure: Procedure
    package: fulfil.PackageResult | None = None
    delivery: fulfil.Delivery | None = None
    plan: erasure.ErasurePlan | None = None
    corrections: list[erasure.Correction] = field(default_factory=list)
    restriction: erasure.RestrictionPlan | None = None
    outcome: erasure.Outcome | None = None


def letters_dir(ws: Workspace, ref: str, out_dir: Path | None = None) -> Path:
    """Where the closing letters of a request are drafted."""
    return (out_dir or ws.reports_dir() / "requests") / service.normalise_reference(ref)


def answer(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    execute: bool = False,
    files: bool = False,
    confirm_files: Callable[[int], bool] | None = None,
    corrections: Mapping[str, str] | None = None,
    deliver: str | None = None,
    base_url: str | None = None,
    depth: str = "standard",
    pdf: bool = True,
    out_dir: Path | None = None,
) -> Answer:
    """Run the procedure that answers request ``ref``; nothing changes without ``execute``.

    ``files`` lets an executed erasure delete or redact files; ``confirm_files``
    (given the number of files) may still say no. ``deliver`` ("zip" or
    "link") releases a reviewed access package instead of building one.
    """
    record = service.get(ws, org, ref)
    procedure = procedure_for(record.type)
    out = Answer(record.reference, procedure)
    letters = letters_dir(ws, ref, out_dir)
    if procedure is Procedure.ACCESS:
        if deliver:
            out.delivery = fulfil.deliver(ws, org, ref, link=deliver == "link", base_url=base_url)
        else:
            out.package = fulfil.build_access_package(
                ws, org, ref, out_dir=out_dir, depth=depth, pdf=pdf
            )
    elif procedure is Procedure.ERASURE:
        if not execute:
            out.plan = erasure.build_plan(ws, org, ref)
            return out
        out.plan, _row = erasure.stored_plan(ws, org, ref)
        acting = [f for f in out.plan.files if f.action in ("delete", "redact")]
        if files and acting and confirm_files is not None:
            files = confirm_files(len(acting))
        out.outcome = erasure.execute_erasure(ws, org, ref, files=files, letter_dir=letters)
    elif procedure is Procedure.RECTIFICATION:
        out.corrections, out.outcome = erasure.rectify(
            ws, org, ref, dict(corrections or {}), execute=execute, letter_dir=letters
        )
    elif procedure is Procedure.RESTRICTION:
        out.restriction, out.outcome = erasure.restrict(
            ws, org, ref, execute=execute, letter_dir=letters
        )
    else:
        raise InvalidInput(
            "ref", _("a request of type {t} is answered by letter only", t=record.type.value)
        )
    return out
