"""How a password column keeps its values: clear, weak hash or properly hashed (Art. 32(1)(a)).

Every value here is synthetic: random strings of the *shape* of a bcrypt, argon2, PBKDF2,
SHA-crypt or MD5-crypt hash, random hex for fast digests, Faker passwords for clear ones.
No real hash of a real password is needed: the classifier reads shapes, nothing else.
"""

from __future__ import annotations

import json
import logging
import random
import string
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from rgpd.registry import service
from rgpd.registry.model import Organisation
from rgpd.scan.columns import (
    ColumnKind,
    PasswordStorage,
    StorageVerdict,
    judge_password_storage,
    names_a_password,
    password_storage_of,
)
from rgpd.scan.database import ColumnInfo, TableInfo, judge_table
from rgpd.storage.scan_tables import FindingRow
from rgpd.workspace import Workspace
from tests.scan.conftest import FreshUrl, seed
from tests.scan.test_database_scan import _dump_store, connect, run_cli, scan

TODAY = date(2025, 3, 1)
RNG = random.Random(32)
CRYPT64 = "./" + string.ascii_letters + string.digits
B64 = string.ascii_letters + string.digits + "+/"


def r(n: int, alphabet: str = CRYPT64) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def hexd(n: int) -> str:
    return "".join(RNG.choice("0123456789abcdef") for _ in range(n))


def bcrypt_like() -> str:
    return f"$2b$12${r(53)}"


C, W, H, U = (
    PasswordStorage.CLEAR,
    PasswordStorage.WEAK_HASH,
    PasswordStorage.HASHED,
    PasswordStorage.UNKNOWN,
)

CASES = [
    # slow, salted functions in their usual encodings
    ("bcrypt 2b", f"$2b$12${r(53)}", H),
    ("bcrypt 2a", f"$2a$10${r(53)}", H),
    ("bcrypt 2y (PHP)", f"$2y$10${r(53)}", H),
    ("argon2id", f"$argon2id$v=19$m=65536,t=3,p=4${r(22, B64)}${r(43, B64)}", H),
    ("argon2i no version", f"$argon2i$m=4096,t=3,p=1${r(16, B64)}${r(32, B64)}", H),
    ("scrypt passlib", f"$scrypt$ln=16,r=8,p=1${r(22, B64)}${r(43, B64)}", H),
    ("scrypt crypt(3)", f"$7$C6..../....{r(16)}${r(43)}", H),
    ("django scrypt", f"scrypt${r(22, B64)}$16384$8$1${r(88, B64)}", H),
    ("django pbkdf2", f"pbkdf2_sha256$870000${r(22, B64)}${r(43, B64)}=", H),
    ("passlib pbkdf2", f"$pbkdf2-sha256$29000${r(22)}${r(43)}", H),
    ("sha512-crypt", f"$6${r(16)}${r(86)}", H),
    ("sha256-crypt rounds", f"$5$rounds=535000${r(16)}${r(43)}", H),
    ("yescrypt", f"$y$j9T${r(22)}${r(43)}", H),
    ("django bcrypt_sha256", f"bcrypt_sha256$$2b$12${r(53)}", H),
    ("django argon2", f"argon2$argon2id$v=19$m=102400,t=2,p=8${r(22, B64)}${r(22, B64)}", H),
    ("spring bcrypt", f"{{bcrypt}}$2a$10${r(53)}", H),
    ("LDAP crypt sha512", f"{{CRYPT}}$6${r(16)}${r(86)}", H),
    ("locked shadow entry", f"!$6${r(16)}${r(86)}", H),
    # fast digests, salted or not, and MD5-crypt
    ("md5 hex", hexd(32), W),
    ("ntlm upper hex", hexd(32).upper(), W),
    ("sha1 hex", hexd(40), W),
    ("sha256 hex", hexd(64), W),
    ("sha512 hex", hexd(128), W),
    ("md5-crypt", f"$1${r(8)}${r(22)}", W),
    ("apache md5", f"$apr1${r(8)}${r(22)}", W),
    ("mysql PASSWORD()", "*" + hexd(40).upper(), W),
    ("django salted sha1", f"sha1${r(12, string.ascii_letters)}${hexd(40)}", W),
    ("LDAP SSHA", "{SSHA}" + r(32, B64), W),
    ("base64 sha256", r(43, B64) + "=", W),
    # clear passwords, including look-alikes of hashes
    ("word and digits", "Soleil2024!", C),
    ("passphrase", "cheval-agrafe-pile", C),
    ("pin", "4821", C),
    ("40 hex-ish letters", "abcdefabcdefghijabcdefabcdefabcdefabcdef", C),
    ("mixed-case hex", "DeadBeefCafeBabe" * 2, C),
    ("hex of no digest length", hexd(30), C),
    ("dollar inside", "pa$$word", C),
    ("spring noop", "{noop}Marseille13", C),
    # not recognised: a broken or unknown hash, a locked account
    ("bcrypt cut short", f"$2b$12${r(50)}", U),
    ("bcrypt too long", f"$2b$12${r(60)}", U),
    ("bcrypt bad cost", f"$2b$1${r(53)}", U),
    ("unknown scheme", f"$zz9${r(10)}${r(30)}", U),
    ("locked", "!", U),
    ("disabled", "*", U),
]


@pytest.mark.parametrize(("label", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_storage_is_read_from_the_shape(
    label: str, value: str, expected: PasswordStorage
) -> None:
    assert password_storage_of(value) == expected


@pytest.mark.parametrize(
    ("column", "password"),
    [
        ("mot_de_passe", True),
        ("motDePasse", True),
        ("password", True),
        ("PasswordHash", True),
        ("pwd", True),
        ("mdp", True),
        ("user_passwd", True),
        ("code_pin", True),
        # machine secrets a system must read back: not a password
        ("api_token", False),
        ("api_key", False),
        ("client_secret", False),
        ("jeton", False),
        # beside the password: its salt, its hint, facts about it
        ("password_salt", False),
        ("passwordsalt", False),
        ("mot_de_passe_indice", False),
        ("password_hint", False),
        ("password_changed_at", False),
        # not a secret at all: a 32-hex column elsewhere is no concern of this rule
        ("checksum", False),
        ("md5", False),
    ],
)
def test_only_password_columns_are_concerned(column: str, password: bool) -> None:
    assert names_a_password(column) is password


def test_the_worst_class_wins_and_shares_are_kept() -> None:
    values = [bcrypt_like() for _ in range(8)] + ["Bonjour123", hexd(40)]
    got = judge_password_storage(values)
    assert got is not None
    assert got.storage == C and got.sampled == 10
    assert got.shares == {"clear": 0.1, "weak_hash": 0.1, "hashed": 0.8}
    only_hashed = judge_password_storage([bcrypt_like() for _ in range(5)] + ["*"])
    assert only_hashed is not None and only_hashed.storage == H
    assert only_hashed.shares == {"hashed": round(5 / 6, 4), "unknown": round(1 / 6, 4)}
    unknown = judge_password_storage(["!", "*", "!!"])
    assert unknown is not None and unknown.storage == U
    assert judge_password_storage(["", "  "]) is None
    assert StorageVerdict.from_public(got.public()) == got
    assert StorageVerdict.from_public({"storage": "nonsense"}) is None


def test_the_table_judge_reads_passwords_for_their_shape_only() -> None:
    from rgpd.scan.detect.types import Detection

    seen: list[str] = []

    def detect_many(texts: list[str]) -> list[list[Detection]]:
        seen.extend(texts)
        return [[] for _ in texts]

    clear = [f"Motdepasse{i}!" for i in range(6)]
    tokens = [hexd(32) for _ in range(6)]
    rows = [(i, f"agent{i}@example.org", clear[i], tokens[i]) for i in range(6)]
    cols = (
        ColumnInfo("id", "INTEGER", ColumnKind.INTEGER),
        ColumnInfo("courriel", "TEXT", ColumnKind.TEXT),
        ColumnInfo("mot_de_passe", "TEXT", ColumnKind.TEXT),
        ColumnInfo("api_token", "TEXT", ColumnKind.TEXT),
    )
    judged = {
        j.column.name: j
        for j in judge_table(
            TableInfo(None, "comptes", cols, ("id",)),
            cols,
            rows,
            detect_many,
            lambda e, v: v,
            TODAY,
        )
    }
    st = judged["mot_de_passe"].storage
    assert st is not None and st.storage == C and st.shares == {"clear": 1.0}
    assert judged["api_token"].storage is None  # a token, not a password: not concerned
    assert judged["courriel"].storage is None
    assert not set(clear) & set(seen) and not set(tokens) & set(seen)
    assert judged["mot_de_passe"].evidence == {"CREDENTIAL": []}
    assert judged["mot_de_passe"].tokens == {"CREDENTIAL": {}}


# --------------------------------------------------------------------- on real databases

_DDL = {
    "usagers_portail": "CREATE TABLE usagers_portail (id INTEGER PRIMARY KEY, "
    "courriel VARCHAR(120), mot_de_passe VARCHAR(64))",
    "comptes_agents": "CREATE TABLE comptes_agents (id INTEGER PRIMARY KEY, "
    "courriel VARCHAR(120), password_hash VARCHAR(80), password_salt VARCHAR(40))",
    "anciens_comptes": "CREATE TABLE anciens_comptes (id INTEGER PRIMARY KEY, "
    "courriel VARCHAR(120), pwd VARCHAR(64))",
    "clients_api": "CREATE TABLE clients_api (id INTEGER PRIMARY KEY, courriel VARCHAR(120), "
    "api_token VARCHAR(64))",
}


def _accounts(n: int = 30) -> dict[str, list[dict[str, object]]]:
    from faker import Faker

    fake = Faker("fr_FR")
    Faker.seed(7)
    return {
        "usagers_portail": [
            {"i": i, "c": f"usager{i}@example.org", "p": fake.password(length=12)}
            for i in range(1, n + 1)
        ],
        "comptes_agents": [
            {"i": i, "c": f"agent{i}@example.org", "p": bcrypt_like(), "s": hexd(32)}
            for i in range(1, n + 1)
        ],
        "anciens_comptes": [
            {"i": i, "c": f"ancien{i}@example.org", "p": hexd(40)} for i in range(1, n + 1)
        ],
        "clients_api": [
            {"i": i, "c": f"client{i}@example.org", "p": hexd(32)} for i in range(1, n + 1)
        ],
    }


_INSERT = {
    "usagers_portail": "INSERT INTO usagers_portail VALUES (:i, :c, :p)",
    "comptes_agents": "INSERT INTO comptes_agents VALUES (:i, :c, :p, :s)",
    "anciens_comptes": "INSERT INTO anciens_comptes VALUES (:i, :c, :p)",
    "clients_api": "INSERT INTO clients_api VALUES (:i, :c, :p)",
}


def _accounts_db(url: str, data: dict[str, list[dict[str, object]]]) -> str:
    """``url``, an empty database, given the tables of ``data`` and their rows."""
    for table, rows in data.items():
        seed(url, _DDL[table], _INSERT[table], rows)
    return url


def _raw_values(data: dict[str, list[dict[str, object]]]) -> list[str]:
    return [str(row[k]) for rows in data.values() for row in rows for k in ("p", "s") if k in row]


@pytest.fixture
def mairie(ws: Workspace) -> Workspace:
    service.add_org(ws, Organisation(slug="mairie", name="Ville de Saint-Exemple"))
    return ws


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_password_storage_is_reported_on_each_dialect(
    mairie: Workspace,
    dialect: str,
    fresh_url: FreshUrl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = _accounts()
    url = _accounts_db(fresh_url(dialect), data)
    connect(mairie, "portail", url)
    with caplog.at_level(logging.DEBUG, logger="rgpd"):
        res = scan(mairie, "portail")
        again = scan(mairie, "portail")  # unchanged tables: read back from the store
    stored = _dump_store(mairie)
    with mairie.db.session() as s:
        locations = [loc for (locs,) in s.execute(select(FindingRow.locations)) for loc in locs]
    assert res.status == "completed" and not res.errors
    assert again.counts["unchanged"] == 4
    for result in (res, again):
        got = {
            (f.table, f.column): f.password_storage.storage
            for f in result.findings
            if f.password_storage is not None
        }
        assert got == {
            ("usagers_portail", "mot_de_passe"): C,
            ("comptes_agents", "password_hash"): H,
            ("anciens_comptes", "pwd"): W,
        }
        creds = {f.column for f in result.findings if f.entity_type == "CREDENTIAL"}
        assert {"password_salt", "api_token"} <= creds  # still secrets, but not passwords
    by_col = {f.column: f for f in res.findings if f.password_storage}
    assert by_col["mot_de_passe"].public()["password_storage"] == {
        "storage": "clear",
        "sampled": 30,
        "shares": {"clear": 1.0},
    }
    assert sorted(
        loc["password_storage"]["storage"] for loc in locations if "password_storage" in loc
    ) == [
        "clear",
        "hashed",
        "weak_hash",
    ]
    # a summary's briefs read a credential's storage too: the same severities
    from rgpd.scan.findings import iter_finding_briefs, list_findings

    records = list_findings(mairie, "mairie")
    assert [(b.source, b.severity) for b in iter_finding_briefs(mairie, "mairie")] == [
        (f.source, f.severity) for f in records
    ]
    assert {f.severity.value for f in records if f.password_storage in ("clear", "weak_hash")} == {
        "high"
    }
    out = json.dumps([f.public() for f in res.findings])
    for raw in _raw_values(data):
        assert raw not in stored and raw not in caplog.text and raw not in out


def test_scan_db_and_findings_show_how_passwords_are_kept(
    tmp_path: Path, fresh_url: FreshUrl
) -> None:
    from rgpd.config import load_settings
    from rgpd.crypto import KeyRing
    from rgpd.workspace import open_workspace

    data = _accounts(12)
    url = _accounts_db(fresh_url("sqlite"), data)
    cfg = tmp_path / "rgpd.toml"
    cfg.write_text(
        f'[rgpd]\ndatabase_url = "sqlite:///{tmp_path / "store.db"}"\norg = "mairie"\n'
        f'[connections.portail]\nurl = "{url}"\n',
        encoding="utf-8",
    )
    settings = load_settings(config_file=cfg)
    KeyRing.generate().save(settings.path(settings.key_file))
    ws = open_workspace(settings)
    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    ws.db.dispose()
    base = ["--config", str(cfg)]
    code, out = run_cli([*base, "scan", "db", "portail", "--depth", "quick"])
    assert code == 0, out
    assert "usagers_portail.mot_de_passe: passwords stored in clear (Art. 32(1)(a)), 100%" in out
    assert "anciens_comptes.pwd: passwords under a weak hash" in out
    assert "comptes_agents.password_hash: passwords hashed with a slow, salted function" in out
    assert "CNIL deliberation 2022-100" in out
    code, jl = run_cli([*base, "scan", "db", "portail", "--depth", "quick", "--format", "jsonl"])
    lines = [json.loads(x) for x in jl.splitlines() if x.startswith("{")]
    storage = {
        x["column"]: x["password_storage"]["storage"] for x in lines if x["password_storage"]
    }
    assert storage == {"mot_de_passe": "clear", "password_hash": "hashed", "pwd": "weak_hash"}
    # kept in clear or under a weak hash: high, so `--fail-on high` trips (Art. 32(1)(a))
    severity = {x["column"]: x["severity"] for x in lines if x["password_storage"]}
    assert severity == {"mot_de_passe": "high", "password_hash": "medium", "pwd": "high"}
    code, _out = run_cli([*base, "scan", "db", "portail", "--depth", "quick", "--fail-on", "high"])
    assert code == 1
    source = next(x["source"] for x in lines if x["column"] == "mot_de_passe")
    code, shown = run_cli([*base, "findings", "show", source])
    assert code == 0 and "passwords stored in clear (Art. 32(1)(a))" in shown
    assert "password_storage=" not in shown
    code, listed = run_cli(
        [*base, "findings", "list", "--details", "--wide", "--entity", "CREDENTIAL"]
    )
    assert code == 0 and "passwords under a weak hash" in listed
    code, fr = run_cli(
        [*base, "--lang", "fr", "scan", "db", "portail", "--depth", "quick", "--full"]
    )
    assert "mots de passe stockés en clair (art. 32(1)(a))" in fr
    for raw in _raw_values(data):
        assert raw not in out + jl + shown + listed + fr


# --------------------------------------------------------------------- reconciliation


@pytest.mark.parametrize(
    ("storage", "flagged"),
    [("clear", True), ("weak_hash", True), ("hashed", False), ("unknown", False), (None, False)],
)
def test_reconcile_flags_passwords_in_clear_or_under_a_weak_hash(
    storage: str | None, flagged: bool
) -> None:
    from datetime import datetime

    from rgpd.registry.model import Activity, DataLocation
    from rgpd.scan.reconcile import SEVERITY, Coverage, FoundItem, Rule, reconcile

    now = datetime(2025, 3, 1, 12)
    item = FoundItem(
        kind="column",
        uri="postgresql://h/db#public.usagers.mot_de_passe",
        entity_type="CREDENTIAL",
        root="portail",
        schema="public",
        table="usagers",
        column="mot_de_passe",
        password_storage=storage,
    )
    cov = Coverage("table", now, root="portail", schema="public", table="usagers")
    for acts in (
        [],
        [
            Activity(
                ref="portail_famille",
                name="Portail",
                data_locations=[
                    DataLocation(kind="database", connection="portail", table="usagers")
                ],
            )
        ],
    ):
        got = [r for r in reconcile(acts, [item], [cov], now=now) if r.rule == Rule.PASSWORD_WEAK]
        assert bool(got) is flagged
        if flagged:
            assert got[0].severity == SEVERITY[Rule.PASSWORD_WEAK] == "error"
            assert got[0].article == "Art. 32(1)(a)"
            assert got[0].details["password_storage"] == storage
            assert got[0].activity_ref == (acts[0].ref if acts else None)
            assert "portail:public.usagers.mot_de_passe" in got[0].message


def test_reconcile_reads_the_storage_the_database_scan_kept(
    mairie: Workspace, fresh_url: FreshUrl
) -> None:
    from rgpd.scan.reconcile import Rule, run_reconcile

    data = _accounts(10)
    url = _accounts_db(fresh_url("sqlite"), data)
    connect(mairie, "portail", url)
    scan(mairie, "portail")
    report = run_reconcile(mairie, "mairie", store=False)
    got = {
        (r.location, r.details["password_storage"])
        for r in report.items
        if r.rule == Rule.PASSWORD_WEAK
    }
    assert got == {
        ("portail:usagers_portail.mot_de_passe", "clear"),
        ("portail:anciens_comptes.pwd", "weak_hash"),
    }


@pytest.mark.parametrize(
    ("entity", "storage", "expected"),
    [
        ("CREDENTIAL", "clear", "high"),
        ("CREDENTIAL", "weak_hash", "high"),
        ("CREDENTIAL", "hashed", "medium"),
        ("CREDENTIAL", "unknown", "medium"),
        ("CREDENTIAL", None, "medium"),
        ("EMAIL_ADDRESS", "clear", "medium"),  # only a password column's storage counts
    ],
)
def test_a_password_kept_in_clear_is_a_high_finding(
    entity: str, storage: str | None, expected: str
) -> None:
    from rgpd.scan.findings import severity_of

    assert severity_of(entity, False, storage).value == expected


# --------------------------------------------------------------------- reports and score


def test_reports_score_and_plan_a_password_column_kept_in_clear(
    mairie: Workspace, fresh_url: FreshUrl
) -> None:
    """A real scan of a clear and a hashed password column, up to the DPO's reports.

    The clear column is a critical risk of the score (Art. 32(1)(a)), an action of the
    plan naming it, a line of the scan section; the hashed one counts as well kept; no
    value sampled by the scan reaches any report.
    """
    from datetime import UTC, datetime

    from rgpd.actions.model import Origin
    from rgpd.i18n import use_language
    from rgpd.reports import service as reports
    from rgpd.reports.context.common import ReportKind
    from rgpd.reports.loaders import load_org
    from rgpd.reports.render import render_html

    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    data = _accounts(12)
    del data["anciens_comptes"], data["clients_api"]
    url = _accounts_db(fresh_url("sqlite"), data)
    connect(mairie, "portail", url)
    scan(mairie, "portail")

    loaded = load_org(mairie, "mairie")
    storages = {
        f.uri.split("#", 1)[1]: f.password_storage
        for f in loaded.scan.findings
        if f.entity_type == "CREDENTIAL"
    }
    assert storages == {
        "usagers_portail.mot_de_passe": "clear",
        "comptes_agents.password_hash": "hashed",
        "comptes_agents.password_salt": None,  # a secret beside the password, not judged
    }
    assert all(
        f.password_storage is None for f in loaded.scan.findings if f.entity_type != "CREDENTIAL"
    )

    column = "portail:usagers_portail.mot_de_passe"
    html: dict[str, str] = {}
    with use_language("fr"):
        annual = reports.build(mairie, ReportKind.ANNUAL, org="mairie", today=TODAY, now=now)
        sec = annual.sections[0]
        assert sec.scan is not None and sec.compliance is not None
        assert (sec.scan.password_sources, sec.scan.password_weak_sources) == (2, 1)
        assert sec.scan.password_weak_columns == ((column, "clear"),)
        result = sec.compliance.result
        assert "password_weak" in result.critical and result.penalty >= 5
        point = next(p for p in result.points if p.key == "passwords")
        assert (point.earned, point.weight) == (5.0, 10)
        (action,) = [a for a in result.all_actions if a.kind == "password_weak"]
        assert action.article == "Art. 32(1)(a)" and column in action.why
        assert (
            action.title == "Hacher les mots de passe de 1 colonne par une fonction lente et salée"
        )
        html["annual"] = render_html(annual)
        html["scan"] = render_html(
            reports.build(mairie, ReportKind.SCAN, org="mairie", today=TODAY, now=now)
        )
        # `rgpd actions from-report`: the action joins the plan, from the reconciliation
        reports.plan_actions(mairie, "mairie", today=TODAY, now=now)
        planned = [a for a in load_org(mairie, "mairie").actions if a.origin_key == "password_weak"]
        assert len(planned) == 1 and planned[0].origin is Origin.RECONCILIATION
        assert planned[0].article == "Art. 32(1)(a)" and column in planned[0].description
        html["compliance"] = render_html(
            reports.build(mairie, ReportKind.COMPLIANCE, org="mairie", today=TODAY, now=now)
        )
    with use_language("en"):
        html["scan-en"] = render_html(
            reports.build(mairie, ReportKind.SCAN, org="mairie", today=TODAY, now=now)
        )

    assert "Conservation des mots de passe (art. 32(1)(a))" in html["scan"]
    assert "1 colonne de mots de passe sur 2 est conservée en clair" in html["scan"]
    assert "mots de passe stockés en clair (art. 32(1)(a))" in html["scan"]
    assert column in html["scan"] and "portail:comptes_agents.password_hash" in html["scan"]
    assert "How passwords are kept (Art. 32(1)(a))" in html["scan-en"]
    assert "1 of 2 password columns are kept in clear" not in html["scan-en"]  # singular
    assert "1 of 2 password column is kept in clear or under a weak hash." in html["scan-en"]
    for kind in ("annual", "compliance"):
        assert "Hacher les mots de passe de 1 colonne" in html[kind], kind
        assert (
            "mots de passe conservés en clair ou sous un hachage faible (art. 32(1)(a))"
            in (html[kind])
        ), kind
    assert "Mots de passe conservés sous un hachage lent et salé" in html["annual"]
    # the plan's open actions, in the compliance report and the annual one
    assert html["compliance"].count("Art. 32(1)(a)") >= 2
    from tests.test_language_leaks import leaks, visible_text

    for key, page in html.items():
        assert leaks(visible_text(page), "en" if key.endswith("-en") else "fr") == [], key
        assert url.removeprefix("sqlite:///") not in page  # the column by connection name
        for raw in _raw_values(data):
            assert raw not in page


def test_reconcile_labels_exactly_the_storages_the_scan_calls_weak() -> None:
    """One rule of what is weak (``WEAK_PASSWORD_STORAGE``): the reconciliation only
    names those storages, it does not decide again."""
    from rgpd.scan.findings import WEAK_PASSWORD_STORAGE
    from rgpd.scan.reconcile import _WEAK_STORAGE

    assert set(_WEAK_STORAGE) == WEAK_PASSWORD_STORAGE
