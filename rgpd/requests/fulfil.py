"""The access package (Art. 15) and portability (Art. 20): build, review, deliver.

From the reviewed discovery the package gathers, for the person only:

* every confirmed row, read fresh by primary key (never a wider query);
* extracts of every confirmed file, with other people's data redacted
  (Art. 15(4)): values the detector finds that are not the person's are masked,
  and a line that mentions someone else but not the person is withheld whole
  (a line of a class list, another family's invoice);
* the Art. 15(1) information, from the register: purposes, categories, recipients,
  retention, source, rights, automated decisions, transfers, and the right to
  complain to the CNIL.

It is written as a readable report (HTML and PDF, French and English), machine-
readable JSON and CSV, and — for the activities where Art. 20 applies according
to :mod:`rgpd.requests.rights` — a separate ``portabilite/`` folder.

Nothing leaves before the DPO reviews it (:func:`review`). Delivery is an AES-256
encrypted zip whose password is shown once, for another channel than the
archive (:func:`deliver`), optionally behind a one-time download link served by
:mod:`rgpd.requests.delivery`. The clear working copy is deleted once the
archive exists (Art. 5(1)(e)).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select

from rgpd import audit
from rgpd import labels as code_labels
from rgpd.crypto import random_code, sha256_hex
from rgpd.errors import Conflict, InvalidInput, NotFound, RgpdError
from rgpd.i18n import _, format_date, use_language
from rgpd.registry.model import Activity, Organisation
from rgpd.requests import discovery as disc
from rgpd.requests import person as persons
from rgpd.requests import rights, service, tokens
from rgpd.requests.erasure.store import latest_fulfilment, save_fulfilment
from rgpd.requests.model import RequestType
from rgpd.scan.paths import resolve_inside, scan_roots
from rgpd.storage.db import utcnow
from rgpd.storage.fulfil_tables import RequestFulfilmentRow
from rgpd.taxonomy import CATEGORIES
from rgpd.workspace import Workspace

TEMPLATE_DIR = Path(__file__).parent / "templates" / "package"
LANGS = ("fr", "en")
#: How long a one-time download link stays valid.
LINK_TTL = timedelta(days=7)
#: Characters read from one file for its extract.
MAX_EXTRACT_CHARS = 2_000_000
#: Characters of each extract shown in the readable report (the full extract is beside it).
REPORT_EXTRACT_CHARS = 20_000
_PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


# --------------------------------------------------------------------------- values


@dataclass
class TableData:
    connection: str
    table: str
    activities: list[str]
    columns: list[str]
    rows: list[dict[str, Any]]

    @property
    def slug(self) -> str:
        return _safe(f"{self.connection}.{self.table}")


@dataclass
class FileExtract:
    match: str
    name: str  # file name shown to the person (no folder: the share's layout is internal)
    activities: list[str]
    path: str  # extract file inside the package
    redactions: int
    withheld_lines: int
    error: str | None = None


@dataclass
class PackageResult:
    reference: str
    directory: Path
    files: list[Path]
    tables: int
    rows: int
    extracts: int
    redactions: int
    excluded: int  # matches still "to confirm": left out
    errors: list[str] = field(default_factory=list)
    fulfilment_id: int | None = None


@dataclass
class Review:
    reference: str
    state: str
    directory: str | None
    summary: dict[str, Any]
    reviewed_by: str | None
    reviewed_at: datetime | None
    changed_files: list[str]  # edited by the DPO since the build (by package path)
    missing_files: list[str]


@dataclass
class Delivery:
    reference: str
    archive: Path
    password: str = field(repr=False)
    sha256: str
    link: str | None = None
    expires_at: datetime | None = None


# --------------------------------------------------------------------------- helpers


def _safe(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return keep.strip("._")[:120] or "x"


@cache
def _labels() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(
        (TEMPLATE_DIR / "labels.json").read_text(encoding="utf-8")
    )
    return data


def labels(lang: str) -> dict[str, str]:
    return _labels()[lang if lang in LANGS else "fr"]


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# --------------------------------------------------------------------------- Art. 15(1) information


def duration_text(value: str, lang: str) -> str:
    """ "10y" → "10 ans" / "10 years" (the register's durations, for the person)."""
    with use_language(lang if lang in LANGS else "fr"):
        return code_labels.duration_code(value)


def article15_info(activity: Activity, lang: str) -> dict[str, Any]:
    """What Art. 15(1)-(2) require the person to be told about one activity (pure)."""
    lab = labels(lang)
    cats = []
    for dc in activity.data_categories:
        c = CATEGORIES.get(dc.category)
        label = (c.label_fr if lang == "fr" else c.label_en) if c else dc.category
        ret = None
        if dc.retention is not None:
            r = dc.retention
            ret = {
                "active": duration_text(r.active, lang),
                "intermediate": duration_text(r.intermediate, lang) if r.intermediate else None,
                "final": r.final.value,
                "trigger": r.trigger,
                "reference": r.reference,
            }
        cats.append({"key": dc.category, "label": label, "retention": ret})
    matrix = rights.rights_matrix(activity)
    rights_list = [
        {"right": t.value, "article": _(t.article), "applies": a.value}
        for t, a in matrix.items()
        if t not in (RequestType.CADA, RequestType.POST_MORTEM)
    ]
    return {
        "ref": activity.ref,
        "name": activity.name,
        "purposes": list(activity.purposes),
        "legal_basis": activity.legal_basis.value if activity.legal_basis else None,
        "legal_basis_label": lab.get(f"basis_{activity.legal_basis.value}", "")
        if activity.legal_basis
        else lab["unknown"],
        "legal_basis_text": activity.legal_basis_text,
        "categories": cats,
        "recipients": [
            {"name": r.name, "kind": r.kind.value, "country": r.country}
            for r in activity.recipients
        ],
        "transfers": [
            {"country": t.country, "recipient": t.recipient, "safeguard": t.safeguard.value}
            for t in activity.transfers
        ],
        "sources": list(activity.sources) or [lab["source_you"]],
        "automated_decision": activity.automated_decision or activity.profiling,
        "automated_details": activity.automated_details,
        "rights": rights_list,
        "portability": rights.assess_right(RequestType.PORTABILITY, activity).applicability.value,
    }


# --------------------------------------------------------------------------- reading the data


def withhold_secrets(
    columns: Sequence[str], rows: Sequence[Mapping[str, Any]], marker: str
) -> list[dict[str, Any]]:
    """The rows with every password, hash, salt or token column replaced by ``marker``.

    Art. 15(3) gives the person a copy of their data, but a stored password (even hashed)
    tells them nothing they do not know and, in the DPO's working copy and the delivered
    archive, is one more place an attacker could take it from: Art. 32 (security) and
    Art. 15(4) (the copy must not harm anyone, the person included) weigh against copying
    it. The column stays listed, so the person knows the value is held. Which columns:
    :func:`rgpd.scan.columns.names_a_secret`, as the scan decides it.
    """
    from rgpd.scan.columns import names_a_secret

    secret = {c for c in columns if names_a_secret(c)}
    return [
        {k: (marker if k in secret and v is not None else v) for k, v in r.items()} for r in rows
    ]


def read_rows(
    ws: Workspace, rows: Sequence[disc.RowMatch], withheld: str = "[withheld]"
) -> list[TableData]:
    """The confirmed rows, read fresh by primary key, grouped by table (secrets withheld:
    :func:`withhold_secrets`)."""
    out: list[TableData] = []
    by_conn: dict[str, list[disc.RowMatch]] = defaultdict(list)
    for r in rows:
        by_conn[r.connection].append(r)
    for conn_name, items in sorted(by_conn.items()):
        engine, _base = disc.open_engine(ws, conn_name)
        try:
            with engine.connect() as conn:
                md = disc.reflect(conn, ws.settings.connection(conn_name).schema)
                tables = disc.tables_by_name(md)
                by_table: dict[str, list[disc.RowMatch]] = defaultdict(list)
                for r in items:
                    by_table[r.table.lower()].append(r)
                for tname, matches in sorted(by_table.items()):
                    t = tables.get(tname)
                    if t is None:
                        continue
                    acts = sorted({a for m in matches for a in m.activities})
                    pk = [c.name for c in t.primary_key.columns]
                    got: list[dict[str, Any]] = []
                    for part in disc.chunks(list(matches)):
                        q = select(t).where(disc.key_clause(t, [m.key for m in part]))
                        q = q.order_by(*[t.c[n] for n in pk])
                        for rec in conn.execute(q).mappings():
                            got.append({k: disc.jsonable(v) for k, v in rec.items()})
                    cols = [c.name for c in t.columns]
                    got = withhold_secrets(cols, got, withheld)
                    out.append(TableData(conn_name, t.name, acts, cols, got))
        finally:
            engine.dispose()
    return out


def _extract_text(uri: str) -> str:
    """The text of a file, or of one member of an archive (``path!member``)."""
    from rgpd.scan.extract import extract

    outer = uri.split("!", 1)[0]
    parts: list[str] = []
    size = 0
    for chunk in extract(outer, on_error=lambda _s, _e: None):
        if "!" in uri and (chunk.source or outer) != uri:
            continue
        parts.append(chunk.text)
        size += len(chunk.text)
        if size > MAX_EXTRACT_CHARS:
            break
    return "\n".join(parts)


def redact_for_access(
    text: str, person: disc.Person, detector: Any, lang: str = "fr"
) -> tuple[str, int, int]:
    """Art. 15(4): mask others' data; withhold lines about someone else only.

    Returns (text, masked values, withheld lines). The person's own values stay.
    """
    lab = labels(lang)
    own = persons.person_spans(text, person)
    detections = detector.detect(text)
    out_lines: list[str] = []
    masked = withheld = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line)
        pos = end
        dets = [d for d in detections if d.start < end and d.end > start]
        # the person is on this line when one of their identifiers or their full name is;
        # a shared surname alone says nothing (a sibling, a namesake)
        mine_here = any(s < end and e > start for s, e in own) or any(
            d.entity_type != "PERSON" and persons.is_persons(d.entity_type, d.value, person)
            for d in dets
        )
        others = [d for d in dets if not persons.is_persons(d.entity_type, d.value, person)]
        if not mine_here:
            if any(not d.special_category for d in others):
                out_lines.append(lab["withheld_line"] + ("\n" if line.endswith("\n") else ""))
                withheld += 1
                continue
            if others and not own:  # a sensitive word, and nothing says whose: masked
                spans = [(max(d.start, start) - start, min(d.end, end) - start) for d in others]
                out_lines.append(persons.replace_spans(line, spans, lab["masked"]))
                masked += len(spans)
                continue
            out_lines.append(line)
            continue
        spans = [
            (max(d.start, start) - start, min(d.end, end) - start)
            for d in others
            if not d.special_category
            and not any(s <= d.start and d.end <= e for s, e in own)  # inside the person's value
        ]
        out_lines.append(persons.replace_spans(line, spans, lab["masked"]) if spans else line)
        masked += len(spans)
    return "".join(out_lines), masked, withheld


# --------------------------------------------------------------------------- building


def _package_dir(ws: Workspace, ref: str, out_dir: Path | None) -> Path:
    base = out_dir if out_dir is not None else ws.reports_dir() / "requests"
    d = base / service.normalise_reference(ref) / "package"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True, mode=0o700)
    d.parent.chmod(0o700)
    return d


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _csv(table: TableData) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(table.columns)
    for r in table.rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in table.columns])
    return "\ufeff" + buf.getvalue()  # BOM: spreadsheet programs read it as UTF-8


def _manifest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): sha256_hex(p.read_bytes())
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def build_access_package(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    out_dir: Path | None = None,
    depth: str = "standard",
    pdf: bool = True,
    today: date | None = None,
) -> PackageResult:
    """Gather the person's data and the Art. 15(1) information into a package to review."""
    record = service.get(ws, org, ref, reveal=True)
    if record.type not in (RequestType.ACCESS, RequestType.PORTABILITY):
        raise Conflict(
            _(
                "{ref} is a request of type {type}, not access",
                ref=record.reference,
                type=code_labels.right(record.type),
            )
        )
    if record.state.terminal:
        raise Conflict(
            _(
                "{ref} is closed ({state})",
                ref=record.reference,
                state=code_labels.request_state(record.state),
            )
        )
    assert record.submission is not None
    found = disc.load(ws, org, ref)
    org_model = service.organisation(ws, org)
    everything = service.offered_activities(ws, org)
    by_ref = {a.ref: a for a in everything}
    person = disc.person_from_submission(
        record.submission, disc.concerned_activities(everything, record.request.activities)
    )
    lang = record.lang if record.lang in LANGS else "fr"
    today = today or service.local_today(ws)
    directory = _package_dir(ws, record.reference, out_dir)
    errors: list[str] = []

    tables = read_rows(ws, found.confirmed_rows(), labels(lang)["withheld_secret"])
    from rgpd.scan.detect import Detector

    detector = Detector(depth=depth)
    extracts: list[FileExtract] = []
    texts: dict[str, str] = {}
    roots = scan_roots(ws, org)  # issue 13: read only inside the scanned shares
    for n, f in enumerate(found.confirmed_files(), 1):
        name = f.uri.rsplit("/", 1)[-1].replace("!", " › ")
        rel = f"fichiers/{n:03d}-{_safe(name)}.txt"
        try:
            # a symlink out of the share is never copied; the resolved path is what is read
            real = str(resolve_inside(f.uri, roots))
            member = f.uri.split("!", 1)[1] if "!" in f.uri else None
            text = _extract_text(f"{real}!{member}" if member is not None else real)
        except (RgpdError, OSError) as exc:
            extracts.append(FileExtract(f.id, name, f.activities, "", 0, 0, type(exc).__name__))
            errors.append(_("file {n} could not be read ({why})", n=n, why=type(exc).__name__))
            continue
        red, masked, withheld = redact_for_access(text, person, detector, lang)
        _write(directory / rel, red)
        texts[rel] = red[:REPORT_EXTRACT_CHARS]
        extracts.append(FileExtract(f.id, name, f.activities, rel, masked, withheld))

    act_refs = sorted(
        {a for t in tables for a in t.activities} | {a for e in extracts for a in e.activities}
        | set(record.request.activities)
    )  # fmt: skip
    acts = [by_ref[a] for a in act_refs if a in by_ref]
    portable = {
        a.ref
        for a in acts
        if rights.assess_right(RequestType.PORTABILITY, a).applicability
        in (rights.Applicability.APPLIES, rights.Applicability.PARTLY)
    }
    written: list[Path] = []
    for t in tables:
        written.append(_write(directory / "csv" / f"{t.slug}.csv", _csv(t)))
    data = _data_json(record, org_model, acts, tables, extracts, lang, today)
    written.append(
        _write(directory / "donnees.json", json.dumps(data, ensure_ascii=False, indent=2))
    )
    if portable:
        ptables = [t for t in tables if set(t.activities) & portable]
        pdata = _data_json(
            record, org_model, [by_ref[a] for a in sorted(portable)], ptables, [], lang, today
        )
        pdata["article"] = "Art. 20 GDPR"
        written.append(
            _write(
                directory / "portabilite" / "donnees.json",
                json.dumps(pdata, ensure_ascii=False, indent=2),
            )
        )
        for t in ptables:
            written.append(_write(directory / "portabilite" / f"{t.slug}.csv", _csv(t)))
    excluded = sum(1 for m in found.matches() if m.status == disc.MatchStatus.TO_CONFIRM)
    for lg in dict.fromkeys(["fr", lang]):
        html = render_report(
            record, org_model, acts, tables, extracts, lg, today, portable, excluded, texts
        )
        stem = "rapport" if lg == "fr" else "report"
        written.append(_write(directory / f"{stem}-{lg}.html", html))
        if pdf:
            written.append(_write(directory / f"{stem}-{lg}.pdf", _to_pdf(html)))
    written += [directory / e.path for e in extracts if e.path]
    manifest = _manifest(directory)
    _write(directory / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    n_rows = sum(len(t.rows) for t in tables)
    n_red = sum(e.redactions + e.withheld_lines for e in extracts)
    summary = {
        "tables": len(tables),
        "rows": n_rows,
        "files": len(extracts),
        "redactions": n_red,
        "excluded_to_confirm": excluded,
        "portability": sorted(portable),
        "errors": len(errors),
        "manifest": manifest,
    }
    fid = save_fulfilment(
        ws, org, record.reference, "access", "built", summary, None,
        discovery_id=found.id, action="request.access_built",
        details={k: v for k, v in summary.items() if k != "manifest"},
    )  # fmt: skip
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, fid)
        assert row is not None
        row.location = str(directory)
    return PackageResult(
        record.reference,
        directory,
        sorted(set(written)),
        len(tables),
        n_rows,
        len(extracts),
        n_red,
        excluded,
        errors,
        fid,
    )


def _data_json(
    record: service.RequestRecord,
    org: Organisation,
    acts: Sequence[Activity],
    tables: Sequence[TableData],
    extracts: Sequence[FileExtract],
    lang: str,
    today: date,
) -> dict[str, Any]:
    return {
        "format": "rgpd-access-package/1",
        "reference": record.reference,
        "controller": {"name": org.name, "siren": org.siren, "address": org.address},
        "dpo": {"name": org.dpo_name, "email": org.dpo_email, "phone": org.dpo_phone},
        "generated_on": today.isoformat(),
        "article": "Art. 15 GDPR",
        "activities": [article15_info(a, lang) for a in acts],
        "data": [
            {
                "source": t.connection,
                "table": t.table,
                "activities": t.activities,
                "columns": t.columns,
                "rows": t.rows,
            }
            for t in tables
        ],
        "files": [
            {
                "name": e.name,
                "activities": e.activities,
                "extract": e.path or None,
                "masked_values": e.redactions,
                "withheld_lines": e.withheld_lines,
                "error": e.error,
            }
            for e in extracts
        ],
    }


def render_report(
    record: service.RequestRecord,
    org: Organisation,
    acts: Sequence[Activity],
    tables: Sequence[TableData],
    extracts: Sequence[FileExtract],
    lang: str,
    today: date,
    portable: set[str],
    excluded: int,
    extract_text: Mapping[str, str] | None = None,
) -> str:
    """The readable report (pure: values in, HTML out)."""
    sub = record.submission
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            lang=lang,
            t=labels(lang),
            org=org,
            ref=record.reference,
            person=sub.full_name if sub else "",
            received=format_date(record.request.received_on, lang=lang),
            today=format_date(today, lang=lang),
            activities=[article15_info(a, lang) for a in acts],
            tables=tables,
            extracts=extracts,
            extract_text=extract_text or {},
            portable=sorted(portable),
            excluded=excluded,
            logo=org.logo if (org.logo or "").startswith("data:image/") else None,
        )
    )


def _to_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return bytes(HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf())


# --------------------------------------------------------------------------- review


def _latest_access(ws: Workspace, org: str, ref: str) -> RequestFulfilmentRow:
    row = latest_fulfilment(ws, org, ref, "access")
    if row is None:
        raise NotFound(_("no access package for {ref}: run `rgpd requests fulfil {ref}`", ref=ref))
    return row


def review(ws: Workspace, org: str, ref: str, *, approve: bool = False) -> Review:
    """What the DPO checks before release; ``approve`` records that it was checked.

    Files the DPO edited since the build (a further redaction) are named; on
    approval the manifest is refreshed to what was approved.
    """
    row = _latest_access(ws, org, ref)
    directory = Path(row.location) if row.location else None
    changed: list[str] = []
    missing: list[str] = []
    manifest = dict(row.summary.get("manifest", {}))
    if directory is not None and row.state in ("built", "reviewed"):
        current = _manifest(directory) if directory.exists() else {}
        missing = sorted(set(manifest) - set(current))
        changed = sorted(p for p in manifest if p in current and current[p] != manifest[p])
        changed += sorted(set(current) - set(manifest))
    if approve:
        if row.state not in ("built", "reviewed"):
            raise Conflict(_("the package of {ref} was already released", ref=ref))
        if missing:
            raise Conflict(_("files are missing from the package: rebuild it"))
        actor = service.actor_of(ws)
        with ws.db.session() as s:
            db_row = s.get(RequestFulfilmentRow, row.id)
            assert db_row is not None
            db_row.state = "reviewed"
            db_row.reviewed_by = actor[:255]
            db_row.reviewed_at = utcnow()
            if directory is not None:
                new_manifest = _manifest(directory)
                _write(
                    directory / "manifest.json", json.dumps(new_manifest, indent=2, sort_keys=True)
                )
                db_row.summary = {**db_row.summary, "manifest": new_manifest}
            audit.append(
                s,
                action="request.access_reviewed",
                entity="request",
                entity_ref=service.normalise_reference(ref),
                actor=actor,
                org=org,
                details={"edited_files": len(changed), "fulfilment": row.id},
            )
        row = _latest_access(ws, org, ref)
    summary = {k: v for k, v in row.summary.items() if k != "manifest"}
    return Review(
        service.normalise_reference(ref),
        row.state,
        row.location,
        summary,
        row.reviewed_by,
        row.reviewed_at,
        changed,
        missing,
    )


# --------------------------------------------------------------------------- delivery


def new_password() -> str:
    """Six groups of four (about 118 bits), easy to read out on the phone."""
    chars = random_code(_PASSWORD_ALPHABET, 24)
    return "-".join(chars[i : i + 4] for i in range(0, 24, 4))


def encrypted_zip(directory: Path, target: Path, password: str) -> str:
    """AES-256 (WinZip AE-2) zip of a folder; returns its SHA-256."""
    import pyzipper

    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with pyzipper.AESZipFile(
        target, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zf:
        zf.setpassword(password.encode("utf-8"))
        zf.setencryption(pyzipper.WZ_AES, nbits=256)
        for p in sorted(directory.rglob("*")):
            if p.is_file():
                zf.write(p, str(p.relative_to(directory)))
    target.chmod(0o600)
    return sha256_hex(target.read_bytes())


def deliver(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    link: bool = False,
    base_url: str | None = None,
    ttl: timedelta = LINK_TTL,
) -> Delivery:
    """Encrypt the reviewed package; with ``link``, a one-time download link for ``rgpd serve``.

    The password is returned once and never stored: give it through another
    channel than the archive (a letter, a phone call, an SMS).
    """
    row = _latest_access(ws, org, ref)
    if row.state != "reviewed":
        raise Conflict(
            _(
                "the package of {ref} must be reviewed first: `rgpd requests review {ref} --approve`",
                ref=ref,
            )
        )
    if not row.location or not Path(row.location).exists():
        raise NotFound(_("the package folder is gone: rebuild it"))
    directory = Path(row.location)
    if _manifest(directory) != row.summary.get("manifest"):
        raise Conflict(_("the package changed after its review: review it again"))
    password = new_password()
    reference = service.normalise_reference(ref)
    archive = directory.parent / f"{reference}-acces.zip"
    digest = encrypted_zip(directory, archive, password)
    shutil.rmtree(directory)  # the clear copy goes once the archive exists
    now = ws.now()
    secret: str | None = None
    actor = service.actor_of(ws)

    with ws.db.session() as s:
        db_row = s.get(RequestFulfilmentRow, row.id)
        assert db_row is not None
        db_row.state = "released"
        db_row.released_at = utcnow()
        db_row.location = str(archive)
        db_row.digest = digest
        if link:
            secret = tokens.issue(s, db_row.request_id, tokens.DOWNLOAD, now=now, ttl=ttl)
        audit.append(
            s,
            action="request.access_released",
            entity="request",
            entity_ref=reference,
            actor=actor,
            org=org,
            details={"method": "link" if link else "zip", "sha256": digest, "fulfilment": row.id},
        )
    url = None
    if secret is not None:
        token = tokens.sign_link(ws, tokens.DOWNLOAD, org, secret)
        base = (base_url or ws.settings.server.get("base_url") or "http://127.0.0.1:8080").rstrip(
            "/"
        )
        url = f"{base}/o/{org}/download/{token}"
    return Delivery(reference, archive, password, digest, url, (now + ttl) if link else None)


def take_download(
    ws: Workspace, org: str, token: str, *, now: datetime | None = None
) -> tuple[str, bytes]:
    """Consume a one-time download link: (file name, encrypted archive bytes).

    The archive is read, then deleted: the link works once. Raises
    :class:`service.LinkRefused` for an unknown, expired or used link.
    """
    now = now or ws.now()
    secret = tokens.read_link(ws, tokens.DOWNLOAD, org, token, max_age=LINK_TTL * 4)
    oid = ws.org_id(org)
    with ws.db.session() as s:
        # consumed first (one conditional UPDATE): of concurrent clicks, one reads the file
        req = tokens.consume(s, oid, tokens.DOWNLOAD, secret, now)
        ful = s.execute(
            select(RequestFulfilmentRow)
            .where(
                RequestFulfilmentRow.request_id == req.id,
                RequestFulfilmentRow.kind == "access",
                RequestFulfilmentRow.state == "released",
            )
            .order_by(RequestFulfilmentRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if ful is None or not ful.location or not Path(ful.location).exists():
            raise service.LinkRefused("unknown", _("This link is not valid or has expired."))
        path = Path(ful.location)
        data = path.read_bytes()
        if ful.digest and sha256_hex(data) != ful.digest:
            raise InvalidInput("archive", _("the archive does not match its recorded digest"))
        audit.append(
            s,
            action="request.access_downloaded",
            entity="request",
            entity_ref=req.reference,
            actor=service.WEB_ACTOR,
            org=org,
            details={"sha256": ful.digest, "fulfilment": ful.id},
        )
        name = path.name
    path.unlink(missing_ok=True)
    return name, data


def package_rows(directory: Path) -> Mapping[str, Any]:
    """The machine-readable part of a built package (tests, other programs)."""
    data: Mapping[str, Any] = json.loads((directory / "donnees.json").read_text(encoding="utf-8"))
    return data
