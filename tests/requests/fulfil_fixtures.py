"""A commune for the fulfilment tests: a seeded database, a scanned share, a register.

Everything is synthetic (``seed_commune_db``, Faker ``fr_FR``, example.org/.net
addresses). The database is seeded once per test module and backend; tests
that change it each work on their own family, and check the others with
independent SQL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Engine

from rgpd.config import Connection
from rgpd.demo.sample_db import seed_commune_db
from rgpd.demo.samples import write_sample_share
from rgpd.registry import service as registry
from rgpd.registry.model import (
    Activity,
    DataCategoryUse,
    DataLocation,
    ErasureRule,
    ErasureStrategy,
    LegalBasis,
    Organisation,
    PersonIdentifier,
    Recipient,
    RecipientKind,
    Retention,
)
from rgpd.requests import service
from rgpd.requests.intake import Submission
from rgpd.requests.model import Channel, RequestType
from rgpd.scan.executor import InlineExecutor
from rgpd.scan.files import scan_files
from rgpd.workspace import Workspace

from ..conftest import _reset, make_workspace

ORG = "saint-exemple"
CONN = "portail"
FAMILIES = 1000  # ~ 1,000 parents, 1,800 children, 200 agents, 250 aid applicants
SEED = 6


def activities() -> list[Activity]:
    """The register of the commune as far as the sample database goes."""
    return [
        Activity(
            ref="portail-famille",
            name="Portail famille et restauration scolaire",
            purposes=["Inscription à la cantine", "Facturation des repas"],
            legal_basis=LegalBasis.CONTRACT,
            data_categories=[
                DataCategoryUse(
                    category="etat_civil", retention=Retention(active="2y", final="destruction")
                ),
                DataCategoryUse(category="coordonnees"),
            ],
            recipients=[
                Recipient(name="Trésorerie municipale", kind=RecipientKind.EXTERNAL),
                Recipient(name="Éditeur du portail", kind=RecipientKind.PROCESSOR),
            ],
            software=["Portail famille"],
            data_locations=[
                DataLocation(
                    kind="database",
                    connection=CONN,
                    table="familles",
                    columns=["numero_famille", "nom", "prenom", "courriel", "telephone", "iban"],
                ),
                DataLocation(kind="database", connection=CONN, table="enfants"),
                DataLocation(kind="database", connection=CONN, table="factures"),
                DataLocation(kind="files", path="periscolaire/**"),
            ],
            person_identifiers=[
                PersonIdentifier(key="numero_famille", column="familles.numero_famille"),
                PersonIdentifier(key="email", entity="EMAIL_ADDRESS", column="familles.courriel"),
                PersonIdentifier(
                    key="telephone", entity="PHONE_NUMBER", column="familles.telephone"
                ),
            ],
            erasure=ErasureStrategy(
                rules=[
                    ErasureRule(
                        table="factures",
                        action="supprimer",
                        retention="10y",
                        retention_column="date",
                        reason="pièces comptables (CGCT, art. L1617-3)",
                    ),
                    ErasureRule(path="periscolaire/**", action="pseudonymiser"),
                ]
            ),
        ),
        Activity(
            ref="rh-paie",
            name="Gestion du personnel et paie",
            purposes=["Paie"],
            legal_basis=LegalBasis.LEGAL_OBLIGATION,
            legal_basis_text="Code général de la fonction publique",
            recipients=[Recipient(name="URSSAF", kind=RecipientKind.EXTERNAL)],
            data_locations=[
                DataLocation(kind="database", connection=CONN, table="agents"),
                DataLocation(kind="files", path="rh/**"),
            ],
            person_identifiers=[
                PersonIdentifier(key="matricule", column="agents.matricule"),
                PersonIdentifier(key="nir", entity="FR_NIR", column="agents.nir"),
                PersonIdentifier(key="email", entity="EMAIL_ADDRESS", column="agents.email"),
            ],
        ),
        Activity(
            ref="aides-sociales",
            name="Aides sociales facultatives",
            legal_basis=LegalBasis.PUBLIC_TASK,
            data_locations=[DataLocation(kind="database", connection=CONN, table="aides_sociales")],
            person_identifiers=[
                PersonIdentifier(key="nir", entity="FR_NIR", column="aides_sociales.nir"),
                PersonIdentifier(key="nom_date_naissance", entity="PERSON"),
            ],
        ),
    ]


@dataclass
class Commune:
    ws: Workspace
    url: str
    backend: str
    share: Path
    planted: dict[str, Path] = field(default_factory=dict)

    def engine(self) -> Engine:
        from rgpd.storage.db import normalise_url

        return create_engine(normalise_url(self.url))

    def sql(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Independent SQL: plain text queries, nothing from rgpd."""
        eng = self.engine()
        try:
            with eng.connect() as c:
                return [dict(r) for r in c.execute(text(query), params).mappings()]
        finally:
            eng.dispose()

    def family(self, n: int) -> dict[str, Any]:
        return self.sql("SELECT * FROM familles WHERE numero_famille = :n", n=n)[0]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reasons and notes are asserted in English (the French catalog is filled separately)."""
    from rgpd.i18n import get_language, set_language

    before = get_language()
    set_language("en")
    yield
    set_language(before)


def server_url(request: pytest.FixtureRequest, backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'commune.db'}"
    url = request.getfixturevalue(
        "pg_server_url" if backend == "postgresql" else "mariadb_server_url"
    )
    _reset(url)
    return url


def plant(root: Path, commune: Commune, n: int, others: list[int]) -> dict[str, Path]:
    """Files about family ``n`` (and, on the same pages, other families: third parties)."""
    me = commune.family(n)
    them = [commune.family(o) for o in others]
    folder = root / "periscolaire"
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    letter = folder / f"courrier_{n}.txt"
    letter.write_text(
        f"Objet : inscription à la cantine\n"
        f"Madame, Monsieur,\n"
        f"Je soussignée {me['prenom']} {me['nom']}, joignable au {me['telephone']} "
        f"ou à {me['courriel']}, demande l'inscription de mes enfants.\n"
        f"Copie à {them[0]['prenom']} {them[0]['nom']}, {them[0]['courriel']}, "
        f"tél. {them[0]['telephone']}.\n"
        f"Cordialement.\n",
        encoding="utf-8",
    )
    out["letter"] = letter
    listing = folder / f"liste_cantine_{n}.csv"
    rows = ["Nom;Prénom;Téléphone;Courriel"]
    for f in [them[1], me, them[2]]:
        rows.append(f"{f['nom']};{f['prenom']};{f['telephone']};{f['courriel']}")
    listing.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out["listing"] = listing
    note = folder / f"note_{n}.txt"
    note.write_text(
        f"Réunion du conseil d'école : la situation de {me['prenom'].lower()} "
        f"{me['nom'].lower()} sera évoquée.\n",
        encoding="utf-8",
    )
    out["note"] = note
    return out


def build_commune(
    request: pytest.FixtureRequest,
    backend: str,
    tmp: Path,
    *,
    persons: dict[int, list[int]],
    families: int = FAMILIES,
    share_files: int = 16,
) -> Commune:
    url = server_url(request, backend, tmp)
    seed_commune_db(url, families=families, seed=SEED)
    ws = make_workspace(f"sqlite:///{tmp / 'rgpd.db'}", tmp)
    ws.settings.connections[CONN] = Connection(name=CONN, url=url)
    registry.add_org(
        ws,
        Organisation(
            slug=ORG,
            name="Ville de Saint-Exemple",
            dpo_name="DPO mutualisé",
            dpo_email="dpo@example.org",
        ),
    )
    for a in activities():
        registry.add_activity(ws, ORG, a)
    share = tmp / "partage"
    write_sample_share(share, n_files=share_files, seed=SEED)
    commune = Commune(ws, url, backend, share)
    for n, others in persons.items():
        commune.planted.update({f"{k}_{n}": v for k, v in plant(share, commune, n, others).items()})
    with InlineExecutor() as ex:
        scan_files(ws, ORG, [str(share)], depth="quick", executor=ex)
    return commune


def new_request(
    commune: Commune,
    right: RequestType,
    activities: tuple[str, ...],
    *,
    first: str,
    last: str,
    email: str = "",
    phone: str = "",
    birth: date | None = None,
    identifiers: dict[str, str] | None = None,
    lang: str = "fr",
) -> str:
    sub = Submission(
        right=right,
        activities=activities,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        birth_date=birth,
        identifiers=identifiers or {},
        lang=lang,
    )
    done = service.submit(commune.ws, ORG, sub, channel=Channel.COUNTER, require_verification=False)
    service.start(commune.ws, ORG, done.record.reference)
    return done.record.reference


def family_request(commune: Commune, n: int, right: RequestType, **kw: Any) -> str:
    f = commune.family(n)
    return new_request(
        commune,
        right,
        ("portail-famille",),
        first=f["prenom"],
        last=f["nom"],
        email=f["courriel"],
        phone=f["telephone"],
        **kw,
    )


def _pk(table: str) -> str:
    return {"agents": "matricule", "familles": "numero_famille"}.get(table, "id")


TABLES = (
    "familles",
    "enfants",
    "factures",
    "agents",
    "journal_portail",
    "aides_sociales",
    "lignes_budgetaires",
    "equipements",
)


def checksums(commune: Commune) -> dict[tuple[str, str], str]:
    """(table, primary key) → digest of the whole row, read with plain SQL."""
    out: dict[tuple[str, str], str] = {}
    eng = commune.engine()
    try:
        with eng.connect() as c:
            for t in TABLES:
                for r in c.execute(text(f"SELECT * FROM {t} ORDER BY {_pk(t)}")).mappings():
                    row = {k: str(v) for k, v in r.items()}
                    out[(t, str(r[_pk(t)]))] = hashlib.sha256(
                        json.dumps(row, sort_keys=True).encode()
                    ).hexdigest()
    finally:
        eng.dispose()
    return out


def family_keys(commune: Commune, n: int) -> dict[str, set[str]]:
    """Every row of family ``n`` and its dependants, by independent SQL."""
    q = {
        "familles": "SELECT numero_famille AS k FROM familles WHERE numero_famille = :n",
        "enfants": "SELECT id AS k FROM enfants WHERE famille_id = :n",
        "factures": "SELECT id AS k FROM factures WHERE famille_id = :n",
        "journal_portail": "SELECT id AS k FROM journal_portail WHERE famille_id = :n",
    }
    return {t: {str(r["k"]) for r in commune.sql(sql, n=n)} for t, sql in q.items()}


def foreign_keys(commune: Commune) -> dict[str, list[Any]]:
    md = MetaData()
    eng = commune.engine()
    try:
        md.reflect(eng)
    finally:
        eng.dispose()
    return {
        t.name: sorted(
            (fk.referred_table.name, tuple(e.parent.name for e in fk.elements))
            for fk in t.foreign_key_constraints
        )
        for t in md.tables.values()
    }


def orphans(commune: Commune) -> int:
    total = 0
    for child in ("enfants", "factures", "journal_portail"):
        total += int(
            commune.sql(
                f"SELECT COUNT(*) AS n FROM {child} c LEFT JOIN familles f "
                "ON f.numero_famille = c.famille_id WHERE c.famille_id IS NOT NULL "
                "AND f.numero_famille IS NULL"
            )[0]["n"]
        )
    return total


def commune_fixture(
    request: pytest.FixtureRequest,
    tmp_factory: pytest.TempPathFactory,
    persons: dict[int, list[int]],
) -> Iterator[Commune]:
    backend = str(request.param)
    tmp = tmp_factory.mktemp(f"commune-{backend}")
    c = build_commune(request, backend, tmp, persons=persons)
    yield c
    c.ws.db.dispose()
