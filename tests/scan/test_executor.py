"""The executors: one unit's failure, hang or crash never stops the others."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rgpd.errors import CorruptDocument, LimitExceeded, SourceError, StorageError
from rgpd.scan.executor import Executor, InlineExecutor, LocalPoolExecutor, unit_error


@dataclass(frozen=True)
class Unit:
    n: int
    action: str = "ok"
    arg: str = ""


def work(unit: Unit) -> int | str:
    """Module-level (picklable by reference), as the protocol requires."""
    if unit.action == "ok":
        return unit.n * unit.n
    if unit.action == "pid":
        return os.getpid()
    if unit.action == "corrupt":
        raise CorruptDocument(f"unit {unit.n} is damaged")
    if unit.action == "bug":
        raise ValueError(f"bug in unit {unit.n}")
    if unit.action == "storage":
        raise StorageError("database unreachable")
    if unit.action == "hang":
        Path(unit.arg).write_text(str(os.getpid()))
        while True:
            time.sleep(0.05)
    if unit.action == "exit":
        os._exit(3)
    if unit.action == "alloc":
        block = bytearray(int(unit.arg))
        return len(block)
    raise AssertionError(unit.action)


@pytest.fixture
def pool() -> Iterator[LocalPoolExecutor]:
    with LocalPoolExecutor(workers=2, timeout=30, max_tasks=0) as executor:
        yield executor


def _summary(outcomes: Iterator[tuple[Unit, int | str | SourceError]]) -> dict[int, object]:
    out: dict[int, object] = {}
    for unit, result in outcomes:
        out[unit.n] = (
            (type(result).__name__, result.reason) if isinstance(result, SourceError) else result
        )
    return out


MIXED = [Unit(0), Unit(1, "corrupt"), Unit(2), Unit(3, "bug"), Unit(4), Unit(5, "corrupt"), Unit(6)]


def test_inline_and_pool_give_the_same_outcomes(pool: LocalPoolExecutor) -> None:
    inline = _summary(InlineExecutor().map_units(work, MIXED))
    pooled = _summary(pool.map_units(work, MIXED))
    assert inline == pooled
    assert inline[0] == 0 and inline[6] == 36
    assert inline[1] == ("CorruptDocument", "corrupt")
    assert inline[3] == ("SourceError", "error")


@pytest.mark.parametrize("executor_kind", ["inline", "pool"])
def test_a_bug_becomes_an_error_naming_the_exception(
    executor_kind: str, pool: LocalPoolExecutor
) -> None:
    executor: Executor = InlineExecutor() if executor_kind == "inline" else pool
    [(_unit, result)] = list(executor.map_units(work, [Unit(1, "bug")]))
    assert isinstance(result, SourceError)
    assert "ValueError" in str(result) and "bug in unit 1" in str(result)
    assert any("ValueError" in note for note in getattr(result, "__notes__", []))


@pytest.mark.parametrize("executor_kind", ["inline", "pool"])
def test_errors_that_are_not_about_one_unit_stop_the_run(
    executor_kind: str, pool: LocalPoolExecutor
) -> None:
    executor: Executor = InlineExecutor() if executor_kind == "inline" else pool
    with pytest.raises(StorageError):
        list(executor.map_units(work, [Unit(1, "storage")]))


def test_timeout_kills_a_hung_unit_and_the_rest_goes_on(tmp_path: Path) -> None:
    marker = tmp_path / "hung.pid"
    units = [Unit(0, "hang", str(marker)), *[Unit(i) for i in range(1, 6)]]
    with LocalPoolExecutor(workers=2, timeout=1.0) as executor:
        results = _summary(executor.map_units(work, units))
    assert results[0] == ("LimitExceeded", "timeout")
    assert {n: results[n] for n in range(1, 6)} == {n: n * n for n in range(1, 6)}
    hung = int(marker.read_text())
    for _ in range(100):  # the killed worker is reaped by the pool
        try:
            os.kill(hung, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"hung worker {hung} is still alive")


def test_a_crashing_worker_does_not_stop_the_others(pool: LocalPoolExecutor) -> None:
    units = [Unit(0), Unit(1, "exit"), Unit(2), Unit(3, "exit"), Unit(4)]
    results = _summary(pool.map_units(work, units))
    assert results[1] == ("SourceError", "crashed") == results[3]
    assert results[0] == 0 and results[2] == 4 and results[4] == 16
    # and the pool still serves new work afterwards
    assert _summary(pool.map_units(work, [Unit(7)])) == {7: 49}


def _late_acknowledgements(executor: LocalPoolExecutor, seconds: float) -> None:
    """The pool reads each worker's "I took unit n" that much later, as on a loaded
    machine where its message thread waits for the CPU: a unit that kills its process at
    once is then dead before the pool knows who was running it."""
    tasks = executor._pool._pool_manager.task_manager
    start = tasks.task_start

    def late(task_id: int, worker_id: int | None) -> None:
        time.sleep(seconds)
        start(task_id, worker_id)

    tasks.task_start = late


def test_a_unit_that_kills_its_process_at_once_is_crashed_even_on_a_loaded_machine() -> None:
    # one process, one unit at a time: each Dask worker's pool (distributed._unit_pool)
    with LocalPoolExecutor(workers=1, timeout=30, memory_limit=None, max_tasks=0) as executor:
        _late_acknowledgements(executor, 0.3)
        crash = executor.run_one(work, Unit(4, "exit"))
        # pebble alone: "unexpected BrokenProcessPool", then every later unit raised
        assert isinstance(crash, SourceError) and crash.reason == "crashed", str(crash)
        assert executor.run_one(work, Unit(3)) == 9


def test_a_crash_beside_a_running_unit_is_crashed_not_timed_out(tmp_path: Path) -> None:
    marker = tmp_path / "hung.pid"

    def units() -> Iterator[Unit]:
        yield Unit(1, "hang", str(marker))
        while not marker.exists():  # the hung unit runs, and the pool knows it
            time.sleep(0.05)
        time.sleep(0.5)
        yield Unit(2, "exit")
        yield Unit(3)

    with LocalPoolExecutor(workers=2, timeout=2.0, memory_limit=None, max_tasks=0) as executor:
        _late_acknowledgements(executor, 0.3)
        results = _summary(executor.map_units(work, units()))
    # pebble alone forgot the death: the unit waited out its time limit ("timeout"),
    # or for ever without one
    assert results == {1: ("LimitExceeded", "timeout"), 2: ("SourceError", "crashed"), 3: 9}


def test_crash_message_gives_the_exit_code(pool: LocalPoolExecutor) -> None:
    [(_unit, result)] = list(pool.map_units(work, [Unit(1, "exit")]))
    assert isinstance(result, SourceError) and "3" in str(result)


def test_workers_are_recycled_after_max_tasks() -> None:
    with LocalPoolExecutor(workers=1, max_tasks=2, timeout=30) as executor:
        pids = [r for _u, r in executor.map_units(work, [Unit(i, "pid") for i in range(6)])]
    assert len(pids) == 6
    assert len(set(pids)) == 3
    assert os.getpid() not in pids


def test_memory_cap_turns_a_runaway_unit_into_an_error() -> None:
    from rgpd.scan.executor import _address_space

    base = _address_space()
    if not base:
        pytest.skip("needs /proc/self/status")
    cap = base + 512 * 1024 * 1024
    units = [Unit(0, "alloc", str(2 * cap)), Unit(1, "alloc", str(1024 * 1024)), Unit(2)]
    with LocalPoolExecutor(workers=1, memory_limit=cap, timeout=60) as executor:
        results = _summary(executor.map_units(work, units))
    assert results[0] == ("LimitExceeded", "memory")
    assert results[1] == 1024 * 1024
    assert results[2] == 4


def test_units_are_consumed_lazily_and_abandoning_is_safe() -> None:
    pulled: list[int] = []

    def endless() -> Iterator[Unit]:
        for i in itertools.count():
            pulled.append(i)
            yield Unit(i)

    with LocalPoolExecutor(workers=2, window=4, timeout=30) as executor:
        got = []
        for unit, result in executor.map_units(work, endless()):
            got.append((unit.n, result))
            if len(got) == 5:
                break
    assert all(result == n * n for n, result in got)
    assert len(pulled) <= 5 + 4 + 1


def test_results_stream_as_they_complete(tmp_path: Path) -> None:
    """A fast unit is not held back behind a slow one."""
    marker = tmp_path / "hung.pid"
    units = [Unit(0, "hang", str(marker)), Unit(1)]
    with LocalPoolExecutor(workers=2, timeout=1.5) as executor:
        order = [unit.n for unit, _r in executor.map_units(work, units)]
    assert order == [1, 0]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (CorruptDocument("x"), ("CorruptDocument", "corrupt")),
        (MemoryError(), ("LimitExceeded", "memory")),
        (RecursionError(), ("CorruptDocument", "corrupt")),
        (KeyError("k"), ("SourceError", "error")),
        (StorageError("down"), None),
        (KeyboardInterrupt(), None),
    ],
)
def test_unit_error_classification(exc: BaseException, expected: tuple[str, str] | None) -> None:
    err = unit_error(exc)
    got = None if err is None else (type(err).__name__, err.reason)
    assert got == expected
    if isinstance(err, LimitExceeded):
        assert isinstance(err, SourceError)


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LocalPoolExecutor(workers=0)
