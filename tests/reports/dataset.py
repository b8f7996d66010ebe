"""Fixed and large data sets for the report tests, written straight into the tables.

The fixed set is the sample commune's register plus scans, requests and breaches
with fixed dates, so the rendered HTML is reproducible (snapshot tests). The
large set is generated with bulk inserts (200 activities, 50,000 findings, 5,000
requests): the reports must stay usable at that size.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

import rgpd.registry
from rgpd.crypto import sha256_hex
from rgpd.registry import service
from rgpd.registry.io import load_yaml
from rgpd.registry.model import (
    Activity,
    Breach,
    DataCategoryUse,
    DataLocation,
    LegalBasis,
    Organisation,
    Register,
    Retention,
    SubjectCategory,
)
from rgpd.storage.request_tables import (
    RequestEventRow,
    RequestRow,
    payload_context,
    reason_context,
)
from rgpd.storage.scan_tables import (
    FindingRow,
    ReconcileResultRow,
    ScanErrorRow,
    ScanRunRow,
    ScanSourceRow,
)
from rgpd.storage.tables import ActivityVersionRow
from rgpd.workspace import Workspace

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
YEAR = 2026
SAMPLES = Path(rgpd.registry.__file__).parent / "samples"
ROOT = "/srv/partage"


def add_sample_org(ws: Workspace, slug: str = "mairie", sample: str = "commune") -> None:
    service.add_org(ws, Organisation(slug=slug, name=slug))
    reg = load_yaml((SAMPLES / f"{sample}.yaml").read_text(encoding="utf-8"))
    service.import_register(ws, slug, reg)


def fix_version_dates(ws: Workspace, when: datetime) -> None:
    """Register versions are stamped with the wall clock: pin them for reproducible trends."""
    with ws.db.session() as s:
        s.execute(update(ActivityVersionRow).values(created_at=when))


# (folder, file count, entity mix, modified)
_FILES = [
    ("etat-civil", 4, {"PERSON": 12, "DATE_OF_BIRTH": 4, "LOCATION": 3}, datetime(2025, 6, 1)),
    ("elections", 3, {"PERSON": 30, "LOCATION": 30}, datetime(2012, 3, 1)),
    ("enfance", 3, {"PERSON": 8, "HEALTH": 2, "PHONE_NUMBER": 4}, datetime(2026, 1, 10)),
    ("rh-archives", 2, {"PERSON": 5, "FR_NIR": 5, "IBAN_CODE": 2}, datetime(2024, 9, 1)),
    (
        "signalements",
        2,
        {"PERSON": 3, "CRIMINAL_OFFENCE": 1, "EMAIL_ADDRESS": 2},
        datetime(2026, 5, 5),
    ),
]


def seed_scan(ws: Workspace, slug: str) -> None:
    oid = ws.org_id(slug)
    with ws.db.session() as s:
        r1 = ScanRunRow(
            org_id=oid,
            kind="files",
            status="completed",
            started_at=datetime(2026, 3, 1, 2, 0),
            finished_at=datetime(2026, 3, 1, 2, 30),
            settings={},
            counts={},
            actor="test",
        )
        r2 = ScanRunRow(
            org_id=oid,
            kind="files",
            status="completed",
            started_at=datetime(2026, 9, 1, 2, 0),
            finished_at=datetime(2026, 9, 1, 2, 40),
            settings={},
            counts={},
            actor="test",
        )
        s.add_all([r1, r2])
        s.flush()
        for folder, n, mix, modified in _FILES:
            for i in range(n):
                uri = f"{ROOT}/{folder}/doc-{i}.pdf"
                src = ScanSourceRow(
                    org_id=oid,
                    kind="file",
                    uri=uri,
                    uri_hash=sha256_hex(uri),
                    root=ROOT,
                    modified_at=modified,
                    status="present",
                    last_run_id=r2.id,
                    meta={},
                )
                s.add(src)
                s.flush()
                for entity, count in mix.items():
                    s.add(
                        FindingRow(
                            source_id=src.id,
                            org_id=oid,
                            entity_type=entity,
                            count=count,
                            score=0.9,
                            special_category=entity in ("HEALTH", "CRIMINAL_OFFENCE"),
                            evidence=[],
                            locations=[],
                            first_run_id=r2.id if folder == "rh-archives" else r1.id,
                            last_run_id=r2.id,
                        )
                    )
        gone = f"{ROOT}/etat-civil/ancien.pdf"
        s.add(
            ScanSourceRow(
                org_id=oid,
                kind="file",
                uri=gone,
                uri_hash=sha256_hex(gone),
                root=ROOT,
                status="gone",
                meta={},
            )
        )
        s.add(
            ScanErrorRow(
                run_id=r2.id,
                org_id=oid,
                source=f"{ROOT}/courrier/scan-illisible.pdf",
                reason="corrupt",
                message="invalid PDF structure",
                at=datetime(2026, 9, 1, 2, 10),
            )
        )
        s.add(
            ScanErrorRow(
                run_id=r1.id,
                org_id=oid,
                source=f"{ROOT}/courrier/archive.zip",
                reason="limit",
                message="archive too deep",
                at=datetime(2026, 3, 1, 2, 10),
            )
        )
        s.add(
            ReconcileResultRow(
                org_id=oid,
                batch="b-0001",
                rule="undeclared_location",
                severity="error",
                activity_ref=None,
                location=f"{ROOT}/rh-archives",
                entity_type="FR_NIR",
                article="Art. 30(1)",
                message="personal data outside any declared location",
                details={},
                created_at=datetime(2026, 9, 1, 3, 0),
            )
        )


def _add_request(
    ws: Workspace,
    oid: int,
    ref: str,
    rtype: str,
    received: date,
    events: list[tuple[str, str | None, str, date, str]],
    due: date,
    closed: date | None,
) -> None:
    """``events``: (action, from_state, to_state, on, reason)."""
    with ws.db.session() as s:
        row = RequestRow(
            org_id=oid,
            reference=ref,
            type=rtype,
            state=events[-1][2],
            channel="web",
            received_on=received,
            lang="fr",
            requester_role="personne_concernee",
            mandate_verified=False,
            activities=[],
            due_on=due,
            original_due_on=due,
            extension_notice_due=due,
            extended=any(e[0] == "prolonger" for e in events),
            paused=False,
            closed_on=closed,
            payload=ws.keys.seal(b"{}", payload_context(ref)),
        )
        s.add(row)
        s.flush()
        for seq, (action, src, dst, on, reason) in enumerate(events):
            s.add(
                RequestEventRow(
                    request_id=row.id,
                    seq=seq,
                    action=action,
                    at=datetime(on.year, on.month, on.day, 9, 0),
                    on_date=on,
                    actor="agent",
                    from_state=src,
                    to_state=dst,
                    reason=ws.keys.seal(reason.encode(), reason_context(row.id))
                    if reason
                    else None,
                )
            )


def seed_requests(ws: Workspace, slug: str) -> None:
    oid = ws.org_id(slug)
    rcv = ("recevoir", None, "recue")
    # answered on time
    for i, (d, t) in enumerate(
        [
            (date(2026, 2, 3), "acces"),
            (date(2026, 4, 14), "rectification"),
            (date(2026, 6, 2), "acces"),
        ]
    ):
        _add_request(
            ws,
            oid,
            f"R-2026-00{i + 1}",
            t,
            d,
            [
                (*rcv, d, ""),
                ("instruire", "recue", "en_cours", d + timedelta(days=1), ""),
                ("clore", "en_cours", "traitee", d + timedelta(days=12 + 3 * i), ""),
            ],
            d + timedelta(days=31),
            d + timedelta(days=12 + 3 * i),
        )
    # answered late
    d = date(2026, 5, 4)
    _add_request(
        ws,
        oid,
        "R-2026-004",
        "effacement",
        d,
        [
            (*rcv, d, ""),
            ("instruire", "recue", "en_cours", d, ""),
            ("clore", "en_cours", "traitee", date(2026, 6, 20), ""),
        ],
        date(2026, 6, 4),
        date(2026, 6, 20),
    )
    # refused with a reason that names the person (must not be shown)
    d = date(2026, 7, 1)
    _add_request(
        ws,
        oid,
        "R-2026-005",
        "effacement",
        d,
        [
            (*rcv, d, ""),
            (
                "refuser",
                "recue",
                "refusee",
                date(2026, 7, 20),
                "M. Jean Secretnom : état civil tenu en vertu d'une obligation légale, art. 17(3)(b)",
            ),
        ],
        date(2026, 8, 3),
        date(2026, 7, 20),
    )
    # open, overdue
    d = date(2026, 9, 15)
    _add_request(
        ws,
        oid,
        "R-2026-006",
        "acces",
        d,
        [(*rcv, d, ""), ("instruire", "recue", "en_cours", d, "")],
        date(2026, 10, 15),
        None,
    )
    # open, identity pending (clock suspended)
    d = date(2026, 11, 2)
    _add_request(
        ws,
        oid,
        "R-2026-007",
        "opposition",
        d,
        [
            (*rcv, d, ""),
            ("demander_identite", "recue", "identite_en_attente", date(2026, 11, 3), "doute"),
        ],
        date(2026, 12, 2),
        None,
    )
    # open, on track
    d = date(2026, 11, 16)
    _add_request(
        ws,
        oid,
        "R-2026-008",
        "acces",
        d,
        [(*rcv, d, "")],
        date(2026, 12, 16),
        None,
    )


def seed_breach(ws: Workspace, slug: str) -> None:
    """A 2026 breach past its 72 hours, neither notified nor decided."""
    service.save_breach(
        ws,
        slug,
        Breach(
            ref="2026-01-courriel-erreur",
            title="Courriel envoyé au mauvais destinataire",
            discovered_at=datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
            people_count=1,
        ),
    )


def seed_maturity(ws: Workspace, slug: str) -> None:
    """Two years of the maturity questionnaire (the second answered twice: a new version)."""
    from rgpd.registry import maturity_service
    from rgpd.registry.maturity import QUESTIONS, MaturityAnswers

    for year, shift, day in ((2025, 0, date(2025, 12, 10)), (2026, 1, date(2026, 11, 2))):
        levels = {q.key: min(3, (i + shift) % 4) for i, q in enumerate(QUESTIONS)}
        answers = MaturityAnswers(year=year, answered_on=day, answers=levels)
        maturity_service.save_maturity(ws, slug, answers)
    levels = {q.key: min(3, (i + 2) % 4) for i, q in enumerate(QUESTIONS)}
    maturity_service.save_maturity(
        ws, slug, MaturityAnswers(year=2026, answered_on=date(2026, 11, 20), answers=levels)
    )


def seed_fixed(ws: Workspace, slug: str = "mairie") -> None:
    add_sample_org(ws, slug)
    seed_breach(ws, slug)
    seed_scan(ws, slug)
    seed_requests(ws, slug)
    seed_maturity(ws, slug)
    fix_version_dates(ws, datetime(2026, 2, 15, 10, 0))


def seed_actions(ws: Workspace, slug: str = "mairie") -> None:
    """The action plan of the fixed set: the report's top ten, owners, one done, one abandoned."""
    from rgpd.actions import service as actions
    from rgpd.actions.model import Owner
    from rgpd.reports.service import plan_actions

    plan = plan_actions(ws, slug, today=TODAY, now=NOW).created
    state_civil = Owner("Chloé Martin", "chloe.martin@example.org", "État civil")
    it = Owner("Hugo Bernard", "hugo.bernard@example.org", "Informatique")
    for a, owner, due in zip(
        plan,
        (state_civil, it, state_civil, it, None),
        (date(2026, 11, 30), date(2026, 11, 15), date(2027, 1, 31), None, date(2026, 12, 15)),
        strict=False,
    ):
        actions.assign_action(ws, slug, a.ref, owner=owner, due=due, now=NOW)
    actions.start_action(ws, slug, plan[1].ref, today=TODAY, now=NOW)
    actions.complete_action(
        ws, slug, plan[2].ref, note="Fait en réunion", today=date(2026, 10, 2), now=NOW
    )
    actions.abandon_action(
        ws, slug, plan[3].ref, reason="Traitement arrêté", today=date(2026, 9, 1), now=NOW
    )
    manual = actions.add_action(
        ws,
        slug,
        "Former les agents d'accueil",
        article="Art. 39(1)(b)",
        owner=Owner("Chloé Martin", "chloe.martin@example.org", "État civil"),
        due=date(2026, 12, 1),
        today=TODAY,
        now=NOW,
    )
    assert manual.ref


# ------------------------------------------------------------------------------ large


def seed_large(
    ws: Workspace,
    slug: str = "grande",
    *,
    activities: int = 200,
    findings: int = 50_000,
    requests: int = 5_000,
    seed: int = 7,
) -> None:
    """Bulk inserts: the register through the service (one transaction), the rest raw."""
    rnd = random.Random(seed)
    service.add_org(ws, Organisation(slug=slug, name="Grande agglomération"))
    cats = ["etat_civil", "coordonnees", "economique_financier", "sante", "nir"]
    acts = []
    for i in range(activities):
        keys = rnd.sample(cats, 2)
        acts.append(
            Activity(
                ref=f"act-{i:03d}",
                name=f"Traitement n° {i}",
                department=f"Direction {i % 17}",
                purposes=[f"Finalité {i}"],
                legal_basis=LegalBasis.PUBLIC_TASK if i % 3 else LegalBasis.CONSENT,
                legal_basis_text="CGCT" if i % 5 else None,
                art9_condition="h" if "sante" in keys and i % 2 else None,
                data_subjects=[SubjectCategory.USAGERS],
                data_categories=[
                    DataCategoryUse(category=k, retention=Retention(active="5y") if i % 4 else None)
                    for k in keys
                ],
                data_locations=[DataLocation(kind="files", path=f"partage/d{i:03d}/**")],
            )
        )
    reg = Register(activities=acts)
    service.import_register(ws, slug, reg)
    oid = ws.org_id(slug)
    entities = [
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "LOCATION",
        "FR_NIR",
        "HEALTH",
        "IBAN_CODE",
    ]
    per_source = 5
    n_sources = findings // per_source
    with ws.db.session() as s:
        runs = []
        for m in range(1, 12):
            r = ScanRunRow(
                org_id=oid,
                kind="files",
                status="completed",
                started_at=datetime(YEAR, m, 3, 2, 0),
                settings={},
                counts={},
                actor="bench",
            )
            s.add(r)
            runs.append(r)
        s.flush()
        run_ids = [r.id for r in runs]
        src_rows = []
        for i in range(n_sources):
            folder = f"d{rnd.randrange(activities + 40):03d}"  # some folders are undeclared
            uri = f"{ROOT}/{folder}/f{i}.docx"
            src_rows.append(
                {
                    "org_id": oid,
                    "kind": "file",
                    "uri": uri,
                    "uri_hash": sha256_hex(uri),
                    "root": ROOT,
                    "modified_at": datetime(2015 + rnd.randrange(12), 1 + rnd.randrange(12), 1),
                    "status": "present",
                    "last_run_id": run_ids[-1],
                    "meta": {},
                }
            )
        s.execute(insert(ScanSourceRow), src_rows)
        ids = [
            r[0]
            for r in s.execute(
                ScanSourceRow.__table__.select()
                .with_only_columns(ScanSourceRow.id)
                .where(ScanSourceRow.org_id == oid)
                .order_by(ScanSourceRow.id)
            )
        ]
        f_rows = []
        for sid in ids:
            for e in rnd.sample(entities, per_source):
                f_rows.append(
                    {
                        "source_id": sid,
                        "org_id": oid,
                        "entity_type": e,
                        "count": rnd.randrange(1, 40),
                        "score": 0.8,
                        "special_category": e == "HEALTH",
                        "evidence": [],
                        "locations": [],
                        "first_run_id": rnd.choice(run_ids),
                        "last_run_id": run_ids[-1],
                    }
                )
        s.execute(insert(FindingRow), f_rows)
        s.execute(
            insert(ScanErrorRow),
            [
                {
                    "run_id": rnd.choice(run_ids),
                    "org_id": oid,
                    "source": f"{ROOT}/x/e{i}.pdf",
                    "reason": rnd.choice(["corrupt", "limit", "unsupported"]),
                    "message": "synthetic",
                    "at": datetime(YEAR, 1 + rnd.randrange(11), 3),
                }
                for i in range(300)
            ],
        )
        types = ["acces", "rectification", "effacement", "opposition", "limitation"]
        req_rows = []
        for i in range(requests):
            received = date(YEAR, 1, 1) + timedelta(days=rnd.randrange(320))
            due = received + timedelta(days=31)
            state = rnd.choice(["traitee", "traitee", "traitee", "refusee", "en_cours", "retiree"])
            closed = (
                received + timedelta(days=rnd.randrange(5, 50)) if state != "en_cours" else None
            )
            if closed and closed > TODAY:
                closed = TODAY
            req_rows.append(
                {
                    "org_id": oid,
                    "reference": f"G-{i:05d}",
                    "type": rnd.choice(types),
                    "state": state,
                    "channel": "web",
                    "received_on": received,
                    "lang": "fr",
                    "requester_role": "personne_concernee",
                    "mandate_verified": False,
                    "activities": [],
                    "due_on": due,
                    "original_due_on": due,
                    "extension_notice_due": due,
                    "extended": False,
                    "paused": False,
                    "closed_on": closed,
                    "payload": "v1$synthetic",
                }
            )
        s.execute(insert(RequestRow), req_rows)
        # events of open requests: received then started (the clock replays them)
        open_rows = s.execute(
            RequestRow.__table__.select()
            .with_only_columns(RequestRow.id, RequestRow.received_on)
            .where(RequestRow.org_id == oid, RequestRow.state == "en_cours")
        ).all()
        ev = []
        for rid, received in open_rows:
            at = datetime(received.year, received.month, received.day, 9)
            ev.append(
                {
                    "request_id": rid,
                    "seq": 0,
                    "action": "recevoir",
                    "at": at,
                    "on_date": received,
                    "actor": "a",
                    "from_state": None,
                    "to_state": "recue",
                }
            )
            ev.append(
                {
                    "request_id": rid,
                    "seq": 1,
                    "action": "instruire",
                    "at": at,
                    "on_date": received,
                    "actor": "a",
                    "from_state": "recue",
                    "to_state": "en_cours",
                }
            )
        if ev:
            s.execute(insert(RequestEventRow), ev)
