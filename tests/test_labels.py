"""Every code a person reads has a label in both languages (rgpd/labels.py), and plurals agree."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from rgpd import labels
from rgpd.deadlines import DeadlineStatus
from rgpd.i18n import _catalog, _n, ngettext, use_language
from rgpd.registry.model import (
    ErasureAction,
    FinalDisposition,
    Hosting,
    SoftwareKind,
    SupportMedium,
)
from rgpd.registry.rules import Severity as LintSeverity
from rgpd.requests.model import Action, Channel, RequesterRole, RequestState, RequestType
from rgpd.scan.columns import PasswordStorage
from rgpd.scan.extract.model import Reason
from rgpd.scan.findings import Severity as FindingSeverity
from rgpd.scan.reconcile import Rule
from rgpd.taxonomy import Entity

ENUMS: list[tuple[str, type[StrEnum]]] = [
    ("entity", Entity),
    ("severity", FindingSeverity),
    ("severity", LintSeverity),
    ("right", RequestType),
    ("request_state", RequestState),
    ("request_action", Action),
    ("channel", Channel),
    ("requester_role", RequesterRole),
    ("erasure_action", ErasureAction),
    ("error_reason", Reason),
    ("reconcile_rule", Rule),
    ("final_disposition", FinalDisposition),
    ("deadline_status", DeadlineStatus),
    ("software_kind", SoftwareKind),
    ("support_medium", SupportMedium),
    ("hosting", Hosting),
    ("password_storage", PasswordStorage),
]


def lint_codes() -> set[str]:
    """The ``code`` of every LintIssue rules.py can raise, read from its source."""
    src = (Path(labels.__file__).parent / "registry" / "rules.py").read_text("utf-8")
    return set(re.findall(r'(?:add|LintIssue)\(\s*"([a-z0-9_]+)"', src))


@pytest.mark.parametrize(("kind", "enum"), ENUMS, ids=lambda x: getattr(x, "__name__", x))
def test_every_member_has_a_label(kind: str, enum: type[StrEnum]) -> None:
    missing = [m.value for m in enum if m.value not in labels.TABLES[kind]]
    assert missing == []


def test_every_file_action_of_the_erasure_plan_has_a_label() -> None:
    src = (Path(labels.__file__).parent / "requests" / "erasure" / "plan.py").read_text("utf-8")
    actions = set(re.findall(r'fa\.action = "([a-z]+)"', src)) | {"keep", "manual"}
    assert "delete" in actions and sorted(actions - set(labels.FILE_ACTION)) == []


def test_every_lint_rule_has_a_label() -> None:
    codes = lint_codes()
    assert len(codes) > 20, codes  # the regex still reads rules.py
    assert sorted(codes - set(labels.LINT_RULE)) == []


def test_every_label_is_translated_and_differs_from_its_code() -> None:
    fr = _catalog("fr")
    untranslated = [m for t in labels.TABLES.values() for m in t.values() if m not in fr]
    assert untranslated == []
    for kind, table in labels.TABLES.items():
        for code in table:
            for lang in ("fr", "en"):
                with use_language(lang):
                    shown = labels.label(kind, code)
                assert shown, (kind, code, lang)
                if "_" in code or code.isupper():  # a structured code is never what people read
                    assert shown != code, (kind, code, lang)


def test_labels_follow_the_language() -> None:
    with use_language("fr"):
        assert labels.entity("FR_NIR") == "Numéros de sécurité sociale (NIR)"
        assert labels.request_state("en_cours") == "En cours"
        assert labels.erasure_action("supprimer") == "supprimer"
        # a risk is masculine, "élevé", where a priority is "haute" (msgctxt "priority")
        assert [labels.severity(c) for c in ("high", "medium", "low")] == [
            "élevé",
            "moyen",
            "faible",
        ]
    with use_language("en"):
        assert labels.entity("FR_NIR") == "Social security numbers (NIR)"
        assert labels.request_state("en_cours") == "In progress"
        assert labels.erasure_action("supprimer") == "delete"
    assert labels.entity("NOT_A_CODE") == "NOT_A_CODE"  # unknown codes shown as they are


def test_special_flag_is_not_doubled() -> None:
    with use_language("fr"):
        assert labels.entity("HEALTH", special=True).count("art. 9") == 1
        assert labels.entity("PERSON", special=True).endswith("(Art. 9)")


@pytest.mark.parametrize(
    ("code", "fr", "en"),
    [
        ("100y", "100 ans", "100 years"),
        ("1y", "1 an", "1 year"),
        ("6m", "6 mois", "6 months"),
        ("1d", "1 jour", "1 day"),
        ("30d", "30 jours", "30 days"),
        ("jusqu'à la fin", "jusqu'à la fin", "jusqu'à la fin"),
    ],
)
def test_durations_read_as_words(code: str, fr: str, en: str) -> None:
    with use_language("fr"):
        assert labels.duration_code(code) == fr
    with use_language("en"):
        assert labels.duration_code(code) == en


def test_durations_combine() -> None:
    with use_language("fr"):
        assert labels.duration(years=1, months=6) == "1 an et 6 mois"
    with use_language("en"):
        assert labels.duration(years=2, months=1, days=3) == "2 years, 1 month and 3 days"


@pytest.mark.parametrize(("n", "fr"), [(0, "0 erreur"), (1, "1 erreur"), (2, "2 erreurs")])
def test_french_plural_rule_from_the_catalog(n: int, fr: str) -> None:
    """French: 0 and 1 take the singular (Plural-Forms: n > 1)."""
    with use_language("fr"):
        assert _n("{n} error", "{n} errors", n) == fr
    with use_language("en"):
        assert _n("{n} error", "{n} errors", n) == f"{n} error{'s' if n != 1 else ''}"


def test_ngettext_falls_back_to_english_for_unknown_messages() -> None:
    with use_language("fr"):
        assert ngettext("one zork", "many zorks", 1) == "one zork"
        assert ngettext("one zork", "many zorks", 2) == "many zorks"


def test_counts_lists_largest_first_with_labels() -> None:
    with use_language("fr"):
        text = labels.counts("entity", {"EMAIL_ADDRESS": 2, "DATE_OF_BIRTH": 33})
    assert text == "Dates de naissance : 33, Adresses électroniques : 2"
