"""DPIA storage: versions and audit entries for every change, Art. 35(11) flags, lint reminders."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from rgpd import audit
from rgpd.errors import Conflict, NotFound, ValidationFailed
from rgpd.registry import service as registry
from rgpd.registry.dpia import service as dpias
from rgpd.registry.model import Activity, Organisation
from rgpd.registry.rules import lint_register
from rgpd.storage.tables import ActivityVersionRow, AuditRow
from rgpd.workspace import Workspace

CAPTOO = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "cnil" / "pia-example-captoo.json"
)

VIDEO = {
    "ref": "video",
    "name": "Vidéoprotection",
    "purposes": ["Sécurité des biens"],
    "legal_basis": "e",
    "data_subjects": ["usagers", "mineurs"],
    "data_categories": [{"category": "image", "retention": {"active": "30d"}}],
    "dpia": {"criteria": ["surveillance_systematique"]},
}


def _setup(ws: Workspace) -> None:
    registry.add_org(ws, Organisation(slug="mairie", name="Ville d'Exemple", dpo_name="J. Dpo"))
    registry.add_activity(ws, "mairie", Activity.model_validate(VIDEO))


def _audit_actions(ws: Workspace) -> list[str]:
    with ws.db.session() as s:
        return [
            r.action
            for r in s.execute(
                select(AuditRow).where(AuditRow.entity == "dpia").order_by(AuditRow.seq)
            ).scalars()
        ]


def test_start_fill_history_audit(ws_any: Workspace) -> None:
    ws = ws_any
    _setup(ws)
    rec = dpias.start(ws, "mairie", "video")
    assert rec.version == 1 and rec.dpia.activity_ref == "video"
    assert "Sécurité des biens" in rec.dpia.principles.proportionality.purposes.text
    # rights come from the one rights module: portability never for a public task
    assert "20(3)" in rec.dpia.principles.rights.access_portability.text
    with pytest.raises(Conflict):
        dpias.start(ws, "mairie", "video")
    kind, rec = dpias.fill(
        ws,
        "mairie",
        "video",
        {
            "risks": {"access": {"severity": 3, "likelihood": 2}},
            "validation": {"dpo_opinion": "Favorable"},
        },
    )
    assert kind == "updated" and rec.version == 2
    assert rec.dpia.risks.access.severity == 3
    assert rec.dpia.principles.proportionality.purposes.text  # the rest is kept
    assert dpias.fill(ws, "mairie", "video", {})[0] == "unchanged"
    with pytest.raises(ValidationFailed) as exc:
        dpias.fill(ws, "mairie", "video", {"risks": {"access": {"severity": 7}}})
    assert exc.value.problems[0].field.startswith("risks.access.severity")
    assert dpias.get(ws, "mairie", "video").version == 2  # nothing written
    assert [v.change for v in dpias.history(ws, "mairie", "video")] == ["created", "updated"]
    assert _audit_actions(ws) == ["created", "updated"]
    with ws.db.session() as s:
        assert audit.verify(s).problems == []


def test_import_export_keeps_the_tool_file(ws: Workspace) -> None:
    _setup(ws)
    doc = json.loads(CAPTOO.read_text(encoding="utf-8"))
    kind, rec = dpias.import_pia(ws, "mairie", doc, activity_ref="video", source="captoo.json")
    assert kind == "created" and rec.dpia.ref == "captoo"
    out = dpias.export_pia(ws, "mairie", "captoo")
    assert out["pia"] == doc["pia"]
    assert len(out["answers"]) == len(doc["answers"])
    kind, rec = dpias.import_pia(ws, "mairie", doc)
    assert kind == "unchanged" and rec.dpia.activity_ref == "video"  # the link is kept
    assert _audit_actions(ws) == ["imported"]
    with pytest.raises(NotFound):
        dpias.import_pia(ws, "mairie", doc, activity_ref="nope")


def test_review_flag_and_lint_reminders(ws: Workspace) -> None:
    _setup(ws)
    reg = registry.export_register(ws, "mairie")
    issues = lint_register(reg, date(2026, 12, 1), dpias=dpias.lint_states(ws, "mairie"))
    started = [i for i in issues if i.code == "dpia_not_started"]
    assert (
        started
        and "rgpd dpia start video" in started[0].message
        and "Art. 35" in started[0].message
    )
    assert not [i for i in lint_register(reg, date(2026, 12, 1)) if i.code == "dpia_not_started"]

    dpias.start(ws, "mairie", "video")
    assert not dpias.get(ws, "mairie", "video").review.due
    # the DPIA was carried out long ago…
    dpias.fill(ws, "mairie", "video", {"assessed_on": "2020-01-01"})
    rec = dpias.get(ws, "mairie", "video")
    assert rec.review.due and "Art. 35(11)" in rec.review.reasons[0]
    issues = lint_register(reg, ws.today(), dpias=dpias.lint_states(ws, "mairie"))
    assert {i.code for i in issues if i.code.startswith("dpia_")} == {
        "dpia_review_due",
        "dpia_missing",  # not validated yet: the register's own error stays
    }
    dpias.fill(ws, "mairie", "video", {"validation": {"decision": 2}})
    # a register edited elsewhere (the export taken before) is reminded to record it…
    issues = lint_register(reg, ws.today(), dpias=dpias.lint_states(ws, "mairie"))
    codes = {i.code for i in issues if i.code.startswith("dpia_")}
    assert codes == {"dpia_review_due", "dpia_not_recorded"}
    # …while rgpd's own register got it with the decision (Art. 35(7), Art. 30(1))
    recorded = registry.get_activity(ws, "mairie", "video")
    assert recorded.activity.dpia.done and recorded.activity.dpia.reference == "video"
    assert recorded.activity.dpia.date == date(2020, 1, 1)
    assert [v.change for v in registry.history(ws, "mairie", "video")][-1] == "dpia_validated"
    fresh = registry.export_register(ws, "mairie")
    issues = lint_register(fresh, ws.today(), dpias=dpias.lint_states(ws, "mairie"))
    assert {i.code for i in issues if i.code.startswith("dpia_")} == {"dpia_review_due"}
    versions = len(registry.history(ws, "mairie", "video"))
    dpias.fill(ws, "mairie", "video", {"validation": {"dpo_names": "DPO mutualisé"}})
    assert len(registry.history(ws, "mairie", "video")) == versions  # already recorded
    # …and an activity change to its recipients after it also calls for a review
    dpias.fill(ws, "mairie", "video", {"assessed_on": ws.today().isoformat()})
    changed = Activity.model_validate({**VIDEO, "notes": "sans effet"})
    registry.save_activity(ws, "mairie", changed)
    assert not dpias.get(ws, "mairie", "video").review.due  # notes do not change the risk
    changed = Activity.model_validate({**VIDEO, "recipients": [{"name": "Gendarmerie"}]})
    registry.save_activity(ws, "mairie", changed)
    with ws.db.session() as s:
        s.execute(
            update(ActivityVersionRow)
            .where(
                ActivityVersionRow.version == len(registry.history(ws, "mairie", "video"))
            )  # the recipients change
            .values(
                created_at=datetime.combine(ws.today(), datetime.min.time()).replace(
                    year=ws.today().year + 1
                )
            )
        )
    rec = dpias.get(ws, "mairie", "video")
    assert rec.review.due and "recipients" in rec.review.reasons[0]
