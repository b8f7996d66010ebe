"""Other projects' recognizer test tables, run against the standard depth.

``../shared/data/peer-cases/cases.json`` (see its README) holds 1,326 cases
taken from Presidio's tests, python-stdnum, phonenumbers' example numbers,
django-localflavor and two Presidio forks with French recognizers. A case is
*followed* when:

- ``expected`` is an entity type: a detection of that type covers exactly
  ``span`` (``peer_score`` is not used: each peer scales its scores its own way);
- ``expected`` is ``"none"``: nothing of ``type`` is reported over ``span``
  (over the whole text when there is no span).

Each case rgpd deliberately does not follow is in :data:`NOT_FOLLOWED` with
its reason, and that list is checked exactly: a listed case that starts to
pass fails too, so the list never goes stale.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from rgpd.scan.detect import Detection, Detector
from tests.conftest import missing

CASES_FILE = Path(__file__).resolve().parents[2].parent / "shared/data/peer-cases/cases.json"

_URL_QUOTES = "the peer's span takes in the quotes around the address; rgpd's ends at them"
_UNSPECIFIED = "the unspecified address (0.0.0.0, ::) names no machine and no one"
_SIREN_IN_SIRET = (
    "the peer wants the SIREN inside a SIRET; rgpd reports the SIRET, which contains it"
)
_NO_CUE = "a bare number with no cue in running text (French amounts are written the same way)"
_LF_CORSICA = "localflavor's Corsica key rule disagrees with INSEE and python-stdnum (key invalid)"
_DPS_SEP = "the peer rejects hyphens and dots; localflavor and French usage write them"
_FOREIGN = "a foreign number in national form with no phone word nor country: its plan is unknown"

#: id -> why rgpd does not do what the peer expects.
NOT_FOLLOWED: dict[str, str] = {
    "presidio:iban/0031": "python-stdnum rejects it: Belgian BBAN check digits (mod 97) fail",
    "presidio:credit_card/0007": "compact UATP number after 'contacter', no card word: " + _NO_CUE,
    "presidio:ip/0101": "five dotted numbers are a version or an OID, not an IPv4 address",
    **{
        f"presidio:ip/{n:04d}": _UNSPECIFIED + " (the peer scores '::' 0.05-0.15 itself)"
        for n in (12, 13, 17, 125, 138, 139)
    },
    "presidio:ip/0123": _UNSPECIFIED,
    "presidio:ip/0124": _UNSPECIFIED,
    "presidio:ip/0131": _UNSPECIFIED,
    "presidio:phone/0021": "glued to the previous word ('is415-…'); the peer finds it only "
    "at leniency 0",
    "presidio:phone/0023": "'91-415-…' with the phone word out of reach: " + _FOREIGN,
    "presidio:url/0015": _URL_QUOTES,
    "presidio:url/0016": _URL_QUOTES,
    "paperasse:fr_nir/0011": "the peer rejects hyphens; INSEE forms and users write them",
    "dps:fr_siren/0016": _DPS_SEP,
    "dps:fr_siren/0017": _DPS_SEP,
    "dps:fr_siren/0018": _NO_CUE,
    "dps:fr_siren/0019": _NO_CUE,
    "dps:fr_siren/0025": _SIREN_IN_SIRET,
    "dps:fr_siren/0026": _NO_CUE,
    "dps:fr_siren/0027": _SIREN_IN_SIRET,
    "dps:fr_siren/0028": _NO_CUE,
    "dps:fr_siret/0014": "python-stdnum's La Poste rule (digit sum divisible by 5) rejects it",
    "dps:fr_siret/0025": _DPS_SEP,
    "dps:fr_siret/0034": _SIREN_IN_SIRET,
    "localflavor:fr/0009": _LF_CORSICA,
    "localflavor:fr/0010": _LF_CORSICA,
    "localflavor:fr/0011": _LF_CORSICA,
    "localflavor:fr/0012": _LF_CORSICA,
    "localflavor:fr/0013": _LF_CORSICA,
    "localflavor:fr/0014": _LF_CORSICA,
    "localflavor:fr/0033": "born 1974 with '2A': python-stdnum and the other peers accept "
    "2A/2B for births before 1976",
    "localflavor:fr/0034": "born 1974 with '2A': python-stdnum and the other peers accept "
    "2A/2B for births before 1976",
    "localflavor:fr/0043": "country code 991: another peer (dps) accepts 999; INSEE's list "
    "changes, the key is what is checked",
    "localflavor:fr/0044": "country code 991: another peer (dps) accepts 999; INSEE's list "
    "changes, the key is what is checked",
    "phonenumbers:fr+overseas/0235": "'20.12.34' alone is a date (20 Dec 1934) as much as a "
    "New Caledonian number: reported next to a phone word only",
}


def _load() -> list[dict[str, Any]]:
    if not CASES_FILE.is_file():
        return []
    cases: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    return cases


CASES = _load()
BY_ID = {c["id"]: c for c in CASES}


@cache
def _results() -> dict[str, list[Detection]]:
    """Every case through one standard-depth detector, in one batch."""
    detector = Detector("standard")
    found = detector.detect_many([c["text"] for c in CASES])
    return {c["id"]: dets for c, dets in zip(CASES, found, strict=True)}


def followed(case: dict[str, Any], dets: list[Detection]) -> bool:
    """Whether rgpd's detections agree with what the peer expects (see the module doc)."""
    etype, expected, span = case["type"], case["expected"], case["span"]

    def over(d: Detection) -> bool:
        return span is None or (d.start < span[1] and span[0] < d.end)

    if expected == "none":
        return not any(d.entity_type == etype and over(d) for d in dets)
    return any(d.entity_type == expected and [d.start, d.end] == span for d in dets)


def test_peer_cases_are_present() -> None:
    if not CASES:
        missing(f"peer test tables not found: {CASES_FILE}")
    assert len(CASES) == len(BY_ID), "case ids must be unique"
    assert set(NOT_FOLLOWED) <= set(BY_ID), set(NOT_FOLLOWED) - set(BY_ID)


@pytest.mark.parametrize("case_id", sorted(BY_ID))
def test_peer_case(case_id: str) -> None:
    case = BY_ID[case_id]
    dets = _results()[case_id]
    got = [(d.entity_type, d.start, d.end) for d in dets]
    if case_id in NOT_FOLLOWED:
        assert not followed(case, dets), f"now followed: remove {case_id} from NOT_FOLLOWED"
    else:
        assert followed(case, dets), (
            f"{case['text']!r}: expected {case['expected']} over {case['span']}, got {got}"
        )


def test_rate_per_suite() -> None:
    if not CASES:
        missing(f"peer test tables not found: {CASES_FILE}")
    results = _results()
    total: Counter[str] = Counter()
    ok: Counter[str] = Counter()
    for c in CASES:
        total[c["suite"]] += 1
        ok[c["suite"]] += followed(c, results[c["id"]])
    lines = [f"{s:<28} {ok[s]:>4}/{total[s]:<4} {ok[s] / total[s]:.3f}" for s in sorted(total)]
    n_ok, n = sum(ok.values()), len(CASES)
    lines.append(f"{'all':<28} {n_ok:>4}/{n:<4} {n_ok / n:.3f}")
    print("\npeer cases followed (standard depth):\n" + "\n".join(lines))
    assert n - n_ok == len(NOT_FOLLOWED)
