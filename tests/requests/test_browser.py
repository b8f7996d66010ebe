"""The forms as people use them: a real Chromium, no JavaScript, axe-core on every page.

Debian's chromium (``/usr/bin/chromium``, installed by ``.ci/system-deps.sh``) is
driven by Playwright with ``executable_path``; axe-core comes from npm
(``package.json`` at the repository root, ``npm ci``). Under
``RGPD_REQUIRE_SERVICES=1`` (``make test``, CI) a missing browser or axe fails
instead of skipping, so these tests cannot silently stop running.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rgpd import deadlines
from rgpd.registry import service as registry
from rgpd.requests.forms import FORM_RIGHTS, build_forms, build_site, page_path
from rgpd.requests.model import RequestState, RequestType
from rgpd.workspace import Workspace
from tests.conftest import make_workspace, missing

from .forms_fixtures import ORG, activities, organisation

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("RGPD_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 740}


def _missing(what: str) -> None:
    missing(f"{what} missing: run `make system-deps` and `npm ci`")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    if not AXE.exists():
        _missing(str(AXE))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def axe_context(browser: Any, **options: Any) -> Any:
    """A browser context where every page gets axe-core injected (Playwright bypasses the CSP)."""
    ctx = browser.new_context(**options)
    ctx.add_init_script(path=str(AXE))
    return ctx


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run every axe-core rule enabled by default (WCAG 2.x A/AA and best practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    return list(result)


def _fmt(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    logo = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
        "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    # a light organisation colour: the pages must stay readable whatever the commune picks
    build_site(organisation(color_primary="#f7d117", logo=logo), activities(), out, pdf=False)
    return out / ORG


def _all_pages(site: Path) -> list[str]:
    pages = ["index.html"]
    for lang in ("fr", "en"):
        pages.append(page_path(lang))
        pages += [page_path(lang, r) for r in FORM_RIGHTS]
    return pages


def test_axe_finds_no_violation_on_any_generated_page(browser: Any, static_site: Path) -> None:
    ctx = axe_context(browser, viewport=PHONE)
    page = ctx.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    widths: dict[str, int] = {}
    pages = _all_pages(static_site)
    assert len(pages) == 1 + 2 * (1 + len(FORM_RIGHTS))
    for rel in pages:
        page.goto((static_site / rel).as_uri())
        v = axe_violations(page)
        if v:
            found[rel] = v
        # on a phone: nothing wider than the screen (RGAA 10.11, reflow)
        w = page.evaluate("document.documentElement.scrollWidth")
        if w > PHONE["width"]:
            widths[rel] = w
    ctx.close()
    assert found == {}, _fmt([{"page": k, "violations": v} for k, v in found.items()])
    assert widths == {}


def test_keyboard_reaches_the_skip_link_first_and_focus_is_visible(
    browser: Any, static_site: Path
) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto((static_site / page_path("fr", FORM_RIGHTS[0])).as_uri())
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {href: e.getAttribute('href'), outline: s.outlineStyle, width: s.outlineWidth,"
        " top: e.getBoundingClientRect().top}; }"
    )
    assert focused["href"] == "#main"
    assert focused["outline"] != "none" and focused["width"] != "0px"
    assert focused["top"] >= 0  # the skip link shows itself when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    ctx.close()


def test_axe_does_report_a_faulty_page(browser: Any) -> None:
    """The checker itself can fail: an unlabelled field in a page without a language."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_content(
        "<!DOCTYPE html><html><head><title>t</title></head><body><input></body></html>"
    )
    ids = {v["id"] for v in axe_violations(page)}
    assert {"label", "html-has-lang"} <= ids
    ctx.close()


# --------------------------------------------------------------------------- the whole journey

#: Receipt date injected into the server: one month later is 8 May 2025, Victory in
#: Europe Day (a public holiday, Code du travail art. L3133-1), so the answer is due
#: on Friday 9 May (Reg. 1182/71 art. 3(4)).
RECEIVED = date(2025, 4, 8)
DUE_BY_HAND = date(2025, 5, 9)


@dataclass
class Intake:
    base: str
    ws: Workspace
    mailer: Any


@pytest.fixture(scope="module")
def intake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    """``rgpd serve`` in a thread on a free loopback port, with a fake mailer and a fixed day."""
    from werkzeug.serving import make_server

    from rgpd.requests import service
    from rgpd.requests.mailer import FakeMailer
    from rgpd.requests.server import Bucket, RateLimiter, create_app

    tmp = tmp_path_factory.mktemp("serve")
    ws = make_workspace(f"sqlite:///{tmp / 'rgpd.db'}", tmp)
    registry.add_org(ws, organisation())
    for a in activities():
        registry.add_activity(ws, ORG, a)
    build_forms(ws, ORG, tmp / "site")
    mailer = FakeMailer()
    # the journeys below post a handful of times from one address: lift the flood limit
    limiter = RateLimiter({"page": Bucket(1000, 1000), "post": Bucket(100, 100)})
    with socket.socket() as probe:  # the links are built from the base URL: know the port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(
        ws, tmp / "site", mailer=mailer, limiter=limiter, base_url=f"http://127.0.0.1:{port}"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(service, "local_today", lambda _ws: RECEIVED)
        httpd = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield Intake(f"http://127.0.0.1:{httpd.server_port}", ws, mailer)
        finally:
            httpd.shutdown()
            thread.join(10)
            ws.db.dispose()


def _name(label: str) -> re.Pattern[str]:
    """A field's label, with or without its required marker."""
    return re.compile(rf"^{re.escape(label)}( \*)?$")


def journey(
    page: Any, srv: Intake, email: str, check: Callable[[str], None], *, script: bool
) -> str:
    """A person files a request of access to the canteen's data; returns the reference.

    ``script`` False: the form's two steps through the server (no JavaScript, or the
    script blocked); True: ``assets/form.js`` reveals the canteen's fields on the page.
    """
    page.set_default_timeout(10_000)
    resp = page.goto(f"{srv.base}/o/{ORG}/")
    assert resp.status == 200
    check("root")
    page.get_by_role("link", name=re.compile("Français")).click()
    check("index")
    # the entry page gives the DPO's contact (issue 12)
    assert page.locator("main a[href='mailto:dpo@example.org']").count() == 1
    page.get_by_role("link", name="Droit d'accès").click()
    assert page.url.endswith("/fr/acces.html")
    check("form")
    nir = page.locator("#f-id_nir")
    famille = page.locator("#f-id_numero_famille")

    if script:
        assert page.get_by_role("button", name="Continuer").count() == 0
        assert not page.get_by_label(_name("Prénom")).is_visible()
        page.get_by_label("Restauration scolaire").check()
        assert page.get_by_label(_name("Prénom")).is_visible()
        assert famille.is_visible() and famille.is_enabled()
        assert famille.get_attribute("required") is not None
        assert not nir.is_visible() and nir.is_disabled()  # the payroll's NIR: not asked
        check("revealed")
        page.get_by_label("Paie des agents").check()  # a service that holds the NIR
        assert nir.is_visible() and nir.get_attribute("required") is None
        assert "12.6 du RGPD" in page.locator("#hint-id_nir").inner_text()
        page.get_by_label("Paie des agents").uncheck()
        assert not nir.is_visible() and nir.is_disabled()
    else:
        # sent empty: the first step says which field is wrong and links to it (RGAA 11.10)
        with page.expect_navigation() as nav:
            page.get_by_role("button", name="Continuer").click()
        assert nav.value.status == 422
        summary = page.get_by_role("alert")
        assert summary.is_visible() and page.title().startswith("Erreur")
        check("choose_errors")
        summary.get_by_role("link", name=re.compile("^Services concernés")).click()
        assert page.evaluate("document.activeElement.id") == "f-activities-all"
        page.get_by_label("Restauration scolaire").check()
        with page.expect_navigation() as nav:
            page.get_by_role("button", name="Continuer").click()
        assert nav.value.status == 200
        # the second step asks what the canteen needs, and nothing the payroll does
        assert famille.is_visible() and famille.get_attribute("required") is not None
        assert nir.count() == 0 and page.locator("#f-id_matricule").count() == 0
        check("details")

    # sent without identity: a correction page that names each field and links to it
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Vérifier ma demande").click()
    assert nav.value.status == 422
    summary = page.get_by_role("alert")
    assert summary.is_visible()
    assert page.title().startswith("Erreur")
    assert page.locator("#f-first_name").get_attribute("aria-invalid") == "true"
    check("errors")
    summary.get_by_role("link", name=re.compile("^Prénom")).click()
    assert page.evaluate("document.activeElement.id") == "f-first_name"

    # filled through the labels, as a screen-reader user reaches them (RGAA 11.1)
    page.get_by_label(_name("Prénom")).fill("Camille")
    page.get_by_label(_name("Nom")).fill("Martin")
    page.get_by_label(_name("Adresse électronique")).fill(email)
    page.get_by_label(_name("Numéro de famille")).fill("F-2024-0042")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Vérifier ma demande").click()
    assert nav.value.status == 200
    # RGAA 11.12: a recap before anything is recorded
    assert "Camille" in page.content() and "F-2024-0042" in page.content()
    assert len(srv.mailer.sent) == 0 or all(m.to != email for m in srv.mailer.sent)
    check("confirm")
    with page.expect_navigation() as nav:
        page.locator("button[name=confirm][value='1']").click()
    assert nav.value.status == 200
    assert page.get_by_role("status").is_visible()
    check("check_mail")

    mail = srv.mailer.last_to(email)
    m = re.search(r"https?://\S+/verify/\S+", mail.text)
    assert m, mail.text
    link = m.group(0)
    assert link.startswith(srv.base)
    page.goto(link)
    check("verify")
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 200
    assert page.get_by_role("status").is_visible()
    check("acknowledgement")
    ref = page.locator("dd strong").first.inner_text().strip()
    assert re.fullmatch(r"R-2025-[A-Z0-9]{4}-[A-Z0-9]{4}", ref), ref
    assert page.locator("time").get_attribute("datetime") == DUE_BY_HAND.isoformat()

    # the link works once (a replay is refused, nothing changes)
    page.goto(link)
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 410
    return ref


def _stored(srv: Intake, ref: str, email: str) -> None:
    from rgpd.requests import service

    rec = service.get(srv.ws, ORG, ref, reveal=True)
    assert rec.type is RequestType.ACCESS
    assert rec.request.activities == ("cantine",)
    assert rec.request.received_on == RECEIVED
    assert rec.email_verified and not rec.pending_verification
    assert rec.state is RequestState.RECEIVED
    assert rec.due == DUE_BY_HAND == deadlines.one_month_from(RECEIVED)
    assert rec.submission is not None
    assert rec.submission.email == email and rec.submission.first_name == "Camille"
    assert rec.submission.identifiers == {"numero_famille": "F-2024-0042"}
    assert rec.submission.birth_date is None  # the canteen does not ask it


def test_a_person_files_a_request_without_javascript_on_a_phone(
    browser: Any, intake_server: Intake
) -> None:
    ctx = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="fr-FR")
    page = ctx.new_page()
    email = "camille.martin.nojs@example.org"
    ref = journey(page, intake_server, email, check=lambda _step: None, script=False)
    ctx.close()
    _stored(intake_server, ref, email)


@pytest.mark.parametrize("script", [True, False], ids=["script", "two-steps"])
def test_axe_finds_no_violation_along_the_served_journey(
    browser: Any, intake_server: Intake, script: bool
) -> None:
    """Every page a person meets, the server's included, under the server's real CSP.

    axe needs JavaScript: the two-step journey blocks the form's own script instead.
    """
    ctx = axe_context(browser, locale="fr-FR")
    if not script:
        ctx.route("**/form.js", lambda route: route.abort())
    page = ctx.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    seen: list[str] = []

    def check(step: str) -> None:
        seen.append(step)
        v = axe_violations(page)
        if v:
            found[step] = v

    email = f"camille.martin.axe.{'js' if script else 'steps'}@example.org"
    ref = journey(page, intake_server, email, check, script=script)
    ctx.close()
    middle = ["revealed"] if script else ["choose_errors", "details"]
    assert seen == [
        "root",
        "index",
        "form",
        *middle,
        "errors",
        "confirm",
        "check_mail",
        "verify",
        "acknowledgement",
    ]
    assert found == {}, _fmt([{"step": k, "violations": v} for k, v in found.items()])
    _stored(intake_server, ref, email)


# --------------------------------------------------------------------------- a phone

#: The demo commune's register: 16 services, the register the issue measured (6,500 px).
PHONE_390 = {"width": 390, "height": 844}
MAX_HEIGHT = 2500


@pytest.fixture(scope="module")
def commune_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    from rgpd.registry.io.yamlio import load_yaml
    from rgpd.registry.samples import sample_text

    reg = load_yaml(sample_text("commune"), source="commune.yaml")
    assert reg.organisation is not None and len(reg.activities) >= 16
    out = tmp_path_factory.mktemp("commune")
    res = build_site(reg.organisation, reg.activities, out)
    return res.out_dir, reg


def test_one_service_chosen_fits_a_phone_with_and_without_script(
    browser: Any, commune_site: tuple[Path, Any]
) -> None:
    from rgpd.requests import forms

    site, reg = commune_site
    ref = "restauration-scolaire"
    spec = forms.form_spec(RequestType.ACCESS, reg.activities)
    # the server's second step, as ``rgpd serve`` renders it (same function, same CSS)
    page_ctx = forms.PageContext("fr", "../assets", "index.html", None, None, "/o/x/submit")
    step2 = site / "fr" / "step2.html"
    step2.write_text(
        forms.render_form(
            reg.organisation, spec, page_ctx, values={"activities": [ref]}, stage="details"
        ),
        encoding="utf-8",
    )
    heights: dict[str, int] = {}

    def height(page: Any) -> int:
        return int(page.evaluate("document.documentElement.scrollHeight"))

    ctx = browser.new_context(viewport=PHONE_390, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(step2.as_uri())
    assert page.locator("#f-id_numero_famille").is_visible()
    heights["second step"] = height(page)
    ctx.close()

    ctx = axe_context(browser, viewport=PHONE_390)
    page = ctx.new_page()
    page.goto((site / page_path("fr", RequestType.ACCESS)).as_uri())
    before = height(page)
    page.locator("summary", has_text="Enfance et école").click()
    page.locator(f"#f-activities-{ref}").check()
    assert page.locator("#f-id_numero_famille").is_visible()
    heights["with script"] = height(page)
    assert heights["with script"] > before  # the fields did appear
    v = axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"]
    ctx.close()
    assert v == [], _fmt(v)
    assert all(h < MAX_HEIGHT for h in heights.values()), heights
