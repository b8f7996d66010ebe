"""Database discovery: sampling cost on a growing table, and column-level precision/recall.

1. **Scaling** (PostgreSQL): the same table of people at 10,000 and at 1,000,000
   rows, scanned in sampling mode (``sample_size`` 1000, ``full`` so nothing is
   skipped). Row estimates come from ``pg_class.reltuples`` and the sample from
   ``TABLESAMPLE SYSTEM``, so the time should barely depend on the table's size.
   Target: the larger table within 2× of the smaller; the ratio is printed.
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


def make_people(url: str, rows: int) -> None:
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS usagers"))
        c.execute(text(_PEOPLE_TABLE), {"n": rows})
        c.execute(text("ALTER TABLE usagers ADD PRIMARY KEY (id)"))
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE usagers"))
    eng.dispose()


def time_scan(ws, conn: str, depth: str, repeat: int) -> tuple[float, str, int | None]:  # type: ignore[no-untyped-def]
    from rgpd.scan.database import scan_database

    times = []
    method, est = "", None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = scan_database(ws, "bench", conn, full=True, depth=depth, tables=["usagers"])
        times.append(time.perf_counter() - t0)
        if res.errors:
            raise SystemExit(f"scan failed: {res.errors}")
        (t,) = res.tables
        method, est = t.method, t.rows_estimate
    return statistics.median(times), method, est


def scaling(args: argparse.Namespace, tmp: Path) -> bool:
    print(
        f"== Sampling cost on PostgreSQL ({args.small:,} vs {args.big:,} rows, depth {args.depth})"
    )
    try:
        ctx = server_db(PG_ADMIN)
        url = ctx.__enter__()
    except Exception as exc:
        print(f"   PostgreSQL unreachable ({type(exc).__name__}): skipped")
        return False
    try:
        ws = workspace(tmp, {"pg": url})
        results = {}
        for rows in (args.small, args.big):
            t0 = time.perf_counter()
            make_people(url, rows)
            built = time.perf_counter() - t0
            time_scan(ws, "pg", args.depth, 1)  # warm: detector, imports, catalog
            secs, method, est = time_scan(ws, "pg", args.depth, args.repeat)
            results[rows] = secs
            print(
                f"   {rows:>10,} rows (built in {built:.1f} s): scan {secs * 1000:7.1f} ms "
                f"median of {args.repeat}, estimate {est:,}, {method}"
            )
        ratio = results[args.big] / results[args.small]
        ok = ratio <= 2.0
        print(f"   ratio large/small = {ratio:.2f} (target ≤ 2.0): {'OK' if ok else 'MISSED'}")
        return ok
    finally:
        ctx.__exit__(None, None, None)


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
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--depth", default="quick", choices=["quick", "standard", "deep"])
    ap.add_argument("--families", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["scaling", "quality"])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ok = True
        if args.only in (None, "scaling"):
            ok = scaling(args, tmp) and ok
        if args.only in (None, "quality"):
            ok = quality(args, tmp) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
