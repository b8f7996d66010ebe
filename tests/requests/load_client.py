"""HTTP clients and a waitress server for the load tests and benchmarks/bench_intake.py.

Real sockets on 127.0.0.1: a citizen fetches a CSRF token (and its cookie), then
posts the confirmed form; the verification link is posted as the e-mail's button.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode

from rgpd.requests import server
from rgpd.requests.mailer import FakeMailer
from rgpd.workspace import Workspace
from tests.requests.intake_fixtures import ORG

CLIENTS = 16

# waitress warns at every queued task ("Task queue depth is N"): a burst queues on purpose
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


@dataclass
class Running:
    ws: Workspace
    port: int
    mailer: FakeMailer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class running:
    """Context manager: waitress serving ``ws`` on a free loopback port."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.mailer = FakeMailer()
        self.port = free_port()
        app = server.create_app(
            ws,
            mailer=self.mailer,
            base_url=f"http://127.0.0.1:{self.port}",
            limiter=server.RateLimiter({}),  # every client is 127.0.0.1 here
        )
        self.srv = server.make_server(ws, port=self.port, app=app)
        self.thread = threading.Thread(target=self.srv.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return Running(self.ws, self.port, self.mailer)

    def __exit__(self, *exc: object) -> None:
        # The workers first: the ones still answering need the loop to send their output.
        self.srv.task_dispatcher.shutdown()
        # Then the loop, from its own thread. Closed from here, a socket could vanish
        # under the loop's select() (EBADF raised in the server thread, which pytest
        # reports as an unhandled thread exception). With every channel closed (the
        # listening socket and the trigger too), the map is empty and ``run()`` returns.
        self.srv.trigger.pull_trigger(self._close_channels)
        self.thread.join(10)
        if self.thread.is_alive():
            raise RuntimeError("the waitress loop did not stop within 10 s")

    def _close_channels(self) -> None:
        for channel in list(self.srv._map.values()):
            channel.close()


def submit_one(port: int, values: dict[str, list[str]]) -> int:
    """One citizen: fetch a CSRF token (and its cookie), send the form confirmed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", f"/o/{ORG}/csrf")
        got = conn.getresponse()
        body = got.read()
        if got.status != 200:
            return got.status
        cookie = (got.getheader("Set-Cookie") or "").split(";", 1)[0]
        token = json.loads(body)["csrf_token"]
        pairs = [(k, v) for k, vs in values.items() for v in vs]
        data = urlencode([*pairs, ("csrf_token", token), ("confirm", "1")])
        conn.request(
            "POST",
            f"/o/{ORG}/submit",
            body=data,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Accept": "application/json",
            },
        )
        sent = conn.getresponse()
        sent.read()
        return sent.status
    finally:
        conn.close()


def post(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", path, body=b"", headers={"Content-Length": "0"})
        got = conn.getresponse()
        got.read()
        return got.status
    finally:
        conn.close()


def burst(calls: list[Callable[[], int]], clients: int = CLIENTS) -> Counter[int]:
    with ThreadPoolExecutor(clients) as pool:
        return Counter(pool.map(lambda call: call(), calls))
