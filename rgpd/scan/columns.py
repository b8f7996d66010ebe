"""What a database column holds, judged from its name and its sampled values (pure).

A column is labelled with an entity type from two signals:

* its **name**, against French and English vocabularies (``nom``, ``prenom``,
  ``date_naissance``, ``nir``, ``courriel``, ``iban``...). A name alone never
  labels a column: the sampled values must at least look the part (an e-mail
  column holds ``@``, a postcode five digits), and an ambiguous name (``nom``,
  ``name``, ``mobile``) counts only when the table is plainly about people
  (a sibling column says ``prenom``, ``courriel``, ``date_naissance``...), so the
  ``nom`` of an equipment table stays clean;
* its **sampled values**, run through the same detectors as the file scanner.
  A verdict comes from the *share* of sampled values that match: a single hit
  never labels a column (``min_hits``), and soft entity types (names, places,
  phones) need a larger share than checksummed ones (NIR, IBAN, e-mail) or the
  Art. 9 special categories, whose mere presence in a free-text column matters.

Everything here is a plain function of names, kinds and strings: no database,
no detector, so the rules are tested on tables of cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from rgpd.taxonomy import SPECIAL_ENTITIES, Entity


class ColumnKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    BINARY = "binary"
    OTHER = "other"


class Strength(StrEnum):
    STRONG = "strong"  # the name says it (prenom, courriel, nir)
    WEAK = "weak"  # the name may say it, given a table about people (nom, name)


@dataclass(frozen=True)
class NameSignal:
    entity_type: str
    strength: Strength
    term: str  # the vocabulary entry that matched, for the explanation


#: Vocabulary, most specific first: (tokens that must all be present, entity, strength).
#: Tokens are folded (lower case, no accents) pieces of the column name.
_E = Entity
_S, _W = Strength.STRONG, Strength.WEAK
_PERSON_ROLES = (
    "demandeur",
    "beneficiaire",
    "usager",
    "parent",
    "responsable",
    "titulaire",
    "contact",
    "mere",
    "pere",
    "enfant",
    "eleve",
    "patient",
    "client",
    "adherent",
    "representant",
    "conjoint",
    "tuteur",
    "signataire",
    "agent",
    "employe",
    "salarie",
    "electeur",
    "defunt",
    "candidat",
    "emprunteur",
    "lecteur",
    "proprietaire",
    "locataire",
    "user",
    "customer",
    "employee",
)
VOCABULARY: tuple[tuple[frozenset[str], str, Strength], ...] = tuple(
    (frozenset(tokens.split()), str(entity), strength)
    for tokens, entity, strength in [
        # names: birth name before date of birth ("nom_naissance" is a name)
        ("nom naissance", _E.PERSON, _S),
        ("nom usage", _E.PERSON, _S),
        ("nom famille", _E.PERSON, _S),
        ("nom marital", _E.PERSON, _S),
        ("nom jeune fille", _E.PERSON, _S),
        ("lieu naissance", _E.LOCATION, _S),
        ("commune naissance", _E.LOCATION, _S),
        ("ville naissance", _E.LOCATION, _S),
        ("pays naissance", _E.LOCATION, _S),
        ("departement naissance", _E.LOCATION, _S),
        # pictures of people, and what identifies a body (binary columns: never read)
        ("empreinte digitale", _E.BIOMETRIC, _S),
        ("fingerprint", _E.BIOMETRIC, _S),
        ("face template", _E.BIOMETRIC, _S),
        ("gabarit", _E.BIOMETRIC, _W),
        ("photo", _E.PHOTO, _S),
        ("photographie", _E.PHOTO, _S),
        ("portrait", _E.PHOTO, _S),
        ("picture", _E.PHOTO, _S),
        ("avatar", _E.PHOTO, _S),
        ("image", _E.PHOTO, _W),
        ("signature", _E.PHOTO, _W),
        ("date naissance", _E.DATE_OF_BIRTH, _S),
        ("date nais", _E.DATE_OF_BIRTH, _S),
        ("datenaissance", _E.DATE_OF_BIRTH, _S),
        ("naissance", _E.DATE_OF_BIRTH, _S),
        ("birth date", _E.DATE_OF_BIRTH, _S),
        ("date birth", _E.DATE_OF_BIRTH, _S),
        ("birthdate", _E.DATE_OF_BIRTH, _S),
        ("birthday", _E.DATE_OF_BIRTH, _S),
        ("dob", _E.DATE_OF_BIRTH, _S),
        ("ddn", _E.DATE_OF_BIRTH, _S),
        # network before postal (an "adresse_ip" is not a street)
        ("adresse ip", _E.IP_ADDRESS, _S),
        ("ip", _E.IP_ADDRESS, _S),
        ("ipaddress", _E.IP_ADDRESS, _S),
        ("remote addr", _E.IP_ADDRESS, _S),
        ("adresse mail", _E.EMAIL_ADDRESS, _S),
        ("adresse electronique", _E.EMAIL_ADDRESS, _S),
        ("adresse courriel", _E.EMAIL_ADDRESS, _S),
        ("courriel", _E.EMAIL_ADDRESS, _S),
        ("email", _E.EMAIL_ADDRESS, _S),
        ("mail", _E.EMAIL_ADDRESS, _S),
        ("mel", _E.EMAIL_ADDRESS, _S),
        ("e mail", _E.EMAIL_ADDRESS, _S),
        ("code postal", _E.LOCATION, _S),
        ("codepostal", _E.LOCATION, _S),
        ("postal code", _E.LOCATION, _S),
        ("postcode", _E.LOCATION, _S),
        ("zipcode", _E.LOCATION, _S),
        ("zip", _E.LOCATION, _S),
        ("adresse", _E.LOCATION, _S),
        ("address", _E.LOCATION, _S),
        ("domicile", _E.LOCATION, _S),
        ("rue", _E.LOCATION, _S),
        ("street", _E.LOCATION, _S),
        ("city", _E.LOCATION, _S),
        ("ville", _E.LOCATION, _S),
        ("commune", _E.LOCATION, _S),
        ("localite", _E.LOCATION, _S),
        ("town", _E.LOCATION, _S),
        ("telephone", _E.PHONE_NUMBER, _S),
        ("tel", _E.PHONE_NUMBER, _S),
        ("numtel", _E.PHONE_NUMBER, _S),
        ("portable", _E.PHONE_NUMBER, _S),
        ("phone", _E.PHONE_NUMBER, _S),
        ("gsm", _E.PHONE_NUMBER, _S),
        ("mobile", _E.PHONE_NUMBER, _W),
        ("fax", _E.PHONE_NUMBER, _W),
        ("iban", _E.IBAN_CODE, _S),
        ("rib", _E.IBAN_CODE, _S),
        ("nir", _E.FR_NIR, _S),
        ("num secu", _E.FR_NIR, _S),
        ("numero secu", _E.FR_NIR, _S),
        ("no secu", _E.FR_NIR, _S),
        ("secu", _E.FR_NIR, _S),
        ("securite sociale", _E.FR_NIR, _S),
        ("nss", _E.FR_NIR, _S),
        ("ssn", _E.FR_NIR, _S),
        ("numero fiscal", _E.FR_TAX_ID, _S),
        ("num fiscal", _E.FR_TAX_ID, _S),
        ("spi", _E.FR_TAX_ID, _S),
        ("cni", _E.FR_ID_CARD, _S),
        ("carte identite", _E.FR_ID_CARD, _S),
        ("passeport", _E.FR_PASSPORT, _S),
        ("passport", _E.FR_PASSPORT, _S),
        ("immatriculation", _E.FR_LICENSE_PLATE, _W),
        ("plaque", _E.FR_LICENSE_PLATE, _W),
        ("carte bancaire", _E.CREDIT_CARD, _S),
        ("card number", _E.CREDIT_CARD, _S),
        # people's names
        ("prenom", _E.PERSON, _S),
        ("prenoms", _E.PERSON, _S),
        ("firstname", _E.PERSON, _S),
        ("first name", _E.PERSON, _S),
        ("lastname", _E.PERSON, _S),
        ("last name", _E.PERSON, _S),
        ("given name", _E.PERSON, _S),
        ("surname", _E.PERSON, _S),
        ("fullname", _E.PERSON, _S),
        ("full name", _E.PERSON, _S),
        *((f"nom {role}", _E.PERSON, _S) for role in _PERSON_ROLES),
        *((f"name {role}", _E.PERSON, _S) for role in _PERSON_ROLES),
        ("nom", _E.PERSON, _W),
        ("name", _E.PERSON, _W),
        # Art. 9(1) special categories and Art. 10
        ("sante", _E.HEALTH, _S),
        ("medical", _E.HEALTH, _S),
        ("medicale", _E.HEALTH, _S),
        ("allergie", _E.HEALTH, _S),
        ("allergies", _E.HEALTH, _S),
        ("allergy", _E.HEALTH, _S),
        ("handicap", _E.HEALTH, _S),
        ("pathologie", _E.HEALTH, _S),
        ("maladie", _E.HEALTH, _S),
        ("diagnostic", _E.HEALTH, _S),
        ("health", _E.HEALTH, _S),
        ("religion", _E.RELIGION, _S),
        ("confession", _E.RELIGION, _S),
        ("opinion politique", _E.POLITICAL_OPINION, _S),
        ("parti politique", _E.POLITICAL_OPINION, _S),
        ("syndicale", _E.TRADE_UNION, _S),
        ("syndical", _E.TRADE_UNION, _S),
        ("syndicat", _E.TRADE_UNION, _W),
        ("origine ethnique", _E.ETHNIC_ORIGIN, _S),
        ("ethnie", _E.ETHNIC_ORIGIN, _S),
        ("orientation sexuelle", _E.SEX_LIFE, _S),
        ("sexual orientation", _E.SEX_LIFE, _S),
        ("vie sexuelle", _E.SEX_LIFE, _S),
        ("sexualite", _E.SEX_LIFE, _S),
        ("sexuality", _E.SEX_LIFE, _S),
        ("biometrie", _E.BIOMETRIC, _S),
        ("empreinte", _E.BIOMETRIC, _W),
        ("casier judiciaire", _E.CRIMINAL_OFFENCE, _S),
        ("condamnation", _E.CRIMINAL_OFFENCE, _S),
        ("infraction", _E.CRIMINAL_OFFENCE, _S),
        # what opens someone's account (Art. 32): a password, its hash or salt; machine
        # secrets (tokens, API keys) are weak, a client secret of a service is no one's
        ("mot passe", _E.CREDENTIAL, _S),
        ("motdepasse", _E.CREDENTIAL, _S),
        ("mdp", _E.CREDENTIAL, _S),
        ("password", _E.CREDENTIAL, _S),
        ("passwd", _E.CREDENTIAL, _S),
        ("pwd", _E.CREDENTIAL, _S),
        ("passphrase", _E.CREDENTIAL, _S),
        ("code pin", _E.CREDENTIAL, _S),
        ("pin code", _E.CREDENTIAL, _S),
        ("secret", _E.CREDENTIAL, _W),
        ("secrete", _E.CREDENTIAL, _W),
        ("api key", _E.CREDENTIAL, _W),
        ("apikey", _E.CREDENTIAL, _W),
        ("cle api", _E.CREDENTIAL, _W),
        ("private key", _E.CREDENTIAL, _W),
        ("token", _E.CREDENTIAL, _W),
        ("jeton", _E.CREDENTIAL, _W),
        ("credential", _E.CREDENTIAL, _W),
        ("credentials", _E.CREDENTIAL, _W),
        # sex or gender as civil status (not Art. 9 "sex life": that is "orientation
        # sexuelle" above); a courtesy title says it too. "genre" is also a music genre,
        # "title" a job title: weak, and the values must be codes like M/F, Mme, Mr.
        ("sexe", _E.GENDER, _S),
        ("sex", _E.GENDER, _S),
        ("gender", _E.GENDER, _S),
        ("civilite", _E.GENDER, _S),
        ("civility", _E.GENDER, _S),
        ("courtesy", _E.GENDER, _S),
        ("titleofcourtesy", _E.GENDER, _S),
        ("genre", _E.GENDER, _W),
        ("title", _E.GENDER, _W),
        ("titre", _E.GENDER, _W),
        # income and financial situation: amounts about a person, not prices or totals
        ("salaire", _E.FINANCIAL_SITUATION, _S),
        ("salary", _E.FINANCIAL_SITUATION, _S),
        ("wage", _E.FINANCIAL_SITUATION, _S),
        ("wages", _E.FINANCIAL_SITUATION, _S),
        ("remuneration", _E.FINANCIAL_SITUATION, _S),
        ("revenu fiscal", _E.FINANCIAL_SITUATION, _S),
        ("revenu foyer", _E.FINANCIAL_SITUATION, _S),
        ("revenus foyer", _E.FINANCIAL_SITUATION, _S),
        ("revenu menage", _E.FINANCIAL_SITUATION, _S),
        ("revenus menage", _E.FINANCIAL_SITUATION, _S),
        ("rfr", _E.FINANCIAL_SITUATION, _S),
        ("quotient familial", _E.FINANCIAL_SITUATION, _S),
        ("quotientfamilial", _E.FINANCIAL_SITUATION, _S),
        ("montant aide", _E.FINANCIAL_SITUATION, _S),
        ("montant allocation", _E.FINANCIAL_SITUATION, _S),
        ("montant prestation", _E.FINANCIAL_SITUATION, _S),
        ("aide sociale", _E.FINANCIAL_SITUATION, _S),
        # a commune's budget has "revenus" (rents, grants) too: a person's only next to people
        ("revenu", _E.FINANCIAL_SITUATION, _W),
        ("revenus", _E.FINANCIAL_SITUATION, _W),
        ("income", _E.FINANCIAL_SITUATION, _W),
        ("earnings", _E.FINANCIAL_SITUATION, _W),
        ("qf", _E.FINANCIAL_SITUATION, _W),
        ("allocation", _E.FINANCIAL_SITUATION, _W),
        ("ressources", _E.FINANCIAL_SITUATION, _W),
        ("pension", _E.FINANCIAL_SITUATION, _W),
    ]
)

#: Tokens that make a ``nom``/``name`` column the name of a thing, not of a person.
NOT_A_PERSON: frozenset[str] = frozenset(
    [
        "fichier",
        "file",
        "commune",
        "ville",
        "pays",
        "service",
        "site",
        "produit",
        "equipement",
        "materiel",
        "batiment",
        "salle",
        "ecole",
        "etablissement",
        "structure",
        "organisme",
        "entreprise",
        "societe",
        "association",
        "host",
        "table",
        "column",
        "colonne",
        "app",
        "application",
        "logiciel",
        "projet",
        "domaine",
        "domain",
        "categorie",
        "category",
        "voie",
        "rue",
        "lieu",
        "marque",
        "modele",
        "model",
        "article",
        "rubrique",
        "chapitre",
        "compte",
        "budget",
        "operation",
        "document",
        "piece",
        "dossier",
        "type",
        "libelle",
        # English schemas (Northwind's ProductName/CompanyName, Sakila's category.name)
        "product",
        "company",
        "item",
        "brand",
        "store",
        "shop",
        "business",
        "organisation",
        "organization",
        "city",
        "town",
        "country",
        "region",
        "state",
        "street",
        "building",
        "room",
        "school",
        "department",
        "language",
        "genre",
        "album",
        "track",
        "song",
        "playlist",
        "film",
        "movie",
        "book",
        "media",
        "course",
        "event",
        "group",
        "team",
        "tag",
        "label",
        "device",
        "server",
        "database",
        "schema",
        "field",
        "attribute",
        "menu",
        "page",
    ]
)

#: Entity types a table "about people" is recognised by (context for weak names).
PEOPLE_CUES: frozenset[str] = frozenset(
    {
        Entity.PERSON,
        Entity.EMAIL_ADDRESS,
        Entity.PHONE_NUMBER,
        Entity.DATE_OF_BIRTH,
        Entity.FR_NIR,
        Entity.IBAN_CODE,
    }
)

#: Checksummed or unmistakable: two hits at a small share already say something.
HARD_ENTITIES: frozenset[str] = frozenset(
    {Entity.FR_NIR, Entity.IBAN_CODE, Entity.EMAIL_ADDRESS, Entity.CREDIT_CARD}
)


def fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


#: Words that qualify a personal column in a name written without separators
#: (``billingcity``, ``shippostalcode``, ``homephone``: PostgreSQL folds an unquoted
#: ``BillingCity`` to lower case, and Django or hand-made schemas write them so).
_QUALIFIERS = frozenset(
    [
        "billing",
        "shipping",
        "ship",
        "delivery",
        "mailing",
        "postal",
        "post",
        "home",
        "work",
        "office",
        "business",
        "contact",
        "primary",
        "secondary",
        "main",
        "alt",
        "other",
        "personal",
        "private",
        "emergency",
        "current",
        "previous",
        "number",
        "num",
        "code",
        "date",
        "first",
        "last",
        "middle",
        "given",
        "family",
        "full",
        "user",
        "person",
        "cell",
        "line",
        "invoice",
        # secrets and amounts: passwordhash, passwordsalt, resettoken, salairebrut
        "hash",
        "hashed",
        "salt",
        "digest",
        "encrypted",
        "crypted",
        "reset",
        "remember",
        "access",
        "refresh",
        "brut",
        "gross",
        "monthly",
        "annual",
        "mensuel",
        "annuel",
        "base",
    ]
)


def _known_words() -> frozenset[str]:
    words = set(_QUALIFIERS) | NOT_A_PERSON | set(_PERSON_ROLES)
    for need, _entity, _strength in VOCABULARY:
        words |= need
    return frozenset(w for w in words if len(w) >= 3)


_KNOWN_WORDS = _known_words()


@lru_cache(maxsize=4096)
def _split_compound(part: str) -> tuple[str, ...]:
    """``billingpostalcode`` → (billing, postal, code); () when it is not made of known words.

    Only whole splits count (every piece a known word of three letters or more), so
    ``electricity`` or ``capacity`` are never read as holding ``city``.
    """
    if part in _KNOWN_WORDS or len(part) < 6 or not part.isalpha():
        return ()
    best: list[tuple[str, ...] | None] = [None] * (len(part) + 1)
    best[0] = ()
    for end in range(3, len(part) + 1):
        for start in range(0, end - 2):
            prev = best[start]
            word = part[start:end]
            if prev is not None and word in _KNOWN_WORDS:
                cand = (*prev, word)
                cur = best[end]
                if cur is None or len(cand) < len(cur):
                    best[end] = cand
    found = best[len(part)]
    return found if found is not None and len(found) >= 2 else ()


def name_tokens(column: str) -> frozenset[str]:
    """``dateNaissance2`` → {date, naissance}; trailing digits dropped (``tel2``).

    A piece written without separators is also split into the known words it is made
    of (``billingcity`` → {billingcity, billing, city}).
    """
    spaced = _CAMEL.sub(" ", column)
    parts = [p.rstrip("0123456789") for p in re.split(r"[^0-9a-z]+", fold(spaced))]
    out: set[str] = set()
    for p in parts:
        if p:
            out.add(p)
            out.update(_split_compound(p))
    return frozenset(out)


#: Words that make a column a key to the data held elsewhere (``AddressID``: an integer of
#: four or five digits that reads like a postcode).
_KEY_WORDS = frozenset(["id", "ids", "fk", "pk", "guid", "uuid", "key"])
#: Words that make a column point at, count or classify the data rather than hold it:
#: a key (``_KEY_WORDS``), ``AddressType`` says "Siège" or "Livraison", ``email_count``
#: is a number.
_NOT_THE_DATA = _KEY_WORDS | frozenset(
    [
        "type",
        "kind",
        "status",
        "statut",
        "format",
        "flag",
        "count",
        "nb",
        "nombre",
    ]
)


#: Words that make a column named after a secret a fact *about* the secret: when it was
#: changed, whether it must be, its rules (``password_reset_required``,
#: ``password_changed_at``, ``secret_question``: the question is not the answer).
_ABOUT_A_SECRET = frozenset(
    [
        "required",
        "require",
        "must",
        "force",
        "expired",
        "expire",
        "expires",
        "expiry",
        "expiration",
        "changed",
        "change",
        "updated",
        "modified",
        "created",
        "sent",
        "last",
        "date",
        "at",
        "on",
        "policy",
        "rule",
        "rules",
        "length",
        "min",
        "max",
        "strength",
        "attempts",
        "attempt",
        "failed",
        "failures",
        "tentatives",
        "algorithm",
        "algo",
        "scheme",
        "version",
        "question",
        "enabled",
        "active",
        "is",
        "has",
        "mode",
        "method",
    ]
)
#: Words that make a column named after an income a fact *about* it, not the amount:
#: a pay grade or scale (professional life), its currency, its period, its date.
_ABOUT_AN_AMOUNT = frozenset(
    [
        "grade",
        "grille",
        "echelon",
        "echelle",
        "scale",
        "band",
        "level",
        "niveau",
        "currency",
        "devise",
        "period",
        "periode",
        "periodicite",
        "frequency",
        "frequence",
        "date",
        "mode",
        "method",
        "source",
        "origine",
        "nature",
        "category",
        "categorie",
        "class",
        "classe",
    ]
)
#: Entity types whose key is the data: ``gender_id`` points at a short list of genders that
#: names no one; the key in the person's row says it (Art. 9 categories keep even their
#: types and statuses, see :func:`name_signal`).
_KEY_IS_THE_DATA = frozenset({Entity.GENDER})


def name_signal(column: str) -> NameSignal | None:
    """The first (most specific) vocabulary entry whose tokens the column name holds.

    None for a key, a type, a status or a count of the thing the name talks about
    (``address_id``, ``AddressType``, ``email_status``): see ``_NOT_THE_DATA``. Not for
    Art. 9 categories: a ``type_handicap`` or a ``religion_id`` reveals what it classifies;
    nor for the key of a gender (``gender_id``). A word the entry itself needs is not a
    describing word (``api_key`` is a secret). A fact about a secret or an income
    (``password_reset_required``, ``salary_grade``) is not the secret or the income.
    """
    toks = name_tokens(column)
    for need, entity, strength in VOCABULARY:
        if need <= toks:
            rest = toks - need
            describes = rest & _NOT_THE_DATA
            if entity in _KEY_IS_THE_DATA:
                describes -= _KEY_WORDS
            if describes and entity not in SPECIAL_ENTITIES:
                continue
            if entity == Entity.PERSON and toks & NOT_A_PERSON:
                continue
            if entity == Entity.CREDENTIAL and rest & _ABOUT_A_SECRET:
                continue
            if entity == Entity.FINANCIAL_SITUATION and rest & _ABOUT_AN_AMOUNT:
                continue
            return NameSignal(entity, strength, " ".join(sorted(need)))
    return None


#: Words that make a column the name or title of whatever its other words say.
_NAMING_WORDS = frozenset(
    ["name", "nom", "title", "titre", "libelle", "label", "designation", "intitule"]
)


def _with_singulars(names: Sequence[str]) -> set[str]:
    """Tokens of the names, plus the singular of English plurals (categories → category)."""
    out: set[str] = set()
    for n in names:
        for t in name_tokens(n):
            out.add(t)
            if len(t) > 3 and t.endswith("ies"):
                out.add(t[:-3] + "y")
            elif len(t) > 3 and t.endswith("s"):
                out.add(t[:-1])
    return out


def names_a_secret(column: str) -> bool:
    """``password``, ``PasswordHash``, ``api_key``: a column whose values open someone's account.

    Such values are never handed to a detector, never kept as evidence (scan), and never
    copied into an access package (``rgpd.requests.fulfil.withhold_secrets``): Art. 32.
    """
    sig = name_signal(column)
    return sig is not None and sig.entity_type == Entity.CREDENTIAL


def names_a_thing(column: str, table: str | None = None) -> bool:
    """``product_name``, ``CompanyName``, ``nom_commune``: the name of a thing, not a person.

    A bare ``name``/``title``/``libelle`` column is the name of whatever its table holds
    (``album.title``, ``language.name``, ``genre.name``). Such a column is not labelled
    PERSON from the name alone (see :func:`name_signal`), and soft value hits need a
    near-unanimous share (``Thresholds.thing_person_ratio``).
    """
    toks = name_tokens(column)
    if not toks & _NAMING_WORDS:
        return False
    if toks & NOT_A_PERSON:
        return True
    return (
        table is not None
        and toks <= _NAMING_WORDS
        and bool(_with_singulars([table]) & NOT_A_PERSON)
    )


# -- does a value look the part? ------------------------------------------------------

_NONE_LIKE = frozenset(
    {
        "",
        "-",
        "--",
        "/",
        "0",
        "aucun",
        "aucune",
        "neant",
        "non",
        "no",
        "none",
        "null",
        "nul",
        "ras",
        "n/a",
        "na",
        "nc",
        "sans",
        "false",
        "?",
        "inconnu",
        "unknown",
    }
)
_PERSON_RE = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+){0,4}\.?$")
_POSTCODE_RE = re.compile(r"^(?:\d{5}|\d{2} \d{3}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4})$")
_DATE_RE = re.compile(
    r"^(?:(?P<y1>\d{4})[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})|(?P<d2>\d{1,2})[-/.](?P<m2>\d{1,2})[-/.](?P<y2>\d{4}))"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9 ]{10,40}$")
_IP_RE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]{3,39})$")


def is_none_like(value: str) -> bool:
    return fold(value.strip()).strip(" .") in _NONE_LIKE


def looks_like(entity_type: str, value: str, kind: ColumnKind, today: date) -> bool:
    """Cheap shape check that lets a column name count without a detector hit."""
    v = value.strip()
    if not v or is_none_like(v):
        return False
    digits = sum(c.isdigit() for c in v)
    if entity_type == Entity.PERSON:
        return bool(_PERSON_RE.match(v)) and len(v) <= 80 and any(c.isupper() for c in v)
    if entity_type == Entity.LOCATION:
        return bool(_POSTCODE_RE.match(v)) or (any(c.isalpha() for c in v) and len(v) >= 3)
    if entity_type == Entity.DATE_OF_BIRTH:
        return _plausible_birth(v, today)
    if entity_type == Entity.PHONE_NUMBER:
        rest = re.sub(r"[\d\s.+()\-/]", "", v)
        return 9 <= digits <= 15 and not rest
    if entity_type == Entity.EMAIL_ADDRESS:
        return "@" in v and "." in v.rsplit("@", 1)[-1] and " " not in v
    if entity_type == Entity.IBAN_CODE:
        return bool(_IBAN_RE.match(v.upper())) and iban_checksum_ok(v)
    if entity_type == Entity.PHOTO:
        return False  # a picture is binary: a text column named "photo" holds a path or a flag
    if entity_type == Entity.CREDENTIAL:
        return looks_like_secret(v, kind)
    if entity_type == Entity.GENDER:
        return looks_like_gender(v)
    if entity_type == Entity.FINANCIAL_SITUATION:
        return looks_like_amount(v, kind)
    if entity_type == Entity.FR_NIR:
        compact = re.sub(r"[\s.\-]", "", v).upper()
        return len(compact) in (13, 15) and compact[:1] in "1234789" and compact.isalnum()
    if entity_type == Entity.IP_ADDRESS:
        return bool(_IP_RE.match(v)) and (":" in v or digits >= 4)
    if entity_type == Entity.CREDIT_CARD:
        return 13 <= digits <= 19
    if entity_type in SPECIAL_ENTITIES:
        # free text about the person: any real words (booleans and codes do not count)
        return kind == ColumnKind.TEXT and sum(c.isalpha() for c in v) >= 3
    if kind in (ColumnKind.TEXT, ColumnKind.OTHER):
        return len(v) >= 2
    return False


def looks_like_secret(value: str, kind: ColumnKind) -> bool:
    """A password, a hash or a token: one word of four characters or more.

    A flag (0/1, Y/N), a date or a sentence (a password hint) is not a secret. The value is
    looked at here and nowhere else: it is never sent to the detectors nor kept.
    """
    if kind in (ColumnKind.DATE, ColumnKind.DATETIME, ColumnKind.BOOLEAN):
        return False
    return len(value) >= 4 and not any(c.isspace() for c in value)


#: Codes and words of sex or gender and gendered courtesy titles, folded and without their
#: final dot: INSEE's 1/2 (the first digit of the NIR), M/F/H/X, "Mme", "Mr.", "Sra."...
#: ("Dr." or "Me" say nothing of it). See also ``rgpd.masking._CIVILITY``, which drops
#: every courtesy word from a name, gendered or not.
_GENDER_VALUES = frozenset(
    [
        "1",
        "2",
        "m",
        "f",
        "h",
        "x",
        "homme",
        "hommes",
        "femme",
        "femmes",
        "masculin",
        "feminin",
        "masc",
        "fem",
        "g",
        "garcon",
        "fille",
        "boy",
        "girl",
        "male",
        "female",
        "man",
        "woman",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "madame",
        "monsieur",
        "mademoiselle",
        "messieurs",
        "sr",
        "sra",
        "srta",
        "herr",
        "frau",
    ]
)


def looks_like_gender(value: str) -> bool:
    """A code or a word of sex or gender ("F", "Homme", "2", "Mme", "Mr.")."""
    return fold(value.strip()).rstrip(".") in _GENDER_VALUES


_AMOUNT_RE = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f.,']?\d{3})*(?:[.,]\d{1,4})?$")
_CURRENCY = re.compile(r"(?i)\s*(?:€|eur|euros?|\$|usd|£|gbp|k€)\s*")


def looks_like_amount(value: str, kind: ColumnKind) -> bool:
    """A number, as a number column holds it or as people type it ("1 850,50 €").

    A grade ("A3", "E4") or a bracket in words is not an amount.
    """
    if kind in (ColumnKind.INTEGER, ColumnKind.DECIMAL):
        return True
    if kind in (ColumnKind.DATE, ColumnKind.DATETIME, ColumnKind.BOOLEAN, ColumnKind.BINARY):
        return False
    return bool(_AMOUNT_RE.match(_CURRENCY.sub("", value)))


def iban_checksum_ok(value: str) -> bool:
    """ISO 13616 check (mod 97, country format): the IBAN share counts real account numbers only.

    The detectors already validate what they report; this holds the name-only path
    (``iban`` column, values of the right shape) to the same rule.
    """
    from stdnum import iban

    return bool(iban.is_valid(value))


#: Words of labels, titles and file types: a short value holding one is not a person's name
#: ("IT Manager", "Protected AAC audio file", "Responsable du service").
_LABEL_WORDS = frozenset(
    [
        "manager",
        "director",
        "directeur",
        "directrice",
        "officer",
        "assistant",
        "assistante",
        "staff",
        "agent",
        "support",
        "sales",
        "engineer",
        "ingenieur",
        "developer",
        "developpeur",
        "consultant",
        "clerk",
        "secretary",
        "secretaire",
        "head",
        "chef",
        "chief",
        "president",
        "vice",
        "admin",
        "administrator",
        "administrateur",
        "technician",
        "technicien",
        "analyst",
        "analyste",
        "coordinator",
        "coordinateur",
        "coordinatrice",
        "supervisor",
        "responsable",
        "service",
        "team",
        "equipe",
        "department",
        "departement",
        "general",
        "senior",
        "junior",
        "intern",
        "stagiaire",
        "trainee",
        "file",
        "fichier",
        "audio",
        "video",
        "media",
        "format",
        "protected",
        "purchased",
        "document",
        "documents",
        "image",
        "music",
        "playlist",
        "album",
        "track",
        "type",
        "category",
        "categorie",
        "status",
        "statut",
        "default",
        "test",
        "demo",
    ]
)
#: Small words of people's names, in lower case ("Jean de La Fontaine", "Ben Ali").
_NAME_PARTICLES = frozenset(
    [
        "de",
        "du",
        "des",
        "la",
        "le",
        "da",
        "di",
        "van",
        "von",
        "der",
        "den",
        "d'",
        "ben",
        "bin",
        "el",
        "al",
        "y",
        "e",
    ]
)


def label_like(value: str) -> bool:
    """A short value that reads as a label, a job title or a media type, not as a name.

    Names are capitalised word by word (or all in capitals); labels mix in lower-case
    common words or are made of title words. Used to keep a detector's PERSON guess on
    "IT Manager" from labelling a column of job titles.
    """
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", value)
    if not words or len(value) > 80:
        return False
    for w in words:
        low = fold(w)
        if low in _LABEL_WORDS:
            return True
        if w[0].islower() and low not in _NAME_PARTICLES and not low.startswith("d'"):
            return True
    return False


#: Indefinite articles: "a Lonely Baker", "an Old Red Barn", "une Grande Salle"
#: name a kind of thing or person, never someone in particular.
_INDEFINITE_ARTICLES = frozenset(["a", "an", "un", "une"])
_LAST_WORD = re.compile(r"([^\W\d_]+)\s*$")


def after_indefinite_article(text: str, start: int) -> bool:
    """The span of ``text`` starting at ``start`` follows "a", "an", "un" or "une".

    A capitalised phrase after an indefinite article is a common noun written with
    capitals (catalogue prose: "A Quiet Tale of a Baker ... in An Old Red Barn"), not a
    person's name: used, like :func:`label_like`, to drop such PERSON guesses.
    """
    m = _LAST_WORD.search(text[:start])
    return m is not None and fold(m.group(1)) in _INDEFINITE_ARTICLES


def _plausible_birth(v: str, today: date) -> bool:
    m = _DATE_RE.match(v)
    if not m:
        return False
    y = int(m.group("y1") or m.group("y2"))
    mo = int(m.group("m1") or m.group("m2"))
    d = int(m.group("d1") or m.group("d2"))
    try:
        born = date(y, mo, d)
    except ValueError:
        return False
    return date(today.year - 125, 1, 1) <= born <= today


# -- the verdict ----------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What the detectors found in one sampled value (no offsets needed here)."""

    entity_type: str
    score: float


@dataclass(frozen=True)
class ColumnVerdict:
    """One entity type a column holds, with how sure we are and why."""

    entity_type: str
    ratio: float  # share of non-empty sampled values that support the verdict
    confidence: float
    matched: int  # values supporting it
    sampled: int  # non-empty values looked at
    basis: str  # "values", "name+values" or "name"
    special_category: bool
    #: indexes (into the sampled values) of the supporting values, for evidence/blind index
    supporting: tuple[int, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    min_hits: int = 2  # "a single hit does not label a column"
    soft_ratio: float = 0.3  # names, places, phones, dates, IPs...
    hard_ratio: float = 0.05  # checksummed identifiers
    special_ratio: float = 0.1  # Art. 9 / Art. 10 vocabulary in free text
    name_ratio: float = 0.5  # share of values that must look the part for a name signal
    #: a column named as a thing's name (``product_name``) is PERSON only when nearly
    #: every value reads as one: "Tante Odile's Confiture" fools a NER now and then
    thing_person_ratio: float = 0.8


DEFAULT_THRESHOLDS = Thresholds()


def table_people_cues(columns: Sequence[str]) -> frozenset[str]:
    """Entity types the table's *strong* column names announce (context for weak names)."""
    out: set[str] = set()
    for c in columns:
        sig = name_signal(c)
        if sig and sig.strength == Strength.STRONG and sig.entity_type in PEOPLE_CUES:
            out.add(sig.entity_type)
    return frozenset(out)


def judge_column(
    name: str,
    kind: ColumnKind,
    values: Sequence[str],
    hits: Sequence[Sequence[Hit]],
    *,
    table_cues: frozenset[str] = frozenset(),
    today: date,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    table: str | None = None,
) -> list[ColumnVerdict]:
    """Entity types the column holds, strongest first.

    ``values`` are the non-empty sampled values as text; ``hits[i]`` what the
    detectors found in ``values[i]`` (empty lists when detection was not run).
    """
    if len(hits) != len(values):
        raise ValueError("hits must have one entry per value")
    n = len(values)
    if n == 0:
        return []
    t = thresholds
    by_entity: dict[str, list[tuple[int, float]]] = {}
    for i, hs in enumerate(hits):
        best: dict[str, float] = {}
        for h in hs:
            best[h.entity_type] = max(best.get(h.entity_type, 0.0), h.score)
        for e, sc in best.items():
            by_entity.setdefault(e, []).append((i, sc))

    sig = name_signal(name)
    name_entity: str | None = None
    if sig and (sig.strength == Strength.STRONG or _people_table(sig, table_cues)):
        name_entity = sig.entity_type

    verdicts: dict[str, ColumnVerdict] = {}
    thing = names_a_thing(name, table)
    for e, matched in by_entity.items():
        if e == name_entity:
            continue  # judged below, with the name
        ratio = len(matched) / n
        if not _value_threshold_met(e, len(matched), ratio, t):
            continue
        if e == Entity.PERSON and thing and ratio < t.thing_person_ratio:
            continue
        mean = sum(sc for _, sc in matched) / len(matched)
        verdicts[e] = ColumnVerdict(
            entity_type=e,
            ratio=round(ratio, 4),
            confidence=round(mean * (0.7 + 0.3 * min(1.0, ratio / 0.8)), 3),
            matched=len(matched),
            sampled=n,
            basis="values",
            special_category=e in SPECIAL_ENTITIES,
            supporting=tuple(i for i, _ in matched),
        )

    if name_entity:
        # The name counts when the values agree: detector hits (at least ``min_hits``)
        # or a majority of values of the right shape (a surname alone is no NER hit).
        detected = dict(by_entity.get(name_entity, []))
        support = set(detected) | {
            i for i, v in enumerate(values) if looks_like(name_entity, v, kind, today)
        }
        need = min(t.min_hits, n)
        ratio = len(support) / n
        confirmed = len(detected) >= need
        if confirmed or (ratio >= t.name_ratio and len(support) >= need):
            strong = sig is not None and sig.strength == Strength.STRONG
            # a name confirmed only by shapes stays below the "sure" mark
            conf = (0.55 if strong else 0.45) + 0.3 * ratio
            if confirmed:
                mean = sum(detected.values()) / len(detected)
                det_ratio = len(detected) / n
                by_values = mean * (0.7 + 0.3 * min(1.0, det_ratio / 0.8))
                conf = max(conf, min(0.99, by_values + (0.15 if strong else 0.1)))
            verdicts[name_entity] = ColumnVerdict(
                entity_type=name_entity,
                ratio=round(ratio, 4),
                confidence=round(conf, 3),
                matched=len(support),
                sampled=n,
                basis="name+values" if confirmed else "name",
                special_category=name_entity in SPECIAL_ENTITIES,
                supporting=tuple(sorted(support)),
            )

    if name_entity and name_entity in verdicts:
        # The column is what its name says: soft value hits of another kind are
        # the detectors reading a street named after a person, or a surname that is
        # also a town. Checksummed identifiers and special categories still count.
        verdicts = {
            e: v
            for e, v in verdicts.items()
            if e == name_entity or e in HARD_ENTITIES or e in SPECIAL_ENTITIES
        }
    return sorted(verdicts.values(), key=lambda v: (-v.confidence, v.entity_type))


#: Words that say a table or a column refers to people even without a personal column
#: (``badges(agent_id, photo)``): a picture there is a picture of someone.
_PEOPLE_WORDS = frozenset(
    [*_PERSON_ROLES, "person", "personne", "people", "individu", "member", "membre", "staff"]
)


def table_about_things(table: str, columns: Sequence[str]) -> bool:
    """A table of products, categories or places: its pictures are not pictures of people.

    True when a table or column name names a thing (``Categories``, ``ProductName``), no
    column name is a personal one (``table_people_cues``) and no name points at people
    (``agent_id``, ``employees``). Northwind's ``Categories.Picture`` and a product's
    ``ThumbNailPhoto`` are then not reported as PHOTO.
    """
    if table_people_cues(columns):
        return False
    toks = _with_singulars([table, *columns])  # products → product, employees → employee
    return bool(toks & NOT_A_PERSON) and not toks & _PEOPLE_WORDS


#: What a binary column can hold that its name tells: pictures of people, biometric
#: templates, password hashes stored as bytes (``password_hash BYTEA``, ``BINARY(60)``).
BINARY_ENTITIES: frozenset[str] = frozenset({Entity.PHOTO, Entity.BIOMETRIC, Entity.CREDENTIAL})


def judge_binary_column(
    name: str,
    present: int,
    sampled: int,
    *,
    table_cues: frozenset[str] = frozenset(),
    about_things: bool = False,
) -> list[ColumnVerdict]:
    """A binary column named like a picture of people, judged without reading its bytes.

    ``present`` is how many of the ``sampled`` rows hold a value (the database tells
    ``IS NOT NULL`` without sending the bytes). ``photo``/``avatar`` say it, except in a
    table about things (``about_things``); ``image`` or ``signature`` only in a table about
    people; ``empreinte``/``fingerprint``/face
    templates are biometric data (Art. 9(1)); a ``password`` column of bytes holds hashes.
    """
    sig = name_signal(name)
    if sig is None or sig.entity_type not in BINARY_ENTITIES or present < 1:
        return []
    if sig.entity_type == Entity.CREDENTIAL and sig.strength == Strength.WEAK:
        return []  # a binary "token" or "secret" may belong to a service, not to someone
    if sig.entity_type == Entity.PHOTO and about_things:
        return []  # a product's or a category's picture (see table_about_things)
    # a binary "empreinte" is a fingerprint (a text one may be a carbon footprint)
    weak = sig.strength == Strength.WEAK and sig.entity_type == Entity.PHOTO
    if weak and not _people_table(sig, table_cues):
        return []
    ratio = present / sampled if sampled else 0.0
    return [
        ColumnVerdict(
            entity_type=sig.entity_type,
            ratio=round(ratio, 4),
            confidence=0.55 if weak else 0.7,
            matched=present,
            sampled=sampled,
            basis="name",
            special_category=sig.entity_type in SPECIAL_ENTITIES,
        )
    ]


def _people_table(sig: NameSignal, cues: frozenset[str]) -> bool:
    """A weak name counts in a table whose other columns are plainly about people.

    ``cues`` come from *strong* names only, so they never include the weak column itself.
    """
    return bool(cues)


def _value_threshold_met(entity: str, hits: int, ratio: float, t: Thresholds) -> bool:
    if hits < t.min_hits:
        return False
    if entity in SPECIAL_ENTITIES:
        return ratio >= t.special_ratio
    if entity in HARD_ENTITIES:
        return ratio >= t.hard_ratio
    return ratio >= t.soft_ratio


def worst_first(verdicts: Mapping[str, Sequence[ColumnVerdict]]) -> list[tuple[str, ColumnVerdict]]:
    """Flatten {column: verdicts} for display: special categories first, then by confidence."""
    flat = [(c, v) for c, vs in verdicts.items() for v in vs]
    return sorted(flat, key=lambda cv: (not cv[1].special_category, -cv[1].confidence, cv[0]))


# -- how passwords are stored (Art. 32(1)(a)) -------------------------------------------


class PasswordStorage(StrEnum):
    """How a password column keeps its values: the three judged storages worst first, then
    ``UNKNOWN`` (not judged), which reports list last.

    Art. 32(1)(a) GDPR and the CNIL's recommendation on passwords (délibération
    n° 2022-100) ask for a password to be kept transformed by a *slow, salted* function:
    bcrypt, argon2, scrypt, PBKDF2, SHA-crypt or yescrypt. A fast digest (MD5, SHA-1,
    SHA-256, NTLM), salted or not, falls to a dictionary in minutes once the table leaks.
    """

    CLEAR = "clear"  # readable as it was typed
    WEAK_HASH = "weak_hash"  # a fast digest or MD5-crypt
    HASHED = "hashed"  # a slow, salted function
    UNKNOWN = "unknown"  # a locked account, a truncated or unrecognised hash


@dataclass(frozen=True)
class StorageVerdict:
    """The storage of a password column's sampled values: the worst class met, and shares.

    Only shares and counts: the values themselves are never kept.
    """

    storage: PasswordStorage
    sampled: int
    shares: Mapping[str, float]  # PasswordStorage value → share of the sampled values

    def public(self) -> dict[str, object]:
        return {"storage": self.storage.value, "sampled": self.sampled, "shares": dict(self.shares)}

    @classmethod
    def from_public(cls, d: Mapping[str, object]) -> StorageVerdict | None:
        """Read back what :meth:`public` stored; None when it is not such a record."""
        try:
            shares = d.get("shares") or {}
            if not isinstance(shares, Mapping):
                return None
            return cls(
                storage=PasswordStorage(str(d["storage"])),
                sampled=int(str(d.get("sampled", 0))),
                shares={str(k): float(str(x)) for k, x in shares.items()},
            )
        except (KeyError, ValueError):
            return None


#: Words that make a password column hold something other than the password: its salt or
#: pepper (random hex, not a weak hash), a hint (a sentence), the answer's question.
_BESIDE_A_PASSWORD = frozenset(["salt", "sel", "pepper", "hint", "indice", "indication"])


def names_a_password(column: str) -> bool:
    """``password``, ``mot_de_passe``, ``PasswordHash``, ``code_pin``: someone's password.

    The *strong* CREDENTIAL names of the vocabulary (the weak ones, ``token``, ``api_key``,
    ``secret``, are machine secrets that a system must be able to read back, like
    :func:`judge_binary_column` says); never a salt or a hint of a password.
    """
    sig = name_signal(column)
    if sig is None or sig.entity_type != Entity.CREDENTIAL or sig.strength != Strength.STRONG:
        return False
    return not name_tokens(column) & _BESIDE_A_PASSWORD


_B64 = r"[A-Za-z0-9+/]"
_CRYPT64 = r"[./A-Za-z0-9]"
#: Slow, salted functions in their usual encodings (modular crypt, passlib, Django).
_HASHED_FORMS = tuple(
    re.compile(p)
    for p in (
        rf"\$2[abxy]?\$\d\d\${_CRYPT64}{{53}}",  # bcrypt: cost, 22 salt + 31 hash
        r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=.-]+\$[A-Za-z0-9+/=.-]+",
        r"\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/=.-]+\$[A-Za-z0-9+/=.-]+",  # passlib
        rf"\$7\${_CRYPT64}{{14,}}\$?{_CRYPT64}*",  # scrypt, crypt(3)
        r"scrypt\$[A-Za-z0-9+/=.-]+\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+",  # Django
        r"pbkdf2_sha(?:1|256|512)\$\d+\$[^$]+\$[A-Za-z0-9+/=]+",  # Django
        r"\$pbkdf2(?:-sha(?:1|256|512))?\$\d+\$[A-Za-z0-9+/=.]+\$[A-Za-z0-9+/=.]+",  # passlib
        rf"\$[56]\$(?:rounds=\d+\$)?{_CRYPT64}{{1,16}}\$(?:{_CRYPT64}{{43}}|{_CRYPT64}{{86}})",
        rf"\$g?y\$[./A-Za-z0-9]+\${_CRYPT64}+\${_CRYPT64}{{43}}",  # yescrypt, gost-yescrypt
    )
)
#: Fast digests and MD5-crypt: a graphics card tries billions of guesses a second.
_WEAK_FORMS = tuple(
    re.compile(p)
    for p in (
        r"(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})",
        r"(?:[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{56}|[0-9A-F]{64}|[0-9A-F]{96}|[0-9A-F]{128})",
        rf"\$(?:1|apr1)\${_CRYPT64}{{1,8}}\${_CRYPT64}{{22}}",  # MD5-crypt, Apache
        r"\*[0-9A-F]{40}",  # MySQL's PASSWORD(): SHA-1 of SHA-1
        r"(?:md5|sha1|unsalted_md5|unsalted_sha1|crypt)\$[^$]*\$[0-9a-f./A-Za-z]+",  # Django
        rf"\{{(?:SHA|SSHA|MD5|SMD5|SHA256|SSHA256|SHA512|SSHA512)\}}{_B64}+={{0,2}}",  # LDAP
        rf"{_B64}{{22}}==|{_B64}{{27}}=|{_B64}{{43}}=",  # base64 MD5, SHA-1, SHA-256
    )
)
#: Django's own names for its slow hashers, before the encoded hash (``bcrypt$$2b$...``).
_DJANGO_WRAPPERS = re.compile(r"(?:bcrypt|bcrypt_sha256|argon2)\$(.+)")
#: Spring Security's ``{id}`` and LDAP's ``{CRYPT}`` before an encoded hash; ``{noop}`` is
#: the password itself.
_BRACE_ID = re.compile(r"\{([A-Za-z0-9_-]+)\}(.*)")
_SCHEME = re.compile(r"\$[a-z0-9-]+\$|(?:pbkdf2|argon2|bcrypt|scrypt)")
#: A locked or disabled account: ``*``, ``!``, ``!!``, ``x``, ``*LK*``, ``NP``.
_LOCKED = frozenset(["*", "!", "!!", "x", "*lk*", "np", "locked", "disabled"])


def password_storage_of(value: str) -> PasswordStorage:
    """How one password value is stored, read from its shape alone.

    A ``$2b$`` of the wrong length, a hash cut by a too-short column or an unknown
    ``$scheme$`` is ``unknown``, not clear: it may be a broken hash, not a password. A
    leading ``!`` before a crypt hash is a locked Unix account; the hash behind it counts.
    """
    v = value.strip()
    if not v or v.lower() in _LOCKED:
        return PasswordStorage.UNKNOWN
    if v[0] == "!" and len(v) > 1 and v[1] == "$":
        v = v[1:]
    brace = _BRACE_ID.fullmatch(v)
    if brace:
        scheme, rest = brace.group(1).lower(), brace.group(2)
        if scheme == "noop" or scheme == "plain" or scheme == "cleartext":
            return PasswordStorage.CLEAR
        if scheme in ("crypt", "bcrypt", "argon2", "scrypt", "pbkdf2", "sha256crypt"):
            inner = password_storage_of(rest)
            return inner if inner != PasswordStorage.CLEAR else PasswordStorage.UNKNOWN
    django = _DJANGO_WRAPPERS.fullmatch(v)  # argon2's drops the leading "$" of the hash
    if django and PasswordStorage.HASHED in (
        password_storage_of(django.group(1)),
        password_storage_of("$" + django.group(1)),
    ):
        return PasswordStorage.HASHED
    if any(p.fullmatch(v) for p in _HASHED_FORMS):
        return PasswordStorage.HASHED
    if any(p.fullmatch(v) for p in _WEAK_FORMS):
        return PasswordStorage.WEAK_HASH
    if _SCHEME.match(v) and v.count("$") >= 2:
        return PasswordStorage.UNKNOWN  # a scheme we do not know, or a hash cut short
    return PasswordStorage.CLEAR


#: Worst first: one password in clear is a breach of Art. 32 even among bcrypt hashes.
_STORAGE_ORDER = (
    PasswordStorage.CLEAR,
    PasswordStorage.WEAK_HASH,
    PasswordStorage.HASHED,
    PasswordStorage.UNKNOWN,
)


def judge_password_storage(values: Sequence[str]) -> StorageVerdict | None:
    """How a password column's sampled values are stored; None when there are none.

    The verdict is the worst class any value falls in (clear, then weak hash, then
    hashed), ``unknown`` only when no value is recognised; ``shares`` tell how many of
    each. The values are read here, for their shape, and nowhere else.
    """
    seen = [password_storage_of(v) for v in values if v.strip()]
    if not seen:
        return None
    n = len(seen)
    counts = {s: seen.count(s) for s in _STORAGE_ORDER}
    worst = next(s for s in _STORAGE_ORDER if counts[s])
    return StorageVerdict(
        storage=worst,
        sampled=n,
        shares={s.value: round(counts[s] / n, 4) for s in _STORAGE_ORDER if counts[s]},
    )
