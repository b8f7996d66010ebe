"""Masked evidence and canonical forms of detected values.

One home for both, below the scanner and the citizens' requests
(architecture rule 2): the scanner stores ``mask(...)`` as evidence and an
HMAC of ``normalise(...)`` as a blind index; a citizen's request normalises
the email or NIR the person gives the same way, so the HMACs meet. Any
change to :func:`normalise` invalidates existing blind indexes.

``mask`` keeps just enough for a DPO to recognise the kind and shape of a
value ("j***@example.net", "1 85 ** ** *** *** 78") and never more than a
few of its characters; masks of names do not reveal their length.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import date

import phonenumbers

from rgpd.taxonomy import DESCRIPTIVE_ENTITIES, Entity

STAR = "*"
_CIVILITY = re.compile(
    r"^(?:m|mm|mr|mrs|mme|mmes|mlle|madame|monsieur|mademoiselle|dr|docteur|me|maitre|pr|professeur|"
    r"veuve|vve|epouse|nee)\.?$"
)
_SPACES = re.compile(r"\s+")


#: Regions sharing French dialling habits (overseas regions, Monaco): "0692 12 34 56"
#: is a valid number in La Réunion, not in metropolitan France.
PHONE_REGIONS = ("FR", "RE", "GP", "GF", "MQ", "YT", "PM", "NC", "PF", "WF", "BL", "MF", "MC")


def parse_phone(raw: str) -> phonenumbers.PhoneNumber | None:
    """The valid phone number ``raw`` denotes, trying France, then its overseas regions.

    Any Unicode space is a group separator ("06\u202f12\u202f34…", as word processors
    write it): ``phonenumbers`` reads only some of them.
    """
    value = _SPACES.sub(" ", raw.strip()).replace("(0)", "")
    if value.startswith("00"):
        value = "+" + value[2:]
    regions = ("FR",) if value.startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            num = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return num
    return None


# --------------------------------------------------------------------------- helpers


def _fold(value: str) -> str:
    """Case-folded, accent-free, NFC; idempotent (casefold first: it may add accents)."""
    text = unicodedata.normalize("NFKD", value.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text).casefold()


def _alnum(value: str) -> str:
    return "".join(c for c in value if c.isalnum())


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def _stars(n: int) -> str:
    return STAR * max(0, n)


def _words_mask(value: str) -> str:
    """ "Jeanne DUPONT" → "J*** D***": first letter of each word, fixed-length tail."""
    words = [w for w in re.split(r"[\s\-'’]+", value.strip()) if w]
    return " ".join(w[0] + STAR * 3 for w in words) if words else STAR * 3


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` alphanumerics, star the rest, keep separators."""
    total = sum(c.isalnum() for c in value)
    if total <= head + tail:
        head, tail = min(head, total // 3), min(tail, total // 3)
    out, seen = [], 0
    for c in value:
        if c.isalnum():
            out.append(c if seen < head or seen >= total - tail else STAR)
            seen += 1
        else:
            out.append(c)
    return "".join(out)


# --------------------------------------------------------------------------- mask

#: Entity types no mask makes safe, so the scanners keep neither evidence nor a blind-index
#: token for them: a credential (any character or length helps a guess, Art. 32), a sex or
#: gender code (one letter: its mask is the value) and an amount of income (the number of
#: its digits is its order of magnitude). None of them identifies a person to look up.
NO_EVIDENCE: frozenset[str] = DESCRIPTIVE_ENTITIES | {Entity.CREDENTIAL}


def mask(entity_type: str, value: str) -> str:
    """Evidence safe to store and show: the value's shape, almost none of its content."""
    value = value.strip()
    if not value:
        return ""
    if entity_type in NO_EVIDENCE:
        return STAR * 3
    masker = _MASKS.get(entity_type)
    if masker is not None:
        return masker(value)
    return _words_mask(value)


def _mask_email(value: str) -> str:
    local, sep, domain = value.rpartition("@")
    if not sep or not local:
        return _words_mask(value)
    return f"{local[0]}***@{domain}"


def _mask_nir(value: str) -> str:
    compact = _alnum(value).upper()
    if len(compact) != 15:
        return _keep_ends(value, 1, 2)
    # sex, year of birth and key stay: "1 85 ** ** *** *** 78"
    return f"{compact[0]} {compact[1:3]} ** ** *** *** {compact[13:]}"


def _mask_iban(value: str) -> str:
    compact = _alnum(value).upper()
    if len(compact) < 10:
        return _keep_ends(value, 2, 0)
    middle = _stars(len(compact) - 7)
    body = compact[:4] + middle + compact[-3:]
    return " ".join(body[i : i + 4] for i in range(0, len(body), 4))


def _mask_card(value: str) -> str:
    digits = _digits(value)
    if len(digits) < 12:
        return _keep_ends(value, 0, 2)
    body = _stars(len(digits) - 4) + digits[-4:]
    return " ".join(body[i : i + 4] for i in range(0, len(body), 4))


def _mask_phone(value: str) -> str:
    return _keep_ends(value, 2, 2)


def _mask_date(value: str) -> str:
    # only the century: "**/**/19**"
    years = re.findall(r"(?:19|20)\d\d", value)
    out = re.sub(r"\d", STAR, value)  # every decimal digit, not only ASCII ones
    if years:
        y = years[-1]
        idx = value.rfind(y)
        out = out[:idx] + y[:2] + "**" + out[idx + 4 :]
    # month names in any script ("mars", "März", "марта"): only their first letter shows
    return re.sub(r"[^\W\d_]+", lambda m: m.group()[0] + "***", out)


def _mask_ip(value: str) -> str:
    # an IPv6 address with an embedded IPv4 part ("::ffff:192.0.2.1") is masked whole:
    # only its first group shows, never the IPv4 tail; a "/prefix" shows as it is
    addr, slash, prefix = value.partition("/")
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return _keep_ends(value, 1, 0)
    tail = f"/{prefix}" if slash and prefix.isdigit() else ""
    if ip.version == 4:
        first = str(ip).split(".", 1)[0]
        return f"{first}.*.*.*{tail}"
    return str(ip).split(":", 1)[0] + ":*:*:*" + tail


def _mask_location(value: str) -> str:
    # keep only the department of a postcode: "** r*** d*** L***, 29*** B***"
    def word(m: re.Match[str]) -> str:
        w = m.group()
        if w.isdigit():
            return w[:2] + _stars(len(w) - 2) if len(w) == 5 else _stars(len(w))
        return w[0] + "***"

    return re.sub(r"\w+", word, value)


def _mask_url(value: str) -> str:
    # the scheme and the top-level label show the kind of address; the host's
    # other labels and the path may hold a name ("jeanne-dupont.fr/cv"): starred
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "", value
    host = re.split(r"[/?#:]", rest, maxsplit=1)[0]
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    masked = (host[:1] + STAR * 3 + (f".{tld}" if tld else "")) if host else STAR * 3
    tail = "/" + STAR * 3 if len(rest) > len(host) else ""
    return f"{scheme}{sep}{masked}{tail}"


def _norm_url(value: str) -> str:
    # scheme and host are case-insensitive; a final "/" changes nothing
    scheme, sep, rest = value.strip().partition("://")
    if not sep:
        scheme, rest = "", value.strip()
    host, cut, path = rest.partition("/")
    out = f"{scheme.lower()}{sep}{host.lower()}{cut}{path}"
    return out[:-1] if out.endswith("/") and path == "" else out


def _mask_code(value: str) -> str:
    return _keep_ends(value, 2, 2)


def _mask_siren(value: str) -> str:
    return _keep_ends(value, 3, 0)


def _mask_special(value: str) -> str:
    # the lexicon term says which category; its first letters are enough evidence
    return _words_mask(value)


_MASKS = {
    "EMAIL_ADDRESS": _mask_email,
    "FR_NIR": _mask_nir,
    "IBAN_CODE": _mask_iban,
    "CREDIT_CARD": _mask_card,
    "PHONE_NUMBER": _mask_phone,
    "DATE_OF_BIRTH": _mask_date,
    "IP_ADDRESS": _mask_ip,
    "URL": _mask_url,
    "LOCATION": _mask_location,
    "PERSON": _words_mask,
    "FR_SIREN": _mask_siren,
    "FR_SIRET": _mask_siren,
    "FR_TAX_ID": _mask_code,
    "FR_ID_CARD": _mask_code,
    "FR_PASSPORT": _mask_code,
    "FR_LICENSE_PLATE": _mask_code,
}


# --------------------------------------------------------------------------- normalise


def normalise(entity_type: str, value: str) -> str:
    """Canonical form for the HMAC blind index; ``normalise(t, normalise(t, v)) == normalise(t, v)``."""
    fn = _NORMS.get(entity_type, _norm_text)
    return fn(value)


def _norm_text(value: str) -> str:
    return _SPACES.sub(" ", _fold(value)).strip()


def _norm_email(value: str) -> str:
    v = value.strip()
    if v.lower().startswith("mailto:"):
        v = v[7:]
    return v.strip().strip("<>").strip().lower()


def _norm_nir(value: str) -> str:
    return _alnum(value).upper()


def _norm_upper_alnum(value: str) -> str:
    return _alnum(value).upper()


def _norm_digits(value: str) -> str:
    return _digits(value)


def _norm_phone(value: str) -> str:
    """E.164 when the number is valid for France, an overseas region or abroad.

    The international prefix is read on the digits ("00 33 6...", "0 0 33 6..."
    and "+33 6..." are one number), not on the raw text: the output keeps only
    digits and a leading "+", so a rule reading the raw "00" would see a prefix
    in an output ("0:0" -> "00") that was not one in the input, and the blind
    index key would change when normalised twice.
    """
    raw = value.strip()
    digits = _digits(raw.replace("(0)", "", 1))
    if raw.startswith("+"):
        international = True
    elif digits.startswith("00"):
        international, digits = True, digits[2:]
    else:
        international = False
    if not digits:
        return ""
    candidate = ("+" + digits) if international else digits
    num = parse_phone(candidate)
    if num is None:
        return candidate
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _norm_person(value: str) -> str:
    """Civility dropped, accents and case folded, words sorted.

    Sorting makes "DUPONT Jeanne" (as in a register) and "Jeanne Dupont" (as
    typed by the person) one key; hyphens count as spaces ("Jean-Pierre").
    """
    words = [w for w in re.split(r"[\s\-'’.,]+", _fold(value)) if w]
    words = [w for w in words if not _CIVILITY.match(w)]
    return " ".join(sorted(words))


_MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
           "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12}  # fmt: skip
_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TEXTUAL = re.compile(r"^(1er|\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$")


def _norm_date(value: str) -> str:
    """ISO 8601 ("1985-03-12") for the usual French spellings of a date."""
    v = _norm_text(value)
    parts: tuple[str, str, str] | None = None
    if m := _DMY.match(v):
        parts = (m.group(3), m.group(2), m.group(1))
    elif m := _YMD.match(v):
        parts = (m.group(1), m.group(2), m.group(3))
    elif (m := _TEXTUAL.match(v)) and m.group(2) in _MONTHS:
        parts = (m.group(3), str(_MONTHS[m.group(2)]), "1" if m.group(1) == "1er" else m.group(1))
    if parts is None:
        return v
    year, month, day = int(parts[0]), int(parts[1]), int(parts[2])
    if year < 100:
        year += 1900 if year > 30 else 2000
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return v


def _norm_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip().split("%", 1)[0]))
    except ValueError:
        return _norm_text(value)


def _norm_location(value: str) -> str:
    words = re.split(r"[\s,;.\-'’]+", _fold(value))
    return " ".join(_ABBREV.get(w, w) for w in words if w)


_ABBREV = {"av": "avenue", "bd": "boulevard", "bld": "boulevard", "pl": "place", "ch": "chemin", "imp": "impasse",
           "rte": "route", "fg": "faubourg", "st": "saint", "ste": "sainte", "r": "rue", "all": "allee", "sq": "square",
           "res": "residence", "lot": "lotissement"}  # fmt: skip

_NORMS = {
    "EMAIL_ADDRESS": _norm_email,
    "FR_NIR": _norm_nir,
    "IBAN_CODE": _norm_upper_alnum,
    "CREDIT_CARD": _norm_digits,
    "FR_SIREN": _norm_digits,
    "FR_SIRET": _norm_digits,
    "FR_TAX_ID": _norm_digits,
    "FR_ID_CARD": _norm_upper_alnum,
    "FR_PASSPORT": _norm_upper_alnum,
    "FR_LICENSE_PLATE": _norm_upper_alnum,
    "PHONE_NUMBER": _norm_phone,
    "PERSON": _norm_person,
    "DATE_OF_BIRTH": _norm_date,
    "IP_ADDRESS": _norm_ip,
    "URL": _norm_url,
    "LOCATION": _norm_location,
}
