"""The French catalog covers every text the code shows, and French is what users get by default.

French is the default language of every user-facing text (domain notes: French local
authorities); a msgid the catalog lacks would reach a citizen or a DPO in English, so the
extraction is run here on the current source rather than trusting a committed ``.pot``.
"""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from rgpd import i18n
from rgpd.i18n import _, use_language

from .clihelp import run_cli

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "rgpd" / "locale" / "fr" / "LC_MESSAGES" / "rgpd.po"

#: Same keywords as the ``pybabel extract`` command documented in babel.cfg: the intake
#: (``tr``) and forms (``translate``, ``translate_in(lang, msg)``) wrappers of rgpd.requests,
#: and the message-context twins of ``_()`` and ``N_()`` (``pgettext`` is a default).
KEYWORDS: dict[str, Any] = {
    **DEFAULT_KEYWORDS,
    "N_": None,
    "_n": (1, 2),
    "_p": ((1, "c"), 2),
    "NP_": ((1, "c"), 2),
    "tr": None,
    "translate": None,
    "translate_in": (2,),
}

#: A catalog entry: (msgctxt, msgid), the context ``None`` for a plain entry.
Key = tuple[str | None, str]

#: French typography puts a space before the colon: the forms' separator is the one
#: message whose surrounding spaces legitimately differ.
SPACING_EXCEPTIONS = frozenset({": "})


@cache
def extracted() -> dict[Key, tuple[str, int]]:
    """(context, msgid) -> first place it is used, from the source as it is now."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    out: dict[Key, tuple[str, int]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT / "rgpd"), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            out.setdefault((context or None, msgid), (filename, lineno))
    return out


@cache
def catalog() -> Catalog:
    with PO.open("rb") as fh:
        return read_po(fh, locale="fr")


def msgid(m: Any) -> str:
    """The msgid of an entry; a plural entry is known by its singular."""
    return m.id if isinstance(m.id, str) else m.id[0]


def entries() -> list[tuple[str, str]]:
    """(msgid, translation) pairs; a plural entry gives its singular and its plural, each
    with the forms that translate it."""
    out: list[tuple[str, str]] = []
    for m in catalog():
        if not m.id:
            continue
        if isinstance(m.id, str):
            out.append((m.id, str(m.string)))
        else:
            out.append((m.id[0], m.string[0]))
            out += [(m.id[1], form) for form in m.string[1:]]
    return out


def singular_entries() -> dict[str, str]:
    """msgid -> translation, as ``rgpd.i18n`` keys them: ``context\\x04msgid`` under a msgctxt."""
    return {
        (f"{m.context}\x04" if m.context else "") + msgid(m): (
            m.string if isinstance(m.string, str) else m.string[0]
        )
        for m in catalog()
        if m.id
    }


def fields(text: str) -> list[str]:
    """The ``{name!conv:spec}`` placeholders ``str.format`` will fill, in a stable order."""
    out = []
    for _lit, name, spec, conv in string.Formatter().parse(text):
        if name is not None:
            out.append(f"{{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}")
    return sorted(out)


def numbers(text: str) -> set[str]:
    """Numbers outside placeholders: article references, délais, décret numbers."""
    return set(re.findall(r"\d+", re.sub(r"\{[^{}]*\}", "", text)))


def test_extraction_finds_python_and_template_messages() -> None:
    places = {Path(f).suffix for f, _line in extracted().values()}
    assert {".py", ".html", ".j2"} <= places, places


def test_extraction_keeps_the_message_context() -> None:
    """``_p(ctx, msg)`` and ``NP_(ctx, msg)`` are extracted under their context, beside the
    plain msgid the other meaning keeps."""
    got = extracted()
    for key in [("history", "Change"), ("priority", "high"), ("priority", "low")]:
        assert key in got, key
    for plain in ["Change", "high", "medium", "low"]:
        assert (None, plain) in got, plain
    assert Path(got[("history", "Change")][0]).name == "actions.py"
    assert Path(got[(None, "high")][0]).name == "labels.py"


def test_the_makefile_extracts_with_the_tests_keywords() -> None:
    """``make i18n`` and babel.cfg's command extract with this file's keywords: without
    ``-k _p:1c,2`` there, ``_p("history", "Change")`` would be extracted as a plain "history"."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (command,) = [ln for ln in makefile.splitlines() if "pybabel extract" in ln]
    cfg = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    documented = re.search(r"pybabel extract.*?-o ", cfg, flags=re.S)
    assert documented is not None
    for text in (command, documented.group(0)):
        given = parse_keywords(re.findall(r"-k (\S+)", text))
        assert {**DEFAULT_KEYWORDS, **given} == KEYWORDS, text


def test_every_extracted_message_has_a_french_translation() -> None:
    """Under its context too: ``_p("priority", "high")`` needs the msgctxt "priority" entry,
    the plain "high" translates another meaning."""
    translated = {
        (m.context, msgid(m)): m
        for m in catalog()
        if m.id and not m.fuzzy and all(m.string) and m.string
    }
    missing = sorted(
        f"{file}:{line}: {key[1]!r}" + (f" (msgctxt {key[0]!r})" if key[0] else "")
        for key, (file, line) in extracted().items()
        if key not in translated
    )
    assert not missing, f"{len(missing)} messages without French translation:\n" + "\n".join(
        missing
    )


def test_catalog_has_no_fuzzy_or_empty_entry() -> None:
    bad = [str(m.id) for m in catalog() if m.id and (m.fuzzy or not m.string or not all(m.string))]
    assert bad == []
    assert not catalog().fuzzy, "the header is marked fuzzy"


def test_placeholders_are_kept() -> None:
    wrong = [(i, s) for i, s in entries() if fields(i) != fields(s)]
    assert wrong == [], "\n".join(f"{i!r} -> {s!r}" for i, s in wrong)


def test_every_translation_formats_with_its_msgid_params() -> None:
    """A stray brace in a msgstr would only fail when ``_()`` formats it, in front of a user."""
    for msgid, msgstr in entries():
        params: dict[str, object] = {}
        for f in fields(msgid):
            name = re.split(r"[!:.\[]", f[1:-1])[0]
            params[name] = 1.5 if ":" in f else "x"
        if params:
            msgstr.format(**params)


def test_article_and_other_numbers_are_kept() -> None:
    """Legal messages cite their article: "Art. 12(3)" must keep 12 and 3 in French."""
    lost = [(i, s) for i, s in entries() if not numbers(i) <= numbers(s)]
    assert lost == [], "\n".join(f"{i!r} -> {s!r}" for i, s in lost)


def test_leading_and_trailing_spaces_are_kept() -> None:
    moved = [
        (i, s)
        for i, s in entries()
        if i not in SPACING_EXCEPTIONS
        and (i[:1].isspace() != s[:1].isspace() or i[-1:].isspace() != s[-1:].isspace())
    ]
    assert moved == []


KNOWN = [
    "Aborted.",  # CLI, _()
    "Right of access",  # request types, N_() in the model
    "Exercise my rights",  # forms templates, translate_in()
    "Compliance scorecard",  # reports, N_()
]


@pytest.mark.parametrize("msgid", KNOWN)
def test_underscore_is_french_by_default_and_english_on_request(msgid: str) -> None:
    french = {i: s for i, s in entries()}[msgid]
    assert french != msgid
    with use_language("fr"):
        assert _(msgid) == french
    with use_language("en"):
        assert _(msgid) == msgid


def test_a_fresh_process_speaks_french() -> None:
    msgid = "Interrupted."
    env = {k: v for k, v in os.environ.items() if k != "RGPD_LANG"}
    out = subprocess.run(
        [sys.executable, "-c", f"from rgpd.i18n import _; print(_({msgid!r}))"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert i18n.DEFAULT_LANGUAGE == "fr"
    assert out == {i: s for i, s in entries()}[msgid] != msgid


def test_placeholders_are_filled_in_french() -> None:
    msgid = "unknown report {kind}"
    with use_language("fr"):
        text = _(msgid, kind="annuel")
    assert "annuel" in text and "{" not in text
    assert text == {i: s for i, s in entries()}[msgid].format(kind="annuel")


@pytest.mark.parametrize(
    ("lang_args", "french"),
    [([], True), (["--lang", "fr"], True), (["--lang", "en"], False)],
)
def test_cli_language_switch(
    lang_args: list[str], french: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RGPD_LANG", raising=False)
    monkeypatch.delenv("RGPD_ORG", raising=False)
    msgid = "use either --org or --all-orgs, not both"
    fr_text = {i: s for i, s in entries()}[msgid]
    before = i18n.get_language()
    r = run_cli([*lang_args, "report", "compliance", "--org", "x", "--all-orgs"])
    assert r.code == 2, r.all
    assert (fr_text in r.all) is french, r.all
    assert (msgid in r.all) is not french, r.all
    assert i18n.get_language() == before, "the CLI must restore the caller's language"


def test_read_catalog_keeps_translated_entries_only(tmp_path: Path) -> None:
    """The one .po reader behind the catalog (`rgpd.i18n.read_catalog`)."""
    po = tmp_path / "fr.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Yes"\nmsgstr "Oui"\n\n'
        'msgctxt "vote"\nmsgid "Yes"\nmsgstr "Pour"\n\n'
        '#, fuzzy\nmsgid "No"\nmsgstr "Non"\n\n'
        'msgid "Maybe"\nmsgstr ""\n',
        encoding="utf-8",
    )
    assert i18n.read_catalog(po, "fr") == {"Yes": "Oui", "vote\x04Yes": "Pour"}
    assert i18n.read_catalog(tmp_path / "absent.po", "fr") == {}
    assert i18n.read_catalog(PO, "fr") == singular_entries()


def test_a_message_context_picks_its_own_translation() -> None:
    """GNU msgctxt: "high" is a "risque élevé" and a "priorité haute"; each meaning keeps
    its French, the English is the msgid either way."""
    with use_language("fr"):
        assert (_("high"), i18n.pgettext("priority", "high")) == ("élevé", "haute")
        assert (_("Change"), i18n._p("history", "Change")) == ("Évolution", "Changement")
    assert i18n.pgettext("priority", "medium", lang="fr") == "moyenne"
    assert i18n.gettext("medium", lang="fr") == "moyen"
    with use_language("en"):
        assert (_("high"), i18n.pgettext("priority", "high")) == ("high", "high")
        assert i18n._p("history", "Change") == "Change"


def test_a_context_without_its_entry_falls_back_to_english_not_the_other_meaning() -> None:
    assert i18n.pgettext("no-such-context", "high", lang="fr") == "high"
    assert i18n._p("no-such-context", "{n} items", n=3) == "3 items"


def test_a_marked_label_keeps_its_context_until_display() -> None:
    label = i18n.NP_("priority", "low")
    assert label == ("priority", "low") and label.message == "low"
    assert i18n.pgettext(*label, lang="fr") == "basse"


@pytest.fixture
def fresh_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The catalog tables read again, with the user cache under ``tmp_path``."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def clear() -> None:
        for fn in (i18n._tables, i18n._catalog, i18n._plurals):
            fn.cache_clear()

    clear()
    yield tmp_path / "rgpd" / "catalog-fr.json"
    clear()


def _babel_tables() -> Any:
    with PO.open("rb") as fh:
        cat = read_po(fh, locale="fr")
    return i18n._messages(cat), i18n._plural_forms(cat), cat.plural_expr


def test_the_cached_catalog_is_the_one_babel_reads(fresh_tables: Path) -> None:
    """Issue 11: the .po is parsed once, then read from the user cache; same tables."""
    built = i18n._tables("fr")
    assert fresh_tables.is_file()
    i18n._tables.cache_clear()
    cached = i18n._tables("fr")
    assert built == cached == _babel_tables()
    assert cached[0]["priority\x04high"] == "haute" and cached[0]["high"] == "élevé"
    assert i18n._catalog("fr") == i18n.read_catalog(PO, "fr")
    forms, rule = i18n._plurals("fr")
    assert forms and [rule(n) for n in (0, 1, 2)] == [0, 0, 1]


def test_a_stale_or_damaged_cached_catalog_is_read_again(fresh_tables: Path) -> None:
    fresh_tables.parent.mkdir(parents=True)
    for junk in (b"{", b'{"key": "other", "messages": {"Yes": "Non"}, "plurals": {}}'):
        fresh_tables.write_bytes(junk)
        i18n._tables.cache_clear()
        assert i18n._tables("fr") == _babel_tables()
    assert fresh_tables.read_bytes() != junk  # rebuilt in place


def test_an_unwritable_cache_still_gives_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_tables: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    i18n._tables.cache_clear()
    assert i18n._tables("fr") == _babel_tables()


# ------------------------------------------------------------------ command-line help


def _help_texts(cmd: Any) -> list[str | None]:
    """What a command's own ``--help`` shows in full (short help only shows in its parent's list)."""
    return [cmd.help, cmd.epilog, *(getattr(p, "help", None) for p in cmd.params)]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_help_text_of_the_command_tree_is_in_the_catalog() -> None:
    """Walks the real tree: a command added later fails here until its help is translated."""
    from rgpd.cli import cli
    from rgpd.commands._i18n import help_messages

    fr = singular_entries()
    missing = sorted(f"{where}: {u!r}" for u, where in help_messages(cli).items() if u not in fr)
    assert missing == [], "help without French translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_help_page_speaks_one_language(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command's --help holds its texts in ``lang`` and none of the other language."""
    from rgpd.cli import cli
    from rgpd.commands._i18n import units, walk

    monkeypatch.delenv("RGPD_LANG", raising=False)
    fr = singular_entries()
    problems: list[str] = []
    for path, cmd in walk(cli):
        r = run_cli(["--lang", lang, *path, "--help"])
        assert r.code == 0, r.all
        shown = _flat(r.out)
        for u in {u for text in _help_texts(cmd) for u in units(text)}:
            want, other = (fr.get(u, u), u) if lang == "fr" else (u, fr.get(u, u))
            if _flat(want) not in shown:
                problems.append(f"rgpd {' '.join(path)}: missing {want!r}")
            if _flat(other) != _flat(want) and _flat(other) in shown:
                problems.append(f"rgpd {' '.join(path)}: other language {other!r}")
        click_words = ("Usage:", "Show this message and exit.", "[default:", "Commands:")
        french_words = (
            "Utilisation :",
            "Afficher ce message et quitter.",
            "[par défaut",
            "Commandes",
        )
        for word in click_words if lang == "fr" else french_words:
            if word in r.out:
                problems.append(f"rgpd {' '.join(path)}: {word!r}")
    assert problems == [], "\n".join(problems)


def test_root_help_follows_lang_given_before_help(monkeypatch: pytest.MonkeyPatch) -> None:
    """--help is eager: the language must be known before click parses (cli._early_language)."""
    monkeypatch.delenv("RGPD_LANG", raising=False)
    assert "Utilisation :" in run_cli(["--help"]).out
    assert "Usage:" in run_cli(["--lang", "en", "--help"]).out
    assert "Usage:" in run_cli(["--help"], env={"RGPD_LANG": "en"}).out


def test_short_help_is_not_cut_after_an_article_number() -> None:
    from rgpd.commands._i18n import short_help

    assert short_help("Breaches and their clocks (Art. 33) and decisions. More.", 80) == (
        "Breaches and their clocks (Art. 33) and decisions."
    )
    assert (
        short_help("A long sentence that goes on and on beyond the limit.", 20)
        == "A long sentence…"
    )


def test_a_command_defined_anywhere_is_translated_once_its_msgids_are_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A group added with plain ``click.group`` (as other modules do) is localised too."""
    import click

    from rgpd.cli import cli

    @click.group("zz-test")
    def grp() -> None:
        """Organisation to work on."""

    @grp.command("sub")
    @click.option("--x", help="Path to rgpd.toml.")
    def sub(x: str) -> None:
        """Add an organisation."""

    monkeypatch.setitem(cli.commands, "zz-test", grp)
    out = run_cli(["--lang", "fr", "zz-test", "sub", "--help"]).out
    assert "Ajouter un organisme." in out and "Chemin de rgpd.toml." in out, out
    out = run_cli(["--lang", "fr", "zz-test", "--help"]).out
    assert "Ajouter un organisme." in out and "Organisme sur lequel travailler." in out, out
    out = run_cli(["--lang", "en", "zz-test", "sub", "--help"]).out
    assert "Add an organisation." in out and "Path to rgpd.toml." in out, out


def test_prose_starting_with_the_program_name_is_translated_not_taken_for_a_command() -> None:
    from rgpd.cli import cli
    from rgpd.commands._i18n import units

    got = units(cli.help)
    assert any(u.startswith("rgpd — ") for u in got), got  # the root's description is prose
    assert not any(u.startswith("rgpd init") for u in got)  # its example is a command line
    assert units("\b\nExample:\n  rgpd --org mairie registry list") == ["Example:"]


def test_no_msgid_is_in_the_catalog_twice() -> None:
    """Babel's reader silently merges a second entry for a msgid into the first, whose
    translation is kept: the second never shows, and the two can drift apart unseen (one
    was added twice in the eleventh session; "high" as "haute" and "élevé" made every risk
    "haute" until the priorities took a msgctxt)."""
    from collections import Counter

    entries = re.findall(
        r'^(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid "((?:[^"\\]|\\.)*)"\n((?:"(?:[^"\\]|\\.)*"\n)*)',
        PO.read_text(encoding="utf-8"),
        flags=re.M,
    )
    keys = Counter((ctx, first + "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', more)))
                   for ctx, first, more in entries)  # fmt: skip
    assert len(keys) > 1000
    assert ("priority", "high") in keys and ("", "high") in keys  # the regex reads msgctxt
    # One msgid with two meanings takes a msgctxt at one of its call sites (_p, NP_):
    # a twice-entered (msgctxt, msgid) is a mistake.
    assert {k for k, n in keys.items() if n > 1} == set()
