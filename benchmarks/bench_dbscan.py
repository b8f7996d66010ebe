"""Database discovery: sampling cost on a growing table, and column-level precision/recall.

1. **Scaling** (PostgreSQL and MariaDB): the same table of people at 10,000, at
   1,000,000 and at 10,000,000 rows (``--huge``, 0 to skip), scanned in sampling
   mode (``sample_size`` 1000, ``full`` so nothing is skipped). Row estimates come
   from the catalog and the sample from ``TABLESAMPLE SYSTEM`` with a fresh seed
   (PostgreSQL) or random primary-key windows (MariaDB), so the time should barely
   depend on the table's size. Target: 1 M within 2× of 10 k; the 10 M ratio is
   printed too. The e-mail addresses sit only after 60 % of the table: the share
   found (about 0.4) shows the sample covers the whole table.
1b. **Memory** (PostgreSQL and MariaDB): ten 50 MB text values, scanned with the
   default sample in a fresh process; its peak RSS is printed (target < 300 MB:
   values are cut on the server before they are fetched).
2. **Quality**: the seeded commune database (``rgpd.demo.sample_db``) on SQLite,
   PostgreSQL and MariaDB (those reachable); a prediction is a (table, column,
   entity type) triple, graded against ``sample_db.EXPECTED``. Targets: precision
   and recall ≥ 0.95 on each.

Each timing is the median of ``--repeat`` runs, detector and imports warmed up
first (model loading is not what is measured).

Usage::

    .venv/bin/python -m benchmarks.bench_dbscan
    .venv/bin/python -m benchmarks.bench_dbscan --big 200000 --depth standard --families 2000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("RGPD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIA_ADMIN = os.environ.get("RGPD_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test")


@contextmanager
def server_db(admin_url: str) -> Iterator[str]:
    """A throw-away database on a local server (dropped afterwards)."""
    name = f"rgpd_bench_{uuid.uuid4().hex[:8]}"
    pg = admin_url.startswith("postgresql")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' if pg else f"CREATE DATABASE `{name}`"))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(
                text(
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                    if pg
                    else f"DROP DATABASE IF EXISTS `{name}`"
                )
            )
        admin.dispose()


def workspace(tmp: Path, connections: dict[str, str]):  # type: ignore[no-untyped-def]
    from rgpd.config import Connection, Settings
    from rgpd.crypto import KeyRing
    from rgpd.registry import service
    from rgpd.registry.model import Organisation
    from rgpd.workspace import open_workspace

    s = Settings(database_url=f"sqlite:///{tmp / f'store-{uuid.uuid4().hex[:6]}.db'}", base_dir=tmp)
    for name, url in connections.items():
        s.connections[name] = Connection(name, url)
    ws = open_workspace(s, actor="bench", keys=KeyRing.generate())
    service.add_org(ws, Organisation(slug="bench", name="Commune de banc d'essai"))
    return ws


_PEOPLE_TABLE = """
CREATE TABLE usagers AS
SELECT i AS id,
       (ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand',
              'Leroy','Moreau','Simon','Laurent','Lefebvre','Michel','Garcia','David'])[1 + i % 16]
         AS nom,
       (ARRAY['Camille','Louise','Léa','Jules','Gabriel','Arthur','Emma','Hugo','Chloé',
              'Lucas','Manon','Nathan','Inès','Paul','Zoé','Théo'])[1 + (i / 16) % 16] AS prenom,
       'usager' || i || '@example.org' AS courriel,
       '06 ' || lpad(((i::bigint * 7919) % 100000000)::text, 8, '0') AS telephone,
       ((i * 37) % 95 + 1)::text || ' rue des Écoles' AS adresse,
       md5(i::text) AS jeton
FROM generate_series(1, :n) AS i
"""


_PEOPLE_TABLE_MARIA = """
CREATE TABLE usagers (id INTEGER PRIMARY KEY, nom VARCHAR(40), prenom VARCHAR(40),
  courriel VARCHAR(80), telephone VARCHAR(20), adresse VARCHAR(80), jeton CHAR(32))
"""
_PEOPLE_FILL_MARIA = """
INSERT INTO usagers
SELECT seq,
       ELT(1 + seq % 16, 'Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit',
           'Durand','Leroy','Moreau','Simon','Laurent','Lefebvre','Michel','Garcia','David'),
       ELT(1 + (seq DIV 16) % 16, 'Camille','Louise','Léa','Jules','Gabriel','Arthur','Emma',
           'Hugo','Chloé','Lucas','Manon','Nathan','Inès','Paul','Zoé','Théo'),
       IF(seq > :tail, CONCAT('usager', seq, '@example.org'), 'non communiqué'),
       CONCAT('06 ', LPAD((seq * 7919) % 100000000, 8, '0')),
       CONCAT((seq * 37) % 95 + 1, ' rue des Écoles'),
       MD5(seq)
FROM seq_1_to_{n}
"""


def make_people(url: str, rows: int) -> None:
    """The people table, e-mails only after 60 % of it (the tail a biased sample misses)."""
    eng = create_engine(url)
    tail = int(rows * 0.6)
    if url.startswith("postgresql"):
        with eng.begin() as c:
            c.execute(text("DROP TABLE IF EXISTS usagers"))
            c.execute(
                text(
                    _PEOPLE_TABLE.replace(
                        "'usager' || i || '@example.org' AS courriel",
                        "CASE WHEN i > :tail THEN 'usager' || i || '@example.org' "
                        "ELSE 'non communiqué' END AS courriel",
                    )
                ),
                {"n": rows, "tail": tail},
            )
            c.execute(text("ALTER TABLE usagers ADD PRIMARY KEY (id)"))
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE usagers"))
    else:
        with eng.begin() as c:
            c.execute(text("DROP TABLE IF EXISTS usagers"))
            c.execute(text(_PEOPLE_TABLE_MARIA))
            c.execute(text(_PEOPLE_FILL_MARIA.format(n=int(rows))), {"tail": tail})
            c.execute(text("ANALYZE TABLE usagers"))
    eng.dispose()


def time_scan(ws, conn: str, depth: str, repeat: int) -> tuple[float, str, int | None, float]:  # type: ignore[no-untyped-def]
    """Median scan time, sampling method, row estimate, mean share of e-mails found."""
    from rgpd.scan.database import scan_database

    times, shares = [], []
    method, est = "", None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = scan_database(ws, "bench", conn, full=True, depth=depth, tables=["usagers"])
        times.append(time.perf_counter() - t0)
        if res.errors:
            raise SystemExit(f"scan failed: {res.errors}")
        (t,) = res.tables
        method, est = t.method, t.rows_estimate
        mails = [f.ratio for f in res.findings if f.column == "courriel"]
        shares.append(mails[0] if mails else 0.0)
    return statistics.median(times), method, est, statistics.mean(shares)


def scaling(args: argparse.Namespace, tmp: Path) -> bool:
    ok = True
    for label, admin in (("PostgreSQL", PG_ADMIN), ("MariaDB", MARIA_ADMIN)):
        sizes = [args.small, args.big] + ([args.huge] if args.huge else [])
        print(
            f"== Sampling cost on {label} ({', '.join(f'{n:,}' for n in sizes)} rows, "
            f"depth {args.depth}; e-mails only in the last 40 %)"
        )
        try:
            ctx = server_db(admin)
            url = ctx.__enter__()
        except Exception as exc:
            print(f"   {label} unreachable ({type(exc).__name__}): skipped")
            continue
        try:
            ws = workspace(tmp, {"db": url})
            results = {}
            for rows in sizes:
                t0 = time.perf_counter()
                make_people(url, rows)
                built = time.perf_counter() - t0
                time_scan(ws, "db", args.depth, 1)  # warm: detector, imports, catalog
                secs, method, est, share = time_scan(ws, "db", args.depth, args.repeat)
                results[rows] = secs
                print(
                    f"   {rows:>10,} rows (built in {built:.1f} s): scan {secs * 1000:7.1f} ms "
                    f"median of {args.repeat}, estimate {est:,}, {method}, "
                    f"e-mail share {share:.2f} (expected about 0.40)"
                )
            ratio = results[args.big] / results[args.small]
            good = ratio <= 2.0
            ok = ok and good
            print(f"   ratio 1M/10k = {ratio:.2f} (target ≤ 2.0): {'OK' if good else 'MISSED'}")
            if args.huge:
                print(f"   ratio 10M/10k = {results[args.huge] / results[args.small]:.2f}")
        finally:
            ctx.__exit__(None, None, None)
    return ok


_RSS_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
from benchmarks.bench_dbscan import workspace
from pathlib import Path
from rgpd.scan.database import scan_database
ws = workspace(Path({tmp!r}), {{"db": {url!r}}})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = scan_database(ws, "bench", "db", full=True, depth="quick")
assert not res.errors, res.errors
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before // 1024, after // 1024, res.counts["rows_sampled"])
"""


def memory(args: argparse.Namespace, tmp: Path) -> bool:
    """Peak RSS of a scan of ten 50 MB values, in a fresh process (ru_maxrss)."""
    import subprocess

    print("== Memory: ten 50 MB text values, default sample, peak RSS of a fresh process")
    ok = True
    fills = {
        "PostgreSQL": (
            PG_ADMIN,
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, texte TEXT)",
            "INSERT INTO notes SELECT i, repeat('Dossier suivi par le service. ', {k}) "
            "FROM generate_series(1, 10) i",
        ),
        "MariaDB": (
            MARIA_ADMIN,
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, texte LONGTEXT)",
            "INSERT INTO notes SELECT seq, repeat('Dossier suivi par le service. ', {k}) "
            "FROM seq_1_to_10",
        ),
    }
    k = 50_000_000 // 30
    packet = 0
    for label, (admin, create, fill) in fills.items():
        try:
            ctx = server_db(admin)
            url = ctx.__enter__()
        except Exception as exc:
            print(f"   {label} unreachable ({type(exc).__name__}): skipped")
            continue
        try:
            eng = create_engine(url)
            with eng.begin() as c:
                if label == "MariaDB":  # REPEAT() yields NULL above the packet limit
                    packet = c.execute(text("SELECT @@global.max_allowed_packet")).scalar()
                    c.execute(text("SET GLOBAL max_allowed_packet = 67108864"))
                c.execute(text(create))
            eng.dispose()
            eng = create_engine(url)  # a new session sees the larger packet limit
            with eng.begin() as c:
                c.execute(text(fill.format(k=k)))
                size = c.execute(text("SELECT SUM(LENGTH(texte)) FROM notes")).scalar()
            eng.dispose()
            if label == "MariaDB":
                eng = create_engine(url)
                with eng.begin() as c:  # the server is shared: put its setting back
                    c.execute(text(f"SET GLOBAL max_allowed_packet = {int(packet)}"))
                eng.dispose()
            root = str(Path(__file__).resolve().parents[1])
            out = subprocess.run(
                [sys.executable, "-c", _RSS_CHILD.format(root=root, tmp=str(tmp), url=url)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": root},
            ).stdout.split()
            before, after, rows = (int(x) for x in out[-3:])
            good = after < 300
            ok = ok and good
            print(
                f"   {label:<10} {int(size or 0) / 1e6:,.0f} MB stored, {rows} rows sampled: "
                f"peak RSS {after} MB (imports alone {before} MB; target < 300): "
                f"{'OK' if good else 'MISSED'}"
            )
        finally:
            ctx.__exit__(None, None, None)
    return ok


def quality(args: argparse.Namespace, tmp: Path) -> bool:
    from rgpd.demo.sample_db import expected_pairs, seed_commune_db
    from rgpd.scan.database import scan_database

    print(
        f"== Column-level precision / recall on the seeded commune ({args.families} families, "
        f"depth {args.depth})"
    )
    ok = True
    targets: list[tuple[str, object]] = [
        ("sqlite", None),
        ("postgresql", PG_ADMIN),
        ("mariadb", MARIA_ADMIN),
    ]
    for name, admin in targets:
        try:
            ctx = server_db(str(admin)) if admin else None
            url = ctx.__enter__() if ctx else f"sqlite:///{tmp / 'commune.db'}"
        except Exception as exc:
            print(f"   {name:<10} unreachable ({type(exc).__name__}): skipped")
            continue
        try:
            seed_commune_db(url, families=args.families, seed=args.seed)
            ws = workspace(tmp, {"commune": url})
            t0 = time.perf_counter()
            res = scan_database(ws, "bench", "commune", depth=args.depth)
            secs = time.perf_counter() - t0
            got = {(f.table, f.column, f.entity_type) for f in res.findings}
            exp = expected_pairs()
            tp = len(got & exp)
            precision = tp / len(got) if got else 0.0
            recall = tp / len(exp)
            good = precision >= 0.95 and recall >= 0.95
            ok = ok and good
            print(
                f"   {name:<10} precision {precision:.3f}  recall {recall:.3f}  "
                f"({len(got)} predicted, {len(exp)} expected, {res.counts['rows_sampled']:,} "
                f"rows sampled, {secs:.1f} s): {'OK' if good else 'MISSED'}"
            )
            for miss in sorted(exp - got):
                print(f"      missed      {miss}")
            for extra in sorted(got - exp):
                print(f"      false alarm {extra}")
        finally:
            if ctx:
                ctx.__exit__(None, None, None)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--huge", type=int, default=10_000_000, help="0: no 10 M-row point")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--depth", default="quick", choices=["quick", "standard", "deep"])
    ap.add_argument("--families", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["scaling", "memory", "quality"])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ok = True
        if args.only in (None, "scaling"):
            ok = scaling(args, tmp) and ok
        if args.only in (None, "memory"):
            ok = memory(args, tmp) and ok
        if args.only in (None, "quality"):
            ok = quality(args, tmp) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
