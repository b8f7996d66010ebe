"""rgpd.scan.detect.ner_speed: the NER finds what spaCy's own model finds, for less CPU."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rgpd.scan.detect import ner_speed
from rgpd.scan.detect.engine import _NOT_LOADED, _NOT_NER, MODEL, load_spacy
from rgpd.scan.detect.ner_speed import cache_embeddings

# Our own sentences: names, places, repeated words, elisions, a tokenizer exception
# with its own NORM (a no-break space standing alone), an empty text.
TEXTS = [
    "Mme Odile Ferrand a rencontré M. Paul Garnier à Quimper le 3 mars.",
    "Le dossier de Paul Garnier est suivi par l'agent Rachid Benali, de la mairie.",
    "Selon Ferrand, la réunion du conseil municipal de Vannes aura lieu lundi.",
    "Le maire\u00a0Yannick Le Goff a signé l'arrêté ; Le Goff l'a affiché.",
    "",
    "d'Artagnan et Aramis partent pour Londres avec Lord Winter.",
    "Contact : Élodie Marchand-Vasseur, 12 rue des Lilas, 35000 Rennes.",
]


@pytest.fixture(scope="module")
def plain() -> Any:
    """The same NER-only model, as spaCy builds it."""
    return _load_plain()


def _ents(nlp: Any, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    return [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]


def _tok2vec(nlp: Any, texts: list[str]) -> list[Any]:
    docs = [nlp.make_doc(t) for t in texts]
    return nlp.get_pipe("ner").model.get_ref("tok2vec").predict(docs)


def test_the_detector_model_is_cached() -> None:
    nlp = load_spacy()
    names = [n.name for n in nlp.get_pipe("ner").model.walk()]
    assert "rgpd_cached_embed" in names
    assert cache_embeddings(nlp) is True  # wrapping twice changes nothing
    assert [n.name for n in nlp.get_pipe("ner").model.walk()] == names


def _load_plain() -> Any:
    import spacy

    from rgpd.scan.detect.spacy_fr import fast_token_match

    with fast_token_match():
        return spacy.load(MODEL, exclude=[*_NOT_NER, *_NOT_LOADED])


@pytest.fixture(scope="module")
def cached() -> Any:
    """The model with the embedding cache only (BLIS products, as spaCy built it)."""
    nlp = _load_plain()
    assert cache_embeddings(nlp)
    return nlp


def test_the_cache_gives_the_same_floats(plain: Any, cached: Any) -> None:
    assert _ents(cached, TEXTS) == _ents(plain, TEXTS)
    for a, b in zip(_tok2vec(cached, TEXTS), _tok2vec(plain, TEXTS), strict=True):
        assert a.shape == b.shape
        assert np.array_equal(a, b)
    # a second pass reads the words from the cache only: still the same
    assert _ents(cached, TEXTS[::-1]) == _ents(plain, TEXTS[::-1])


def test_the_detector_model_finds_the_same_entities(plain: Any) -> None:
    """Cache and numpy products: the same entities, floats within rounding."""
    fast = load_spacy()
    assert _ents(fast, TEXTS) == _ents(plain, TEXTS)
    for a, b in zip(_tok2vec(fast, TEXTS), _tok2vec(plain, TEXTS), strict=True):
        assert np.allclose(a, b, rtol=1e-4, atol=1e-4)


def test_a_token_with_its_own_norm_keeps_it(plain: Any, cached: Any) -> None:
    doc = cached.make_doc(TEXTS[3])
    assert any(t.norm != t.lex.norm for t in doc), "the sentence lost its NORM exception"
    for a, b in zip(_tok2vec(cached, TEXTS[3:4]), _tok2vec(plain, TEXTS[3:4]), strict=True):
        assert np.array_equal(a, b)


def test_a_full_cache_starts_again(plain: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    nlp = _load_plain()
    monkeypatch.setattr(ner_speed, "MAX_WORDS", 12)
    assert cache_embeddings(nlp)
    for _ in range(2):
        assert _ents(nlp, TEXTS) == _ents(plain, TEXTS)
        for a, b in zip(_tok2vec(nlp, TEXTS), _tok2vec(plain, TEXTS), strict=True):
            assert np.array_equal(a, b)


def test_an_unknown_model_is_left_alone() -> None:
    import spacy

    assert cache_embeddings(spacy.blank("fr")) is False  # no NER pipe
    nlp = spacy.blank("fr")
    nlp.add_pipe("ner")
    nlp.initialize()
    before = [n.name for n in nlp.get_pipe("ner").model.walk()]
    assert cache_embeddings(nlp) is False  # an embedding without static vectors
    assert [n.name for n in nlp.get_pipe("ner").model.walk()] == before


def test_products_run_on_numpy_in_one_thread(plain: Any) -> None:
    from threadpoolctl import threadpool_info

    from rgpd.scan.detect.ner_speed import _openblas_ops_class, one_blas_thread

    nlp = load_spacy()
    ops = {type(n.ops) for n in nlp.get_pipe("ner").model.walk()}
    assert ops == {_openblas_ops_class()}

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    assert before, "numpy's BLAS not found"
    with one_blas_thread():
        with one_blas_thread():  # nested (another thread's product): still one thread
            assert blas_threads() == [1] * len(before)
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before  # the caller's own setting is back
    x = np.arange(12, dtype="f").reshape(3, 4)
    y = np.arange(8, dtype="f").reshape(2, 4)
    got = _openblas_ops_class()().gemm(x, y, trans2=True)
    assert got.flags["C_CONTIGUOUS"] and got.dtype == np.float32
    assert np.array_equal(got, x @ y.T)
    out = np.zeros((4, 4), dtype="f")
    assert _openblas_ops_class()().gemm(x, x, out=out, trans1=True) is out
    assert np.array_equal(out, x.T @ x)


def test_the_detector_runs_its_ner_batches_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """One switch around a whole batch, not one per product (each switch parks and wakes
    OpenBLAS's threads: wall time doubled, file by file), and the caller's count after."""
    from threadpoolctl import threadpool_info

    from rgpd.scan.detect import Detector
    from rgpd.scan.detect.ner_speed import _blas_libraries, _openblas_ops_class

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    libs = _blas_libraries()
    seen: list[list[int]] = []
    switches: list[int] = []
    cls = _openblas_ops_class()
    real_gemm = cls.gemm

    def gemm(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append([lib.get_num_threads() for lib in libs])
        return real_gemm(self, *args, **kwargs)

    real_set = type(libs[0]).set_num_threads

    def set_num_threads(self: Any, n: int) -> Any:
        switches.append(n)
        return real_set(self, n)

    monkeypatch.setattr(cls, "gemm", gemm)
    monkeypatch.setattr(type(libs[0]), "set_num_threads", set_num_threads)
    before = blas_threads()
    det = Detector()
    texts = [
        "Le dossier a été transmis hier à Kerbrat par le service.",
        "Selon Quéméner, la réunion est reportée à jeudi.",
    ]
    found = det.detect_many(texts)
    assert seen and all(counts == [1] * len(libs) for counts in seen)
    assert len(switches) <= 2  # in and out once for the batch (none when already one)
    assert blas_threads() == before
    assert [d.value for d in found[1]] == ["Quéméner"]  # a name only NER settles
