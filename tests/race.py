"""Races run for real: ``n`` threads released at once by a barrier (one-time links, CSRF
tokens, audit appends, references, locks). One helper, so that every race test waits,
joins and reports crashes the same way."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

E = TypeVar("E", bound=BaseException)


def together(
    n: int, work: Callable[[int], object], *, timeout: float = 180
) -> tuple[list[object], list[BaseException]]:
    """``n`` threads released at once on ``work(i)``: (results, exceptions raised)."""
    start = threading.Barrier(n)
    results: list[object] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        start.wait()
        try:
            results.append(work(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors


def split_refusals(
    errors: list[BaseException], refusal: type[E]
) -> tuple[list[E], list[BaseException]]:
    """The expected refusals among ``errors``, and whatever else was raised (a crash)."""
    refused = [e for e in errors if isinstance(e, refusal)]
    return refused, [e for e in errors if not isinstance(e, refusal)]
