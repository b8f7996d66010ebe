"""The detection core's one entry point: ``Detector(...).detect(text)``.

Pure: a text in, detections out; no file, socket or database. The spaCy model
is loaded lazily, once per process, and only by the depths that need it.

How the depths spend their time (plain Presidio runs the whole spaCy pipeline,
parser and lemmatizer included, on every text):

* quick: compiled regular expressions, checksums, lexicons and name cues on
  the whole text; no spaCy at all.
* standard: quick, plus spaCy's NER (alone, without the other pipes) on the
  few short windows around name candidates the cues could not settle,
  batched with ``nlp.pipe`` across all the texts of a call.
* deep: the Presidio ``AnalyzerEngine`` over the whole text (cut into chunks
  below spaCy's ``max_length``), fed by the same batched NER; every NER name
  counts, and residence places found by NER are kept as locations.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rgpd.errors import InvalidInput
from rgpd.i18n import _
from rgpd.scan.detect.engine import (
    NER_LABELS,
    build_analyzer,
    confirm_persons,
    load_spacy,
    model_for,
    ner_spans,
    recognizers_for,
)
from rgpd.scan.detect.ner_speed import one_blas_thread
from rgpd.scan.detect.recognizers.base import ContextCue, Recognizer, clear_text_caches
from rgpd.scan.detect.recognizers.fr.person import LONE_SCORE, PersonRecognizer
from rgpd.scan.detect.recognizers.fr.person import info as person_info
from rgpd.scan.detect.recognizers.fr.tabular import TabularRecognizer
from rgpd.scan.detect.text import chunks, fold
from rgpd.scan.detect.types import Depth, Detection, Span, is_special

#: Lower wins when two entity types claim overlapping text.
PRIORITY: dict[str, int] = {
    "IBAN_CODE": 5,
    "CREDIT_CARD": 6,
    "EMAIL_ADDRESS": 8,
    "FR_NIR": 10,
    "FR_SIRET": 20,
    "FR_TAX_ID": 25,
    "FR_SIREN": 30,
    "FR_ID_CARD": 35,
    "FR_PASSPORT": 36,
    "PHONE_NUMBER": 40,
    "IP_ADDRESS": 45,
    "URL": 50,
    "DATE_OF_BIRTH": 55,
    "FR_LICENSE_PLATE": 60,
    "LOCATION": 70,
    "PERSON": 80,
}
DEFAULT_THRESHOLD = 0.5
#: Words of context kept each side of an unsettled name candidate when NER is asked.
NER_WORDS = 6
#: ...and at most this many characters each side.
NER_WINDOW = 80
#: Candidates from this score up get an NER window at standard depth.
NER_MIN = LONE_SCORE
_DIGIT = re.compile(r"\d")
_RESIDENCE = ContextCue(
    r"\b(?:domicili\w*|demeurant|residant|habitant|habite|reside|vivant)\s+(?:a|au|en|aux)\s+$", 40
)


@dataclass
class _Work:
    """One text on its way through the pipeline."""

    text: str
    spans: list[Span] = field(default_factory=list)
    ambiguous: list[Span] = field(default_factory=list)
    windows: list[tuple[int, int]] = field(default_factory=list)
    ner: list[Span] = field(default_factory=list)


class Detector:
    """Finds personal data in texts.

    ``depth``: ``quick``, ``standard`` (default) or ``deep``. ``entities``:
    entity names to look for (``None``: all of :class:`rgpd.taxonomy.Entity`).
    ``languages``: NER language(s); the first one's model reads names.
    ``score_threshold``: hits below it are dropped.
    ``max_chunk_chars``: size of the pieces long texts are cut into for spaCy.
    """

    def __init__(
        self,
        depth: Depth | str = Depth.STANDARD,
        entities: Iterable[str] | None = None,
        languages: Sequence[str] = ("fr",),
        score_threshold: float = DEFAULT_THRESHOLD,
        max_chunk_chars: int = 100_000,
        batch_size: int = 64,
    ) -> None:
        try:
            self.depth = Depth(depth)
        except ValueError:
            raise InvalidInput("depth", _("must be one of quick, standard, deep")) from None
        if not languages:
            raise InvalidInput("languages", _("at least one language is needed"))
        self.languages = tuple(languages)
        self.entities = None if entities is None else frozenset(entities)
        self.score_threshold = score_threshold
        self.max_chunk_chars = max_chunk_chars
        self.batch_size = batch_size
        self.recognizers: list[Recognizer] = recognizers_for(self.entities, self.depth)
        self._analyzer: Any = None
        self._person = next((r for r in self.recognizers if isinstance(r, PersonRecognizer)), None)
        self._plain = [r for r in self.recognizers if not isinstance(r, PersonRecognizer)]

    # ------------------------------------------------------------------ public

    def detect(self, text: str) -> list[Detection]:
        """Every detection in ``text``, sorted by position."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[list[Detection]]:
        """Detections for each text; NER work is batched across all of them."""
        works = [_Work(t) for t in texts]
        if self.depth is Depth.DEEP:
            self._deep(works)
        else:
            for w in works:
                self._rules(w)
            if self.depth is Depth.STANDARD and self._person is not None:
                self._ner_windows(works)
            for w in works:
                w.spans.extend(confirm_persons(w.ambiguous, w.ner))
        for w in works:
            w.spans.extend(_repeated(w.text, w.spans, self.score_threshold))
        clear_text_caches()  # deep: the recognizers ran inside Presidio, nothing cleared them
        return [self._finish(w) for w in works]

    # ------------------------------------------------------------------ stages

    def _rules(self, w: _Work) -> None:
        text = w.text
        has_digit = _DIGIT.search(text) is not None
        for rec in self._plain:
            if has_digit or not rec.needs_digit:
                w.spans.extend(rec.find(text))
        clear_text_caches()  # the caches would keep the text's values alive
        if self._person is not None:
            found = self._person.analyze(text)
            w.spans.extend(found.sure)
            # a candidate inside an address or an email is settled already
            others = sorted(
                (s.start, s.end)
                for s in w.spans
                if s.entity_type != "PERSON" and not is_special(s.entity_type)
            )
            starts = [s for s, _e in others]
            for a in found.ambiguous:
                i = bisect_right(starts, a.start)
                if (i > 0 and others[i - 1][1] > a.start) or (
                    i < len(others) and others[i][0] < a.end
                ):
                    continue
                w.ambiguous.append(a)

    def _ner_windows(self, works: list[_Work]) -> None:
        """Run NER on the short windows around unsettled name candidates only."""
        jobs: list[tuple[_Work, int, str]] = []
        for w in works:
            # lone words are left to the deep depth: too many, too rarely names
            unsettled = [
                a
                for a in w.ambiguous
                if a.score >= NER_MIN and (a.score > LONE_SCORE or _in_prose(w.text, a.start))
            ]
            for s, e in _windows(w.text, unsettled):
                jobs.append((w, s, w.text[s:e]))
        if not jobs:
            return
        nlp = load_spacy(model_for(self.languages[0]))
        with one_blas_thread():
            docs = nlp.pipe((j[2] for j in jobs), batch_size=max(self.batch_size, 256))
            for (w, offset, _piece), doc in zip(jobs, docs, strict=True):
                ents = [(offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents]
                w.ner.extend(ner_spans(w.text, ents))

    def _deep(self, works: list[_Work]) -> None:
        """Presidio over every chunk, with NER artifacts from one batched pipe."""
        lang = self.languages[0]
        if self._analyzer is None:
            self._analyzer = build_analyzer(self.entities, (lang,), full=False)
        analyzer = self._analyzer
        engine = analyzer.nlp_engine
        nlp = load_spacy(model_for(lang))
        jobs = [
            (w, off, piece) for w in works for off, piece in chunks(w.text, self.max_chunk_chars)
        ]
        tab = [r for r in self._plain if isinstance(r, TabularRecognizer)]
        for w in works:
            for rec in tab:  # a table's header may sit in an earlier chunk than its rows
                w.spans.extend(rec.find(w.text))
        with one_blas_thread():  # one doc at a time: a long text is many chunks
            docs = nlp.pipe((j[2] for j in jobs), batch_size=self.batch_size)
            for (w, offset, piece), doc in zip(jobs, docs, strict=True):
                artifacts = engine._doc_to_nlp_artifact(doc, lang)
                results = analyzer.analyze(
                    piece,
                    language=lang,
                    nlp_artifacts=artifacts,
                    score_threshold=0.0,
                    entities=sorted(self.entities) if self.entities else None,
                )
                for r in results:
                    w.spans.append(Span(r.entity_type, offset + r.start, offset + r.end, r.score))
                if self.entities is None or "LOCATION" in self.entities:
                    for e in doc.ents:
                        if NER_LABELS.get(e.label_, e.label_) != "LOCATION":
                            continue
                        s, end = offset + e.start_char, offset + e.end_char
                        if _RESIDENCE.around(w.text, s, end):
                            w.spans.append(Span("LOCATION", s, end, 0.7))

    def _finish(self, w: _Work) -> list[Detection]:
        spans = [
            s
            for s in w.spans
            if s.score >= self.score_threshold
            and (self.entities is None or s.entity_type in self.entities)
        ]
        resolved = _resolve(spans, w.text)
        text = w.text
        if self.depth is not Depth.QUICK:
            resolved = _about_persons(text, resolved)
        return [
            Detection(
                s.entity_type,
                s.start,
                s.end,
                round(s.score, 4),
                is_special(s.entity_type),
                text[s.start : s.end],
            )
            for s in resolved
        ]


# What ties a sentence to one person: a civility, a first-person statement, or a
# word for one person ("l'intéressée", "le demandeur", "son conjoint", "il", "elle").
_PERSON_CUE = re.compile(
    r"(?:^|[^\w])(?:m\.|mm\.|mme|mlle|monsieur|madame|mademoiselle|dr\.?|docteur|me|je|j'|moi|"
    r"mon|ma|mes|vous|votre|vos|il|elle|interesse\(?e?\)?|demandeu(?:r|se)|requerante?|agente?|"
    r"salariee?|patiente?|enfant|eleve|usager|usagere|beneficiaire|locataire|conjointe?|epoux|epouse|"
    r"mari|femme|fils|fille|pere|mere|candidate?|prevenue?|accusee?|victime|temoin|suspecte?|"
    r"condamnee?|detenue?|personne|administree?|allocataire|stagiaire|titulaire|defunte?)(?![\w])"
)
_IMPERSONAL = re.compile(
    r"\bil (?:y a|faut|convient|est (?:\w+ )?(?:de|que)|s'agit|semble|reste|parait)\b"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
#: a biometric device or template is a processing of people's data by its nature
_NO_TIE_NEEDED = frozenset({"BIOMETRIC"})
#: categories whose terms also name groups of people ("les Kurdes", "des syndiqués")
_GROUP_CATEGORIES = frozenset({"ETHNIC_ORIGIN", "RELIGION", "POLITICAL_OPINION", "TRADE_UNION"})
# a plural or collective determiner right before the term: a group, not a person
_GROUP_BEFORE = re.compile(
    r"(?:\b(?:les|des|aux|ces|leurs|plusieurs|nombreux|nombreuses|certains|certaines|tous les|"
    r"toutes les|milliers de|centaines de|dizaines de|[a-z]+aines? de|millions de)|"
    r"(?<![\d/.\-])\d{1,6}) +$"
)
# a person's own membership of the group or the body: "appartenant aux gens du voyage",
# "élue du groupe …", "membre de la Ligue …"
_MEMBERSHIP = re.compile(
    r"\b(?:appart\w+|membre|elue?|adherente?|militante?|issue?|originaire|fait partie|faisant partie|"
    r"inscrite?|affiliee?|syndiquee?|encartee?)\b[^.;:!?\n]*$"
)


def _about_persons(text: str, spans: list[Span]) -> list[Span]:
    """Special categories (Art. 9/10) only where the sentence or table row is about a person.

    An article about a religion, a party, a union or a trial in general is no
    data about anyone; "M. X est diabétique", "je suis syndiqué", "l'intéressée
    a été hospitalisée" are. A PERSON found in the same sentence (or row), a
    civility, a first-person word or a word for one person ties it.
    """
    if not any(is_special(s.entity_type) for s in spans):
        return spans
    persons = [s for s in spans if s.entity_type == "PERSON"]
    out: list[Span] = []
    for s in spans:
        if not is_special(s.entity_type) or s.entity_type in _NO_TIE_NEEDED:
            out.append(s)
            continue
        if s.entity_type in _GROUP_CATEGORIES and _about_group(text, s):
            continue  # "une soixantaine de gilets jaunes", "alliés aux Kurdes"
        lo = max(0, s.start - 300)
        ends = [m.end() for m in _SENTENCE_END.finditer(text, lo, s.start)]
        # "M." and "Mme." end no sentence
        while ends and text[max(0, ends[-1] - 4) : ends[-1]].rstrip(".").split()[-1:] in (
            ["M"],
            ["Mme"],
            ["Dr"],
            ["MM"],
        ):
            ends.pop()
        s0 = ends[-1] if ends else lo
        e0 = _sentence_end(text, s.end)
        if any(p.start < e0 and s0 < p.end for p in persons):
            out.append(s)
            continue
        if persons and _in_record(text, s.start):
            out.append(s)  # a form field or a table row of a document that names someone
            continue
        # the term itself is no cue ("condamné" names a person and an offence alike)
        sentence = fold(text[s0 : s.start] + " " + text[s.end : e0]).lower()
        cue = _PERSON_CUE.search(sentence)
        if cue is not None and not (cue.group().strip() == "il" and _IMPERSONAL.search(sentence)):
            out.append(s)
    return out


# a body's name or its members around the term: "l'État islamique", "la Ligue musulmane",
# "le congrès du Front national", "les représentants CGT" speak of an organisation
_BODY_BEFORE = re.compile(
    r"\b(?:organisation|ligue|republique|etat|congres d[eu]\w*|federation|confederation|section|"
    r"representants|militants|adherents|syndicats|mouvement|groupe|groupes|union)\s+(?:de la\s+|du\s+|des\s+)?$"
)


def _sentence_end(text: str, pos: int) -> int:
    """Where the sentence holding ``pos`` ends ("M." and "Mme." end none)."""
    limit = min(len(text), pos + 300)
    m = _SENTENCE_END.search(text, pos, limit)
    while m is not None and text[max(0, m.start() - 4) : m.start()].split()[-1:] in (
        ["M"],
        ["Mme"],
        ["Dr"],
        ["MM"],
    ):
        m = _SENTENCE_END.search(text, m.end(), limit)
    return m.start() if m else limit


def _about_group(text: str, s: Span) -> bool:
    """The term names a group of people or a body, not one person's belief or membership.

    "Une soixantaine de gilets jaunes", "les musulmans", "aux Kurdes" (a plural
    after a plural or collective determiner) speak of a group; "l'État
    islamique", "la Ligue musulmane" of an organisation; "il est musulman",
    "je suis syndiqué" of a person.
    """
    before = fold(text[max(0, s.start - 40) : s.start]).lower()
    if _MEMBERSHIP.search(before):
        return False
    if _BODY_BEFORE.search(before):
        return True
    term = text[s.start : s.end].split()
    if not term or term[0][-1:].lower() not in ("s", "x"):
        return False
    return _GROUP_BEFORE.search(before) is not None


_NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _repeated(text: str, spans: list[Span], threshold: float) -> list[Span]:
    """Later bare mentions of a name found once in the text ("Jean Vuarnet ... Vuarnet").

    A person's surname (the last word of a name of two words or more) names
    the same person again further on, with or without a cue. A word that is
    also a common word or only a first name is left alone.
    """
    names = [s for s in spans if s.entity_type == "PERSON" and s.score >= threshold]
    if not names:
        return []
    surnames: dict[str, int] = {}
    for s in names:
        words = _NAME_WORD.findall(text[s.start : s.end])
        if len(words) < 2:
            continue
        last = words[-1]
        inf = person_info(last)
        if len(last) < 3 or inf.common or inf.initial or (inf.first and not inf.upper):
            continue
        surnames.setdefault(last, s.end)
    if not surnames:
        return []
    taken = sorted((s.start, s.end) for s in names)
    out: list[Span] = []
    n = len(text)
    for last, after in surnames.items():
        for form in {last, last.upper(), last[:1].upper() + last[1:].lower()}:
            pos = text.find(form, after)
            while pos >= 0:  # str.find: no regular expression to compile per name
                end = pos + len(form)
                before_ok = pos == 0 or not (text[pos - 1].isalnum() or text[pos - 1] in "'’-_")
                after_ok = end == n or not (text[end].isalnum() or text[end] in "-_")
                if before_ok and after_ok and not any(a < end and pos < b for a, b in taken):
                    out.append(Span("PERSON", pos, end, 0.75))
                pos = text.find(form, end)
    return out


def _in_record(text: str, pos: int) -> bool:
    """The line holding ``pos`` is a form field ("Régime : sans porc") or a table row."""
    ls = text.rfind("\n", 0, pos) + 1
    le = text.find("\n", pos)
    line = text[ls : le if le >= 0 else len(text)]
    return ":" in line[: pos - ls] or "\t" in line or line.count(";") >= 2 or line.count("|") >= 2


def _in_prose(text: str, pos: int) -> bool:
    """The line holding ``pos`` is running text: a sentence of several lower-case words.

    A lone capitalised word of a form, a table or a heading ("Employeur : Moreau",
    "Fait à Fournier, le …") is too rarely a name to pay for NER there.
    """
    ls = text.rfind("\n", 0, pos) + 1
    le = text.find("\n", pos)
    line = text[ls : le if le >= 0 else len(text)]
    if "\t" in line or line.count(";") >= 2 or line.count("|") >= 2:
        return False
    colon = line.rfind(":", 0, pos - ls)
    if colon >= 0:
        # a field's value is short; a headline's sentence after its topic
        # ("États-Unis : démission du conseiller de …") is running text
        line = line[colon + 1 :]
    return sum(1 for w in line.split() if w[:1].islower()) >= 6


def _windows(text: str, ambiguous: Sequence[Span]) -> list[tuple[int, int]]:
    """Merged windows: the candidate and :data:`NER_WORDS` words each side, on its line.

    spaCy's French NER sees a token through four convolution layers of one token each
    side, so it reads a name from about four tokens around it: six words each side
    (elisions and punctuation make more tokens than words) keep its reading of the
    candidate, while its cost follows the number of tokens it is given. On the ner-fr
    sentences, against the 80 characters each side used before: 35 % fewer characters
    for NER, PERSON F1 0.816 → 0.814, 0.943 → 0.942, 0.935 → 0.935; five words were
    level on the whole files but lost 0.004–0.005 on their first 400 sentences (Wikinews
    below plain Presidio there), seven cost 4 % more CPU for nothing. Words are cut at
    :data:`NER_WINDOW` characters each side (a URL or a base64 run is one "word").
    """
    out: list[tuple[int, int]] = []
    for a in sorted(ambiguous, key=lambda s: s.start):
        ls = text.rfind("\n", max(0, a.start - NER_WINDOW), a.start) + 1
        lo = ls if ls else _word_start(text, max(0, a.start - NER_WINDOW))
        le = text.find("\n", a.end, a.end + NER_WINDOW)
        hi = le if le >= 0 else _word_end(text, min(len(text), a.end + NER_WINDOW))
        lo = _words_back(text, a.start, max(lo, 0), NER_WORDS)
        hi = _words_forward(text, a.end, max(hi, a.end), NER_WORDS)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _words_back(text: str, pos: int, floor: int, n: int) -> int:
    """Start of the ``n``-th whitespace-separated word before ``pos``, not before ``floor``."""
    for _k in range(n):
        j = pos - 1
        while j >= floor and text[j].isspace():
            j -= 1
        if j < floor:
            break
        while j >= floor and not text[j].isspace():
            j -= 1
        pos = j + 1
    return pos


def _words_forward(text: str, pos: int, ceil: int, n: int) -> int:
    """End of the ``n``-th whitespace-separated word after ``pos``, not after ``ceil``."""
    for _k in range(n):
        j = pos
        while j < ceil and text[j].isspace():
            j += 1
        if j >= ceil:
            break
        while j < ceil and not text[j].isspace():
            j += 1
        pos = j
    return pos


_WS = re.compile(r"\s")


def _word_start(text: str, pos: int) -> int:
    if pos == 0:
        return 0
    m = _WS.search(text, pos)
    return m.end() if m else pos


def _word_end(text: str, pos: int) -> int:
    while pos > 0 and pos < len(text) and not text[pos].isspace():
        pos -= 1
    return pos if pos > 0 else len(text)


def _resolve(spans: list[Span], text: str = "") -> list[Span]:
    """Merge same-type overlaps; between types, the stronger identifier keeps the text.

    Special categories are words about a person, not identifiers: they never
    compete with the others.
    """
    merged: list[Span] = []
    by_type: dict[str, list[Span]] = {}
    for s in spans:
        by_type.setdefault(s.entity_type, []).append(s)
    for etype, group in by_type.items():
        group.sort(key=lambda s: (s.start, -s.end))
        cur = group[0]
        for s in group[1:]:
            if s.start < cur.end:
                cur = Span(etype, cur.start, max(cur.end, s.end), max(cur.score, s.score))
            else:
                merged.append(cur)
                cur = s
        merged.append(cur)
    persons = sorted((s.start, s.end) for s in merged if s.entity_type == "PERSON")
    pstarts = [p[0] for p in persons]

    def in_name(s: Span) -> bool:  # "GAY Olivier" is a surname, not an orientation
        i = bisect_right(pstarts, s.start)
        return i > 0 and persons[i - 1][1] >= s.end

    special = [s for s in merged if is_special(s.entity_type) and not in_name(s)]
    plain = sorted(
        (s for s in merged if not is_special(s.entity_type)),
        key=lambda s: (PRIORITY.get(s.entity_type, 99), -s.score, s.start),
    )
    kept: list[Span] = []  # non-overlapping, sorted by start
    starts: list[int] = []
    for s in plain:
        i = bisect_right(starts, s.start)
        if (
            s.entity_type == "PERSON"
        ):  # "né à Brest Jeanne DUPONT": the name goes on after the place
            s = _trim(text, s, kept[i - 1] if i > 0 else None, kept[i] if i < len(kept) else None)
        if i > 0 and kept[i - 1].end > s.start:
            continue
        if i < len(kept) and kept[i].start < s.end:
            continue
        kept.insert(i, s)
        starts.insert(i, s.start)
    return sorted(kept + special, key=lambda s: (s.start, s.end, s.entity_type))


def _trim(text: str, s: Span, left: Span | None, right: Span | None) -> Span:
    """``s`` without the part a stronger span on its left or right already holds.

    Only a cut at a space counts, and what is left must start with a capital.
    """
    start, end = s.start, s.end
    if left is not None and left.start <= start < left.end < end:
        if text[left.end : left.end + 1] not in (" ", "\u00a0"):
            return s
        start = left.end + 1
    if right is not None and start < right.start < end <= right.end:
        if text[right.start - 1 : right.start] not in (" ", "\u00a0"):
            return s
        end = right.start - 1
    if (start, end) == (s.start, s.end) or end - start < 2 or not text[start].isupper():
        return s
    return Span(s.entity_type, start, end, s.score)
