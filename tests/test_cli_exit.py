"""How the ``rgpd`` process ends (``rgpd.cli.entry``): without the interpreter's teardown,
but with everything a normal exit does that anyone can see (issue 11: 50-60 ms of the
fixed cost of a scan went to freeing the model's objects one by one at exit)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, body: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """``body`` (after the imports), then ``entry()`` with ``args``, in a fresh interpreter
    working in ``tmp_path``. The file ``normal-exit`` says that ``entry()`` ended by
    ``sys.exit`` (the interpreter's teardown follows) rather than ``os._exit``."""
    code = (
        "import atexit, os, sys, threading, time\n"
        + body
        + f"\nsys.argv = ['rgpd', *{args!r}]\nfrom rgpd.cli import entry\n"
        + "try:\n    entry()\nexcept SystemExit:\n"
        + "    open('normal-exit', 'w').write('yes')\n    raise\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        },
    )


def test_the_process_ends_without_teardown_after_the_exit_handlers(tmp_path: Path) -> None:
    body = (
        "import tempfile\n"
        "kept = tempfile.TemporaryDirectory(dir='.')\n"  # removed by weakref.finalize
        "open('kept-dir', 'w').write(kept.name)\n"
        "atexit.register(lambda: open('handler-ran', 'w').write('yes'))\n"
        "sys.stdout.write('x' * 200_000)\n"  # buffered: written only if flushed
    )
    proc = _run(tmp_path, body, ["--version"])
    assert proc.returncode == 0
    assert proc.stdout.startswith("x" * 200_000)
    assert "rgpd" in proc.stdout[200_000:]
    assert not (tmp_path / "normal-exit").exists()  # the teardown was skipped...
    assert (tmp_path / "handler-ran").read_text() == "yes"  # ...not the atexit handlers
    assert not Path((tmp_path / "kept-dir").read_text()).exists()


def test_the_exit_status_is_kept(tmp_path: Path) -> None:
    proc = _run(tmp_path, "", ["no-such-command"])
    assert proc.returncode == 2
    assert not (tmp_path / "normal-exit").exists()


def test_the_database_is_closed_first(tmp_path: Path) -> None:
    """SQLite folds its WAL into the database and removes it when the last connection
    closes: skipped with the teardown, it would be left beside every database."""
    db = f"sqlite:///{tmp_path / 'w.db'}"
    for args in (["--db", db, "init"], ["--db", db, "org", "add", "m", "--name", "M"]):
        proc = _run(tmp_path, "", args)
        assert proc.returncode == 0, proc.stderr
        assert not (tmp_path / "normal-exit").exists()
        assert not (tmp_path / "w.db-wal").exists()
    listed = _run(tmp_path, "", ["--db", db, "org", "list"])
    assert listed.returncode == 0
    assert "m" in listed.stdout


def test_a_running_thread_gets_the_normal_exit(tmp_path: Path) -> None:
    """Python waits for a non-daemon thread at exit; so does entry(). The thread runs
    until the main thread has finished (as a server's would), however slow the start."""
    body = (
        "def late():\n"
        "    while threading.main_thread().is_alive():\n"
        "        time.sleep(0.01)\n"
        "    open('thread-done', 'w').write('yes')\n"
        "threading.Thread(target=late).start()\n"
    )
    proc = _run(tmp_path, body, ["--version"])
    assert proc.returncode == 0
    assert (tmp_path / "thread-done").read_text() == "yes"
    assert (tmp_path / "normal-exit").exists()


def test_a_profiler_gets_the_normal_exit(tmp_path: Path) -> None:
    """cProfile and coverage write their results once the program has returned."""
    body = "import cProfile\ncProfile.Profile().enable()\n"
    proc = _run(tmp_path, body, ["--version"])
    assert proc.returncode == 0
    assert (tmp_path / "normal-exit").exists()
