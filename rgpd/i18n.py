"""User-facing text: gettext catalogs, French by default, English on request.

Message ids are English; ``rgpd/locale/fr/LC_MESSAGES/rgpd.po`` carries the
French. Catalogs are read from the ``.po`` files with Babel at first use, so a
checkout works without a compile step; dates and numbers are formatted with
Babel for the active locale.

The active language is process-wide state set once by the CLI edge
(``--lang`` / ``RGPD_LANG``) or per call with :func:`use_language`; the core
only calls ``_()``.

One English word can need two French ones ("high": a "priorité haute", a "risque
élevé"). Such a msgid takes a message context, the GNU way: ``msgctxt`` in the
``.po``, :func:`pgettext` / :func:`_p` in the code (:func:`NP_` to mark a label
translated later), and the tables key it as ``context + "\\x04" + msgid`` as GNU
gettext does, so it never meets the plain msgid.
"""

from __future__ import annotations

import contextvars
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).parent / "locale"

_ENV_DEFAULT = os.environ.get("RGPD_LANG", DEFAULT_LANGUAGE)
_current: contextvars.ContextVar[str] = contextvars.ContextVar("rgpd_lang", default=_ENV_DEFAULT)


@cache
def _catalog(lang: str) -> dict[str, str]:
    return _tables(lang)[0]


@cache
def _plurals(lang: str) -> tuple[dict[str, tuple[str, ...]], Callable[[int], int]]:
    """singular msgid -> every plural form, and the language's rule (the .po's Plural-Forms)."""
    import gettext as _gettext

    _messages, forms, rule = _tables(lang)
    if rule is None:
        return {}, lambda n: int(n != 1)
    return forms, _gettext.c2py(rule)


_Tables = tuple[dict[str, str], dict[str, tuple[str, ...]], str | None]
#: Bumped whenever what the cached tables hold, or how they are read, changes.
_CACHE_FORMAT = b"rgpd-catalog/2\n"

#: Between a message context and its msgid in the tables' keys (GNU gettext's own).
CONTEXT_SEPARATOR = "\x04"


def _key(context: str | None, msgid: str) -> str:
    """The tables' key of ``msgid`` under ``context`` (none: the msgid itself)."""
    return f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid


@cache
def _tables(lang: str) -> _Tables:
    """The language's messages, plural forms and plural rule, from its ``.po``.

    Babel reads the French ``.po`` in ~35 ms, at every start of every command (issue
    11). The tables it gives are kept in the user's cache (:mod:`rgpd.cache`), keyed by
    the ``.po``'s bytes: an edited catalog is read again, and the tables are the same
    whether they come from the cache or from Babel.
    """
    import hashlib
    import json

    from rgpd.cache import cache_dir, write_atomic

    po = LOCALE_DIR / lang / "LC_MESSAGES" / "rgpd.po"
    try:
        data = po.read_bytes()
    except FileNotFoundError:
        return {}, {}, None
    key = hashlib.sha256(_CACHE_FORMAT + lang.encode() + b"\0" + data).hexdigest()
    path = cache_dir() / f"catalog-{lang}.json"
    cached = _read_tables(path, key)
    if cached is not None:
        return cached
    from babel.messages.pofile import read_po

    cat = read_po(io.BytesIO(data), locale=lang)
    tables: _Tables = (_messages(cat), _plural_forms(cat), cat.plural_expr)
    body = {"key": key, "messages": tables[0], "plurals": tables[1], "rule": tables[2]}
    write_atomic(path, json.dumps(body, ensure_ascii=False).encode("utf-8"))
    return tables


def _read_tables(path: Path, key: str) -> _Tables | None:
    """The cached tables if the file is whole and was built from these ``.po`` bytes."""
    import json

    try:
        body = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("key") != key:
        return None
    messages, plurals, rule = body.get("messages"), body.get("plurals"), body.get("rule")
    if not isinstance(messages, dict) or not isinstance(plurals, dict):
        return None
    if not (rule is None or isinstance(rule, str)):
        return None
    return messages, {k: tuple(v) for k, v in plurals.items()}, rule


def _messages(cat: Any) -> dict[str, str]:
    """msgid (``context\\x04msgid`` under a msgctxt) -> translation; fuzzy and untranslated
    entries are left out."""
    out: dict[str, str] = {}
    for msg in cat:
        if msg.id and msg.string and not msg.fuzzy:
            key = msg.id if isinstance(msg.id, str) else msg.id[0]
            val = msg.string if isinstance(msg.string, str) else msg.string[0]
            out[_key(msg.context, key)] = val
    return out


def _plural_forms(cat: Any) -> dict[str, tuple[str, ...]]:
    """singular msgid -> every plural form, for the fully translated plural entries."""
    forms: dict[str, tuple[str, ...]] = {}
    for msg in cat:
        strings = msg.string
        if not isinstance(msg.id, tuple | list) or not isinstance(strings, tuple | list):
            continue
        if not msg.fuzzy and all(strings):
            forms[_key(msg.context, msg.id[0])] = tuple(strings)
    return forms


def read_catalog(po: Path, lang: str) -> dict[str, str]:
    """msgid -> translation of a ``.po`` file (none when it is absent); fuzzy entries are left out.

    An entry with a msgctxt is keyed ``context\\x04msgid``, as in the catalog's own tables.
    """
    if not po.exists():
        return {}
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        return _messages(read_po(fh, locale=lang))


def get_language() -> str:
    lang = _current.get()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def set_language(lang: str | None) -> str:
    """Set the process language; unknown values fall back to French."""
    value = (lang or DEFAULT_LANGUAGE).lower()[:2]
    if value not in LANGUAGES:
        value = DEFAULT_LANGUAGE
    _current.set(value)
    return value


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    token = _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, lang: str | None = None) -> str:
    return _catalog(lang or get_language()).get(message, message)


def pgettext(context: str, message: str, lang: str | None = None) -> str:
    """``message`` as meant in ``context`` (the ``.po``'s msgctxt).

    Without an entry under that context the English ``message`` is given, never the
    plain msgid's translation: that one carries the other meaning.
    """
    return _catalog(lang or get_language()).get(_key(context, message), message)


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    """The form of ``singular``/``plural`` for ``n`` (French: 0 and 1 are singular)."""
    forms, rule = _plurals(lang or get_language())
    if singular in forms:
        translated = forms[singular]
        return translated[min(rule(n), len(translated) - 1)]
    return singular if n == 1 else plural


def _n(singular: str, plural: str, n: int, **params: object) -> str:
    """Plural-aware ``_()``: ``{n}`` and ``params`` are formatted into the right form."""
    return ngettext(singular, plural, n).format(n=n, **params)


def _(message: str, **params: object) -> str:
    """Translate ``message`` and format ``{name}`` placeholders with ``params``."""
    text = gettext(message)
    return text.format(**params) if params else text


def _p(context: str, message: str, **params: object) -> str:
    """``_()`` for a msgid with a message context: ``_p("history", "Change")``."""
    text = pgettext(context, message)
    return text.format(**params) if params else text


def N_(message: str) -> str:
    """Mark for extraction only; translated later with ``_()`` at display time."""
    return message


class Contexted(NamedTuple):
    """A msgid and its message context, as :func:`NP_` marks them: ``pgettext(*label)``
    translates it. Not a ``str``, so it cannot be given to ``_()`` by mistake, which would
    lose the context."""

    context: str
    message: str


def NP_(context: str, message: str) -> Contexted:
    """``N_()`` with a message context: mark for extraction, translate at display time
    with ``pgettext(*label)``."""
    return Contexted(context, message)


def format_date(d: date | datetime | None, fmt: str = "long", lang: str | None = None) -> str:
    if d is None:
        return "—"
    from babel.dates import format_date as _fd
    from babel.dates import format_datetime as _fdt

    loc = lang or get_language()
    if isinstance(d, datetime):
        return _fdt(d, format="medium" if fmt == "long" else fmt, locale=loc)
    return _fd(d, format=fmt, locale=loc)


def format_number(n: float | int, lang: str | None = None) -> str:
    from babel.numbers import format_decimal

    return format_decimal(n, locale=lang or get_language())


def format_percent(x: float, lang: str | None = None) -> str:
    from babel.numbers import format_percent as _fp

    return _fp(x, locale=lang or get_language())
