"""The factored French ``token_match`` regex tokenizes exactly as spaCy's own (issue 11)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rgpd.scan.detect.spacy_fr import factored, fast_token_match

te = pytest.importorskip("spacy.lang.fr.tokenizer_exceptions")
ORIGINAL = "(?iu)" + "|".join(f"(?:{m})" for m in te._regular_exp)

TEXT = (
    "Aujourd'hui, Jean-Pierre Dupont, prud'homme à Saint-Étienne-du-Rouvray, a vu un "
    "arc-en-ciel au-dessus de l'Hôtel-de-Ville ; le burn-out des anti-inflammatoires, "
    "l'entr'acte et la grand'mère de Marie-Claire Le Mesnil-Esnard aux États-Unis. "
    "Les sous-préfets, peut-être, et NEW-YORKAIS z'yeutent le hip-hop."
)


def _words() -> list[str]:
    out = [w.strip(",.;") for w in TEXT.split()]
    for p in te._hyphen_prefix:
        stem = re.sub(r"\[(.)[^\]]*\]", r"\1", p).replace("?", "").replace("s?", "")
        out += [f"{stem}-{x}" for x in ("ami", "Ami", "l'eau", "a", "", "x-y", "é")]
    out += [f"{stem}'{x}" for stem in ("entr", "réentr", "grand", "r") for x in ("ouvrir", "")]
    out += [f"pomme-{c}-terre" for c in ("de", "sur", "sous", "à", "et", "lès", "l")]
    return [v for w in out for v in (w, w.upper(), w.lower(), w + "s", w + "-", " " + w)]


def test_factored_matches_the_same_strings_and_compiles_far_faster() -> None:
    fast = factored(ORIGINAL)
    assert fast is not None and len(fast) < len(ORIGINAL) // 20
    slow_match, fast_match = re.compile(ORIGINAL).match, re.compile(fast).match
    words = _words()
    assert sum(bool(slow_match(w)) for w in words) > 100  # the corpus exercises the regex
    assert [w for w in words if bool(slow_match(w)) != bool(fast_match(w))] == []


def test_other_patterns_compile_unchanged() -> None:
    assert factored("(?iu)(?:^ab$)") is not None  # the shape, though nothing to factor
    assert factored("[a-z]+") is None
    with fast_token_match():
        assert re.compile("x" * 10).pattern == "x" * 10
    assert re.compile.__module__ == "re"  # restored


def test_the_model_tokenizes_as_with_the_original_regex() -> None:
    from rgpd.scan.detect.engine import load_spacy

    nlp: Any = load_spacy()
    assert nlp.tokenizer.token_match.__self__.pattern != ORIGINAL  # the fast one
    fast_tokens = [t.text for t in nlp.tokenizer(TEXT)]
    nlp.tokenizer.token_match = re.compile(ORIGINAL).match
    try:
        assert [t.text for t in nlp.tokenizer(TEXT)] == fast_tokens
    finally:
        nlp.tokenizer.token_match = re.compile(factored(ORIGINAL) or ORIGINAL).match
