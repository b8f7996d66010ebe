"""Shared vocabulary between the register and the scanners.

It lives below both wings (architecture rule 2): the register declares *data
categories*; the scanners find *entity types*; reconciliation needs the mapping
between the two, so both import it from here and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Entity(StrEnum):
    """Entity types produced by the detectors (Presidio naming where one exists)."""

    PERSON = "PERSON"
    LOCATION = "LOCATION"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    IP_ADDRESS = "IP_ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    IBAN_CODE = "IBAN_CODE"
    CREDIT_CARD = "CREDIT_CARD"
    FR_NIR = "FR_NIR"
    FR_SIREN = "FR_SIREN"
    FR_SIRET = "FR_SIRET"
    FR_TAX_ID = "FR_TAX_ID"
    FR_ID_CARD = "FR_ID_CARD"
    FR_PASSPORT = "FR_PASSPORT"
    FR_LICENSE_PLATE = "FR_LICENSE_PLATE"
    #: A web address: an online identifier (Art. 4(1)) when it points at someone.
    URL = "URL"
    #: A picture of a person (photo, avatar, scanned signature) held in a binary column.
    #: Not biometric by itself (Recital 51): it becomes BIOMETRIC only when processed
    #: to identify someone, which is what a fingerprint or face-template column says.
    PHOTO = "PHOTO"
    #: A password, password hash or salt, API key, secret or access token (a column of a
    #: user table): what Art. 32 asks to keep secure. Told by the column's name and the
    #: shape of its values, never kept, masked or not. It opens the person's account.
    CREDENTIAL = "CREDENTIAL"
    #: Sex or gender as civil status (``sexe`` M/F, ``gender``, a courtesy title "Mme",
    #: "Mr."). Ordinary identity data, *not* Art. 9 "sex life or orientation".
    GENDER = "GENDER"
    #: A person's income or financial situation: salary, income, benefit amounts,
    #: family quotient (the CNIL template's "économique et financier" category).
    FINANCIAL_SITUATION = "FINANCIAL_SITUATION"
    # Art. 9(1) special categories and Art. 10 offences
    HEALTH = "HEALTH"
    RELIGION = "RELIGION"
    POLITICAL_OPINION = "POLITICAL_OPINION"
    TRADE_UNION = "TRADE_UNION"
    ETHNIC_ORIGIN = "ETHNIC_ORIGIN"
    SEX_LIFE = "SEX_LIFE"
    BIOMETRIC = "BIOMETRIC"
    GENETIC = "GENETIC"
    CRIMINAL_OFFENCE = "CRIMINAL_OFFENCE"


#: Art. 9(1) categories (and Art. 10 for offences): a finding of these is ``special_category``.
SPECIAL_ENTITIES: frozenset[Entity] = frozenset(
    {
        Entity.HEALTH,
        Entity.RELIGION,
        Entity.POLITICAL_OPINION,
        Entity.TRADE_UNION,
        Entity.ETHNIC_ORIGIN,
        Entity.SEX_LIFE,
        Entity.BIOMETRIC,
        Entity.GENETIC,
        Entity.CRIMINAL_OFFENCE,
    }
)


#: Facts about a person that point at no one (a sex code, an amount of income): a
#: pseudonymised row keeps them (rgpd.requests.erasure: only what identifies is replaced),
#: and the scanners keep no blind-index token for them.
DESCRIPTIVE_ENTITIES: frozenset[Entity] = frozenset({Entity.GENDER, Entity.FINANCIAL_SITUATION})


@dataclass(frozen=True)
class DataCategory:
    key: str
    label_fr: str
    label_en: str
    sensitive: bool  # Art. 9(1) / Art. 10, or "highly personal" in the CNIL template
    article: str  # legal anchor shown next to the flag
    entities: tuple[Entity, ...]  # what a scanner would find for this category


_C = DataCategory
#: The CNIL register template's categories, split where the law treats them apart.
CATEGORIES: dict[str, DataCategory] = {
    c.key: c
    for c in [
        _C(
            "etat_civil",
            "État civil, identité",
            "Civil status, identity",
            False,
            "Art. 30(1)(c)",
            (
                Entity.PERSON,
                Entity.DATE_OF_BIRTH,
                Entity.FR_ID_CARD,
                Entity.FR_PASSPORT,
                Entity.GENDER,
            ),
        ),
        _C(
            "coordonnees",
            "Coordonnées",
            "Contact details",
            False,
            "Art. 30(1)(c)",
            (Entity.EMAIL_ADDRESS, Entity.PHONE_NUMBER, Entity.LOCATION),
        ),
        _C(
            "vie_personnelle",
            "Vie personnelle (situation familiale, habitudes)",
            "Personal life (family, habits)",
            False,
            "Art. 30(1)(c)",
            (),
        ),
        _C(
            "vie_professionnelle",
            "Vie professionnelle (CV, carrière)",
            "Professional life",
            False,
            "Art. 30(1)(c)",
            (Entity.FR_SIRET, Entity.FR_SIREN),
        ),
        _C(
            "economique_financier",
            "Informations d'ordre économique et financier",
            "Economic and financial data",
            False,
            "Art. 30(1)(c)",
            (
                Entity.IBAN_CODE,
                Entity.CREDIT_CARD,
                Entity.FR_TAX_ID,
                Entity.FINANCIAL_SITUATION,
            ),
        ),
        _C(
            "connexion",
            "Données de connexion (IP, journaux)",
            "Connection data (IP, logs)",
            False,
            "Art. 30(1)(c)",
            # the CNIL template lists login identifiers (passwords) as connection data
            (Entity.IP_ADDRESS, Entity.URL, Entity.CREDENTIAL),
        ),
        _C(
            "localisation",
            "Données de localisation",
            "Location data",
            False,
            "Art. 30(1)(c)",
            (Entity.LOCATION, Entity.FR_LICENSE_PLATE),
        ),
        _C(
            "image",
            "Image, vidéo, voix",
            "Image, video, voice",
            False,
            "Art. 30(1)(c)",
            (Entity.PHOTO,),
        ),
        _C(
            "nir",
            "Numéro de sécurité sociale (NIR)",
            "Social security number (NIR)",
            True,
            "Art. 87 ; décret n° 2019-341",
            (Entity.FR_NIR,),
        ),
        _C("sante", "Données de santé", "Health data", True, "Art. 9(1)", (Entity.HEALTH,)),
        _C(
            "origine",
            "Origine raciale ou ethnique",
            "Racial or ethnic origin",
            True,
            "Art. 9(1)",
            (Entity.ETHNIC_ORIGIN,),
        ),
        _C(
            "opinions_politiques",
            "Opinions politiques",
            "Political opinions",
            True,
            "Art. 9(1)",
            (Entity.POLITICAL_OPINION,),
        ),
        _C(
            "convictions",
            "Convictions religieuses ou philosophiques",
            "Religious or philosophical beliefs",
            True,
            "Art. 9(1)",
            (Entity.RELIGION,),
        ),
        _C(
            "syndicale",
            "Appartenance syndicale",
            "Trade-union membership",
            True,
            "Art. 9(1)",
            (Entity.TRADE_UNION,),
        ),
        _C("genetique", "Données génétiques", "Genetic data", True, "Art. 9(1)", (Entity.GENETIC,)),
        _C(
            "biometrique",
            "Données biométriques (identification)",
            "Biometric data",
            True,
            "Art. 9(1)",
            (Entity.BIOMETRIC,),
        ),
        _C(
            "vie_sexuelle",
            "Vie sexuelle ou orientation sexuelle",
            "Sex life or orientation",
            True,
            "Art. 9(1)",
            (Entity.SEX_LIFE,),
        ),
        _C(
            "infractions",
            "Infractions, condamnations, mesures de sûreté",
            "Criminal convictions and offences",
            True,
            "Art. 10",
            (Entity.CRIMINAL_OFFENCE,),
        ),
    ]
}

#: Categories that need an Art. 9(2) condition (Art. 10 and the NIR have their own rules).
ART9_CATEGORIES = frozenset(
    {
        "sante",
        "origine",
        "opinions_politiques",
        "convictions",
        "syndicale",
        "genetique",
        "biometrique",
        "vie_sexuelle",
    }
)


def categories_for_entity(entity: str) -> list[str]:
    """Register categories under which a scanner finding of ``entity`` is declared."""
    return [c.key for c in CATEGORIES.values() if entity in c.entities]
