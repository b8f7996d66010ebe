"""Running independent work units: in this process, or in a pool of killable workers.

A scan is a stream of units (a file, an archive batch, later a table); each
unit's outcome is either its result or a ``SourceError`` saying why it failed,
so one hostile file never stops the scan. The :class:`Executor` protocol is
all the scanner knows: a distributed engine can replace the local pool later,
which is why units must be picklable (dataclasses) and ``fn`` a module-level
function.

The pool is built on pebble because ``concurrent.futures`` cannot kill a
worker stuck in a C parser: here a unit that runs past its timeout has its
worker killed and replaced; a worker that dies (segfault, ``os._exit``,
out-of-memory kill) costs only its unit; workers are recycled after
``max_tasks`` units to return leaked memory; and ``RLIMIT_AS`` turns runaway
allocations into ``MemoryError`` instead of the machine's OOM killer.
"""

from __future__ import annotations

import functools
import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from typing import Any, Protocol, TypeVar, cast

from rgpd.errors import (
    CorruptDocument,
    LimitExceeded,
    RgpdError,
    SourceError,
    safe_detail,
    safe_text,
)
from rgpd.i18n import _
from rgpd.scan.extract.model import GiB, Reason, source_error

U = TypeVar("U")
R = TypeVar("R")


class Executor(Protocol):
    """Runs ``fn`` over units and yields ``(unit, result or SourceError)`` as they finish.

    Order is not guaranteed. Errors that are not about one unit (a
    ``StorageError``, a ``ConfigError``) are raised, because going on would
    fail every unit the same way.
    """

    def map_units(
        self, fn: Callable[[U], R], units: Iterable[U]
    ) -> Iterator[tuple[U, R | SourceError]]: ...

    def close(self) -> None: ...


def unit_error(exc: BaseException) -> SourceError | None:
    """The per-unit error for ``exc``; None when it must stop the whole run."""
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, RgpdError):
        return None
    if isinstance(exc, MemoryError):
        return source_error(LimitExceeded, Reason.MEMORY, _("out of memory (worker memory cap)"))
    if isinstance(exc, RecursionError):
        return source_error(CorruptDocument, Reason.CORRUPT, _("structure nested too deeply"))
    if isinstance(exc, Exception):
        err = source_error(
            SourceError,
            Reason.ERROR,
            _("unexpected {kind}: {error}", kind=type(exc).__name__, error=safe_text(str(exc))),
        )
        # Frames only: the exception's own text may quote the content that failed.
        err.add_note("".join(traceback.format_tb(exc.__traceback__, limit=-8))[-4000:])
        return err
    return None  # KeyboardInterrupt, SystemExit: stop


class InlineExecutor:
    """Same process, one unit at a time: tests, debugging and ``--workers 1``.

    It cannot enforce timeouts or memory caps; use :class:`LocalPoolExecutor`
    on untrusted files when that matters.
    """

    def map_units(
        self, fn: Callable[[U], R], units: Iterable[U]
    ) -> Iterator[tuple[U, R | SourceError]]:
        for unit in units:
            try:
                result: R | SourceError = fn(unit)
            except BaseException as exc:
                err = unit_error(exc)
                if err is None:
                    raise
                result = err
            yield unit, result

    def close(self) -> None:
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- worker side (module level: pickled by reference) ------------------------------------


def _init_worker(
    memory_limit: int | None, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    # The user's initializer (loading models) runs before the cap: a worker
    # that cannot even start would be restarted by the pool forever.
    if initializer is not None:
        initializer(*initargs)
    if memory_limit:
        import resource

        # A forked worker inherits its parent's mappings; a cap below them
        # would fail every unit, so keep headroom above what is already used.
        limit = max(memory_limit, _address_space() + _HEADROOM)
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


_HEADROOM = 256 * 1024 * 1024
#: How often pebble's manager threads look at the pool (its default: 0.1 s).
_POLL_SECONDS = 0.01


def _address_space() -> int:
    """Current virtual size of this process (Linux), 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _run_unit(fn: Callable[[Any], Any], unit: Any) -> tuple[str, Any]:
    """Run one unit; errors travel back as values so they always pickle."""
    try:
        return "ok", fn(unit)
    except BaseException as exc:
        err = unit_error(exc)
        if err is None:
            if isinstance(exc, RgpdError):
                return "fatal", _picklable(exc)
            raise
        return "error", _picklable(err)


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.dumps(exc)
        return exc
    except Exception:
        message = str(exc) if isinstance(exc, SourceError) else safe_detail(exc)
        return source_error(SourceError, getattr(exc, "reason", Reason.ERROR), message[:500])


#: Seconds a dead worker's acknowledgement of a unit may take to be read, once nothing is
#: left in the pipe, before its death is judged as pebble would (a worker that died idle).
_ACK_GRACE = 1.0


@functools.cache
def _process_pool_class() -> type[Any]:
    """pebble's ``ProcessPool`` whose manager waits for a dead worker's acknowledgement.

    A pool worker takes a unit, sends its acknowledgement through the pipe and runs the
    unit; a unit that kills its process at once (``os._exit``, a segfault in a parser)
    can be dead before the pool's message thread has read that acknowledgement, the
    more likely the busier the machine. pebble's manager thread, seeing the death
    first, finds no unit on that worker: with no other unit running it declares the
    whole pool broken (``BrokenProcessPool: All workers expired``: every unit in flight
    comes back as an unexpected error and every later one raises), otherwise it forgets
    the death and the unit waits for its timeout, then passes for a ``timeout`` (or
    waits forever without one). Here the death is kept until the acknowledgement is
    read, and the unit fails as ``crashed``, alone. A worker that died holding no unit
    (its initializer failed) is judged as pebble does, once its pipe is drained.
    Built on first use: pebble is imported only by the processes that run a pool.
    """
    from pebble import ProcessPool
    from pebble.common import ProcessExpired, Result, ResultStatus
    from pebble.pool.process import PoolManager

    class PatientPoolManager(PoolManager):
        def __init__(self, context: Any, mp_context: Any) -> None:
            super().__init__(context, mp_context)
            self.dead: dict[int, tuple[int, float]] = {}  # pid → (exit code, seen at)

        def handle_worker_expiration(self, expiration: tuple[int, int]) -> None:
            pid, code = expiration
            self.dead[pid] = (code, time.monotonic())

        def update_workers(self) -> None:
            super().update_workers()
            if self.dead:
                self._settle()

        def _settle(self) -> None:
            if self._unread():  # what the dead worker said last (its result, its next
                return  # acknowledgement) is read first, or the wrong unit would fail
            while True:  # pebble's own idiom: another thread may be changing the dict
                try:
                    tasks = tuple(self.task_manager.tasks.values())
                    break
                except RuntimeError:
                    pass
            for pid, (code, since) in tuple(self.dead.items()):
                task = next((t for t in tasks if t.worker_id == pid), None)
                if task is not None:
                    del self.dead[pid]
                    error = ProcessExpired("Abnormal termination", code=code, pid=pid)
                    self.task_manager.task_done(task.id, Result(ResultStatus.ERROR, error))
                elif time.monotonic() - since > _ACK_GRACE:
                    del self.dead[pid]
                    super().handle_worker_expiration((pid, code))

        def _unread(self) -> bool:
            channel = self.worker_manager.pool_channel
            return channel is not None and bool(channel.poll(0))

    class PatientProcessPool(ProcessPool):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            mp_context = kwargs.get("context", multiprocessing)
            self._pool_manager = PatientPoolManager(self._context, mp_context)

    return PatientProcessPool


class LocalPoolExecutor:
    """Worker processes with per-unit timeout, memory cap and recycling.

    ``timeout`` (seconds, None for none) kills a unit's worker when exceeded;
    ``memory_limit`` (bytes of address space per worker, None for none) must
    leave room for what the worker loads (spaCy's French model maps ~0.7 GB);
    ``max_tasks`` recycles a worker after that many units (0: never);
    ``initializer(*initargs)`` runs once in each new worker (load models there).
    At most ``window`` units are in flight, so a generator of a million files
    is consumed as the pool progresses.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        timeout: float | None = 300.0,
        memory_limit: int | None = 3 * GiB,
        max_tasks: int = 500,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        window: int | None = None,
        start_method: str | None = None,
    ) -> None:
        from pebble.common.types import CONSTS

        # pebble's manager threads poll every ``sleep_unit`` (0.1 s): closing the pool
        # waited up to that long after the last unit, at the end of every scan.
        CONSTS.sleep_unit = min(CONSTS.sleep_unit, _POLL_SECONDS)
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.workers = workers
        self.timeout = timeout
        self.window = window or workers * 4
        context = multiprocessing.get_context(start_method) if start_method else multiprocessing
        self._pool = _process_pool_class()(
            max_workers=workers,
            max_tasks=max_tasks,
            initializer=_init_worker,
            initargs=(memory_limit, initializer, initargs),
            context=context,
        )

    def map_units(
        self, fn: Callable[[U], R], units: Iterable[U]
    ) -> Iterator[tuple[U, R | SourceError]]:
        pending: dict[Future[Any], U] = {}
        source = iter(units)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < self.window:
                    try:
                        unit = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    scheduled: Future[Any] = self._pool.schedule(
                        _run_unit, args=(fn, unit), timeout=self.timeout
                    )
                    pending[scheduled] = unit
                if not pending:
                    return
                done, _still = wait(list(pending), return_when=FIRST_COMPLETED)
                for finished in done:
                    unit = pending.pop(finished)
                    yield unit, self._outcome(finished)
        finally:
            for left in pending:
                left.cancel()

    def run_one(self, fn: Callable[[U], R], unit: U) -> R | SourceError:
        """One unit, waited for: its result or the ``SourceError`` saying why it failed.

        What a Dask worker uses to give its units the pool's time limit and memory cap.
        """
        future: Future[Any] = self._pool.schedule(_run_unit, args=(fn, unit), timeout=self.timeout)
        return cast("R | SourceError", self._outcome(future))

    def _outcome(self, future: Future[Any]) -> Any:
        from pebble import ProcessExpired

        try:
            status, value = future.result()
        except TimeoutError:
            return source_error(
                LimitExceeded,
                Reason.TIMEOUT,
                _("took longer than {seconds} s: worker stopped", seconds=self.timeout),
            )
        except ProcessExpired as exc:
            return source_error(
                SourceError,
                Reason.CRASHED,
                _("worker died while reading (exit code {code})", code=exc.exitcode),
            )
        except CancelledError:
            return source_error(SourceError, Reason.ERROR, _("cancelled"))
        except BaseException as exc:  # pickling trouble, pool failure
            err = unit_error(exc)
            if err is None:
                raise
            return err
        if status == "fatal":
            raise value
        return value

    @property
    def broken(self) -> bool:
        """pebble gave this pool up (no worker could start, its pipe failed), or it was
        stopped: every later unit would raise. Whoever keeps a pool makes a new one."""
        return not self._pool.active

    def close(self) -> None:
        self._pool.close()
        self._pool.join()

    def stop(self) -> None:
        """Kill the workers now (on interruption)."""
        self._pool.stop()
        self._pool.join()

    def __enter__(self) -> LocalPoolExecutor:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.stop()
