"""The Dask executor, for real: a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1 (random ports, one thread each, no dashboard), started by the tests.

The coordinator scans ``here/`` whose files hold only ``x`` (same sizes); the workers read
``there/`` (the real files) through ``--path-map here=there``: findings prove the workers
read their own mount, and they must equal, source for source and token for token, what
the in-process executor finds in ``there/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from rgpd.crypto import KeyRing
from rgpd.registry import service
from rgpd.registry.model import Organisation
from rgpd.scan.files import scan_files
from rgpd.storage.scan_tables import FindingRow, FindingValueRow, ScanRunRow, ScanSourceRow
from rgpd.workspace import Workspace
from tests.conftest import make_workspace

pytestmark = pytest.mark.slow
ORG = "mairie"
ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).parent / "dask"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}


def _start_worker(address: str, name: str, tmp: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(DASK),
            "worker",
            address,
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
            "--name",
            name,
            "--local-directory",
            str(tmp / name),
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=(tmp / f"{name}.log").open("wb"),
    )


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A scheduler and two workers; yields their address and worker processes."""
    if not DASK.exists():
        pytest.fail(f"dask CLI not installed next to {sys.executable}")
    tmp = tmp_path_factory.mktemp("dask")
    sched_file = tmp / "scheduler.json"
    sched = subprocess.Popen(
        [
            str(DASK),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(sched_file),
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "scheduler.log").open("wb"),
    )
    workers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        workers.update((n, _start_worker(address, n, tmp)) for n in ("w1", "w2"))
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as c:
            c.wait_for_workers(2, timeout=90)
        yield {"address": address, "workers": workers, "tmp": tmp}
    finally:
        # The workers now in the dict (a test restarts the one it killed), and gone before
        # the scheduler: a worker told to close by its SIGTERM and by the closing scheduler
        # at once can hang in its shutdown, here for the 20 s before it is killed.
        _stop(workers.values())
        _stop([sched])


def _stop(procs: Iterable[subprocess.Popen[bytes]]) -> None:
    procs = list(procs)
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture
def cluster(dask_cluster: dict[str, object]) -> dict[str, object]:
    """The module's cluster with both workers registered: a test that killed one starts a
    new one, which can take seconds to join on a loaded machine; the next test must not
    begin with a single worker (its units would then have nowhere to run when that one
    is killed or times out)."""
    from distributed import Client

    with Client(str(dask_cluster["address"]), timeout=30, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=90)
    return dask_cluster


def _share(root: Path, n: int) -> None:
    """``n`` small letters, each with its own e-mail, phone and IBAN-free text."""
    from faker import Faker

    fake = Faker("fr_FR")
    Faker.seed(11)
    for i in range(n):
        d = root / f"dossier{i % 4}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"lettre{i}.txt").write_text(
            f"Madame, Monsieur,\nJoindre le demandeur : {fake.email(domain='example.org')} "
            f"ou {fake.phone_number()}.\nNIR : {fake.ssn()}\n",
            encoding="utf-8",
        )


def _blank_copy(src: Path, dst: Path) -> None:
    """Same tree, same sizes, no content: what the coordinator sees must not matter."""
    for p in src.rglob("*"):
        q = dst / p.relative_to(src)
        if p.is_dir():
            q.mkdir(parents=True, exist_ok=True)
        else:
            q.parent.mkdir(parents=True, exist_ok=True)
            q.write_bytes(b"x" * p.stat().st_size)


def _ws(base: Path, keys: KeyRing) -> Workspace:
    ws = make_workspace(f"sqlite:///{base / 'store.db'}", base, keys)
    service.add_org(ws, Organisation(slug=ORG, name="Ville"))
    return ws


def _stored(ws: Workspace, root: Path) -> set[tuple[object, ...]]:
    """(relative source, entity, count, evidence, tokens) of everything stored."""
    out: set[tuple[object, ...]] = set()
    with ws.db.session() as s:
        for src, f in s.execute(
            select(ScanSourceRow, FindingRow).join(
                FindingRow, FindingRow.source_id == ScanSourceRow.id
            )
        ):
            toks = tuple(
                sorted(
                    (v.token, v.count)
                    for v in s.execute(
                        select(FindingValueRow).where(
                            FindingValueRow.source_id == src.id,
                            FindingValueRow.entity_type == f.entity_type,
                        )
                    ).scalars()
                )
            )
            rel = str(Path(src.uri).relative_to(root))
            out.add((rel, f.entity_type, f.count, tuple(f.evidence or ()), toks))
    return out


def _baseline(tmp: Path, there: Path, keys: KeyRing) -> set[tuple[object, ...]]:
    from rgpd.scan.executor import InlineExecutor

    ws = _ws(tmp / "local", keys)
    res = scan_files(ws, ORG, [str(there)], depth="quick", executor=InlineExecutor())
    assert res.status == "completed" and not res.errors
    got = _stored(ws, there)
    ws.db.dispose()
    assert got
    return got


def test_dask_gives_exactly_the_findings_of_the_local_pool(
    cluster: dict[str, object], tmp_path: Path
) -> None:
    from rgpd.scan.distributed import DaskExecutor

    there, here = tmp_path / "there", tmp_path / "here"
    _share(there, 12)
    _blank_copy(there, here)
    keys = KeyRing.generate()
    expected = _baseline(tmp_path, there, keys)
    (tmp_path / "remote").mkdir()
    ws = _ws(tmp_path / "remote", keys)
    with DaskExecutor(str(cluster["address"]), path_map=[(str(here), str(there))]) as ex:
        res = scan_files(ws, ORG, [str(here)], depth="quick", executor=ex)
    assert res.status == "completed" and not res.errors
    assert _stored(ws, here) == expected
    # the blind-index key never reached a worker, and no raw value was stored
    dump = (tmp_path / "remote" / "store.db").read_bytes()
    assert keys.index_key not in dump


def test_a_worker_killed_mid_scan_loses_and_doubles_nothing(
    cluster: dict[str, object], tmp_path: Path
) -> None:
    from rgpd.scan.distributed import DaskExecutor

    there, here = tmp_path / "there", tmp_path / "here"
    _share(there, 40)
    _blank_copy(there, here)
    keys = KeyRing.generate()
    expected = _baseline(tmp_path, there, keys)
    (tmp_path / "remote").mkdir()
    ws = _ws(tmp_path / "remote", keys)
    workers = cluster["workers"]
    assert isinstance(workers, dict)
    victim = workers["w1"]
    killed: list[int] = []

    def progress(p: object) -> None:
        if not killed and getattr(p, "files_done", 0) >= 3:
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)

    try:
        with DaskExecutor(
            str(cluster["address"]), path_map=[(str(here), str(there))], window=40
        ) as ex:
            res = scan_files(ws, ORG, [str(here)], depth="quick", executor=ex, progress=progress)
        assert killed and victim.wait(timeout=10) == -signal.SIGKILL
        assert res.status == "completed" and not res.errors
        assert res.counts["scanned"] == 40
        assert _stored(ws, here) == expected
    finally:
        # bring the cluster back to two workers for the other tests
        tmp = cluster["tmp"]
        assert isinstance(tmp, Path)
        shutil.rmtree(tmp / "w1", ignore_errors=True)
        workers["w1"] = _start_worker(str(cluster["address"]), "w1", tmp)


def test_a_hung_or_crashing_unit_fails_alone_and_the_workers_live_on(
    cluster: dict[str, object], tmp_path: Path
) -> None:
    from rgpd.errors import SourceError
    from rgpd.scan.distributed import DaskExecutor
    from tests.scan.test_executor import Unit, work

    pid_file = tmp_path / "hung.pid"
    units = [Unit(1), Unit(2, "hang", str(pid_file)), Unit(3), Unit(4, "exit"), Unit(5)]
    with DaskExecutor(str(cluster["address"]), timeout=3.0, memory_limit=None) as ex:
        results = dict((u.n, r) for u, r in ex.map_units(work, units))
    got = {
        n: (type(r).__name__, r.reason) if isinstance(r, SourceError) else r
        for n, r in results.items()
    }
    said = {n: str(r) for n, r in results.items() if isinstance(r, SourceError)}
    assert got == {
        1: 1,
        2: ("LimitExceeded", "timeout"),
        3: 9,
        4: ("SourceError", "crashed"),
        5: 25,
    }, said  # the errors' messages, should this fail again (once under a loaded full run)
    # the hung unit's process was killed, not left spinning; the Dask workers live on
    hung = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(hung) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(hung)
    workers = cluster["workers"]
    assert isinstance(workers, dict)
    assert all(p.poll() is None for p in workers.values())


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _cannot_start() -> None:
    raise OSError("no room for a unit process")


def test_a_worker_whose_unit_pool_broke_makes_a_new_one() -> None:
    """Kept, a broken pool failed every later unit of its Dask worker, for good."""
    from rgpd.scan import distributed as dist
    from rgpd.scan.executor import LocalPoolExecutor
    from tests.scan.test_executor import Unit, work

    limits = (30.0, None)
    broken = LocalPoolExecutor(
        workers=1, timeout=30.0, memory_limit=None, initializer=_cannot_start
    )
    broken._pool.schedule(work, args=(Unit(0),))  # its process starts, fails, and pebble gives up
    deadline = time.monotonic() + 20
    while not broken.broken and time.monotonic() < deadline:
        time.sleep(0.05)
    assert broken.broken
    dist._POOLS[limits] = broken
    try:
        assert dist.remote_unit(work, (), Unit(3), limits) == ("ok", 9)
        assert dist._POOLS[limits] is not broken
    finally:
        dist._POOLS.pop(limits).stop()


def test_an_unreachable_scheduler_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rgpd.cli import main
    from rgpd.config import load_settings
    from rgpd.workspace import open_workspace

    cfg = tmp_path / "rgpd.toml"
    cfg.write_text(
        f'[rgpd]\ndatabase_url = "sqlite:///{tmp_path / "store.db"}"\norg = "mairie"\n',
        encoding="utf-8",
    )
    settings = load_settings(config_file=cfg)
    KeyRing.generate().save(settings.path(settings.key_file))
    ws = open_workspace(settings)
    service.add_org(ws, Organisation(slug=ORG, name="Ville"))
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / "a.txt").write_text("Bonjour.\n", encoding="utf-8")
    import rgpd.scan.distributed as dist

    old, dist.CONNECT_TIMEOUT = dist.CONNECT_TIMEOUT, 2.0
    try:
        with CliRunner().isolation() as (out, err, _both):
            code = main(
                [
                    "--lang",
                    "en",
                    "--config",
                    str(cfg),
                    "scan",
                    "files",
                    str(tmp_path / "share"),
                    "--executor",
                    "dask",
                    "--scheduler",
                    "tcp://127.0.0.1:1",
                ]
            )
        text = out.getvalue().decode() + err.getvalue().decode()
    finally:
        dist.CONNECT_TIMEOUT = old
    assert code == 2, text
    assert "tcp://127.0.0.1:1" in text and "unreachable" in text
    with ws.db.session() as s:
        assert s.execute(select(ScanRunRow)).first() is None
    ws.db.dispose()


def test_path_maps_are_checked() -> None:
    from rgpd.errors import InvalidInput
    from rgpd.scan.distributed import _swap, parse_path_map

    pm = parse_path_map(["/mnt/partage=/srv/partage", "/mnt/partage/rh=/srv/rh"])
    assert _swap("/mnt/partage/rh/a.txt", pm) == "/srv/rh/a.txt"
    assert _swap("/mnt/partage/b.txt", pm) == "/srv/partage/b.txt"
    assert _swap("/mnt/partagex/b.txt", pm) == "/mnt/partagex/b.txt"
    assert _swap("/srv/partage/b.txt", pm, reverse=True) == "/mnt/partage/b.txt"
    for bad in ("/mnt/partage", "relatif=/srv", "/a="):
        with pytest.raises(InvalidInput):
            parse_path_map([bad])


def test_sealed_values_open_only_with_the_coordinator_box() -> None:
    from rgpd.crypto import SealedBox, seal_to
    from rgpd.errors import CryptoError

    box, other = SealedBox(), SealedBox()
    blob = seal_to(box.public_key, b"jeanne.martin@example.org")
    assert b"jeanne" not in blob
    assert box.open(blob) == b"jeanne.martin@example.org"
    with pytest.raises(CryptoError):
        other.open(blob)
    with pytest.raises(CryptoError):
        box.open(blob[:-1] + bytes([blob[-1] ^ 1]))


def test_schedule_prints_dask_units_without_secrets(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rgpd.cli import main

    args = ["--lang", "en", "--db", f"sqlite:///{tmp_path / 's.db'}", "schedule", "--dask-worker"]
    with CliRunner().isolation() as (out, _err, _both):
        code = main(
            [
                *args,
                "--scheduler",
                "tls://ordonnanceur.example.org:8786",
                "--share",
                "/srv/partage",
                "--tls-ca",
                "/etc/rgpd/ca.pem",
                "--tls-cert",
                "/etc/rgpd/w.pem",
                "--tls-key",
                "/etc/rgpd/w.key",
            ]
        )
    text = out.getvalue().decode()
    assert code == 0, text
    assert "rgpd-dask-scheduler.service" in text and "rgpd-dask-worker.service" in text
    assert "RequiresMountsFor=/srv/partage" in text
    assert "--tls-ca-file /etc/rgpd/ca.pem" in text and "--protocol tls" in text
    assert "RGPD_DATABASE_URL" not in text and "password" not in text.lower()
    with CliRunner().isolation():
        code = main([*args])
    assert code == 2
