"""Help texts in the user's language: click's help strings translated when they are shown.

Why at format time: click reads help strings (docstrings, ``help=``, ``epilog=``) when the
commands are defined, at import, long before ``--lang`` / ``RGPD_LANG`` is parsed. So the
English text stays the msgid and :class:`LocalisedCommand` translates it through the
catalog (``rgpd.i18n``) only while ``--help`` or a command list is being written.

It is generic: the root group localises every command it hands out (:meth:`LocalisedGroup.
get_command`), whatever module defined it and with whichever click class, so a command
added later speaks French as soon as its help msgids are in ``rgpd.po``.
:func:`help_messages` lists those msgids (the unit of translation is a paragraph, or a
line of a ``\\b`` block; command lines such as ``rgpd scan run`` need none), and
``tests/test_i18n.py`` fails on any the catalog lacks.

click's own words ("Usage:", "Options", "[default: …]", "Missing option …") come from
click's ``gettext`` calls; :func:`install_click_translations` routes them through the
same catalog.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from rgpd.i18n import gettext as lookup
from rgpd.i18n import ngettext as lookup_plural

#: Lines that are commands or paths, the same in every language. ``rgpd`` starts a command
#: line only when a command, an option or the end follows ("rgpd --org …", "rgpd init"):
#: "rgpd — GDPR register…" is prose, and is translated.
_NEUTRAL = re.compile(r"^\s*(\$ |rgpd(?=$| [-a-z])|#|[-/.~]|[A-Z_]+=)")


def _neutral(line: str) -> bool:
    s = line.strip()
    return not s or s == "\b" or bool(_NEUTRAL.match(s)) or not re.search(r"[A-Za-z]{2}", s)


def _paragraphs(text: str) -> list[str]:
    return re.split(r"\n\s*\n", inspect.cleandoc(text))


def _block_lines(par: str) -> list[str]:
    return par.split("\n")[1:]


def units(text: str | None) -> list[str]:
    """The msgids of one help text: prose paragraphs (whitespace collapsed, click rewraps
    them anyway) and the non-command lines of ``\\b`` blocks (stripped)."""
    if not text:
        return []
    out: list[str] = []
    for par in _paragraphs(text.partition("\f")[0]):
        if par.startswith("\b"):
            out += [ln.strip() for ln in _block_lines(par) if not _neutral(ln)]
        elif not _neutral(par):
            out.append(" ".join(par.split()))
    return out


def translate_help(text: str | None) -> str | None:
    """``text`` with each unit replaced by its translation in the active language."""
    if not text:
        return text
    body, sep, tail = text.partition("\f")
    pars: list[str] = []
    for par in _paragraphs(body):
        if par.startswith("\b"):
            lines = ["\b"]
            for ln in _block_lines(par):
                if _neutral(ln):
                    lines.append(ln)
                else:
                    indent = ln[: len(ln) - len(ln.lstrip())]
                    lines.append(indent + lookup(ln.strip()))
            pars.append("\n".join(lines))
        elif _neutral(par):
            pars.append(par)
        else:
            pars.append(lookup(" ".join(par.split())))
    return "\n\n".join(pars) + sep + tail


#: Abbreviations a sentence does not end on ("Art. 33", "loi n° 78-17", "e.g. /rgpd").
_ABBREVIATIONS = re.compile(r"(?:\b(?:Arts?|art|arts|n°|e\.g|ex|cf|etc|al)|\bp)$", re.IGNORECASE)


def short_help(text: str, limit: int = 45) -> str:
    """The first sentence of ``text`` (not cut at "Art."), shortened to ``limit`` on a space."""
    first = " ".join(_paragraphs(text.partition("\f")[0])[0].split()) if text.strip() else ""
    for m in re.finditer(r"\.(\s|$)", first):
        if not _ABBREVIATIONS.search(first[: m.start()]):
            first = first[: m.start() + 1]
            break
    if len(first) <= limit:
        return first
    cut = first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


@contextmanager
def _translated(cmd: click.Command, ctx: click.Context | None) -> Iterator[None]:
    """Swap the command's and its parameters' help for the translation while formatting."""
    saved: list[tuple[Any, str, Any]] = []

    def swap(obj: Any, attr: str) -> None:
        value = getattr(obj, attr, None)
        if value:
            saved.append((obj, attr, value))
            setattr(obj, attr, translate_help(value))

    for attr in ("help", "short_help", "epilog"):
        swap(cmd, attr)
    params = cmd.get_params(ctx) if ctx is not None else cmd.params
    for p in params:
        swap(p, "help")
    try:
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


class LocalisedFormatter(click.HelpFormatter):
    """Headings with the language's colon: "Options:" / "Options :" (French typography)."""

    def write_heading(self, heading: str) -> None:
        colon = lookup(": ").rstrip()
        self.write(f"{'':>{self.current_indent}}{heading}{colon}\n")


class LocalisedContext(click.Context):
    formatter_class = LocalisedFormatter


class LocalisedCommand(click.Command):
    """A command whose help is translated when shown (help stays English in the object)."""

    context_class = LocalisedContext

    def get_help(self, ctx: click.Context) -> str:
        with _translated(self, ctx):
            return super().get_help(ctx)

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return translate_help(self.short_help) or ""
        return short_help(translate_help(self.help) or "", limit)


class LocalisedGroup(LocalisedCommand, click.Group):
    """A group that localises every command it hands out, however it was defined."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        return localise(cmd) if cmd is not None else None


LocalisedGroup.command_class = LocalisedCommand
LocalisedGroup.group_class = type  # click: subgroups take the parent's class


_MIXED: dict[type, type] = {LocalisedCommand: LocalisedCommand, LocalisedGroup: LocalisedGroup}


def localise(cmd: click.Command) -> click.Command:
    """Give ``cmd`` (and, through get_command, its subcommands) translated help, in place.

    The instance's class becomes a subclass of its own class with the localised
    behaviour: nothing else of the command changes.
    """
    cls = type(cmd)
    if isinstance(cmd, LocalisedCommand):
        return cmd
    mixed = _MIXED.get(cls)
    if mixed is None:
        base = LocalisedGroup if isinstance(cmd, click.Group) else LocalisedCommand
        mixed = type(f"Localised{cls.__name__}", (base, cls), {})
        _MIXED[cls] = mixed
    cmd.__class__ = mixed
    return cmd


def walk(cmd: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the tree with its path, the root first."""
    yield path, cmd
    if isinstance(cmd, click.Group):
        load_all = getattr(cmd, "load_all", None)
        if load_all is not None:  # the root group imports its commands lazily
            load_all()
        for name in sorted(cmd.commands):
            yield from walk(cmd.commands[name], (*path, name))


def help_messages(root: click.Command) -> dict[str, str]:
    """msgid -> the command that shows it, for every help text of the tree."""
    out: dict[str, str] = {}
    for path, cmd in walk(root):
        where = " ".join(("rgpd", *path))
        texts = [
            cmd.help,
            cmd.short_help,
            cmd.epilog,
            *(getattr(p, "help", None) for p in cmd.params),
        ]
        for text in texts:
            for u in units(text):
                out.setdefault(u, where)
    for msgid in CLICK_MESSAGES:
        out.setdefault(msgid, "click")
    return out


#: click's own texts shown in help and usage errors (msgids as click writes them); their
#: French is in rgpd.po like any other message.
CLICK_MESSAGES = (
    "Usage:",
    "Options",
    "Commands",
    "Positional arguments",
    "Show this message and exit.",
    "Show the version and exit.",
    "Confirm the action without prompting.",
    "Do you want to continue?",
    "default: {default}",
    "env var: {var}",
    "required",
    "Error: {message}",
    "Try '{command} {option}' for help.",
    "Missing command.",
    "No such command {name!r}.",
    "No such option {name!r}.",
    "Missing argument",
    "Missing option",
    "Missing parameter",
    "Invalid value: {message}",
    "Invalid value for {param_hint}: {message}",
    "{value!r} is not a valid {number_type}.",
    "Aborted!",
    "Repeat for confirmation",
    "Error: The two entered values do not match.",
    "Error: invalid input",
)

_KEEP = frozenset(
    {
        "Show this message and exit.",
        "Show the version and exit.",
        "Confirm the action without prompting.",
    }
)


def _click_gettext(message: str) -> str:
    # help strings click stores at definition time stay msgids: they are translated when shown
    return message if message in _KEEP else lookup(message)


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return lookup_plural(singular, plural, n)


def install_click_translations() -> None:
    """Route click's ``gettext``/``ngettext`` through the rgpd catalog (idempotent).

    click binds ``from gettext import gettext as _`` in each of its modules; those names
    are replaced by lookups in the active rgpd language, so click's words follow
    ``--lang`` like ours. Messages the catalog lacks stay click's English.
    """
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    replacements: dict[str, Callable[..., str]] = {
        "_": _click_gettext,
        "gettext": _click_gettext,
        "ngettext": _click_ngettext,
    }
    for mod in (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.termui,
        click.types,
    ):
        for name, fn in replacements.items():
            if callable(getattr(mod, name, None)):
                setattr(mod, name, fn)
