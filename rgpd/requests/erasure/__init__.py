"""Erasure (Art. 17), rectification (Art. 16) and restriction (Art. 18) of one person's data.

Always a plan first. :func:`plan_erasure` is pure: from the reviewed discovery,
the register (legal basis, per-activity :class:`~rgpd.registry.model.ErasureStrategy`)
and the shape of the tables, it decides for every row and file what happens —
delete the row, set columns to NULL, replace them with a pseudonym, or keep —
and, for what is kept, the article that keeps it:

* a legal hold (Art. 17(3)(e), legal claims) keeps everything of the activity;
* public archives (Art. 17(3)(d)) keep the tables and folders marked ``archives``;
* a legal obligation or a public task (Art. 17(3)(b)) keeps the data, unless a
  rule with a retention period says this row's period is over (then Art.
  17(1)(a) applies: the data are no longer necessary);
* a retention period not over keeps the row (Art. 17(3)(b): the text that
  imposes it is quoted);
* a row still referenced by a row that is kept — or by any row outside the
  plan, found by discovery or not (the planner reads every referencing row
  through the database's foreign keys) — is pseudonymised rather than deleted:
  a delete would fail (RESTRICT), delete someone else's row (CASCADE) or
  change it (SET NULL).

Matches "to confirm" (a name alone) are listed and never acted on.

``execute`` then applies the stored plan in **one transaction per database**:
all or nothing, children deleted before parents (transitively, through the
foreign keys; in a self-referencing table, the referencing row first), pseudonyms derived from the
install's key (HMAC of the row key), so a re-run after a failure — a dropped
connection rolls the whole source back — replays the same statements and
changes nothing twice. Files are deleted or replaced by a redacted copy only
when the caller confirms it. The proof (what changed, when, by whom, row counts
before and after, never a value) goes to the audit log, with the Art. 19
recipients to inform taken from the register.

The package, room by room: :mod:`.plan` (the pure planner and the edge that
builds and stores a plan), :mod:`.execute` (one transaction per database,
files, the proof), :mod:`.rectify` (Art. 16), :mod:`.restrict` (Art. 18) and
:mod:`.store` (the stored fulfilments).
"""

from rgpd.requests.erasure.execute import (
    ExecutionFailed,
    Outcome,
    SourceOutcome,
    TableProof,
    apply_erasure,
    delete_order,
    draft_letter,
    execute_erasure,
    pseudonym,
    run_source,
)
from rgpd.requests.erasure.plan import (
    ART_B,
    ART_BASIS,
    ART_D,
    ART_E,
    RESTRICTION_COLUMNS,
    ColumnShape,
    ErasurePlan,
    FileAction,
    RecipientToInform,
    Refusal,
    RowAction,
    TableShape,
    build_plan,
    decide_row,
    plan_erasure,
    recipients_to_inform,
    stored_plan,
    table_shape,
)
from rgpd.requests.erasure.rectify import Correction, plan_rectification, rectify
from rgpd.requests.erasure.restrict import RestrictionPlan, plan_restriction, restrict
from rgpd.requests.erasure.store import latest_fulfilment, save_fulfilment

__all__ = [
    "ART_B",
    "ART_BASIS",
    "ART_D",
    "ART_E",
    "RESTRICTION_COLUMNS",
    "ColumnShape",
    "Correction",
    "ErasurePlan",
    "ExecutionFailed",
    "FileAction",
    "Outcome",
    "RecipientToInform",
    "Refusal",
    "RestrictionPlan",
    "RowAction",
    "SourceOutcome",
    "TableProof",
    "TableShape",
    "apply_erasure",
    "build_plan",
    "decide_row",
    "delete_order",
    "draft_letter",
    "execute_erasure",
    "latest_fulfilment",
    "plan_erasure",
    "plan_rectification",
    "plan_restriction",
    "pseudonym",
    "recipients_to_inform",
    "rectify",
    "restrict",
    "run_source",
    "save_fulfilment",
    "stored_plan",
    "table_shape",
]
