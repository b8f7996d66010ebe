"""The two lookups (organisation by slug, request by reference) give one answer and one error."""

from __future__ import annotations

import pytest

from rgpd.errors import ConfigError, NotFound, UnknownOrganisation
from rgpd.registry import service
from rgpd.registry.model import Organisation
from rgpd.requests import service as requests_service
from rgpd.storage import lookups
from rgpd.workspace import Workspace


def test_organisation_by_slug(ws: Workspace) -> None:
    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    with ws.db.session() as s:
        row = lookups.org_row(s, "mairie")
        assert lookups.org_id(s, "mairie") == row.id == ws.org_id("mairie")
        assert lookups.find_org_row(s, "ccas") is None
        with pytest.raises(UnknownOrganisation):
            lookups.org_row(s, "ccas")
        with pytest.raises(ConfigError, match="--org"):
            lookups.org_id(s, None)
    # every wing goes through it: the same error from the register and the requests
    with pytest.raises(UnknownOrganisation):
        service.get_org(ws, "ccas")
    with pytest.raises(UnknownOrganisation):
        requests_service.organisation(ws, "ccas")


def test_request_by_reference_is_read_as_stored(ws: Workspace) -> None:
    service.add_org(ws, Organisation(slug="mairie", name="Ville"))
    assert lookups.normalise_reference("  rgpd-2026-ab12 ") == "RGPD-2026-AB12"
    assert requests_service.normalise_reference(" x ") == lookups.normalise_reference(" x ")
    with ws.db.session() as s, pytest.raises(NotFound, match="RGPD-0"):
        lookups.request_row(s, ws.org_id("mairie"), "RGPD-0")


def test_a_real_request_is_found_however_its_reference_is_typed(ws: Workspace) -> None:
    from rgpd.requests import intake
    from rgpd.requests.model import Channel
    from tests.requests.intake_fixtures import ORG, form, setup_org

    setup_org(ws)
    sub = intake.validate(
        form(),
        requests_service.offered_activities(ws, ORG),
        today=ws.today(),
        offered_only=False,
    )
    ref = requests_service.submit(ws, ORG, sub, channel=Channel.COUNTER).record.reference
    with ws.db.session() as s:
        row = lookups.request_row(s, ws.org_id(ORG), f"  {ref.lower()} ")
        assert row.reference == ref
    assert requests_service.get(ws, ORG, ref.lower()).reference == ref
