"""LOCATION: the place where a person lives or was born, named after a cue.

A town on its own is not personal data ("la réunion se tiendra à Brest");
"demeurant à Brest", "né le 3 mai 1950 à Quimper", "originaire de Lorient"
tie it to a person, the way a civil-status record or a court decision writes
it. So a place is reported only right after such a cue: residence ("habite
à", "demeurant", "domicilié(e) à", "réside à", "vit à"), birth ("né(e) à",
"né(e) le <date> à", "né en 1950 à") or origin ("originaire de"). Postal
addresses are :mod:`address`'s; a table's town column is :mod:`tabular`'s.
"""

from __future__ import annotations

import re

from rgpd.scan.detect.recognizers.base import Recognizer, finditer_at, nocase
from rgpd.scan.detect.types import Span

_UP = "A-ZÀ-ÖØ-Þ"
_E = "[eéÉE]"
_RESIDE = (
    rf"(?:habit(?:e|es|ent|ait|aient|ant|ants|ante|antes){_E}?|demeurant(?:e|s|es)?|demeur(?:e|ent|ait)|"
    rf"domicili{_E}(?:\(e\)|\(s\)|e|s|es)?|r{_E}sid(?:e|es|ent|ait|aient|ant|ante|ants)|"
    r"vi(?:t|vent|vait|vaient|vant|vre)|habiter|r[ée]sider|demeurer|"
    r"install[eé](?:\(e\)|e|s|es|r)?|(?:lives|lived|living|resides|resident)"
    r")"
)
_BIRTH = (
    rf"(?:n{_E}(?:\(e\)|e|s|es)?|born)"
    r"(?:[ \u00a0]+(?:le|en|vers|on|in)[ \u00a0]+[^\n,;:()]{1,30}?)?"
)
_ORIGIN = r"(?:originaire|natif|native|originaires)"
# "au bourg de Vignoc", "à la commune de Plélan", "originaire du village de Kerlouan"
_IN_PLACE = (
    r"(?:(?:la[ \u00a0]+)?(?:bourg|village|hameau|quartier|commune|ville|lieu-dit|cit[ée])"
    r"[ \u00a0]+(?:de|du|d['’])[ \u00a0]*)?"
)
_PREP = (
    r"(?:[ \u00a0]+(?:actuellement|d[ée]sormais|aujourd'hui|toujours|encore|depuis[ \u00a0]+\d{4}))?"
    r"[ \u00a0]+(?:à|a|au|aux|en|in|at)[ \u00a0]+" + _IN_PLACE
)
# A town is one word, hyphens included ("Saint-Étienne-du-Rouvray"); a second
# capitalised word after a space only behind an article or a place word ("La
# Rochelle", "Saint Malo", "New York", "Sri Lanka") or a lower-case particle
# ("Châlons en Champagne"): otherwise the next word is more often a name
# ("né à Brest Jeanne DUPONT").
_LEAD = r"(?:La|Le|Les|L['’]|Saint|Sainte|St|Ste|Mont|Port|Fort|New|Los|Las|San|Santa|Sri|Costa|Puerto|El|Al|Notre|Val|Bois|Pont|Bourg|Villeneuve|Grand|Petit|Haute|Basse)"
_WORD = rf"[{_UP}][\w'’]*(?:-[\w'’]+)*"
_PLACE = (
    rf"(?:(?:la|le|les|l['’])[ \u00a0]*)?(?P<place>(?:{_LEAD}[ \u00a0]+)?{_WORD}"
    rf"(?:[ \u00a0]+(?:sur|sous|en|lès|lez|les|de|du|des|la|le|l['’]|d['’])[ \u00a0]*{_WORD})?"
    r"(?:[ \u00a0]*\((?:[\w'’\- ]{2,30}|\d{2,3})\))?)"
)
CUE_PLACE = re.compile(
    rf"(?<![\w-])(?:(?i:{_RESIDE}){_PREP}|(?i:{_BIRTH}){_PREP}|(?i:{_ORIGIN})[ \u00a0]+(?:de|du|des|d['’])[ \u00a0]*{_IN_PLACE})"
    + _PLACE
)


def _starts() -> re.Pattern[str]:
    """Where :data:`CUE_PLACE` can start: a word opening with one of its cues' first letters.

    CUE_PLACE opens with a look-behind and its cues are matched ignoring case,
    so the engine would try it at every position of the text; this scan skips
    fast to the few words that open like a cue ("hab", "dem", "dom", "rés",
    "vit"/"viv", "ins", "liv", "né", "bor", "ori", "nat"), the same look-behind
    holding.
    """
    first = nocase("bdhilnorv")
    heads = {
        "h": "ab", "d": "[eo]m", "r": "[eé]s", "v": "i[tv]", "i": "ns", "l": "iv",
        "n": "[eé]|at", "b": "or", "o": "ri",
    }  # fmt: skip

    def cls(part: str) -> str:
        # each letter, or each bracketed set of letters, as its IGNORECASE class
        return "".join(f"[{nocase(c.strip('[]'))}]" for c in re.findall(r"\[[^]]+\]|.", part))

    branches = "|".join(
        f"(?<=[{nocase(c)}])(?:{'|'.join(cls(alt) for alt in tail.split('|'))})"
        for c, tail in heads.items()
    )
    return re.compile(rf"[{first}](?<![\w-][{first}])(?={branches})")


_STARTS = _starts()
#: first words that make the "place" a date, a time or a street, not a town
_NOT_PLACE = frozenset(
    {"Le", "La", "Les", "Il", "Elle", "Ils", "Un", "Une", "Ce", "Cette", "En", "Au", "Aux", "Rue"}
)


# the list goes on: "vit à Djibouti, en Éthiopie et en Somalie"
_MORE = re.compile(
    r"[ \u00a0]*(?:,|et|ou)[ \u00a0]*(?:et[ \u00a0]+)?(?:à|au|aux|en)[ \u00a0]+" + _PLACE
)


class ResidenceRecognizer(Recognizer):
    """Places of residence or birth after a cue ("demeurant à Lyon", "née à Brest")."""

    entities = ("LOCATION",)
    priority = 71

    def find(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in finditer_at(CUE_PLACE, text, _STARTS):
            words = m.group("place").split()
            if len(words) == 1 and words[0] in _NOT_PLACE:
                continue
            out.append(Span("LOCATION", m.start("place"), m.end("place"), 0.85))
            pos = m.end()
            while (more := _MORE.match(text, pos)) is not None:
                out.append(Span("LOCATION", more.start("place"), more.end("place"), 0.85))
                pos = more.end()
        return out
