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


PROSE = (
    "Mme Odile Ferrand-Vasseur, née le 3 mars 1961 à Quimper, a écrit au maire de "
    "Villeneuve-sur-Lot au sujet de son fils Théo. M. Baptiste N'Diaye, agent du CCAS, "
    "lui a répondu depuis Toulouse ; la Caisse d'allocations familiales de la Gironde "
    "et l'association Les Amis du Vieux Moulin sont en copie. Réunion à Bordeaux lundi."
)


def _analysed(nlp: Any) -> list[Any]:
    out: list[Any] = []
    for doc in nlp.pipe([PROSE, TEXT, PROSE.upper(), "Jeanne", ""]):
        out.append([(e.start_char, e.end_char, e.label_) for e in doc.ents])
        out.append([(t.text, t.norm_, t.shape_, t.prefix_, t.suffix_, t.is_stop) for t in doc])
    return out


def test_the_model_loaded_without_strings_or_plugins_finds_the_same_entities() -> None:
    """``load_spacy`` skips the vocabulary's string table and the plug-ins' factories
    (1.5 s of each load, issue 11): the pipeline's answers must not change."""
    import spacy

    from rgpd.scan.detect import engine

    nlp: Any = engine.load_spacy()
    assert len(nlp.vocab.strings) < 10_000  # the 713,000 strings were not loaded
    with fast_token_match():
        whole: Any = spacy.load(engine.MODEL, exclude=list(engine._NOT_NER))
    assert len(whole.vocab.strings) > 100_000
    assert _analysed(nlp) == _analysed(whole)
    assert any(e for e in _analysed(nlp)[0])  # the prose has entities to compare


def test_loading_the_model_does_not_import_presidio() -> None:
    """Presidio's spaCy plug-in is not imported with the model (standard depth)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from rgpd.scan.detect.engine import load_spacy\n"
        "load_spacy()\n"
        "print('presidio_analyzer' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
