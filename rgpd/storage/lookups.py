"""The two lookups every wing makes: an organisation by slug, a request by reference.

One home, so every caller gives the same error for the same mistake (no
organisation selected, unknown organisation, unknown request) and reads the
reference the same way (case and surrounding spaces do not matter: references
are read aloud at a counter and typed back).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rgpd.errors import ConfigError, NotFound, UnknownOrganisation
from rgpd.i18n import _
from rgpd.storage.request_tables import RequestRow
from rgpd.storage.tables import OrganisationRow


def find_org_row(s: Session, slug: str) -> OrganisationRow | None:
    """The organisation ``slug``, or None."""
    return s.execute(select(OrganisationRow).where(OrganisationRow.slug == slug)).scalar()


def org_row(s: Session, slug: str | None) -> OrganisationRow:
    """The organisation ``slug``; a precise error when none is selected or it is unknown."""
    if not slug:
        raise ConfigError(_("no organisation selected: use --org SLUG or set RGPD_ORG"))
    row = find_org_row(s, slug)
    if row is None:
        raise UnknownOrganisation(slug)
    return row


def org_id(s: Session, slug: str | None) -> int:
    """:func:`org_row`'s id, reading the id column only."""
    if not slug:
        raise ConfigError(_("no organisation selected: use --org SLUG or set RGPD_ORG"))
    oid = s.execute(select(OrganisationRow.id).where(OrganisationRow.slug == slug)).scalar()
    if oid is None:
        raise UnknownOrganisation(slug)
    return int(oid)


def normalise_reference(ref: str) -> str:
    """A request reference as stored: upper case, no surrounding spaces."""
    return ref.strip().upper()


def find_request_row(s: Session, org_id: int, ref: str) -> RequestRow | None:
    """The organisation's request ``ref`` (:func:`normalise_reference`), or None."""
    return s.execute(
        select(RequestRow).where(
            RequestRow.org_id == org_id, RequestRow.reference == normalise_reference(ref)
        )
    ).scalar()


def request_row(s: Session, org_id: int, ref: str) -> RequestRow:
    """The organisation's request ``ref``; NotFound ("unknown request") otherwise."""
    row = find_request_row(s, org_id, ref)
    if row is None:
        raise NotFound(_("unknown request: {ref}", ref=ref))
    return row
