"""maturity commands: the yearly self-assessment (declared), next to the measured compliance score."""

from __future__ import annotations

from typing import Any

import click

from rgpd.commands._common import Ctx, console, emit_json, ok, pass_ctx, table
from rgpd.commands.registry import _read_yaml
from rgpd.errors import InvalidInput
from rgpd.i18n import _, format_number
from rgpd.registry import maturity_service, service
from rgpd.registry.maturity import (
    DOMAIN_LABELS,
    LEVELS,
    MAX_LEVEL,
    QUESTIONS,
    MaturityAnswers,
    MaturityResult,
)


@click.group("maturity", short_help="Maturity index: a yearly self-assessment (declared).")
def maturity_grp() -> None:
    """The maturity index: 21 questions in 7 domains, each answered 0 to 3, once a year.

    It is declared by the organisation; the compliance score (`rgpd report
    compliance`) is measured from the register, scans and requests. Answering a
    year again records a new version.

    \b
    Example:
      rgpd --org mairie maturity answer --from maturite-2026.yaml
    """


@maturity_grp.command("questions")
@click.option("--json", "as_json", is_flag=True)
def maturity_questions(as_json: bool) -> int:
    """List the questions and the answer scale (keys to use in the YAML file).

    \b
    Example:
      rgpd maturity questions
    """
    if as_json:
        emit_json(
            {
                "levels": [_(lvl) for lvl in LEVELS],
                "questions": [
                    {"key": q.key, "domain": q.domain.value, "text": q.text, "article": q.article}
                    for q in QUESTIONS
                ],
            }
        )
        return 0
    table(
        _("Answer scale"),
        [_("level"), _("meaning")],
        [[str(i), _(lvl)] for i, lvl in enumerate(LEVELS)],
    )
    table(
        _("{n} questions", n=len(QUESTIONS)),
        [_("key"), _("domain"), _("question"), _("article")],
        [[q.key, _(DOMAIN_LABELS[q.domain]), q.text, q.article] for q in QUESTIONS],
    )
    return 0


def _prompt(year: int) -> dict[str, Any]:
    console.print(_("Maturity questionnaire {year}: answer each question 0 to 3.", year=year))
    for i, lvl in enumerate(LEVELS):
        console.print(f"  {i} = {_(lvl)}")
    answers = {}
    for q in QUESTIONS:
        answers[q.key] = click.prompt(
            f"[{_(DOMAIN_LABELS[q.domain])}] {q.text} ({q.article})",
            type=click.IntRange(0, MAX_LEVEL),
        )
    return {"year": year, "answers": answers}


@maturity_grp.command("answer")
@click.option(
    "--from",
    "file",
    type=click.Path(dir_okay=False),
    help="YAML file: year, answers (key: level), optional comments.",
)
@click.option("--year", type=int, help="Year assessed (default: this year).")
@pass_ctx
def maturity_answer(c: Ctx, file: str | None, year: int | None) -> int:
    """Answer the questionnaire, interactively or from a YAML file.

    \b
    Examples:
      rgpd --org mairie maturity answer                 # one prompt per question
      rgpd --org mairie maturity answer --from maturite-2026.yaml
    """
    org = c.org_slug()
    if file:
        data = _read_yaml(file)
        if not isinstance(data, dict):
            raise InvalidInput(file, _("expected a mapping with 'year' and 'answers'"))
        if year is not None and data.setdefault("year", year) != year:
            raise InvalidInput("--year", _("the file assesses {year}", year=data["year"]))
        data.setdefault("year", c.ws.today().year)
    else:
        data = _prompt(year or c.ws.today().year)
    answers = service.validate(MaturityAnswers, data, file or "maturity")
    res = maturity_service.save_maturity(c.ws, org, answers)
    ok(
        _(
            "maturity {year} recorded (version {version}): index {index} / 10",
            year=res.year,
            version=res.version,
            index=format_number(res.index),
        )
    )
    return 0


def _as_json(r: MaturityResult) -> dict[str, Any]:
    return {
        "year": r.year,
        "version": r.version,
        "answered_on": r.answered_on.isoformat() if r.answered_on else None,
        "index": r.index,
        "domains": {d.domain.value: d.score for d in r.domains},
        "answers": {k: lvl for d in r.domains for k, lvl in d.answers},
        "comments": dict(r.comments),
    }


@maturity_grp.command("show")
@click.option("--year", type=int, help="Year (default: the latest answered).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def maturity_show(c: Ctx, year: int | None, as_json: bool) -> int:
    """Show one year's index, per domain and per question.

    \b
    Example:
      rgpd --org mairie maturity show --year 2026
    """
    r = maturity_service.get_maturity(c.ws, c.org_slug(), year)
    if as_json:
        emit_json(_as_json(r))
        return 0
    text = {q.key: q.text for q in QUESTIONS}
    comments = dict(r.comments)
    table(
        _(
            "Maturity {year} (version {version}, declared): {index} / 10",
            year=r.year,
            version=r.version,
            index=format_number(r.index),
        ),
        [_("domain"), _("score / 10"), _("question"), _("level"), _("comment")],
        [
            [
                d.label if i == 0 else "",
                format_number(d.score) if i == 0 else "",
                text[k],
                lvl,
                comments.get(k),
            ]
            for d in r.domains
            for i, (k, lvl) in enumerate(d.answers)
        ],
    )
    return 0


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + format_number(round(x, 1))


@maturity_grp.command("trend")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def maturity_trend(c: Ctx, as_json: bool) -> int:
    """The index year after year (latest version of each year), per domain.

    \b
    Example:
      rgpd --org mairie maturity trend
    """
    history = maturity_service.maturity_history(c.ws, c.org_slug())
    if as_json:
        emit_json([_as_json(r) for r in history])
        return 0
    domains = list(DOMAIN_LABELS)
    table(
        _("Maturity index (declared), year after year"),
        [_("year"), _("index / 10"), _("change"), *(_(DOMAIN_LABELS[d]) for d in domains)],
        [
            [
                r.year,
                format_number(r.index),
                "" if i == 0 else _signed(r.index - history[i - 1].index),
                *(format_number(r.domain(d).score) for d in domains),
            ]
            for i, r in enumerate(history)
        ],
    )
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(maturity_grp)
