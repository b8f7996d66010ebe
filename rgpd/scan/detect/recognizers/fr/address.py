"""LOCATION (postal addresses): "12 bis, rue des Lilas 29200 Brest", "BP 12 - 75001 PARIS".

NER tags every town and street name as a place; what the GDPR cares about in
a file is where a person lives, i.e. postal addresses. A street line needs a
house number and a street type; a postcode followed by a capitalised town
closes it. A street name alone ("la rue de la Paix sera fermée") is not an
address.
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import SURE, ContextCue, Recognizer, near_digits, nocase
from rgpd.scan.detect.types import Span

STREET_TYPES = (
    "rue|avenue|av\\.?|bd|boulevard|bld|place|pl\\.|chemin|ch\\.|impasse|imp\\.|all[ée]e|route|rte|quai|"
    "cours|square|sq\\.|passage|sentier|voie|r[ée]sidence|r[ée]s\\.|lotissement|lot\\.|hameau|lieu[- ]dit|"
    "rond[- ]point|faubourg|fg|cit[ée]|esplanade|promenade|parvis|mont[ée]e|ruelle|traverse|villa|clos|"
    "domaine|venelle|sente|carrefour|port|za|zi|zac|zone|parc|chauss[ée]e|grande[- ]rue|grand[- ]rue|"
    "r\\.|ave|all\\.|quartier|mail|digue|cour|jardins?|terrasse|le bourg|bourg"
)
_CITY = (
    r"[A-ZÀ-ÖØ-Þ][\w'’\-]*(?:[ \-]+(?:[A-ZÀ-ÖØ-Þ][\w'’\-]*|sur|sous|l[eè]s|en|de|du|des|la|le|l'|d'|aux|et|Saint|Sainte))*"
    r"(?:\s+C[Ee][Dd][Ee][Xx](?:\s*\d{1,2})?)?"
)
_POSTCODE = r"(?:\d{5}|\d{2}\s\d{3}|2[AB]\d{3})"
# The street types' first letters, as IGNORECASE reads them: a class ahead of the
# alternation spares the engine its seventy branches after most numbers ("12 34", "3 ans").
_STREET_FIRST = nocase("".join(sorted({re.sub(r"\\.", "", t)[0] for t in STREET_TYPES.split("|")})))
_STREET = re.compile(
    r"([1-9](?<![\w.][1-9])(?<!\d,[1-9])\d{0,3}(?:[ ]?(?:bis|ter|quater|[A-Da-d])\b)?[ \u00a0]*,?[ \u00a0]+"
    rf"(?=[{_STREET_FIRST}])(?i:{STREET_TYPES})\b[ \t]*[^\n,;:()\d]{{1,60}}?)"
    r"(?=[ \t]*(?:[,;:()\n]|$|\d{5}|[ \t]{2}|\.|\s[-–]\s|\bBP\b|\bCS\b))"
    rf"(?:[ \t]*[,\-–]?[ \t]*(?:\n[ \t]*)?(?:(?:BP|CS|CP)[ \t]*\d{{1,6}}[ \t]*[,\-–]?[ \t]*(?:\n[ \t]*)?)?({_POSTCODE})[ \t]+({_CITY}))?",
)
# _POSTCODE once its first character is read (see _TOWN_ONLY)
_POSTCODE_TAIL = r"(?:(?<=\d)\d{4}|(?<=\d)\d\s\d{3}|(?<=2)[AB]\d{3})"
# Patterns start with a character class, look-behinds after it: the engine then
# skips fast to the characters a match can start with instead of trying every position.
_TOWN_ONLY = re.compile(
    r"([BC\d](?<![\w,.\-][BC\d])"
    rf"(?:(?:(?<=B)P|(?<=C)[SP])\s*\d{{1,6}}\s*[,\-–]?\s*{_POSTCODE}|{_POSTCODE_TAIL}))[ ]+([A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’\- ]+[A-ZÀ-ÖØ-Þ]|{_CITY})(?=[ \t]*(?:\n|$|,|;|\.|\)|\t))"
)
_RESIDENCE = ContextCue(
    r"\b(?:domicili\w*|demeurant|residant|habit\w*|adresse|resid\w*|vivant)\b", 60
)
# without a postcode, the street's name must look like one: "rue des Lilas", not "2 cours de chant"
_NAMED = re.compile(
    rf"(?i:{STREET_TYPES})\b[ \t]*(?:(?:de|du|des|d'|d’|la|le|les|l'|l’|aux?|à)[ \t]*)*[A-ZÀ-ÖØ-Þ0-9]"
)
_AMOUNT = re.compile(r"\d[\d  .]*,\d\d|€|eur\b", re.IGNORECASE)


class AddressRecognizer(Recognizer):
    entities = ("LOCATION",)
    priority = 70
    needs_digit = True

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        taken: list[tuple[int, int]] = []
        for m in near_digits(_STREET, text, 2, 160, min_len=1):
            start, end = m.start(1), m.end()
            if m.group(2) is None:
                if not _NAMED.search(m.group(1)):
                    continue
                end = m.end(1)
                score = SURE if _RESIDENCE.around(text, start, end) else 0.75
            else:
                score = SURE
            out.append(Span("LOCATION", start, end, score))
            taken.append((start, end))
        for m in near_digits(_TOWN_ONLY, text, 12, 80, min_len=5):
            start, end = m.start(1), m.end(2)
            if any(s <= start < e for s, e in taken):
                continue
            window = text[max(0, start - 15) : start]
            if _AMOUNT.search(window):
                continue
            score = SURE if _RESIDENCE.around(text, start, end) else 0.65
            out.append(Span("LOCATION", start, end, score))
        return out
