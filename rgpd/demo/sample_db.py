"""A realistic, synthetic commune database to scan: tests, the demo, benchmarks.

The canteen's family portal (families, children with diets and allergies,
invoices with IBANs, portal logs with IPs), HR (staff with NIR), the CCAS's
social-aid files (with health notes), and two tables that hold no personal data
at all (budget lines, equipment), so that a scanner's precision can be measured
as well as its recall. Everything is generated (Faker ``fr_FR``, valid NIR/IBAN
keys, ``@example.org`` addresses): no real person is in here.

:data:`EXPECTED` is the ground truth the benchmarks and tests grade a scan
against: which entity type each column holds, column by column.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    insert,
)
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from rgpd.taxonomy import Entity

#: Column → entity type expected from a scan; columns not listed hold no entity type.
EXPECTED: dict[str, dict[str, str]] = {
    "familles": {
        "nom": Entity.PERSON,
        "prenom": Entity.PERSON,
        "courriel": Entity.EMAIL_ADDRESS,
        "telephone": Entity.PHONE_NUMBER,
        "adresse": Entity.LOCATION,
        "code_postal": Entity.LOCATION,
        "ville": Entity.LOCATION,
        "iban": Entity.IBAN_CODE,
        # the family quotient is computed from the household's income (CAF): the
        # register declares it under "économique et financier"
        "quotient_familial": Entity.FINANCIAL_SITUATION,
    },
    "enfants": {
        "nom": Entity.PERSON,
        "prenom": Entity.PERSON,
        "date_naissance": Entity.DATE_OF_BIRTH,
        # "sans porc" may reveal a religious belief (Art. 9(1)): the CNIL advises
        # canteens to record the menu, never its reason; the scanner must flag it.
        "regime_alimentaire": Entity.RELIGION,
        "allergies": Entity.HEALTH,
    },
    "factures": {"iban": Entity.IBAN_CODE},
    "agents": {
        "nom": Entity.PERSON,
        "prenom": Entity.PERSON,
        "nir": Entity.FR_NIR,
        "date_naissance": Entity.DATE_OF_BIRTH,
        "telephone": Entity.PHONE_NUMBER,
        "email": Entity.EMAIL_ADDRESS,
    },
    "journal_portail": {"ip": Entity.IP_ADDRESS},
    "aides_sociales": {
        "demandeur_nom": Entity.PERSON,
        "demandeur_prenom": Entity.PERSON,
        "nir": Entity.FR_NIR,
        "note_sante": Entity.HEALTH,
    },
    "lignes_budgetaires": {},
    "equipements": {},
}

#: Tables that hold no personal data (the scanner must leave them clean).
CLEAN_TABLES = ("lignes_budgetaires", "equipements")


def commune_metadata() -> MetaData:
    """The schema, built fresh each call (a MetaData is bound to one use)."""
    md = MetaData()
    Table(
        "familles",
        md,
        Column("numero_famille", Integer, primary_key=True, autoincrement=False),
        Column("nom", String(80), nullable=False),
        Column("prenom", String(80), nullable=False),
        Column("courriel", String(160)),
        Column("telephone", String(20)),
        Column("adresse", String(200)),
        Column("code_postal", String(5)),
        Column("ville", String(80)),
        Column("iban", String(34)),
        Column("quotient_familial", Integer),
    )
    Table(
        "enfants",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("famille_id", Integer, ForeignKey("familles.numero_famille"), nullable=False),
        Column("nom", String(80), nullable=False),
        Column("prenom", String(80), nullable=False),
        Column("date_naissance", Date),
        Column("classe", String(10)),
        Column("regime_alimentaire", String(40)),
        Column("allergies", Text),
    )
    Table(
        "factures",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("famille_id", Integer, ForeignKey("familles.numero_famille"), nullable=False),
        Column("reference", String(20)),
        Column("montant", Numeric(10, 2)),
        Column("date", Date),
        Column("statut", String(20)),
        Column("iban", String(34)),
    )
    Table(
        "agents",
        md,
        Column("matricule", String(10), primary_key=True),
        Column("nom", String(80), nullable=False),
        Column("prenom", String(80), nullable=False),
        Column("nir", String(15)),
        Column("date_naissance", Date),
        Column("telephone", String(20)),
        Column("email", String(160)),
        Column("service", String(80)),
        Column("grade", String(80)),
    )
    Table(
        "journal_portail",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("famille_id", Integer, ForeignKey("familles.numero_famille")),
        Column("ip", String(45)),
        Column("horodatage", DateTime),
        Column("action", String(40)),
    )
    Table(
        "aides_sociales",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("demandeur_nom", String(80)),
        Column("demandeur_prenom", String(80)),
        Column("nir", BigInteger),  # stored as a number, as some old software does
        Column("situation", String(120)),
        Column("note_sante", Text),
        Column("date_demande", Date),
    )
    Table(
        "lignes_budgetaires",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("exercice", Integer),
        Column("chapitre", String(4)),
        Column("article", String(8)),
        Column("libelle", String(120)),
        Column("montant_prevu", Numeric(12, 2)),
        Column("montant_realise", Numeric(12, 2)),
    )
    Table(
        "equipements",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("numero_inventaire", String(20)),
        Column("designation", String(120)),
        Column("categorie", String(40)),
        Column("site", String(80)),
        Column("date_acquisition", Date),
        Column("valeur", Numeric(12, 2)),
    )
    return md


# -- identifiers with valid keys -------------------------------------------------------


def make_nir(rng: random.Random, sex: int, born: date) -> str:
    """A NIR whose key holds: 97 - (13 digits mod 97)."""
    dept = rng.choice([f"{d:02d}" for d in range(1, 96) if d != 20])
    body = f"{sex}{born.year % 100:02d}{born.month:02d}{dept}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def make_iban(rng: random.Random) -> str:
    """A French IBAN (27 characters) whose RIB key and IBAN check digits both hold."""
    from stdnum import iban

    bank, branch = rng.randint(10000, 99999), rng.randint(10000, 99999)
    account = rng.randint(10**9, 10**11 - 1)
    rib_key = 97 - (89 * bank + 15 * branch + 3 * account) % 97
    bban = f"{bank:05d}{branch:05d}{account:011d}{rib_key:02d}"
    check = iban.calc_check_digits("FR00" + bban)
    return f"FR{check}{bban}"


def group_iban(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def make_phone(rng: random.Random) -> str:
    prefix = rng.choice(["06", "07", "01", "02", "03", "04", "05", "09"])
    digits = prefix + "".join(str(rng.randint(0, 9)) for _ in range(8))
    style = rng.random()
    if style < 0.6:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style < 0.8:
        return digits
    if style < 0.9:
        return "+33 " + digits[1] + " " + " ".join(digits[i : i + 2] for i in range(2, 10, 2))
    return ".".join(digits[i : i + 2] for i in range(0, 10, 2))


def _ascii(s: str) -> str:
    decomposed = unicodedata.normalize("NFKD", s)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in kept.lower() if c.isalnum() or c in ".-")


def make_email(first: str, last: str, n: int) -> str:
    suffix = "" if n % 3 else str(n % 97)
    return f"{_ascii(first)}.{_ascii(last)}{suffix}@example.org"


# -- vocabularies ---------------------------------------------------------------------

_DIETS = ("standard", "standard", "standard", "végétarien", "sans porc", "sans viande")
_ALLERGIES = (
    "Allergie à l'arachide",
    "Allergie aux fruits à coque, trousse d'urgence avec adrénaline",
    "Intolérance au lactose",
    "Maladie cœliaque : régime sans gluten (PAI)",
    "Asthme allergique, PAI en cours",
    "Allergie aux œufs",
    "Diabète de type 1, PAI avec protocole insuline",
)
_CLASSES = ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
_SITUATIONS = (
    "Parent isolé, deux enfants à charge",
    "Couple sans emploi, trois enfants",
    "Personne seule, bénéficiaire du RSA",
    "Retraité, petite pension",
    "Demandeur d'emploi en fin de droits",
    "Famille hébergée chez un tiers",
)
_HEALTH = (
    "Diabète de type 2, suivi médical régulier",
    "Reconnaissance de handicap MDPH, taux d'incapacité 80 %",
    "Hospitalisation récente, convalescence de plusieurs mois",
    "Dépression sévère, suivi psychiatrique hebdomadaire",
    "Traitement de chimiothérapie en cours pour un cancer",
    "Insuffisance respiratoire, oxygénothérapie à domicile",
    "Maladie d'Alzheimer diagnostiquée, perte d'autonomie",
    "Affection de longue durée (ALD), soins infirmiers à domicile",
)
_SERVICES = (
    "Services techniques",
    "Affaires scolaires",
    "État civil",
    "CCAS",
    "Finances",
    "Police municipale",
    "Médiathèque",
)
_GRADES = (
    "Adjoint technique",
    "Adjoint administratif",
    "Rédacteur",
    "Attaché territorial",
    "Agent de maîtrise",
    "Technicien",
    "ATSEM principal",
)
_ACTIONS = (
    "connexion",
    "deconnexion",
    "inscription_cantine",
    "paiement_facture",
    "modification_coordonnees",
    "reservation_periscolaire",
)
_BUDGET = (
    ("011", "60611", "Eau et assainissement"),
    ("011", "60612", "Énergie - électricité"),
    ("011", "6042", "Achats de prestations de services"),
    ("011", "61521", "Entretien de terrains"),
    ("012", "64111", "Rémunération principale des titulaires"),
    ("012", "6451", "Cotisations à l'URSSAF"),
    ("65", "6574", "Subventions de fonctionnement aux associations"),
    ("66", "66111", "Intérêts réglés à l'échéance"),
    ("21", "2183", "Matériel de bureau et matériel informatique"),
    ("23", "2313", "Constructions en cours"),
)
_EQUIPMENT = (
    ("Tondeuse autoportée", "espaces verts"),
    ("Ordinateur portable", "informatique"),
    ("Vidéoprojecteur", "informatique"),
    ("Lave-vaisselle professionnel", "restauration"),
    ("Four mixte 10 niveaux", "restauration"),
    ("Photocopieur multifonction", "bureautique"),
    ("Camion benne 3,5 t", "véhicules"),
    ("Débroussailleuse thermique", "espaces verts"),
    ("Tables pliantes (lot de 20)", "fêtes et cérémonies"),
    ("Défibrillateur automatique", "sécurité"),
)
_SITES = (
    "Mairie",
    "Groupe scolaire des Tilleuls",
    "Centre technique municipal",
    "Salle polyvalente",
    "Stade municipal",
    "Médiathèque",
    "Restaurant scolaire",
    "École Jules Ferry",
)


# -- rows -----------------------------------------------------------------------------


def _rows(families: int, seed: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield (table, batch of rows) in foreign-key order."""
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    today = date(2025, 1, 15)  # fixed: the same seed gives the same database

    fams: list[dict[str, Any]] = []
    for n in range(1, families + 1):
        last, first = fake.last_name(), fake.first_name()
        fams.append(
            {
                "numero_famille": n,
                "nom": last,
                "prenom": first,
                "courriel": make_email(first, last, n),
                "telephone": make_phone(rng),
                "adresse": fake.street_address(),
                "code_postal": fake.postcode(),
                "ville": fake.city(),
                "iban": make_iban(rng) if rng.random() < 0.8 else None,
                "quotient_familial": rng.randint(300, 2500),
            }
        )
    yield from _batched("familles", fams)

    kids: list[dict[str, Any]] = []
    for f in fams:
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            born = today - timedelta(days=rng.randint(3 * 365, 11 * 365))
            kids.append(
                {
                    "id": len(kids) + 1,
                    "famille_id": f["numero_famille"],
                    "nom": f["nom"],
                    "prenom": fake.first_name(),
                    "date_naissance": born,
                    "classe": rng.choice(_CLASSES),
                    "regime_alimentaire": rng.choice(_DIETS),
                    "allergies": rng.choice(_ALLERGIES) if rng.random() < 0.15 else None,
                }
            )
    yield from _batched("enfants", kids)

    bills: list[dict[str, Any]] = []
    for f in fams:
        for month in range(1, rng.randint(2, 6)):
            bills.append(
                {
                    "id": len(bills) + 1,
                    "famille_id": f["numero_famille"],
                    "reference": f"FAC-2024-{len(bills) + 1:06d}",
                    "montant": round(rng.uniform(12, 240), 2),
                    "date": date(2024, month, 28),
                    "statut": rng.choice(("payée", "payée", "en attente", "relancée")),
                    "iban": (group_iban(f["iban"]) if rng.random() < 0.5 else f["iban"])
                    if f["iban"]
                    else None,
                }
            )
    yield from _batched("factures", bills)

    staff: list[dict[str, Any]] = []
    for n in range(1, max(10, families // 5) + 1):
        sex = rng.choice((1, 2))
        first = fake.first_name_male() if sex == 1 else fake.first_name_female()
        last = fake.last_name()
        born = date(rng.randint(1962, 2002), rng.randint(1, 12), rng.randint(1, 28))
        staff.append(
            {
                "matricule": f"A{n:05d}",
                "nom": last.upper() if rng.random() < 0.3 else last,
                "prenom": first,
                "nir": make_nir(rng, sex, born),
                "date_naissance": born,
                "telephone": make_phone(rng),
                "email": make_email(first, last, n),
                "service": rng.choice(_SERVICES),
                "grade": rng.choice(_GRADES),
            }
        )
    yield from _batched("agents", staff)

    logs: list[dict[str, Any]] = []
    start = datetime(2024, 9, 1, 7, 0, 0)
    for n in range(1, families * 4 + 1):
        logs.append(
            {
                "id": n,
                "famille_id": rng.randint(1, families),
                "ip": fake.ipv4_public() if rng.random() < 0.85 else fake.ipv6(),
                "horodatage": start + timedelta(minutes=37 * n + rng.randint(0, 30)),
                "action": rng.choice(_ACTIONS),
            }
        )
    yield from _batched("journal_portail", logs)

    aids: list[dict[str, Any]] = []
    for n in range(1, max(10, families // 4) + 1):
        sex = rng.choice((1, 2))
        born = date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28))
        aids.append(
            {
                "id": n,
                "demandeur_nom": fake.last_name(),
                "demandeur_prenom": fake.first_name_male()
                if sex == 1
                else fake.first_name_female(),
                "nir": int(make_nir(rng, sex, born)),
                "situation": rng.choice(_SITUATIONS),
                "note_sante": rng.choice(_HEALTH) if rng.random() < 0.6 else None,
                "date_demande": today - timedelta(days=rng.randint(1, 900)),
            }
        )
    yield from _batched("aides_sociales", aids)

    budget: list[dict[str, Any]] = []
    for year in (2022, 2023, 2024):
        for chap, art, label in _BUDGET:
            planned = round(rng.uniform(2_000, 400_000), 2)
            budget.append(
                {
                    "id": len(budget) + 1,
                    "exercice": year,
                    "chapitre": chap,
                    "article": art,
                    "libelle": label,
                    "montant_prevu": planned,
                    "montant_realise": round(planned * rng.uniform(0.7, 1.05), 2),
                }
            )
    yield from _batched("lignes_budgetaires", budget)

    equipment: list[dict[str, Any]] = []
    for n in range(1, max(20, families // 10) + 1):
        label, cat = rng.choice(_EQUIPMENT)
        bought = date(rng.randint(2008, 2024), rng.randint(1, 12), rng.randint(1, 28))
        equipment.append(
            {
                "id": n,
                "numero_inventaire": f"EQ-{bought.year}-{n:04d}",
                "designation": label,
                "categorie": cat,
                "site": rng.choice(_SITES),
                "date_acquisition": bought,
                "valeur": round(rng.uniform(150, 60_000), 2),
            }
        )
    yield from _batched("equipements", equipment)


def _batched(
    table: str, rows: Sequence[dict[str, Any]], size: int = 2000
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for i in range(0, len(rows), size):
        yield table, list(rows[i : i + size])


def _engine(url: str) -> Engine:
    from rgpd.storage.db import normalise_url

    u = normalise_url(url)
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if u.startswith("mysql"):
        kwargs["connect_args"] = {"charset": "utf8mb4"}
    return create_engine(u, **kwargs)


def seed_commune_db(url: str, *, families: int = 500, seed: int = 0) -> dict[str, int]:
    """Create (replacing) the commune's tables in ``url`` and fill them; returns row counts.

    Same ``seed`` and ``families`` → same rows, so a benchmark's ground truth is stable.
    """
    if families < 1:
        raise ValueError("families must be at least 1")
    md = commune_metadata()
    engine = _engine(url)
    counts: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            md.drop_all(conn)
            md.create_all(conn)
            for name, batch in _rows(families, seed):
                conn.execute(insert(md.tables[name]), batch)
                counts[name] = counts.get(name, 0) + len(batch)
            _analyze(conn, md)
    finally:
        engine.dispose()
    return counts


def _analyze(conn: Any, md: MetaData) -> None:
    """Refresh the catalog statistics the scanner reads its row estimates from."""
    from sqlalchemy import text

    dialect = conn.dialect.name
    if dialect == "postgresql":
        for t in md.sorted_tables:
            conn.execute(text(f'ANALYZE "{t.name}"'))
    elif dialect in ("mysql", "mariadb"):
        for t in md.sorted_tables:
            conn.execute(text(f"ANALYZE TABLE `{t.name}`"))
    elif dialect == "sqlite":
        conn.execute(text("ANALYZE"))


def expected_pairs(tables: Sequence[str] | None = None) -> set[tuple[str, str, str]]:
    """Ground truth as (table, column, entity type) triples."""
    return {
        (t, c, str(e))
        for t, cols in EXPECTED.items()
        if tables is None or t in tables
        for c, e in cols.items()
    }
