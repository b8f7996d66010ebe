"""The recognizer registry: which recognizer answers for which entity type.

Each entry names a recognizer's module and class with the entity types it can emit,
so a caller that wants a few identifiers (a file path to mask, a rescan's summary)
imports and builds those recognizers only: the name and special-category ones load
lexicons and compile large patterns (0.25 s of a rescan), which a path never needs.
The entity types written here are each class's own ``entities`` (a test holds them
equal), written again only so that choosing needs no import.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import TYPE_CHECKING

from rgpd.errors import ConfigError
from rgpd.i18n import _
from rgpd.scan.detect.types import Depth
from rgpd.taxonomy import SPECIAL_ENTITIES, Entity

if TYPE_CHECKING:
    from rgpd.scan.detect.recognizers.base import Recognizer

ALL_ENTITIES: tuple[str, ...] = tuple(e.value for e in Entity)

_FR = "rgpd.scan.detect.recognizers.fr."
#: Every recognizer, in the order their results are merged: (module, class, entities).
POOL: tuple[tuple[str, str, frozenset[str]], ...] = tuple(
    (module, cls, frozenset(entities))
    for module, cls, entities in (
        (_FR + "iban", "IbanRecognizer", ("IBAN_CODE",)),
        (_FR + "credit_card", "CreditCardRecognizer", ("CREDIT_CARD",)),
        (_FR + "email", "EmailRecognizer", ("EMAIL_ADDRESS",)),
        (_FR + "nir", "NirRecognizer", ("FR_NIR",)),
        (_FR + "siret", "SiretRecognizer", ("FR_SIRET",)),
        (_FR + "siren", "SirenRecognizer", ("FR_SIREN",)),
        (_FR + "tax_id", "TaxIdRecognizer", ("FR_TAX_ID",)),
        (_FR + "id_card", "IdCardRecognizer", ("FR_ID_CARD",)),
        (_FR + "passport", "PassportRecognizer", ("FR_PASSPORT",)),
        (_FR + "phone", "PhoneRecognizer", ("PHONE_NUMBER",)),
        (_FR + "ip", "IpRecognizer", ("IP_ADDRESS",)),
        (_FR + "url", "UrlRecognizer", ("URL",)),
        (_FR + "date_of_birth", "DateOfBirthRecognizer", ("DATE_OF_BIRTH",)),
        (_FR + "plate", "PlateRecognizer", ("FR_LICENSE_PLATE",)),
        (_FR + "address", "AddressRecognizer", ("LOCATION",)),
        (_FR + "residence", "ResidenceRecognizer", ("LOCATION",)),
        (
            _FR + "tabular",
            "TabularRecognizer",
            ("PERSON", "DATE_OF_BIRTH", "LOCATION", "PHONE_NUMBER"),
        ),
        (_FR + "person", "PersonRecognizer", ("PERSON",)),
        (
            "rgpd.scan.detect.recognizers.special.recognizer",
            "SpecialCategoryRecognizer",
            tuple(e.value for e in SPECIAL_ENTITIES),
        ),
    )
)


def recognizer_class(module: str, name: str) -> type[Recognizer]:
    cls: type[Recognizer] = getattr(import_module(module), name)
    return cls


def recognizers_for(
    entities: Iterable[str] | None = None, depth: Depth | str = Depth.STANDARD
) -> list[Recognizer]:
    """One instance of each recognizer that can emit an enabled entity.

    ``entities=None`` enables every entity of :class:`rgpd.taxonomy.Entity`. Every
    depth uses the same recognizers; depth only decides how NER is used.
    """
    Depth(depth)  # validates
    wanted = set(ALL_ENTITIES if entities is None else entities)
    unknown = wanted - set(ALL_ENTITIES)
    if unknown:
        raise ConfigError(_("unknown entity types: {names}", names=", ".join(sorted(unknown))))
    return [recognizer_class(m, c)() for m, c, ents in POOL if wanted & ents]
