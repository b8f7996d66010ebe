"""The intake server through Flask's test client: the citizen's path and hostile input."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rgpd import deadlines
from rgpd.i18n import format_date
from rgpd.requests import forms, server, service
from rgpd.requests.intake import tr
from rgpd.requests.mailer import FakeMailer
from rgpd.requests.model import RequestState
from rgpd.storage.request_tables import RequestRow
from rgpd.workspace import Workspace
from tests.race import together
from tests.requests.intake_fixtures import ORG, OTHER_ORG, form, setup_org

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"https?://\S+/o/\S+/(?:verify|upload)/\S+")
BASE = "http://localhost"
SCRIPT = "<script>alert('x')</script>"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The forms are static: build them once per module from an identical register."""
    from tests.conftest import make_workspace

    base = tmp_path_factory.mktemp("site")
    ws = make_workspace("sqlite://", base)
    setup_org(ws)
    forms.build_forms(ws, ORG, base / "site")
    ws.db.dispose()
    return base / "site"


@pytest.fixture
def site(ws: Workspace, built_site: Path) -> Path:
    setup_org(ws)
    setup_org(ws, OTHER_ORG, name="CCAS d'Exemple")
    return built_site


@pytest.fixture
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def app(ws: Workspace, site: Path, mailer: FakeMailer) -> Flask:
    return server.create_app(
        ws, site, mailer=mailer, base_url="https://rgpd.example.org", allowed_hosts=["localhost"]
    )


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


def _stored(ws: Workspace) -> int:
    with ws.db.session() as s:
        return int(s.execute(select(func.count()).select_from(RequestRow)).scalar_one())


def _token(client: FlaskClient, org: str = ORG) -> str:
    page = client.get(f"/o/{org}/fr/acces.html" if org == ORG else f"/o/{org}/csrf")
    if page.is_json:
        return str(page.get_json()["csrf_token"])
    m = TOKEN_RE.search(page.get_data(as_text=True))
    assert m, "the served form carries a CSRF token"
    return m.group(1)


def _submit(client: FlaskClient, values: dict[str, list[str]], **kw: object):  # type: ignore[no-untyped-def]
    return client.post(f"/o/{ORG}/submit", data=values, **kw)


def _send(client: FlaskClient, values: dict[str, list[str]]) -> str:
    """Fill, confirm, send; return the page after sending."""
    values = {**values, "csrf_token": [_token(client)]}
    recap = _submit(client, values)
    assert recap.status_code == 200, recap.get_data(as_text=True)[:2000]
    tok = TOKEN_RE.search(recap.get_data(as_text=True))
    assert tok
    sent = _submit(client, {**values, "csrf_token": [tok.group(1)], "confirm": ["1"]})
    assert sent.status_code == 200, sent.get_data(as_text=True)[:2000]
    return sent.get_data(as_text=True)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_citizen_path_ends_with_the_right_due_date(
    client: FlaskClient, ws: Workspace, mailer: FakeMailer
) -> None:
    values = form(email="camille.martin@example.org")
    page = _send(client, values)
    assert "camille.martin@example.org" in page
    assert _stored(ws) == 1
    assert service.list_requests(ws, ORG) == []  # not a request until confirmed

    mail = mailer.last_to("camille.martin@example.org")
    link = LINK_RE.search(mail.text)
    assert link and link.group(0).startswith("https://rgpd.example.org/o/mairie/verify/")
    path = _path(link.group(0))
    assert client.get(path).status_code == 200  # a prefetching scanner consumes nothing
    ack = client.post(path)
    assert ack.status_code == 200
    body = ack.get_data(as_text=True)

    [record] = service.list_requests(ws, ORG)
    today = service.local_today(ws)
    expected = deadlines.one_month_from(today)
    assert record.due == expected
    assert record.request.received_on == today
    assert record.reference in body
    assert f'datetime="{expected.isoformat()}"' in body
    assert html.escape(format_date(expected, lang="fr")) in body
    ack_mail = mailer.sent[-1]
    assert ack_mail.to == "camille.martin@example.org"
    assert (
        record.reference in ack_mail.subject and format_date(expected, lang="fr") in ack_mail.text
    )

    replay = client.post(path)
    assert replay.status_code == 410
    assert tr("This link has already been used.", "fr") in html.unescape(
        replay.get_data(as_text=True)
    )


def test_confirmation_step_stores_nothing_and_edit_returns_the_form(
    client: FlaskClient, ws: Workspace
) -> None:
    values = {**form(), "csrf_token": [_token(client)]}
    recap = _submit(client, values)
    text = recap.get_data(as_text=True)
    assert recap.status_code == 200 and 'name="confirm" value="1"' in text
    assert _stored(ws) == 0
    tok = TOKEN_RE.search(text)
    assert tok
    edit = _submit(client, {**values, "csrf_token": [tok.group(1)], "edit": ["1"]})
    assert edit.status_code == 200
    assert values["last_name"][0] in html.unescape(edit.get_data(as_text=True))
    assert 'name="confirm"' not in edit.get_data(as_text=True)
    assert _stored(ws) == 0


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda v, t: v.pop("csrf_token"), id="missing"),
        pytest.param(lambda v, t: v.update(csrf_token=[t[:-3] + "abc"]), id="forged"),
        pytest.param(lambda v, t: v.update(csrf_token=["x" * 40]), id="garbage"),
    ],
)
def test_csrf_refusals_store_nothing(client: FlaskClient, ws: Workspace, mutate) -> None:  # type: ignore[no-untyped-def]
    tok = _token(client)
    values = {**form(), "csrf_token": [tok], "confirm": ["1"]}
    mutate(values, tok)
    resp = _submit(client, values)
    assert resp.status_code == 403
    assert _stored(ws) == 0


def test_csrf_token_needs_its_cookie_and_its_organisation(app: Flask, ws: Workspace) -> None:
    a, b = app.test_client(), app.test_client()
    tok = _token(a)
    _token(b)  # b has its own cookie: a's token does not match it
    values = {**form(), "csrf_token": [tok], "confirm": ["1"]}
    assert _submit(b, values).status_code == 403
    b.delete_cookie(server.CSRF_COOKIE)
    assert _submit(b, values).status_code == 403
    other = _token(a, OTHER_ORG)
    assert _submit(a, {**values, "csrf_token": [other]}).status_code == 403
    assert _submit(a, values).status_code == 200
    assert _stored(ws) == 1


def test_oversized_body_is_refused_with_413(client: FlaskClient, ws: Workspace) -> None:
    values = {**form(), "csrf_token": [_token(client)], "confirm": ["1"]}
    values["details"] = ["x" * (server.FORM_LIMIT + 10)]
    resp = _submit(client, values)
    assert resp.status_code == 413
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert _stored(ws) == 0


@pytest.mark.parametrize(
    ("field", "value", "lang"),
    [
        ("email", "camille.martin", "fr"),
        ("email", "camille@@example.org", "en"),
        ("birth_date", "25/03/1984", "fr"),
        ("birth_date", "1984-02-30", "en"),
        ("birth_date", "2999-01-01", "fr"),
        ("phone", "12", "fr"),
        ("first_name", "", "fr"),
        ("id_numero_famille", "", "en"),
        ("activities", "inconnue", "fr"),
        ("first_name", "Camille\x00", "fr"),
    ],
)
def test_invalid_fields_get_messages_tied_to_them(
    client: FlaskClient, ws: Workspace, field: str, value: str, lang: str
) -> None:
    values = {**form(**{field: value}, lang=lang), "csrf_token": [_token(client)]}
    resp = _submit(client, values)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert f'id="err-{field}"' in body
    assert 'aria-invalid="true"' in body
    api = _submit(client, values, headers={"Accept": "application/json"})
    assert api.status_code == 422
    errors = api.get_json()["errors"]
    assert list(errors) == [field]
    assert errors[field] in html.unescape(body)
    assert _stored(ws) == 0


def test_messages_follow_the_language(client: FlaskClient) -> None:
    tok = _token(client)
    answers = {}
    for lang in ("fr", "en"):
        values = {**form(first_name="", lang=lang), "csrf_token": [tok]}
        api = _submit(client, values, headers={"Accept": "application/json"})
        answers[lang] = api.get_json()["errors"]["first_name"]
    assert answers["en"] == "First name is required."
    assert answers["fr"] != answers["en"]
    assert answers["fr"] == tr("{label} is required.", "fr", label=tr("First name", "fr"))


def test_script_in_every_field_is_stored_inert_and_escaped(
    client: FlaskClient, ws: Workspace, mailer: FakeMailer
) -> None:
    fields = ["first_name", "last_name", "id_numero_famille", "details"]
    values = form(**dict.fromkeys(fields, SCRIPT), email="inert@example.org")
    page = _send(client, values)
    assert SCRIPT not in page
    link = LINK_RE.search(mailer.last_to("inert@example.org").text)
    assert link
    ack = client.post(_path(link.group(0)))
    assert SCRIPT not in ack.get_data(as_text=True)
    [rec] = service.list_requests(ws, ORG)
    full = service.get(ws, ORG, rec.reference, reveal=True)
    assert full.submission is not None
    assert full.submission.first_name == SCRIPT
    assert full.submission.identifiers["numero_famille"] == SCRIPT
    # the correction and confirmation pages escape too
    bad = {**values, "email": ["no"], "csrf_token": [_token(client)]}
    again = _submit(client, bad).get_data(as_text=True)
    assert SCRIPT not in again and html.escape(SCRIPT, quote=False) in again.replace("&#39;", "'")


def test_flood_from_one_address_gets_429(ws: Workspace, site: Path, mailer: FakeMailer) -> None:
    limiter = server.RateLimiter({"post": server.Bucket(3, 1), "page": server.Bucket(100, 100)})
    app = server.create_app(ws, site, mailer=mailer, limiter=limiter, base_url=BASE)
    with app.test_client() as c:
        values = {**form(), "confirm": ["1"]}
        # a recorded request spends its token: each send takes the fresh one
        codes = [_submit(c, {**values, "csrf_token": [_token(c)]}).status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429, 429]
        values = {**values, "csrf_token": [_token(c)]}
        flooded = _submit(c, values)
        assert flooded.status_code == 429
        assert int(flooded.headers["Retry-After"]) >= 1
        assert flooded.headers["Content-Security-Policy"].startswith("default-src 'self'")
        # another address is not affected
        other = _submit(c, values, environ_base={"REMOTE_ADDR": "192.0.2.77"})
        assert other.status_code == 200
    assert _stored(ws) == 4


@pytest.mark.parametrize("trusted", [False, True])
def test_forwarded_for_is_believed_only_behind_a_trusted_proxy(
    ws: Workspace, site: Path, mailer: FakeMailer, trusted: bool
) -> None:
    limiter = server.RateLimiter({"post": server.Bucket(2, 1)})
    app = server.create_app(
        ws, site, mailer=mailer, limiter=limiter, trusted_proxy=trusted, base_url=BASE
    )
    with app.test_client() as c:
        tok = _token(c)
        values = {**form(), "csrf_token": [tok]}
        codes = [
            _submit(c, values, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(5)
        ]
    assert codes == ([200] * 5 if trusted else [200, 200, 429, 429, 429])


def test_rate_limiter_refills_with_time() -> None:
    now = [0.0]
    limiter = server.RateLimiter({"post": server.Bucket(2, 60)}, clock=lambda: now[0])
    assert [limiter.take("post", "a") for _ in range(3)][:2] == [0.0, 0.0]
    assert limiter.take("post", "a") > 0
    now[0] += 1.0
    assert limiter.take("post", "a") == 0.0
    small = server.RateLimiter({"post": server.Bucket(1, 1)}, max_entries=10)
    for i in range(50):
        small.take("post", f"addr{i}")
    assert len(small._state) == 10


@pytest.mark.parametrize(
    "path",
    [
        "/o/mairie/",
        "/o/mairie/fr/acces.html",
        "/o/mairie/nothing.html",
        "/healthz",
        "/o/unknown/",
        "/o/mairie/../../etc/passwd",
        "/o/mairie/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    resp = client.get(path)
    for name, value in server.SECURITY_HEADERS.items():
        if name == "Cache-Control" and resp.mimetype not in ("text/html", "text/plain"):
            continue
        assert resp.headers[name] == value
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    if "passwd" in path or "unknown" in path or "nothing" in path:
        assert resp.status_code == 404


def test_static_pages_get_a_token_and_stay_inside_the_site(client: FlaskClient, site: Path) -> None:
    page = client.get("/o/mairie/fr/acces.html").get_data(as_text=True)
    assert server.CSRF_PLACEHOLDER not in page
    css = client.get("/o/mairie/assets/style.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert (site / "mairie").is_dir()
    (site / "secret.txt").write_text("outside", encoding="utf-8")
    assert client.get("/o/mairie/../secret.txt").status_code == 404
    assert client.get("/o/mairie/%2e%2e/secret.txt").status_code == 404
    assert client.get(f"/o/{OTHER_ORG}/").status_code == 404  # no pages built for it


def test_mail_failure_stores_nothing(ws: Workspace, site: Path) -> None:
    app = server.create_app(ws, site, mailer=FakeMailer(fail=True), base_url=BASE)
    with app.test_client() as c:
        values = {**form(), "csrf_token": [_token(c)], "confirm": ["1"]}
        assert _submit(c, values).status_code == 503
    assert _stored(ws) == 0


def test_forged_and_cross_org_verification_links_are_refused(
    client: FlaskClient, ws: Workspace, mailer: FakeMailer
) -> None:
    _send(client, form(email="forge@example.org"))
    link = LINK_RE.search(mailer.last_to("forge@example.org").text)
    assert link
    path = _path(link.group(0))
    token = path.rsplit("/", 1)[1]
    assert client.post(path[:-4] + "AAAA").status_code == 410
    assert client.post(f"/o/{OTHER_ORG}/verify/{token}").status_code == 410
    assert client.post(path).status_code == 200


def test_identity_upload_checks_type_and_is_one_time(client: FlaskClient, ws: Workspace) -> None:
    rec = service.submit(ws, ORG, _submission(ws), channel=service.Channel.COUNTER).record
    asked = service.ask_identity(ws, ORG, rec.reference, reason="Doute sur l'adresse")
    path = f"/o/{ORG}/upload/{service.sign_link(ws, 'upload', ORG, asked.secret)}"
    page = client.get(path)
    assert page.status_code == 200 and 'type="file"' in page.get_data(as_text=True)
    bad = client.post(
        path,
        data={"document": (_io(b"#!/bin/sh\nrm -rf /"), "id.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)
    big = client.post(
        path,
        data={"document": (_io(b"%PDF" + b"0" * server.UPLOAD_LIMIT), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413
    good = client.post(
        path, data={"document": (_io(PNG), "id.png")}, content_type="multipart/form-data"
    )
    assert good.status_code == 200
    assert service.get(ws, ORG, rec.reference).uploads == 1
    again = client.post(
        path, data={"document": (_io(PNG), "id.png")}, content_type="multipart/form-data"
    )
    assert again.status_code == 410
    done = service.verify(ws, ORG, rec.reference, method="document")
    assert done.uploads == 0 and done.state is RequestState.IN_PROGRESS


def _io(data: bytes):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(data)


def _submission(ws: Workspace):  # type: ignore[no-untyped-def]
    from rgpd.requests import intake

    return intake.validate(
        form(), service.offered_activities(ws, ORG), today=service.local_today(ws)
    )


_FIELDS = [
    "right",
    "activities",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "id_numero_famille",
    "id_carte_lecteur",
    "requester_role",
    "requester_name",
    "requester_email",
    "details",
    "lang",
    "confirm",
    "edit",
    "unknown_field",
]
_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "access",
            "erasure",
            "death_directives",
            "cantine",
            "newsletter",
            "1",
            "self",
            "parent",
            "other",
            "fr",
            "en",
            "2020-02-29",
            "a@example.org",
        ]
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.sampled_from(_FIELDS), st.lists(_values, min_size=0, max_size=3), max_size=len(_FIELDS)
    )
)
def test_fuzzed_submissions_never_crash(
    fuzz_client: FlaskClient, data: dict[str, list[str]]
) -> None:
    tok = _token(fuzz_client)
    resp = _submit(fuzz_client, {**data, "csrf_token": [tok]})
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)[:500]
    assert resp.headers["Content-Security-Policy"] == server.CSP


@pytest.fixture
def fuzz_client(ws: Workspace, site: Path) -> FlaskClient:
    app = server.create_app(
        ws, site, mailer=FakeMailer(), limiter=server.RateLimiter({}), base_url=BASE
    )
    return app.test_client()


def test_directory_mailer_keeps_mails_private(ws: Workspace, site: Path, tmp_path: Path) -> None:
    from email import message_from_bytes
    from email.message import Message

    from rgpd.requests.mailer import DirectoryMailer

    box = tmp_path / "mail"
    app = server.create_app(
        ws, site, mailer=DirectoryMailer(box, "rgpd@example.org"), base_url=BASE
    )
    with app.test_client() as c:
        _send(c, form(email="dir@example.org"))
    [eml] = list(box.iterdir())
    assert eml.stat().st_mode & 0o077 == 0
    msg: Message = message_from_bytes(eml.read_bytes())
    assert msg["To"] == "dir@example.org" and msg["From"] == "rgpd@example.org"
    body = msg.get_payload(decode=True)
    assert isinstance(body, bytes) and b"/o/mairie/verify/" in body


# --------------------------------------------------------------------------- hardening (issues 13, 15)


def test_base_url_is_required(ws: Workspace, site: Path) -> None:
    from rgpd.errors import ConfigError

    with pytest.raises(ConfigError, match="base_url"):
        server.create_app(ws, site, mailer=FakeMailer())
    with pytest.raises(ConfigError, match="http"):
        server.create_app(ws, site, mailer=FakeMailer(), base_url="rgpd.example.org")
    ws.settings.raw["serve"] = {"base_url": "https://forms.example.org/"}
    app = server.create_app(ws, site, mailer=FakeMailer())
    assert app.extensions["rgpd"].cfg.base_url == "https://forms.example.org"


def test_host_header_injection_is_refused(
    client: FlaskClient, ws: Workspace, mailer: FakeMailer
) -> None:
    """Issue 13 item 3: ``Host: evil.example`` must not put a valid token on evil.example."""
    values = {**form(email="cible@example.org"), "csrf_token": [_token(client)], "confirm": ["1"]}
    for host in ("evil.example", "rgpd.example.org.evil.example", "evil.example:443"):
        attacked = _submit(client, values, headers={"Host": host})
        assert attacked.status_code == 400
    assert client.get(f"/o/{ORG}/csrf", headers={"Host": "evil.example"}).status_code == 400
    assert _stored(ws) == 0 and mailer.sent == []
    # the configured host (default port written or not) is served, links on base_url only
    assert client.get(f"/o/{ORG}/csrf", headers={"Host": "rgpd.example.org:443"}).status_code == 200
    _send(client, form(email="cible@example.org"))
    links = LINK_RE.findall(mailer.last_to("cible@example.org").text)
    assert links and all(x.startswith("https://rgpd.example.org/") for x in links)


def test_absolute_form_request_line_naming_another_host_is_refused(
    ws: Workspace, mailer: FakeMailer
) -> None:
    """Over real HTTP (waitress): ``POST http://evil.example/… HTTP/1.1`` with our Host."""
    import socket
    import threading

    setup_org(ws)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = server.create_app(ws, mailer=mailer, base_url=f"http://127.0.0.1:{port}")
    srv = server.make_server(ws, port=port, app=app, threads=2)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()

    def raw(line: str, host: str) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(
                f"{line}\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        return out.split(b"\r\n", 1)[0]

    try:
        ours = f"127.0.0.1:{port}"
        assert b" 400 " in raw(f"POST http://evil.example/o/{ORG}/submit HTTP/1.1", ours)
        assert b" 400 " in raw(f"GET http://evil.example/o/{ORG}/csrf HTTP/1.1", ours)
        assert b" 400 " in raw(f"GET /o/{ORG}/csrf HTTP/1.1", "evil.example")
        assert b" 200 " in raw(f"GET http://{ours}/o/{ORG}/csrf HTTP/1.1", ours)
        assert b" 200 " in raw(f"GET /o/{ORG}/csrf HTTP/1.1", ours)
    finally:
        srv.task_dispatcher.shutdown()
        for channel in list(srv._map.values()):
            channel.close()
        srv._map.clear()
        thread.join(10)
    assert _stored(ws) == 0 and mailer.sent == []


@pytest.mark.parametrize(
    "path",
    [
        f"/o/{ORG}/" + "a" * 256 + ".html",
        f"/o/{ORG}/fr/" + "é" * 200 + ".html",
        f"/o/{ORG}/%00.html",
        f"/o/{ORG}/assets/style%00.css",
        f"/o/{ORG}/fr/acces.html%00",
        f"/o/{ORG}/verify/" + "x" * 300,
        "/o/" + "m" * 300 + "/",
    ],
)
def test_malformed_paths_are_404(client: FlaskClient, path: str) -> None:
    got = client.get(path)
    assert got.status_code == 404
    assert got.headers["Content-Security-Policy"] == server.CSP


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "https://evil.example"}, False),
        ({"Origin": "https://rgpd.example.org"}, True),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "null"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "null"}, True),  # our no-referrer forms
        ({"Referer": "https://evil.example/page.html"}, False),
        ({"Referer": "https://rgpd.example.org/o/mairie/fr/acces.html"}, True),
        ({}, True),  # no browser header at all: the CSRF token alone decides
    ],
)
def test_post_from_another_site_is_refused(
    client: FlaskClient, ws: Workspace, headers: dict[str, str], allowed: bool
) -> None:
    values = {**form(), "csrf_token": [_token(client)], "confirm": ["1"]}
    got = _submit(client, values, headers=headers)
    assert got.status_code == (200 if allowed else 403)
    assert _stored(ws) == (1 if allowed else 0)


def test_csrf_token_files_one_request_only(client: FlaskClient, ws: Workspace) -> None:
    """Issue 13 item 8: a token and its cookie, captured, cannot file a second request."""
    token = _token(client)
    cookie = client.get_cookie(server.CSRF_COOKIE)
    assert cookie is not None
    values = {**form(), "csrf_token": [token], "confirm": ["1"]}
    assert _submit(client, values).status_code == 200
    fresh = client.get_cookie(server.CSRF_COOKIE)
    assert fresh is not None and fresh.value != cookie.value  # a new nonce for the next form
    client.set_cookie(server.CSRF_COOKIE, cookie.value)
    replay = _submit(client, values)
    assert replay.status_code == 403
    # validation round-trips before sending keep working with one token
    client.set_cookie(server.CSRF_COOKIE, fresh.value)
    again = {**form(), "csrf_token": [_token(client)]}
    assert _submit(client, again).status_code == 200  # recap
    assert _submit(client, {**again, "confirm": ["1"]}).status_code == 200
    assert _stored(ws) == 2


def test_spent_nonces_are_bounded_and_forgotten_after_the_token_lifetime() -> None:
    now = [0.0]
    csrf = server.Csrf(b"k" * 32, max_age=100, clock=lambda: now[0], max_spent=3)
    for n in "abcd":
        csrf.spend(n)
    assert not csrf.spent("a") and csrf.spent("d")  # oldest evicted beyond the bound
    now[0] = 101.0
    assert not csrf.spent("d")


def test_forwarded_address_counts_only_behind_a_listed_proxy(
    ws: Workspace, site: Path, mailer: FakeMailer
) -> None:
    limiter = server.RateLimiter({"post": server.Bucket(2, 1)})
    app = server.create_app(
        ws,
        site,
        mailer=mailer,
        limiter=limiter,
        base_url=BASE,
        trusted_proxies=["192.0.2.10", "10.0.0.0/8"],
    )

    def codes(peer: str, forwarded: list[str]) -> list[int]:
        with app.test_client() as c:
            values = {**form(), "csrf_token": [_token(c)]}
            return [
                _submit(
                    c,
                    values,
                    headers={"X-Forwarded-For": f},
                    environ_base={"REMOTE_ADDR": peer},
                ).status_code
                for f in forwarded
            ]

    # behind the listed proxy: each citizen has their own bucket
    assert codes("192.0.2.10", [f"198.51.100.{i}" for i in range(4)]) == [200] * 4
    # a client cannot escape by writing its own X-Forwarded-For (leftmost entries)
    spoofed = [f"203.0.113.{i}, 198.51.100.50, 10.1.2.3" for i in range(4)]
    assert codes("192.0.2.10", spoofed) == [200, 200, 429, 429]
    # a peer that is not a listed proxy is counted by its own address
    assert codes("198.51.100.99", [f"203.0.113.{i}" for i in range(4)]) == [200, 200, 429, 429]


def test_client_address_reads_forwarded_for_from_the_right() -> None:
    trusted = server.parse_networks(["10.0.0.0/8", "::1"])
    assert server.client_address("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.1", trusted) == "1.2.3.4"
    assert server.client_address("198.51.100.1", "1.2.3.4", trusted) == "198.51.100.1"
    assert server.client_address("::1", "2001:db8::5", trusted) == "2001:db8::5"
    assert server.client_address("10.0.0.2", None, trusted) == "10.0.0.2"
    from rgpd.errors import ConfigError

    with pytest.raises(ConfigError):
        server.parse_networks(["not-an-address"])


def test_busy_database_answers_503_and_keeps_the_form(
    tmp_path: Path, built_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a write lock held too long gives 503 + Retry-After, the recap as typed."""
    import sqlite3

    from rgpd.storage import db as dbmod
    from tests.conftest import make_workspace

    monkeypatch.setattr(dbmod, "SQLITE_BUSY_TIMEOUT_MS", 150)
    ws = make_workspace(f"sqlite:///{tmp_path / 'rgpd.db'}", tmp_path)
    setup_org(ws)
    mailer = FakeMailer()
    app = server.create_app(ws, built_site, mailer=mailer, base_url=BASE)
    holder = sqlite3.connect(tmp_path / "rgpd.db", isolation_level=None)
    try:
        with app.test_client() as c:
            values = {
                **form(last_name="Dufrêne-Busy", email="busy@example.org"),
                "lang": ["fr"],
                "csrf_token": [_token(c)],
                "confirm": ["1"],
            }
            holder.execute("BEGIN IMMEDIATE")  # a long writer elsewhere
            got = _submit(c, values)
            holder.execute("ROLLBACK")
            assert got.status_code == 503
            assert int(got.headers["Retry-After"]) >= 1
            page = got.get_data(as_text=True)
            assert "réessayez dans un instant" in page
            assert 'value="Dufrêne-Busy"' in page and 'value="busy@example.org"' in page
            assert mailer.sent == []
            # the kept form, sent again once the writer is gone, is recorded once
            tok = TOKEN_RE.search(page)
            assert tok
            again = _submit(c, {**values, "csrf_token": [tok.group(1)]})
            assert again.status_code == 200
    finally:
        holder.close()
    assert _stored(ws) == 1 and len(mailer.sent) == 1
    ws.db.dispose()


def test_busy_database_on_a_verification_link_answers_503_and_keeps_the_link(
    tmp_path: Path, built_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: a click that cannot be recorded now is 503 in French; the link still works."""
    import sqlite3

    from rgpd.storage import db as dbmod
    from tests.conftest import make_workspace

    monkeypatch.setattr(dbmod, "SQLITE_BUSY_TIMEOUT_MS", 150)
    ws = make_workspace(f"sqlite:///{tmp_path / 'rgpd.db'}", tmp_path)
    setup_org(ws)
    mailer = FakeMailer()
    app = server.create_app(ws, built_site, mailer=mailer, base_url=BASE)
    holder = sqlite3.connect(tmp_path / "rgpd.db", isolation_level=None)
    try:
        with app.test_client() as c:
            values = {**form(email="lien@example.org"), "csrf_token": [_token(c)], "confirm": ["1"]}
            assert _submit(c, values).status_code == 200
            link = LINK_RE.search(mailer.last_to("lien@example.org").text)
            assert link
            path = link.group(0).removeprefix(BASE) + "?lang=fr"
            holder.execute("BEGIN IMMEDIATE")  # a long writer elsewhere
            busy = c.post(path)
            json_busy = _submit(
                c,
                {**form(email="json@example.org"), "csrf_token": [_token(c)], "confirm": ["1"]},
                headers={"Accept": "application/json"},
            )
            holder.execute("ROLLBACK")
            assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
            assert "réessayez dans un instant" in busy.get_data(as_text=True)
            assert json_busy.status_code == 503 and json_busy.get_json()["error"] == "busy"
            assert int(json_busy.headers["Retry-After"]) >= 1
            assert c.post(path).status_code == 200  # the link was not spent by the 503
            assert c.post(path).status_code == 410
    finally:
        holder.close()
    assert _stored(ws) == 1  # the JSON submission refused while busy stored nothing
    ws.db.dispose()


def test_database_file_is_created_private(tmp_path: Path) -> None:
    from tests.conftest import make_workspace

    w = make_workspace(f"sqlite:///{tmp_path / 'data' / 'rgpd.db'}", tmp_path)
    setup_org(w)
    for f in (tmp_path / "data").iterdir():  # the database and its WAL/shared-memory files
        assert f.stat().st_mode & 0o077 == 0, f
    w.db.dispose()


# --------------------------------------------------------------------------- two steps (issue 12)


def _first_step(**over: object) -> dict[str, list[str]]:
    values = {"right": ["access"], "lang": ["fr"], "activities": ["cantine"], "step": ["services"]}
    for k, v in over.items():
        values[k] = [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]
    return values


def test_second_step_asks_only_what_the_chosen_services_need(client: FlaskClient) -> None:
    tok = _token(client)
    resp = _submit(client, {**_first_step(), "csrf_token": [tok]})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert 'name="id_numero_famille"' in body and " required" in body
    assert 'name="id_carte_lecteur"' not in body  # the library's card: not chosen
    assert 'name="activities" value="cantine"' in body and "<script" not in body
    assert "Étape 2 sur 2" in body
    # "I don't know / all of them": no service's own reference, the whole register covered
    everything = _submit(client, {**_first_step(activities=["*"]), "csrf_token": [tok]})
    text = everything.get_data(as_text=True)
    assert everything.status_code == 200 and 'name="id_numero_famille"' not in text
    assert 'name="activities" value="*"' in text


def test_first_step_errors_come_back_on_the_first_step(client: FlaskClient, ws: Workspace) -> None:
    tok = _token(client)
    resp = _submit(client, {**_first_step(activities=["inconnue"]), "csrf_token": [tok]})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="err-activities"' in body and 'href="#f-activities-all"' in body
    api = _submit(
        client,
        {**_first_step(activities=[]), "csrf_token": [tok]},
        headers={"Accept": "application/json"},
    )
    assert api.status_code == 422 and list(api.get_json()["errors"]) == ["activities"]
    assert _stored(ws) == 0


def test_json_client_learns_the_second_steps_fields(client: FlaskClient) -> None:
    resp = _submit(
        client,
        {**_first_step(), "csrf_token": [_token(client)]},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["step"] == "details"
    fields = {f["name"]: f["required"] for f in data["fields"]}
    assert fields["id_numero_famille"] is True and fields["email"] is True
    assert "id_carte_lecteur" not in fields


def test_changing_the_services_keeps_what_was_typed(client: FlaskClient) -> None:
    tok = _token(client)
    values = {**form(), "csrf_token": [tok], "step": ["choose"]}
    back = _submit(client, values)
    assert back.status_code == 200
    body = html.unescape(back.get_data(as_text=True))
    assert 'value="cantine" checked' in back.get_data(as_text=True)
    assert f'name="last_name" value="{values["last_name"][0]}"' in body  # carried, hidden
    again = _submit(
        client,
        {
            **_first_step(activities=["mediatheque"]),
            "csrf_token": [tok],
            "last_name": values["last_name"],
            "id_numero_famille": ["F-1"],
        },
    )
    text = html.unescape(again.get_data(as_text=True))
    assert values["last_name"][0] in text
    assert "F-1" not in text  # the canteen's number goes with the canteen


@pytest.mark.parametrize("step", ["third", "services&x", ""])
def test_unknown_step_is_refused_clearly(client: FlaskClient, ws: Workspace, step: str) -> None:
    values = {**form(), "csrf_token": [_token(client)], "step": [step, "services"]}
    if step != "":
        values["step"] = [step]
    resp = _submit(client, values)
    assert resp.status_code == 422
    assert "étape du formulaire est inconnue" in html.unescape(resp.get_data(as_text=True))
    api = _submit(client, values, headers={"Accept": "application/json"})
    assert api.status_code == 422 and "step" in api.get_json()["errors"]
    assert _stored(ws) == 0


def test_i_dont_know_is_filed_for_every_service(client: FlaskClient, ws: Workspace) -> None:
    values = form(activities=["*"])
    values.pop("id_numero_famille")
    page = _send(client, values)
    assert values["email"][0] in html.unescape(page)  # "check your mailbox" at that address
    with ws.db.session() as s:
        (row,) = s.execute(select(RequestRow)).scalars().all()
        assert set(row.activities) == {"cantine", "newsletter", "mediatheque"}


# --------------------------------------------------------------------------- CSRF token, raced


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_one_csrf_token_sent_at_once_files_one_request(
    request: pytest.FixtureRequest, built_site: Path, tmp_path: Path, db: str
) -> None:
    """Issue 13 items 4 and 8: a captured token and cookie, replayed by concurrent POSTs.

    The token is one-time (spent when its request is recorded): of six POSTs released
    together with one token and one cookie, one files the request, five are refused.
    """

    from tests.conftest import _reset, make_workspace

    if db == "sqlite":
        url = f"sqlite:///{tmp_path / 'rgpd.db'}"
    else:
        url = request.getfixturevalue("pg_server_url")
        _reset(url)
    w = make_workspace(url, tmp_path)
    setup_org(w)
    mailer = FakeMailer()
    app = server.create_app(
        w,
        built_site,
        mailer=mailer,
        base_url="https://rgpd.example.org",
        allowed_hosts=["localhost"],
    )
    first = app.test_client()
    values = {**form(email="course@example.org"), "csrf_token": [_token(first)], "confirm": ["1"]}
    cookie = first.get_cookie(server.CSRF_COOKIE)
    assert cookie is not None
    n = 6
    clients = []
    for _ in range(n):  # made before the race: only the POSTs run at once
        c = app.test_client()
        c.set_cookie(server.CSRF_COOKIE, cookie.value)
        clients.append(c)
    codes, crashed = together(n, lambda i: _submit(clients[i], values).status_code, timeout=120)
    try:
        assert not crashed, crashed
        assert sorted(codes) == [200] + [403] * (n - 1), codes
        assert _stored(w) == 1
        assert [m.to for m in mailer.sent] == ["course@example.org"]
    finally:
        w.db.dispose()


def test_a_csrf_token_is_given_back_when_nothing_was_recorded() -> None:
    """A claimed token whose request could not be recorded (mail, busy) is usable again."""
    csrf = server.Csrf(b"k" * 32)
    assert csrf.claim("n") and not csrf.claim("n") and csrf.spent("n")
    csrf.release("n")
    assert not csrf.spent("n") and csrf.claim("n")
