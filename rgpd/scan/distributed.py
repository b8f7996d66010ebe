"""Running scan units on a Dask cluster, when one machine is not enough (issue 11).

The :class:`DaskExecutor` is an :class:`~rgpd.scan.executor.Executor` like the local
pool: the scanner hands it the same ``run_unit`` and the same work units, and it
yields ``(unit, result)`` pairs as they finish. What changes, and why:

* **Workers read the share through their own mount.** A unit names the file as the
  coordinator sees it (``/mnt/partage/…``); ``path_map`` rewrites the prefix for the
  worker (``/srv/partage/…``) and the result's sources back, so findings are stored
  under the coordinator's path whichever worker read the file.
* **Only the coordinator writes.** Workers return results; the ``rgpd`` process
  commits them. A worker holds no database URL and no credentials.
* **No key, no raw value on the network.** Workers never get the blind-index key
  (a worker that held it could confirm a guessed value against every stored token):
  they get the public half of a key pair made for this run, and seal each finding's
  normalised values (and, with ``--keep-evidence``, its raw samples) to it
  (:class:`rgpd.crypto.SealedBox`). Masked evidence travels as is. The coordinator
  opens the payloads and computes the HMAC tokens itself. TLS (``security``) also
  encrypts the link and authenticates both ends.
* **Faults.** A worker killed mid-unit: the scheduler runs the unit again on another
  worker (``allowed_failures``) and the coordinator receives its result once, so no
  finding is lost or counted twice. A scheduler that cannot be reached: a
  ``ConfigError`` (exit 2) raised before the run starts, so nothing is written. A
  killed coordinator: the next run resumes from what was committed, as with the
  local pool (the commit protocol is the scanner's, not the executor's).

* **Per-unit limits.** Each Dask worker runs its units in a small process pool of its
  own (one process per worker thread, the local pool's code): a unit past its time
  limit or memory cap has its process killed and comes back as a ``timeout`` /
  ``memory`` error, while the worker and the rest of the scan go on. A thread could
  not be stopped, and killing the whole worker would make Dask re-run the unit
  elsewhere, killing worker after worker.
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from rgpd.errors import ConfigError, InvalidInput, RgpdError, SourceError
from rgpd.i18n import _
from rgpd.scan.executor import LocalPoolExecutor, _run_unit, unit_error
from rgpd.scan.extract.model import GiB, Reason, source_error

U = TypeVar("U")
R = TypeVar("R")

#: Seconds to wait for the scheduler before giving up (exit 2, nothing written).
CONNECT_TIMEOUT = 10.0
#: Per-unit limits on the workers, as in the local pool: seconds, and bytes of address
#: space of the process that reads the unit.
UNIT_TIMEOUT = 300.0
UNIT_MEMORY = 3 * GiB


@dataclass(frozen=True)
class TlsFiles:
    """Dask TLS: the CA that signed the cluster's certificates, and this client's pair."""

    ca: str
    cert: str
    key: str

    def security(self) -> Any:
        from distributed.security import Security

        return Security(
            tls_ca_file=self.ca,
            tls_client_cert=self.cert,
            tls_client_key=self.key,
            require_encryption=True,
        )


def parse_path_map(items: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``/mnt/partage=/srv/partage`` → (coordinator prefix, worker prefix).

    Raises ``InvalidInput``.
    """
    out: list[tuple[str, str]] = []
    for item in items:
        here, sep, there = item.partition("=")
        if not sep or not here.startswith("/") or not there.startswith("/"):
            raise InvalidInput(
                "path_map",
                _("expected COORDINATOR_PATH=WORKER_PATH (absolute paths), got {item}", item=item),
            )
        out.append((here.rstrip("/") or "/", there.rstrip("/") or "/"))
    # longest prefix first, so /mnt/partage/rh wins over /mnt/partage
    return tuple(sorted(out, key=lambda p: -len(p[0])))


def _swap(path: str, pairs: Sequence[tuple[str, str]], reverse: bool = False) -> str:
    for a, b in pairs:
        src, dst = (b, a) if reverse else (a, b)
        if path == src or path.startswith(src.rstrip("/") + "/"):
            return dst + path[len(src) :]
    return path


def _to_worker(unit: Any, path_map: Sequence[tuple[str, str]]) -> Any:
    if hasattr(unit, "units"):  # a group of small files
        return replace(unit, units=tuple(_to_worker(u, path_map) for u in unit.units))
    return replace(unit, path=_swap(unit.path, path_map))


def _to_coordinator(value: Any, unit: Any, path_map: Sequence[tuple[str, str]]) -> None:
    if hasattr(value, "results"):  # a group's results, in the group's order
        for res, one in zip(value.results, unit.units, strict=True):
            _to_coordinator(res, one, path_map)
        return
    if hasattr(value, "findings"):
        value.unit = unit
        for item in (*value.findings, *value.errors, *value.skipped):
            object.__setattr__(item, "source", _swap(item.source, path_map, reverse=True))


# -- worker side: each Dask worker process runs its units in its own small pool --------

_POOL_LOCK = threading.Lock()
_POOLS: dict[tuple[float | None, int | None], LocalPoolExecutor] = {}


def _die_with_parent() -> None:
    """A unit process must not outlive its Dask worker (SIGKILLed, VM lost)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass


def _unit_pool(timeout: float | None, memory_limit: int | None) -> LocalPoolExecutor:
    """This Dask worker's unit processes, one per worker thread, started on first use.

    Why a process under the Dask worker: a thread cannot be stopped, so a unit stuck in
    a C parser could only be timed out by killing the worker, and Dask would then re-run
    it on the next worker, and the next. In a child process it is killed alone, recorded
    as ``timeout`` (or ``memory``, or ``crashed`` for a segfault) and the worker goes on.
    A pool that pebble gave up is replaced: kept, it would fail every later unit sent
    to this worker, for as long as the worker lives.
    """
    key = (timeout, memory_limit)
    with _POOL_LOCK:
        pool = _POOLS.get(key)
        if pool is not None and pool.broken:
            pool.stop()  # reaps what is left of its processes
            pool = None
        if pool is None:
            try:
                from distributed import get_worker

                threads = int(get_worker().state.nthreads)
            except (ImportError, ValueError, AttributeError):
                threads = 1
            pool = _POOLS[key] = LocalPoolExecutor(
                workers=max(threads, 1),
                timeout=timeout,
                memory_limit=memory_limit,
                initializer=_die_with_parent,
            )
        return pool


def remote_unit(
    fn: Callable[[Any], Any],
    path_map: tuple[tuple[str, str], ...],
    unit: Any,
    limits: tuple[float | None, int | None] | None = None,
) -> tuple[str, Any]:
    """What a Dask worker runs: the unit with its path mapped, its result mapped back.

    ``limits`` (timeout in seconds, memory cap in bytes): the unit runs in a process of
    the worker's :func:`_unit_pool`, killed when it exceeds them. None: in this thread.
    """
    local = _to_worker(unit, path_map) if path_map else unit
    if limits is None:
        status, value = _run_unit(fn, local)
    else:
        try:
            value = _unit_pool(*limits).run_one(fn, local)
        except RgpdError as exc:  # raised by a unit: stops the run, as in the local pool
            return "fatal", exc
        status = "error" if isinstance(value, SourceError) else "ok"
    if status == "ok" and path_map:
        _to_coordinator(value, unit, path_map)
    return status, value


class DaskExecutor:
    """Scan units on a Dask ``distributed`` cluster; see the module docstring."""

    def __init__(
        self,
        scheduler: str,
        *,
        path_map: Sequence[tuple[str, str]] = (),
        tls: TlsFiles | None = None,
        window: int | None = None,
        connect_timeout: float | None = None,
        timeout: float | None = UNIT_TIMEOUT,
        memory_limit: int | None = UNIT_MEMORY,
        isolate: bool = True,
    ) -> None:
        """``timeout`` and ``memory_limit`` apply to each unit, in a process of its own
        under the Dask worker (``isolate``); ``isolate=False`` runs units in the worker's
        thread, without limits (a hung unit then holds its worker for good)."""
        from distributed import Client

        self.scheduler = scheduler
        self.path_map = tuple(path_map)
        self.limits: tuple[float | None, int | None] | None = (
            (timeout, memory_limit) if isolate else None
        )
        try:
            self._client = Client(
                scheduler,
                timeout=connect_timeout or CONNECT_TIMEOUT,
                security=tls.security() if tls else None,
                set_as_default=False,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(
                _(
                    "Dask scheduler {address} unreachable ({error}): check the address, "
                    "that the scheduler runs, and the firewall",
                    address=scheduler,
                    error=type(exc).__name__,
                )
            ) from exc
        threads = sum(w.get("nthreads", 1) for w in self._workers().values()) or 1
        self.window = window or max(8, threads * 4)

    def _workers(self) -> dict[str, Any]:
        return dict(self._client.scheduler_info().get("workers", {}))

    def remote_config(self, config: Any) -> tuple[Any, Any]:
        """The worker's config without the blind-index key, and the box that opens
        what workers seal (one key pair per run, never written anywhere)."""
        from rgpd.crypto import SealedBox

        box = SealedBox()
        return replace(config, index_key=b"", seal_to=box.public_key), box

    def map_units(
        self, fn: Callable[[U], R], units: Iterable[U]
    ) -> Iterator[tuple[U, R | SourceError]]:
        from distributed import as_completed

        run = f"rgpd-{uuid.uuid4().hex[:8]}"
        pending: dict[Any, U] = {}
        source = iter(units)
        n = 0

        def submit_one() -> Any:
            nonlocal n
            try:
                unit = next(source)
            except StopIteration:
                return None
            n += 1
            fut = self._client.submit(
                remote_unit, fn, self.path_map, unit, self.limits, key=f"{run}-{n}", pure=False
            )
            pending[fut] = unit
            return fut

        first = [f for f in (submit_one() for _ in range(self.window)) if f is not None]
        if not first:
            return
        # At most ``window`` units in flight: a million-file share is fed as it goes.
        # ``with_results``: each result is fetched from its worker in the client's event
        # loop as soon as the unit finishes, concurrently with the others, instead of one
        # blocking round trip per unit here (``fut.result()``), one after the other.
        done = as_completed(first, loop=self._client.loop, with_results=True, raise_errors=False)
        try:
            for fut, result in done:
                unit = pending.pop(fut)
                outcome = self._outcome(fut, result)
                fut.release()
                more = submit_one()
                if more is not None:
                    done.add(more)
                yield unit, outcome
        finally:
            for left in pending:
                left.cancel()

    def _outcome(self, fut: Any, result: Any) -> Any:
        """``result`` as ``as_completed(with_results=True, raise_errors=False)`` gives it:
        the task's value, or for a failed task the ``(type, exception, traceback)``."""
        from distributed.scheduler import KilledWorker

        try:
            if isinstance(result, BaseException):  # cancelled
                raise result
            if fut.status == "error":
                raise result[1] if isinstance(result, tuple) else result
            status, value = result
        except KilledWorker:
            return source_error(
                SourceError,
                Reason.CRASHED,
                _("workers died while reading this file, several times: given up"),
            )
        except BaseException as exc:
            err = unit_error(exc)
            if err is None:
                raise
            return err
        if status == "fatal":
            raise value
        return value

    def close(self) -> None:
        self._client.close()

    def stop(self) -> None:
        self.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_executor(
    kind: str | None,
    scheduler: str | None,
    *,
    path_map: Sequence[str] = (),
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
) -> DaskExecutor | None:
    """The executor named by ``--executor`` / ``executor =`` in rgpd.toml: ``None`` for
    the local pool, a connected :class:`DaskExecutor` for ``dask``.

    Raises ``ConfigError`` / ``InvalidInput`` (exit 2) before anything is written: a
    missing scheduler address, half a TLS configuration, an unreachable scheduler.
    """
    if kind in (None, "", "local"):
        return None
    if kind != "dask":
        raise InvalidInput("executor", _("unknown executor {kind}: local or dask", kind=kind))
    if not scheduler:
        raise ConfigError(_("the dask executor needs a scheduler address (tcp://HOST:8786)"))
    tls_parts = (tls_ca, tls_cert, tls_key)
    if any(tls_parts) and not all(tls_parts):
        raise ConfigError(_("Dask TLS needs the CA, the certificate and the key"))
    tls = TlsFiles(str(tls_ca), str(tls_cert), str(tls_key)) if all(tls_parts) else None
    if scheduler.startswith("tls://") and tls is None:
        raise ConfigError(_("a tls:// scheduler needs --tls-ca, --tls-cert and --tls-key"))
    return DaskExecutor(scheduler, path_map=parse_path_map(path_map), tls=tls)


def executor_for_profile(extra: dict[str, Any]) -> DaskExecutor | None:
    """``executor``, ``scheduler``, ``path_map``, ``tls_ca/cert/key`` of a profile."""
    pm = extra.get("path_map") or []
    return open_executor(
        extra.get("executor"),
        extra.get("scheduler"),
        path_map=[pm] if isinstance(pm, str) else list(pm),
        tls_ca=extra.get("tls_ca"),
        tls_cert=extra.get("tls_cert"),
        tls_key=extra.get("tls_key"),
    )
