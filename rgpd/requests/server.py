"""The intake server: receives the citizens' forms, confirms e-mails, takes identity uploads.

A small Flask application meant to sit behind the authority's reverse proxy and
to be served by waitress (``rgpd serve``). The contract with the generated forms
is ``docs/intake-api.md``. What protects it, and why:

* CSRF: signed double-submit — a random nonce in an HttpOnly SameSite=Strict
  cookie, and in the form the nonce signed (itsdangerous) with the install's
  secret and the organisation, valid 24 h (RGAA 13.1: no timeout under 20 h).
  Static pages carry a placeholder the server replaces when serving them, so
  the forms need no JavaScript.
* Origin: a POST whose ``Sec-Fetch-Site``, ``Origin`` or ``Referer`` names another
  site is refused (403) before the token is even read. The generated forms send no
  referrer (``no-referrer``), so browsers send ``Origin: null``: the Fetch
  metadata header decides for them.
* A CSRF token is consumed when the request it carried is recorded: its cookie
  nonce is claimed atomically (check and mark under one lock, in memory, for the
  token's lifetime; given back if nothing was recorded) and a new cookie is set,
  so a captured token and cookie cannot file a second request, not even by
  concurrent POSTs. The spent set lives in the server process: a restart forgets it. Tokens stay
  valid 24 h until then (RGAA 13.1: no timeout under 20 h for filling a form).
* Host: links in e-mails are built only from ``[serve] base_url`` (required);
  a request whose ``Host`` (or absolute-form request line) names another host
  is refused with 400 (issue 13 item 3).
* Rate limiting per client address, an in-memory token bucket per address and
  kind of request; ``X-Forwarded-For`` is believed only when the peer is one of
  the configured trusted proxies (otherwise anybody could pick their own address
  and escape the limit).
* Load: a database that stays busy (lock wait exhausted after bounded retries)
  answers 503 with ``Retry-After`` and, for a submission, the recap page again
  with every value kept — never a 500 (issue 15, ``docs/serving.md``).
* Security headers on every response (CSP ``default-src 'self'``, nosniff,
  ``frame-ancestors 'none'``, no referrer, no caching of personal pages).
* Body size limits: 64 KiB for forms, a few MiB for the identity upload.
* Nothing is stored before the citizen confirms the recap (RGAA 11.12), and a
  refused request (CSRF, size, rate, invalid field) stores nothing at all.
* Every value is escaped by Jinja2 on output; identity documents are checked by
  their magic bytes, never by the browser's claim.

One-time links (e-mail verification, identity upload) are signed and expiring;
the one-time secret inside is stored hashed and consumed once
(:mod:`rgpd.requests.tokens`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from flask import Flask, Response, abort, current_app, g, jsonify, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from rgpd.crypto import random_token, same_secret
from rgpd.errors import (
    ConfigError,
    InvalidInput,
    StorageBusy,
    StorageError,
    UnknownOrganisation,
    ValidationFailed,
)
from rgpd.i18n import LANGUAGES, _, format_date, use_language
from rgpd.registry.model import Organisation
from rgpd.requests import intake, service, tokens
from rgpd.requests import submit as submission
from rgpd.requests.intake import tr
from rgpd.requests.mailer import Mailer, SmtpMailer
from rgpd.storage.db import retry_busy
from rgpd.workspace import Workspace

TEMPLATES = Path(__file__).parent / "templates" / "server"

CSRF_COOKIE = "rgpd_csrf"
CSRF_PLACEHOLDER = "__RGPD_CSRF_TOKEN__"
#: RGAA 13.1: a user must not be cut off in less than 20 hours.
CSRF_MAX_AGE = 24 * 3600
FORM_LIMIT = 64 * 1024
UPLOAD_LIMIT = service.MAX_UPLOAD + 64 * 1024
#: Longest path segment accepted (file systems stop at 255 bytes).
MAX_SEGMENT = 255
#: Seconds a client is told to wait when the database is busy (503).
BUSY_RETRY_AFTER = 5
#: Waitress sizing (docs/serving.md): worker threads, open connections, listen backlog.
DEFAULT_THREADS = 8
CONNECTION_LIMIT = 256
BACKLOG = 1024

CSP = (
    "default-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


# --------------------------------------------------------------------------- rate limiting


@dataclass(frozen=True, slots=True)
class Bucket:
    """``capacity`` requests at once, then ``per_minute`` sustained."""

    capacity: float
    per_minute: float


DEFAULT_LIMITS: dict[str, Bucket] = {
    "page": Bucket(capacity=120, per_minute=60),
    "post": Bucket(capacity=10, per_minute=6),
}


class RateLimiter:
    """Token buckets per (kind, address), in memory, bounded in size (oldest evicted)."""

    def __init__(
        self,
        limits: dict[str, Bucket] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 50_000,
    ) -> None:
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self.clock = clock
        self.max_entries = max_entries
        self._state: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, kind: str, address: str) -> float:
        """0 when allowed, else the seconds to wait before the next request is allowed."""
        bucket = self.limits.get(kind)
        if bucket is None:
            return 0.0
        rate = bucket.per_minute / 60.0
        now = self.clock()
        key = (kind, address)
        with self._lock:
            tokens, last = self._state.pop(key, (bucket.capacity, now))
            tokens = min(bucket.capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - tokens) / rate if rate > 0 else 3600.0
            self._state[key] = (tokens, now)
            while len(self._state) > self.max_entries:
                self._state.popitem(last=False)
        return wait


# --------------------------------------------------------------------------- CSRF


class Csrf:
    """Signed double-submit tokens bound to a cookie nonce and an organisation."""

    def __init__(
        self,
        secret: bytes,
        max_age: int = CSRF_MAX_AGE,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_spent: int = 100_000,
    ) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="rgpd.csrf")
        self.max_age = max_age
        self.clock = clock
        self.max_spent = max_spent
        self._spent: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def spend(self, nonce: str) -> None:
        """The token bound to ``nonce`` filed a request: it is not accepted again.

        Kept in memory for the token's lifetime (bounded, oldest forgotten first);
        the browser gets a new nonce cookie, hence new tokens, at the same time.
        """
        with self._lock:
            self._mark(nonce, self.clock())

    def _mark(self, nonce: str, now: float) -> None:
        """Mark ``nonce`` spent (the caller holds the lock); forget the oldest beyond the bound."""
        self._spent[nonce] = now + self.max_age
        while self._spent and (
            len(self._spent) > self.max_spent or next(iter(self._spent.values())) < now
        ):
            self._spent.popitem(last=False)

    def claim(self, nonce: str) -> bool:
        """Take the token bound to ``nonce`` for one request, atomically: False if already taken.

        Checking :meth:`spent` then calling :meth:`spend` after recording would let
        concurrent POSTs of one captured token all pass the check (issue 13 items 4, 8);
        the check and the mark are one step under the lock. :meth:`release` gives the
        token back when nothing was recorded.
        """
        now = self.clock()
        with self._lock:
            until = self._spent.get(nonce)
            if until is not None and until >= now:
                return False
            self._mark(nonce, now)
            return True

    def release(self, nonce: str) -> None:
        """The claimed token's request was not recorded (mail, busy database): usable again."""
        with self._lock:
            self._spent.pop(nonce, None)

    def spent(self, nonce: str) -> bool:
        with self._lock:
            until = self._spent.get(nonce)
        return until is not None and until >= self.clock()

    @staticmethod
    def new_nonce() -> str:
        return random_token(24)

    def token(self, org: str, nonce: str) -> str:
        return self.serializer.dumps([org, nonce])

    def check(self, org: str, nonce: str | None, token: str | None) -> str | None:
        """None when valid, else the reason (for the log line, never shown verbatim)."""
        if not token:
            return "missing token"
        if not nonce:
            return "missing cookie"
        try:
            data = self.serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            return "expired"
        except BadSignature:
            return "forged"
        if not (isinstance(data, list) and len(data) == 2):
            return "forged"
        if data[0] != org:
            return "other organisation"
        if not same_secret(str(data[1]), nonce):
            return "cookie mismatch"
        if self.spent(nonce):
            return "used"
        return None


# --------------------------------------------------------------------------- addresses


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.5", "192.168.1.0/24", "::1"]`` as networks (a bare address is a /32)."""
    out: list[Network] = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(str(v).strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(
                _("[serve] trusted_proxies: {value} is not an address or network", value=repr(v))
            ) from exc
    return tuple(out)


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str:
    """The address rate limits count: the peer, or behind trusted proxies the forwarded one.

    ``X-Forwarded-For`` is read from the right: each proxy appends the address it
    saw, so the rightmost entry that is not one of our proxies is the client. What
    a client wrote itself (the leftmost entries) is never believed.
    """
    peer = peer or "unknown"
    if not trusted or not _in(peer, trusted) or not forwarded_for:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, lower-cased, default ports dropped."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    return host


def _normal_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    for default in (":80", ":443"):
        if host.endswith(default):
            host = host[: -len(default)]
    return host


# --------------------------------------------------------------------------- app


@dataclass
class ServerConfig:
    base_url: str  # the public URL: the only source of the links in e-mails
    forms_dir: Path | None = None
    #: peers whose X-Forwarded-For / -Proto are believed (addresses or networks)
    trusted_proxies: tuple[Network, ...] = ()
    #: Host values accepted besides base_url's (e.g. what the reverse proxy sends)
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    default_org: str | None = None
    form_limit: int = FORM_LIMIT
    upload_limit: int = UPLOAD_LIMIT

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def host_allowed(self, host: str) -> bool:
        h = _normal_host(host)
        return h == host_of(self.base_url) or h in self.allowed_hosts


def serve_settings(ws: Workspace) -> dict[str, Any]:
    """``[serve]`` from rgpd.toml (``[server]``, its former name, still read)."""
    raw = ws.settings.raw.get("serve") if isinstance(ws.settings.raw, dict) else None
    merged = dict(ws.settings.server or {})
    merged.update(raw if isinstance(raw, dict) else {})
    return merged


def resolve_base_url(ws: Workspace, explicit: str | None = None) -> str:
    """The public base URL, required: links are built from it and nothing else."""
    base = (explicit or serve_settings(ws).get("base_url") or "").strip()
    if not base:
        raise ConfigError(
            _(
                "[serve] base_url is required: the public address of the forms "
                "(e.g. https://rgpd.example.org), used for the links in e-mails"
            )
        )
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(_("[serve] base_url: {url} is not an http(s) URL", url=repr(base)))
    return base.rstrip("/")


def create_app(
    ws: Workspace,
    forms_dir: Path | str | None = None,
    *,
    mailer: Mailer | None = None,
    base_url: str | None = None,
    trusted_proxy: bool = False,
    trusted_proxies: Iterable[str] | None = None,
    allowed_hosts: Iterable[str] | None = None,
    default_org: str | None = None,
    limiter: RateLimiter | None = None,
    form_limit: int = FORM_LIMIT,
) -> Flask:
    """The intake application for every organisation of the workspace (``/o/<org>/...``).

    ``base_url`` (else ``[serve] base_url``) is required. ``trusted_proxies``
    (else ``[serve] trusted_proxies``) lists the reverse proxies whose forwarded
    headers are believed; ``trusted_proxy=True`` trusts the loopback proxy only
    (the usual set-up: nginx or Apache on the same machine).
    """
    conf = serve_settings(ws)
    proxies = list(trusted_proxies if trusted_proxies is not None else [])
    if trusted_proxies is None:
        proxies += [str(p) for p in conf.get("trusted_proxies", []) or []]
    if trusted_proxy and not proxies:
        proxies = ["127.0.0.0/8", "::1"]
    hosts = list(allowed_hosts if allowed_hosts is not None else [])
    hosts += [str(h) for h in conf.get("allowed_hosts", []) or []]
    cfg = ServerConfig(
        base_url=resolve_base_url(ws, base_url),
        forms_dir=Path(forms_dir).resolve() if forms_dir else None,
        trusted_proxies=parse_networks(proxies),
        allowed_hosts=frozenset(_normal_host(h) for h in hosts),
        default_org=default_org or ws.settings.org,
        form_limit=form_limit,
    )
    app = Flask(__name__, static_folder=None, template_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=cfg.form_limit,
        MAX_FORM_MEMORY_SIZE=cfg.form_limit,
        MAX_FORM_PARTS=200,
        SECRET_KEY=service.server_secret(ws),
        SESSION_COOKIE_HTTPONLY=True,
    )
    if cfg.trusted_proxies:
        app.wsgi_app = _ForwardedFrom(app.wsgi_app, cfg.trusted_proxies)  # type: ignore[method-assign]
    state = _State(ws, cfg, mailer or SmtpMailer(ws.settings.smtp), limiter or RateLimiter())
    app.extensions["rgpd"] = state

    @app.before_request
    def _guards() -> Response | None:
        g.nonce = None
        g.set_nonce = False
        if not _well_formed(request.path):
            abort(404)
        if not cfg.host_allowed(request.host) or not _absolute_form_allowed(cfg):
            app.logger.warning("intake: request for another host refused")
            abort(400)
        if request.endpoint == "upload" and request.method == "POST":
            request.max_content_length = cfg.upload_limit
            request.max_form_memory_size = cfg.upload_limit
        kind = "post" if request.method == "POST" else "page"
        wait = state.limiter.take(kind, request.remote_addr or "unknown")
        if wait > 0:
            resp = state.message(
                _org_from_path(),
                _lang(),
                tr("Too many requests", _lang()),
                [
                    tr(
                        "Too many requests from your connection. Please wait a minute and try again.",
                        _lang(),
                    )
                ],
                status=429,
                alert=True,
            )
            resp.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            return resp
        if request.method == "POST" and not _same_origin(cfg):
            lang = _lang()
            text = tr(
                "Your session has expired or the form did not come from our site. "
                "Reload the form and send it again; nothing was recorded.",
                lang,
            )
            return state.message(
                _org_from_path(), lang, tr("Form expired", lang), [text], status=403, alert=True
            )
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        for k, v in SECURITY_HEADERS.items():
            resp.headers.setdefault(k, v)
        if g.get("set_nonce") and g.get("nonce"):
            resp.set_cookie(
                CSRF_COOKIE,
                g.nonce,
                max_age=CSRF_MAX_AGE,
                httponly=True,
                samesite="Strict",
                secure=request.is_secure,
                path="/",
            )
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        lang = _lang()
        code = exc.code or 500
        if isinstance(exc, RequestEntityTooLarge):
            text = tr("What you sent is too large.", lang)
        elif code == 404:
            text = tr("This page does not exist.", lang)
        elif code == 400:
            text = tr("The request could not be handled.", lang)
        elif code == 405:
            text = tr("This address does not accept this kind of request.", lang)
        else:
            text = tr("The request could not be handled.", lang)
        return state.message(_org_from_path(), lang, text, [text], status=code, alert=True)

    @app.errorhandler(StorageError)
    def _busy(exc: StorageError) -> Response:
        # the database is busy or down: nothing was recorded, the citizen tries again
        app.logger.warning(
            "intake: database unavailable: %s%s",
            exc.__class__.__name__,
            "" if isinstance(exc, StorageBusy) else " (not a lock wait: check the database)",
        )
        return state.busy(_org_from_path(), _lang())

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        # no details to the citizen (they could hold personal data); the log keeps the type
        app.logger.error("intake error: %s", exc.__class__.__name__)
        lang = _lang()
        text = tr(
            "An error occurred on our side; nothing was recorded. Please try again later.", lang
        )
        return state.message(None, lang, text, [text], status=500, alert=True)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @app.get("/o/<org>/csrf")
    def csrf(org: str) -> Response:
        state.org(org)
        return jsonify({"csrf_token": state.csrf_token(org)})

    @app.get("/o/<org>/")
    @app.get("/o/<org>/<path:path>")
    def static_page(org: str, path: str = "") -> Response:
        state.org(org)
        return state.static(org, path)

    @app.post("/o/<org>/submit")
    def submit(org: str) -> Response:
        return state.submit(org)

    @app.route("/o/<org>/verify/<token>", methods=["GET", "POST"])
    def verify(org: str, token: str) -> Response:
        return state.verify(org, token)

    @app.route("/o/<org>/upload/<token>", methods=["GET", "POST"], endpoint="upload")
    def upload(org: str, token: str) -> Response:
        return state.upload(org, token)

    from rgpd.requests.delivery import create_blueprint

    app.register_blueprint(create_blueprint(ws))  # one-time download links (Art. 15(3) copies)
    return app


class _ForwardedFrom:
    """Believe ``X-Forwarded-For``/``-Proto`` only from a trusted proxy (WSGI middleware).

    ``REMOTE_ADDR`` becomes the client address :func:`client_address` finds, and
    the scheme the proxy saw is used for secure cookies. ``X-Forwarded-Host`` is
    ignored: the Host check and the links rely on the configured base URL.
    """

    def __init__(self, app: Any, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR")
        if peer and _in(peer, self.trusted):
            environ["REMOTE_ADDR"] = client_address(
                peer, environ.get("HTTP_X_FORWARDED_FOR"), self.trusted
            )
            proto = str(environ.get("HTTP_X_FORWARDED_PROTO", "")).split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


def _well_formed(path: str) -> bool:
    """A path every file system could hold: no NUL, no control character, short segments."""
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return False
    return all(len(seg.encode("utf-8", "surrogatepass")) <= MAX_SEGMENT for seg in path.split("/"))


def _absolute_form_allowed(cfg: ServerConfig) -> bool:
    """An absolute-form request line (``POST http://evil.example/…``) must name our host."""
    raw = str(request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or "")
    if "://" not in raw.split("?", 1)[0]:
        return True
    return cfg.host_allowed(urlsplit(raw).netloc)


def _same_origin(cfg: ServerConfig) -> bool:
    """Whether a POST comes from our own pages (Fetch metadata, then Origin, then Referer).

    A browser sends ``Sec-Fetch-Site``; the generated forms send no referrer, so
    their ``Origin`` is ``null`` and that header decides. Clients that send none
    of the three (scripts, old browsers) still need a valid CSRF token.
    """
    site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if site:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin", "").strip().lower()
    if origin and origin != "null":
        return origin == cfg.origin or cfg.host_allowed(urlsplit(origin).netloc)
    referer = request.headers.get("Referer", "").strip()
    if referer:
        return cfg.host_allowed(urlsplit(referer).netloc)
    return True


def _lang() -> str:
    """The page language: the form's ``lang``, ``?lang=``, then Accept-Language, then French.

    The body is read only if it was already parsed: an error page for an oversized
    body must not try to parse it again.
    """
    value = request.args.get("lang", "")
    if not value and "form" in request.__dict__:
        value = request.form.get("lang", "")
    value = value.strip()[:2]
    if value in LANGUAGES:
        return value
    best = request.accept_languages.best_match(list(LANGUAGES))
    return best or "fr"


def _org_from_path() -> str | None:
    view_args = request.view_args or {}
    org = view_args.get("org")
    return org if isinstance(org, str) and _SLUG.match(org) else None


class _State:
    """Everything the views share: workspace, config, mailer, limiter, templates."""

    def __init__(self, ws: Workspace, cfg: ServerConfig, mailer: Mailer, limiter: RateLimiter):
        self.ws = ws
        self.cfg = cfg
        self.mailer = mailer
        self.limiter = limiter
        self.csrf = Csrf(service.server_secret(ws))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # -- organisation and pages ------------------------------------------------
    def org(self, slug: str) -> Organisation:
        if not _SLUG.match(slug):
            abort(404)
        try:
            return service.organisation(self.ws, slug)
        except UnknownOrganisation:
            abort(404)

    def site_dir(self, org: str) -> Path | None:
        base = self.cfg.forms_dir
        if base is None:
            return None
        own = base / org
        if own.is_dir():
            return own
        if org == self.cfg.default_org and (base / "index.html").is_file():
            return base
        return None

    def asset_url(self, org: str, *names: str) -> str | None:
        site = self.site_dir(org)
        for name in names:
            if site is not None and (site / "assets" / name).is_file():
                return f"/o/{org}/assets/{name}"
        return None

    def logo_url(self, org: str) -> str | None:
        site = self.site_dir(org)
        if site is None:
            return None
        for p in sorted((site / "assets").glob("logo.*")) if (site / "assets").is_dir() else []:
            return f"/o/{org}/assets/{p.name}"
        return None

    def home(self, org: str | None, lang: str) -> str | None:
        if org is None:
            return None
        site = self.site_dir(org)
        if site is not None and (site / lang / "index.html").is_file():
            return f"/o/{org}/{lang}/index.html"
        if site is not None:
            return f"/o/{org}/"
        return None

    def render(self, name: str, org: str | None, lang: str, **ctx: Any) -> str:
        org_name = ""
        if org is not None:
            try:
                org_name = service.organisation(self.ws, org).name
            except (UnknownOrganisation, StorageError):
                org = None  # an error page must render even when the database cannot

        def t(message: str, **params: object) -> str:
            safe = {k: Markup.escape(v) for k, v in params.items()}
            return Markup(tr(message, lang, **safe)) if params else tr(message, lang)

        return self.env.get_template(name).render(
            _=t,
            lang=lang,
            org_name=org_name,
            stylesheet=self.asset_url(org, "style.css", "forms.css") if org else None,
            logo=self.logo_url(org) if org else None,
            home=self.home(org, lang),
            **ctx,
        )

    def message(
        self,
        org: str | None,
        lang: str,
        title: str,
        paragraphs: list[str],
        *,
        status: int = 200,
        alert: bool = False,
    ) -> Response:
        html = self.render(
            "message.html.j2", org, lang, title=title, paragraphs=paragraphs, alert=alert
        )
        return Response(html, status=status, mimetype="text/html")

    def busy(self, org: str | None, lang: str, *, recap: str | None = None) -> Response:
        """503 + Retry-After: the database is busy; with ``recap``, the form as typed."""
        if recap is not None:
            resp = Response(recap, status=503, mimetype="text/html")
        else:
            text = tr(
                "The service is very busy and could not record your request. Nothing was "
                "recorded: please try again in a moment.",
                lang,
            )
            resp = self.message(
                org, lang, tr("Please try again in a moment", lang), [text], status=503, alert=True
            )
        resp.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return resp

    # -- CSRF --------------------------------------------------------------------
    def nonce(self) -> str:
        current = request.cookies.get(CSRF_COOKIE, "")
        if g.get("nonce"):
            return str(g.nonce)
        if re.fullmatch(r"[A-Za-z0-9_-]{32}", current):
            g.nonce = current
        else:
            g.nonce = Csrf.new_nonce()
            g.set_nonce = True
        return str(g.nonce)

    def csrf_token(self, org: str) -> str:
        return self.csrf.token(org, self.nonce())

    def csrf_refused(self, org: str) -> str | None:
        return self.csrf.check(
            org, request.cookies.get(CSRF_COOKIE), request.form.get("csrf_token")
        )

    # -- static pages ------------------------------------------------------------
    def static(self, org: str, path: str) -> Response:
        site = self.site_dir(org)
        if site is None:
            abort(404)
        try:
            target = (site / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            target.relative_to(site.resolve())
            ctype = STATIC_TYPES.get(target.suffix.lower())
            if ctype is None or not target.is_file():
                abort(404)
            data = target.read_bytes()
        except (OSError, ValueError):  # outside the site, name too long, NUL byte...
            abort(404)
        if target.suffix.lower() == ".html":
            data = data.replace(CSRF_PLACEHOLDER.encode(), self.csrf_token(org).encode())
        resp = Response(data, mimetype=ctype.split(";")[0])
        resp.headers["Content-Type"] = ctype
        if target.suffix.lower() != ".html":
            # assets carry nothing personal: let browsers keep them a little
            resp.headers["Cache-Control"] = "public, max-age=300"
        return resp

    # -- submission ----------------------------------------------------------------
    def _page_context(self, org: str, lang: str) -> Any:
        from rgpd.requests import forms

        wanted: dict[str, Any] = {
            "lang": lang,
            "assets": f"/o/{org}/assets",
            "home": self.home(org, lang) or f"/o/{org}/",
            "other_lang_href": None,
            "other_lang": None,
            "action": f"/o/{org}/submit",
            "pdf_href": None,
            "logo": self.logo_url(org),
        }
        names = {f.name for f in dataclasses.fields(forms.PageContext)}
        return forms.PageContext(**{k: v for k, v in wanted.items() if k in names})

    def _form_page(
        self,
        org: str,
        o: Organisation,
        lang: str,
        values: dict[str, list[str]],
        errors: dict[str, str],
        *,
        confirm: bool,
        stage: str = "details",
    ) -> str:
        """The form again: the first step (services), the second (what they need,
        ``details``), or the confirmation (RGAA 11.12)."""
        from rgpd.requests import forms

        right = intake.RIGHTS.get((values.get("right") or [""])[0])
        activities = service.offered_activities(self.ws, org)
        token = self.csrf_token(org)
        if right is None:
            return self.render(
                "errors.html.j2",
                org,
                lang,
                title=tr("Your request could not be sent", lang),
                errors=errors,
            )
        spec = forms.form_spec(right, activities)
        page = self._page_context(org, lang)
        vals: dict[str, Any] = {
            k: v for k, v in values.items() if k not in ("csrf_token", "confirm", "edit", "step")
        }
        vals["csrf_token"] = token
        if confirm:
            return self._confirmation(org, lang, spec, values, token)
        html = forms.render_form(o, spec, page, values=vals, errors=errors, stage=stage)
        return html.replace(CSRF_PLACEHOLDER, token)

    def _confirmation(
        self,
        org: str,
        lang: str,
        spec: Any,
        values: dict[str, list[str]],
        token: str,
        notice: str | None = None,
    ) -> str:
        """RGAA 11.12: what will be sent, every value in hidden fields (no session needed)."""
        from rgpd.requests import forms

        labels, _anchors = forms.field_labels(spec, lang, values)
        names = dict(getattr(spec, "service_names", {}) or {})
        names[forms.ALL_SERVICES] = tr("I don't know / all of them", lang)
        recap: list[tuple[str, Any]] = []
        hidden: list[tuple[str, str]] = []
        for name, vals in values.items():
            if name in ("csrf_token", "confirm", "edit", "step"):
                continue
            for v in vals:
                hidden.append((name, v))
            shown = [v for v in vals if v]
            if not shown or name in ("right", "lang"):
                continue
            if name == "activities":
                shown = [names.get(v, v) for v in shown]
            if name == "requester_role":
                with contextlib.suppress(KeyError):
                    shown = [forms.role_label(spec.right, shown[0], lang)]
            if name in labels:
                recap.append((labels[name], shown[0] if len(shown) == 1 else shown))
        return self.render(
            "confirm.html.j2",
            org,
            lang,
            title=tr("Check and send your request", lang),
            right_label=tr(spec.right.label, lang),
            recap=recap,
            hidden=hidden,
            csrf_token=token,
            action=f"/o/{org}/submit",
            notice=notice,
        )

    def _csrf_refused_page(self, org: str, lang: str, wants_json: bool) -> Response:
        text = tr(
            "Your session has expired or the form did not come from our site. "
            "Reload the form and send it again; nothing was recorded.",
            lang,
        )
        if wants_json:
            return _json({"error": "csrf", "message": text}, 403)
        return self.message(org, lang, tr("Form expired", lang), [text], status=403, alert=True)

    def submit(self, org: str) -> Response:
        o = self.org(org)
        request.form  # noqa: B018 - parse the body now (413 early; ``lang`` lives in it)
        lang = _lang()
        wants_json = request.accept_mimetypes.best == "application/json"
        refused = self.csrf_refused(org)
        if refused:
            return self._csrf_refused_page(org, lang, wants_json)
        values = {k: request.form.getlist(k) for k in request.form}
        steps = values.get("step") or []
        if steps not in ([], ["services"], ["choose"]):
            # no form of ours posts this: say so rather than guess (nothing recorded)
            text = tr("This step of the form is unknown: reload the form and start again.", lang)
            if wants_json:
                return _json({"errors": {"step": text}}, 422)
            return self.message(org, lang, tr("Form not understood", lang), [text], status=422)
        if steps == ["choose"]:  # "Change the services": back to the first step, typing kept
            html = self._form_page(org, o, lang, values, {}, confirm=False, stage="start")
            return Response(html, mimetype="text/html")
        if steps == ["services"]:
            return self._second_step(org, o, lang, values, wants_json)
        today = service.local_today(self.ws)
        with use_language(lang):
            try:
                sub = intake.validate(values, service.offered_activities(self.ws, org), today=today)
            except ValidationFailed as exc:
                errors = intake.problems_by_field(exc)
                if wants_json:
                    return _json({"errors": errors}, 422)
                # a problem with the services themselves sends the person back to choose them
                stage = "start" if {"activities", "right"} & set(errors) else "details"
                html = self._form_page(org, o, lang, values, errors, confirm=False, stage=stage)
                return Response(html, status=422, mimetype="text/html")
        if (values.get("edit") or [""])[0] == "1":
            html = self._form_page(org, o, lang, values, {}, confirm=False)
            return Response(html, mimetype="text/html")
        if (values.get("confirm") or [""])[0] != "1":
            if wants_json:
                return _json({"ok": True, "confirm": "send confirm=1 to record the request"}, 200)
            html = self._form_page(org, o, lang, values, {}, confirm=True)
            return Response(html, mimetype="text/html")
        return self._record(org, o, lang, sub, wants_json)

    def _second_step(
        self, org: str, o: Organisation, lang: str, values: dict[str, list[str]], wants_json: bool
    ) -> Response:
        """Without JavaScript: the services are chosen, ask only what they need (issue 12).

        Nothing is stored; a JSON client gets the list of fields the second step asks.
        """
        with use_language(lang):
            try:
                choice = intake.validate_choice(values, service.offered_activities(self.ws, org))
            except ValidationFailed as exc:
                errors = intake.problems_by_field(exc)
                if wants_json:
                    return _json({"errors": errors}, 422)
                html = self._form_page(org, o, lang, values, errors, confirm=False, stage="start")
                return Response(html, status=422, mimetype="text/html")
        if wants_json:
            return _json({"ok": True, "step": "details", "fields": choice.fields}, 200)
        html = self._form_page(org, o, lang, values, {}, confirm=False, stage="details")
        return Response(html, mimetype="text/html")

    def _record(
        self, org: str, o: Organisation, lang: str, sub: intake.Submission, wants_json: bool
    ) -> Response:
        values = {k: request.form.getlist(k) for k in request.form}
        nonce = request.cookies.get(CSRF_COOKIE) or ""
        if not self.csrf.claim(nonce):
            # the same token is filing a request right now (concurrent replay): refused
            return self._csrf_refused_page(org, lang, wants_json)
        try:
            with use_language(lang):
                got = submission.receive(
                    self.ws, org, sub, mailer=self.mailer, base_url=self.cfg.base_url, lang=lang
                )
        except submission.VerificationNotSent:
            self.csrf.release(nonce)
            text = tr(
                "We could not send the confirmation e-mail. Nothing was recorded: "
                "please try again later.",
                lang,
            )
            if wants_json:
                return _json({"error": "mail", "message": text}, 503)
            return self.message(
                org, lang, tr("E-mail not sent", lang), [text], status=503, alert=True
            )
        except StorageError as exc:
            # busy database: nothing recorded; the recap comes back with every value kept
            self.csrf.release(nonce)
            current_app.logger.warning(
                "intake: database unavailable: %s%s",
                exc.__class__.__name__,
                "" if isinstance(exc, StorageBusy) else " (not a lock wait: check the database)",
            )
            text = tr(
                "The service is very busy and could not record your request. Nothing was "
                "recorded: please try again in a moment.",
                lang,
            )
            if wants_json:
                resp = _json({"error": "busy", "message": text}, 503)
                resp.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
                return resp
            spec = self._spec(org, values)
            recap = (
                self._confirmation(org, lang, spec, values, self.csrf_token(org), notice=text)
                if spec is not None
                else None
            )
            return self.busy(org, lang, recap=recap)
        self._spend_csrf()  # already claimed: this sets the browser's fresh nonce
        if wants_json:
            return _json({"ok": True, "status": "check_mail"}, 200)
        html = self.render(
            "check_mail.html.j2", org, lang, title=tr("Check your mailbox", lang), email=got.email
        )
        return Response(html, mimetype="text/html")

    def _spec(self, org: str, values: dict[str, list[str]]) -> Any:
        from rgpd.requests import forms

        right = intake.RIGHTS.get((values.get("right") or [""])[0])
        if right is None:
            return None
        return forms.form_spec(right, service.offered_activities(self.ws, org))

    def _spend_csrf(self) -> None:
        """The token filed its request: spent, and the browser gets a fresh nonce."""
        used = request.cookies.get(CSRF_COOKIE)
        if used:
            self.csrf.spend(used)
        g.nonce = Csrf.new_nonce()
        g.set_nonce = True

    # -- e-mail verification -----------------------------------------------------------
    def verify(self, org: str, token: str) -> Response:
        self.org(org)
        lang = _lang()
        try:
            secret = tokens.read_link(self.ws, tokens.VERIFY_EMAIL, org, token, service.VERIFY_TTL)
            if request.method == "GET":
                html = self.render(
                    "verify.html.j2",
                    org,
                    lang,
                    title=tr("Confirm your request", lang),
                    action=f"/o/{org}/verify/{token}?lang={lang}",
                )
                return Response(html, mimetype="text/html")
            with use_language(lang):
                done = submission.confirm(self.ws, org, secret, mailer=self.mailer, lang=lang)
        except tokens.LinkRefused as exc:
            return self._link_refused(org, lang, exc)
        record = done.record
        lang = record.lang if record.lang in LANGUAGES else lang
        with use_language(lang):
            html = self.render(
                "acknowledgement.html.j2",
                org,
                lang,
                title=tr("Request recorded", lang),
                ref=record.reference,
                right_label=tr(record.type.label, lang),
                article=record.type.article,
                received=format_date(record.request.received_on, lang=lang),
                due=format_date(record.due, lang=lang),
                due_iso=record.due.isoformat(),
                notice=format_date(record.deadline.extension_notice_due, lang=lang),
            )
        return Response(html, mimetype="text/html")

    def _link_refused(self, org: str, lang: str, exc: service.LinkRefused) -> Response:
        if exc.reason == "used":
            text = tr("This link has already been used.", lang)
        elif exc.reason == "expired":
            text = tr("This link has expired.", lang)
        else:
            text = tr("This link is not valid or has expired.", lang)
        return self.message(
            org,
            lang,
            tr("Link not valid", lang),
            [text, tr("If you need help, contact the data protection officer.", lang)],
            status=410,
            alert=True,
        )

    # -- identity upload ----------------------------------------------------------------
    def upload(self, org: str, token: str) -> Response:
        self.org(org)
        lang = _lang()
        try:
            secret = tokens.read_link(self.ws, tokens.UPLOAD, org, token, service.UPLOAD_TTL)
        except service.LinkRefused as exc:
            return self._link_refused(org, lang, exc)
        mb = service.MAX_UPLOAD // (1024 * 1024)
        action = f"/o/{org}/upload/{token}?lang={lang}"

        def form(error: str | None, status: int) -> Response:
            html = self.render(
                "upload.html.j2",
                org,
                lang,
                title=tr("Proof of identity", lang),
                ref="",
                mb=mb,
                action=action,
                error=error,
            )
            return Response(html, status=status, mimetype="text/html")

        if request.method == "GET":
            return form(None, 200)
        f = request.files.get("document")
        data = f.read(service.MAX_UPLOAD + 1) if f is not None else b""
        try:
            with use_language(lang):
                retry_busy(
                    lambda: service.store_upload(
                        self.ws, org, secret, filename=(f.filename or "") if f else "", data=data
                    )
                )
        except service.LinkRefused as exc:
            return self._link_refused(org, lang, exc)
        except InvalidInput as exc:
            return form(exc.problem or str(exc), 422)
        return self.message(
            org,
            lang,
            tr("Document received", lang),
            [
                tr(
                    "Thank you: your document has been received. It will be deleted as soon as "
                    "it has been checked, and the handling of your request resumes.",
                    lang,
                )
            ],
        )


def _json(data: Any, status: int) -> Response:
    resp = jsonify(data)
    resp.status_code = status
    return resp


def make_server(
    ws: Workspace,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    forms_dir: Path | None = None,
    trusted_proxy: bool = False,
    base_url: str | None = None,
    default_org: str | None = None,
    threads: int = DEFAULT_THREADS,
    mailer: Mailer | None = None,
    app: Flask | None = None,
) -> Any:
    """A waitress server ready to ``run()`` (the load tests start it on port 0).

    Sizing (``docs/serving.md``): ``threads`` workers run requests; on SQLite
    writers take turns on one lock, so more threads only add waiting, while a
    few spare ones keep pages and static assets flowing during a burst.
    Connections beyond the threads wait in waitress's queue (up to
    ``CONNECTION_LIMIT`` open at once, ``BACKLOG`` more in the kernel).
    """
    from waitress.server import create_server

    if app is None:
        app = create_app(
            ws,
            forms_dir,
            base_url=base_url,
            trusted_proxy=trusted_proxy,
            default_org=default_org,
            mailer=mailer,
        )
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=CONNECTION_LIMIT,
        backlog=BACKLOG,
        channel_timeout=60,
        max_request_body_size=UPLOAD_LIMIT,
        ident="rgpd",
    )


def serve(
    ws: Workspace,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    forms_dir: Path | None = None,
    trusted_proxy: bool = False,
    base_url: str | None = None,
    default_org: str | None = None,
    threads: int = DEFAULT_THREADS,
    mailer: Mailer | None = None,
) -> None:
    """Run the intake server on waitress until interrupted (the CLI edge calls this)."""
    srv = make_server(
        ws,
        host=host,
        port=port,
        forms_dir=forms_dir,
        trusted_proxy=trusted_proxy,
        base_url=base_url,
        default_org=default_org,
        threads=threads,
        mailer=mailer,
    )
    service.purge_unverified(ws)
    srv.run()
