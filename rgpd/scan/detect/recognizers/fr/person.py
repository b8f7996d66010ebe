"""PERSON: names written the way French administration writes them.

NER alone misses "DUPONT Jeanne" (it reads the capitals as a place) and tags
"Conseil Municipal" as a person; it is also the slowest part of a scan. So
names are first found by cheap cues, each a generic habit of French
paperwork rather than a template:

* a civility before the name: "M.", "Mme", "Madame", "Dr", "Me", with
  "veuve", "épouse", "née" ("Mme veuve LEFEBVRE"); a lower-case article after
  it is a title, not a name ("Monsieur le Maire");
* a surname in capitals next to a capitalised word ("DUPONT Jeanne",
  "Jean-Pierre MARTIN", "J. DURAND");
* a known first name followed by a capitalised word ("Jeanne Dupont"), unless
  a street or building type comes first ("rue Victor Hugo", "école Jules Ferry");
* a form label: "Nom :", "Prénom :", "Demandeur :", "De :" in mail headers;
* a greeting with a first name ("Bonjour Sophie,").

What none of these settles (two capitalised words nobody knows, a lone
surname in capitals) is returned as *ambiguous*: the standard depth asks
NER about those few windows only, the deep depth runs NER everywhere.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rgpd.scan.detect.recognizers.base import Recognizer
from rgpd.scan.detect.recognizers.fr.lexicon import (
    WORD_CACHE,
    is_common,
    is_first_name,
    is_french_first_name,
    is_territory,
    is_word_form,
    key,
    preload_word_forms,
)
from rgpd.scan.detect.text import after_determiner, before, fold, is_clause_start, quoted_title
from rgpd.scan.detect.types import Span

# Latin Extended (Ş, Ł, Ũ, ệ...) is in both classes: names from every language
_EXT = "\u0100-\u024f\u1e00-\u1eff"
_UP = "A-ZÀ-ÖØ-Þ" + _EXT
# "Lәtif", "Məmmədov": the schwa of Azerbaijani names, in its IPA or Cyrillic form
_LO = "a-zà-öø-ÿß" + _EXT + "\u0250-\u02af\u04d9"
# "McCoy", "MacLeod", "LeBron", "DiCaprio", "DuBois": a capital inside a name, after
# the prefixes that carry one (not any camel case: "PowerPoint", "YouTube" are brands)
_CAMEL = rf"(?:(?<=Mc|ac|Le|La|De|Di|Du)[{_UP}][{_LO}]+)?"
_TITLE = rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+{_CAMEL}(?:[-'’][{_UP}]?[{_LO}]+)*"
_UPPER = rf"(?:[{_UP}]['’])?[{_UP}]{{2,}}(?:[-'’][{_UP}]{{2,}})*"
_INITIAL = rf"[{_UP}]\.(?:-?[{_UP}][{_LO}]?\.)?"
# "Al. Freudenreich", "Ch. Martin": a two-letter abbreviation of a first name
_INITIAL2 = rf"[{_UP}][{_LO}]\.(?=[ \u00a0]+[{_UP}])"
_TOKEN = rf"(?:{_INITIAL2}|{_UPPER}|{_TITLE}|{_INITIAL})(?![\w@])"
_PARTICLE = r"(?:de|du|des|d['’]|le|la|van|von|der|den|ben|bin|el|al|da|dos|das|di|del|della|ter)"
_GAP = rf"(?:[ \u00a0]+|(?:[ \u00a0]+{_PARTICLE}){{1,2}}[ \u00a0]+|[ \u00a0]+d['’])"
# the first token is spelled out so that the pattern starts with a character class
# (the regex engine then skips non-capitals fast); the look-behind comes after it
_FIRST = rf"[{_UP}](?:(?<![\w@.'’\-].)|(?<=(?<![\w'’])[dlDL]['’].)|(?<=(?<!\w)[qQ]u['’].))(?:['’](?=[{_UP}]{{2}}|[{_UP}][{_LO}]))?(?:[{_UP}]+(?:[-'’][{_UP}]{{2,}})*|[{_LO}]\.(?:-?[{_UP}][{_LO}]?\.)?(?=[ \u00a0]+[{_UP}])|[{_LO}]+{_CAMEL}(?:[-'’][{_UP}]?[{_LO}]+)*|\.(?:-?[{_UP}][{_LO}]?\.)?)(?![\w@])"
CHAIN = re.compile(rf"{_FIRST}(?:{_GAP}(?:{_TOKEN})){{0,5}}")
_TOKEN_RE = re.compile(_TOKEN)
_WORD = re.compile(r"[^\s]+")
_PARTICLE_RE = re.compile(rf"^{_GAP}$")

CIVILITIES = frozenset(
    [
        "m",
        "mm",
        "mr",
        "mrs",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "madame",
        "monsieur",
        "mademoiselle",
        "messieurs",
        "mesdames",
        "dr",
        "docteur",
        "me",
        "maitre",
        "pr",
        "professeur",
    ]
)
# "Mme veuve LEFEBVRE", "M. et Mme DUPONT", "Jeanne MARTIN épouse DURAND"
# the word right before a name that makes it a person's: "Mme veuve LEFEBVRE",
# "M. et Mme DUPONT", "née DURAND", "le brigadier-chef LE GALL"
_CIVIL_WORDS = frozenset(
    [
        "m",
        "mm",
        "mr",
        "mrs",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "madame",
        "monsieur",
        "mademoiselle",
        "dr",
        "docteur",
        "me",
        "maitre",
        "pr",
        "professeur",
        "veuve",
        "vve",
        "epouse",
        "ep",
        "nee",
        "divorcee",
        "brigadier",
        "brigadier-chef",
        "gardien",
        "gardienne",
        "agent",
        "lieutenant",
        "capitaine",
        "commandant",
        "adjudant",
        "adjudant-chef",
        "sergent",
        "gendarme",
        "policier",
        "policiere",
        "major",
        "infirmier",
        "infirmiere",
        "educateur",
        "educatrice",
        "temoin",
        "collegue",
    ]
)
# A function or title right before a name marks it, with up to two qualifiers
# ("le juge d'instruction X", "l'inspecteur de police Y", "l'ailier brésilien Z",
# "M. le syndic X"); matched on the folded window, the qualifiers checked in
# lower case on the raw text (a capitalised word there is a place or a body:
# "le maire de Rennes").
_FUNCTIONS = (
    r"juge|president|presidente|vice-presidente?|greffiere?|procureure?|substitut|avocate?|batonnier|"
    r"notaire|huissier|magistrate?|conseillere?|rapporteure?|commissaire|inspecteur|inspectrice|"
    r"brigadier(?:-chef)?|agente?|gendarme|policiere?|lieutenant|capitaine|commandant|colonel|general|"
    r"generale|marechal|amiral|sergent|caporal|adjudant(?:-chef)?|major|maire|adjointe?|directeur|"
    r"directrice|deleguee?|secretaire|ministre|deputee?|senateur|senatrice|prefete?|sous-prefete?|"
    r"syndic|recteur|rectrice|ambassadeur|ambassadrice|consul|chanceliere?|roi|reine|prince|princesse|"
    r"duc|duchesse|comte|comtesse|baron|baronne|marquis|marquise|lord|lady|sir|pape|cardinal|eveque|"
    r"archeveque|abbe|pasteur|rabbin|imam|cure|monseigneur|mgr|entraineur|entraineuse|selectionneur|"
    r"ailier|attaquante?|defenseur|joueur|joueuse|pilote|coureur|coureuse|chanteur|chanteuse|acteur|"
    r"actrice|realisateur|realisatrice|ecrivaine?|romanciere?|poete|peintre|compositeur|compositrice|"
    r"journaliste|photographe|chercheur|chercheuse|historienne?|dirigeante?|opposante?|militante?|"
    r"porte-parole|pdg|chef|cheffe|patron|patronne|fondateur|fondatrice|candidate?|temoin|victime|"
    r"accusee?|prevenue?|suspecte?|condamnee?|requerante?|plaignante?|appelante?|intimee?|experte?|"
    r"medecin|docteure?|professeure?|infirmiere?|chirurgien|chirurgienne|sieur|dame|dite?|"
    r"surnommee?|nommee?|denommee?|prenommee?|epoux|veuve|epouse|nee|femme|mari|fils|fille|jeune|"
    r"chauffeur|mecanicien|cultivateur|cultivatrice|ouvriere?|facteur|cocher|matelot|soldat|canonnier|"
    r"nageur|nageuse|boxeur|lutteur|catcheur|cycliste|footballeur|footballeuse|skieur|skieuse|"
    r"navigateur|navigatrice|alpiniste|gardienne?|cantonnier|concierge|comedienne?|musicienne?|"
    r"heritiere?|pere|mere|frere|soeur|s\u0153ur|cousine?|oncle|tante|neveu|niece|grand-pere|grand-mere|enfant"
)
_TITLE_BEFORE = re.compile(
    rf"(?:^|[^\w-])(?:{_FUNCTIONS})(?P<qual>(?:[ \u00a0]+(?:de|d'|du|des)[ \u00a0]*(?!la\b|le\b|l'|un\b|une\b)[a-z][a-z-]+)?"
    r"(?:[ \u00a0]+(?!de\b|du\b|des\b|la\b|le\b|les\b|et\b|a\b|au\b|aux\b|en\b|par\b|pour\b|sur\b|dans\b|chez\b|vers\b)[a-z][a-z-]+){0,2})"
    r"[ \u00a0]*,?[ \u00a0]+$"
)
# "M. le syndic X", "Mme la directrice Y": a civility, an article, a lower-case function
_CIVIL_FUNCTION = re.compile(
    r"(?:^|\W)(?:m|mm|mme|mmes|mlle|monsieur|madame|mademoiselle)\.?[ \u00a0]+(?:le|la|l')[ \u00a0]*"
    r"(?P<qual>[a-z][a-z-]+(?:[ \u00a0]+(?:de|d')?[ \u00a0]*[a-z][a-z-]+){0,2})[ \u00a0]*,?[ \u00a0]+$"
)
# a plural civility or function opens a list: "MM. Roux, Petit et Lambert", "les époux Morel"
# (the word boundary is tested after the first letter, "M(?<!\wM)" for "\bM": the engine
# then skips to the letters M, L and l at C speed instead of trying every position)
_PLURAL = re.compile(
    r"(?:M(?<!\wM)(?:M\.?|mes\.?|lles\.?|essieurs|esdames)|[Ll](?<!\w[Ll])es (?:[ée]poux|consorts|juges|"
    r"docteurs|ma[îi]tres|sieurs|nomm[ée]s|d[ée]nomm[ée]s|fr[èe]res|s[œo]e?urs|requ[ée]rants|pr[ée]venus|"
    r"accus[ée]s|avocats|conseillers|t[ée]moins|agents|inspecteurs|familles))[ \u00a0]+"
)
# any function of the list above in the plural, in lower case, before a capital: "les
# ministres X et Y", "des adjoints X, Y et Z", "les deux avocates X et Y" (not "la scène
# des Soldats X": a capitalised function belongs to a title)
_PLURAL_HEAD = re.compile(
    r"\b(?:[Ll]es|[Dd]es|[Cc]es|[Aa]ux|[Ll]eurs|[Ss]es|[Nn]os)[ \u00a0]+"
    r"(?:(?:deux|trois|quatre|cinq)[ \u00a0]+)?"
    rf"(?P<function>[a-zà-öø-ÿœ][a-zà-öø-ÿœ-]+[sx])[ \u00a0]+(?=[{_UP}])"
)
#: What every match of ``_PLURAL_HEAD`` holds: the plural's last letter, spaces, a capital.
#: Four texts in five of prose have none, and this scan, unlike the full pattern's (a word
#: boundary first: tried at every position), skips to the letters at C speed.
_PLURAL_HEAD_HINT = re.compile(rf"[sx][ \u00a0]+[{_UP}]")
_LIST_SEP = re.compile(
    r"[ \u00a0]*(?:,|;|\bet\b|\bou\b|\band\b|&)[ \u00a0]*(?:(?:et|and)[ \u00a0]+)?"
)


_FUNCTION_WORD = re.compile(rf"(?:{_FUNCTIONS})")
_CIVIL_HEADS = frozenset(
    {"m.", "mm.", "mme", "mmes", "mlle", "monsieur", "madame", "mademoiselle", "m"}
)


@lru_cache(maxsize=WORD_CACHE)
def _names_a_function(word: str) -> bool:
    """``word`` (as split from the text) is a function or a civility: "juge", "l'avocate", "Mme".

    A pure function of the word, asked of the last five words before nearly
    every capitalised word of a text: kept per word.
    """
    w = word.lower().rsplit("'", 1)[-1].rsplit("’", 1)[-1].rstrip(",")
    return _FUNCTION_WORD.fullmatch(fold(w)) is not None or w in _CIVIL_HEADS


def _cue_before(text: str, start: int) -> bool:
    """A civility, a title, an OCR-read civility or "la famille" right before ``start``."""
    return (
        _last_word(before(text, start, 30)) in _CIVIL_WORDS
        or _title_before(text, start)
        or bool(_OCR_CIVILITY.search(text, max(0, start - 5), start))
        or _family_before(text, start)
    )


def _title_before(text: str, start: int) -> bool:
    """A function or title (possibly after a civility) stands right before ``start``."""
    lo = max(0, start - 60)
    raw = text[lo:start]
    # cheap test first: the name follows a space (or a comma) after a lower-case word
    if not raw or raw[-1] not in " \u00a0,":
        return False
    words = raw.rsplit(None, 5)  # the last five words (and what precedes them, in one piece)
    if not words or not words[-1].rstrip(",").replace("'", "").replace("’", "").isalpha():
        return False
    if not words[-1][-1:].islower() and not words[-1].endswith(","):
        return False
    # a function word or a civility among the last words, before any regular expression
    for w in words[-5:]:
        if _names_a_function(w):
            break
    else:
        return False
    folded = fold(raw)
    for rx in (_TITLE_BEFORE, _CIVIL_FUNCTION):
        m = rx.search(folded)
        if m is not None and not any(c.isupper() for c in raw[m.start("qual") : m.end("qual")]):
            return True
    return False


# "la famille Keegan", "de sa famille Morel": a family is named after its surname (not
# "une famille Rom": after an indefinite article the word is more often an origin)
_FAMILY_BEFORE = re.compile(
    r"(?:^|[^\w'])(?:la|sa|leur|notre|votre|[dl]')[ \u00a0]*famille[ \u00a0]+$"
)


def _family_before(text: str, start: int) -> bool:
    """ "la famille" right before ``start``; the word itself is looked for first (a C
    substring search: the pattern, anchored at the window's end, is tried at every
    position of it)."""
    window = before(text, start, 20)
    return "famille" in window and _FAMILY_BEFORE.search(window) is not None


# a superscript "Me" or "Mme" read by OCR: "M* Durand", "M» Durand", "M "Durand", "M0 Durand"
_OCR_CIVILITY = re.compile(r"(?<!\w)M[ \u00a0]?[*\"»°0][ \u00a0]?$")
# "DURAND (Jeanne)", "Morel (Louis-Marie)": a surname, then its first names in brackets
_NAME_BRACKET = re.compile(
    rf"(?P<name>{_UPPER}|{_TITLE})[ \u00a0]*\((?P<first>[{_UP}][{_LO}{_UP}'’\- ,]{{1,40}})\)"
)

_GREETINGS = frozenset(["bonjour", "bonsoir", "cher", "chere", "salut", "coucou", "merci", "hello"])
# a name right after these is the name of a place or a building ("rue Victor Hugo")
_PLACE_WORDS = frozenset(
    [
        "rue",
        "avenue",
        "av",
        "bd",
        "boulevard",
        "place",
        "chemin",
        "impasse",
        "allee",
        "quai",
        "square",
        "cours",
        "route",
        "voie",
        "ecole",
        "college",
        "lycee",
        "scolaire",
        "salle",
        "residence",
        "gymnase",
        "stade",
        "centre",
        "espace",
        "parc",
        "jardin",
        "hopital",
        "clinique",
        "bibliotheque",
        "mediatheque",
        "fondation",
        "prix",
        "pont",
        "port",
        "cite",
        "foyer",
        "maison",
        "ehpad",
        "creche",
        "complexe",
        "halle",
        "piscine",
        "theatre",
        "musee",
        "institut",
        "universite",
        "lotissement",
        "hameau",
        "passage",
        "promenade",
        "esplanade",
        "parvis",
        "quartier",
        "station",
        "metro",
        "gare",
        "aeroport",
        "eglise",
        "chapelle",
        "saint",
        "sainte",
        "st",
        "ste",
        # a name after these is a firm's, a brand's or a ship's
        "entreprise",
        "societe",
        "ets",
        "etablissements",
        "cabinet",
        "agence",
        "magasin",
        "restaurant",
        "hotel",
        "garage",
        "club",
        "association",
        "compagnie",
        "vehicule",
        "marque",
        "modele",
        "paquebot",
        "navire",
        "bateau",
        # a name after these is a place's: "le bois de la Gruerie", "la commune de Vitré"
        # (not "vallee", "riviere", "mont": surnames too, and the window is folded)
        "bois",
        "foret",
        "fleuve",
        "village",
        "commune",
        "canton",
        "departement",
        "region",
        "province",
    ]
)
# a lone word after these is a place ("dans Steinbach", "vers Lisieux", "en Moselle"), not a name
_PLACE_PREPOSITIONS = frozenset(["dans", "aux", "vers", "en", "jusqu'a", "depuis"])
_ARTICLES = frozenset({"de", "la", "du", "des", "d'", "l'", "de la", "le"})


def _last_word(window: str) -> str:
    """The word the window ends with, if a space separates it from what follows."""
    if not window or not window[-1].isspace():
        return ""
    parts = window.rsplit(None, 1)  # the last word only, not a list of all of them
    return parts[-1].strip(".,;:()") if parts else ""


# a word between a place noun and the name that ends the place's phrase: "la deuxième
# place derrière X", "mise en place par X", "le prix pour X" name a person, not a place
_NOT_PLACE_QUALIFIER = frozenset(
    [
        "par",
        "derriere",
        "devant",
        "pour",
        "avec",
        "contre",
        "selon",
        "sans",
        "chez",
        "entre",
        "face",
        "apres",
        "avant",
        "sous",
        "envers",
        "comme",
        "et",
        "ou",
        "mais",
        "que",
        "qui",
        "dont",
    ]
)


_OF = re.compile(r"(?:^|\s)(?P<noun>[\w-]+)\s+(?:de\s+|d')$")


def _is_place(window: str, first_name: bool = False) -> bool:
    """The folded window ends with a place noun, maybe one qualifier after it ("rue Haute").

    With ``first_name`` (the words start with a first name), "de" or "d'" after the
    place noun makes it a person's place, not a place's name: "la maison de Jeanne
    Morel", "le cabinet d'Hélène Roux" name a person ("rue Jeanne Morel" does not
    take "de"; "la maison du Peuple" has no first name).
    """
    if first_name and (of := _OF.search(window)) and of.group("noun") in _PLACE_WORDS:
        return False  # not "le parc national de Bryce Canyon": a qualifier names the place
    # the last two words after the articles decide: the others are not stripped
    words = window.replace("'", "' ").split()
    n = len(words)
    while n and words[n - 1].strip(".,;:()") in _ARTICLES:
        n -= 1
    if not n:
        return False
    last = words[n - 1].strip(".,;:()")
    return last in _PLACE_WORDS or (
        n > 1 and words[n - 2].strip(".,;:()") in _PLACE_WORDS and last not in _NOT_PLACE_QUALIFIER
    )


# "mon voisin, Sabina Moles", "sa compagne Tiziana": a relative or neighbour is a person
_RELATION_BEFORE = re.compile(
    r"\b(?:mon|ma|son|sa|leur|notre|votre|le|la|du|de la)\s+(?:voisin|voisine|compagne|compagnon|conjoint|conjointe|"
    r"epoux|epouse|mari|femme|fils|fille|pere|mere|frere|soeur|ami|amie|collegue|cousin|cousine|oncle|tante|fiance|fiancee|"
    r"grand-mere|grand-pere|beau-frere|belle-soeur|petit-fils|petite-fille|neveu|niece|concubin|concubine|"
    r"locataire|proprietaire|bailleur|employeur|salarie|salariee)(?:\s+[\w'-]+){0,3}?\s*,?\s*$"
)
# "Nom : DUPONT", "Prénom(s) : Jeanne", "De : Jeanne Dupont <...>", "Responsable légal 1 : ..."
_LABEL_KEY = re.compile(
    r"(?i)(?:(?P<explicit>nom(?:\s+et\s+pr[ée]noms?|\s+de\s+naissance|\s+d['’]usage|\s+de\s+famille|"
    r"\s+marital|\s+complet|\s+de\s+l['’]\w+|\s+du\s+\w+|\s+de\s+la\s+\w+)?|pr[ée]noms?(?:\s+de\s+l['’]\w+|\s+du\s+\w+)?|"
    r"nom\s*[/,]\s*pr[ée]noms?|pr[ée]noms?\s*[/,]\s*nom|identit[ée](?:\s+de\s+l['’]\w+)?)"
    r"|(?P<role>demandeu(?:r|se)|b[ée]n[ée]ficiaire|repr[ée]sentant\s+l[ée]gal|responsable\s+l[ée]gal(?:\s*\d)?|"
    r"parent\s*\d?|p[èe]re|m[èe]re|enfant|[ée]l[èe]ve|agent|candidat|candidate|signataire|locataire|"
    r"propri[ée]taire|d[ée]clarant|p[ée]titionnaire|requ[ée]rant|destinataire|exp[ée]diteur|"
    r"interlocut(?:eur|rice)|r[ée]f[ée]rent|contact|conjoint|[ée]poux|[ée]pouse|tut(?:eur|rice)|"
    r"usager|patient|victime|t[ée]moin|auteur|int[ée]ress[ée]e?|de|à|cc|from|to|signé|sign[ée]\s+par|"
    r"personnes?\s+(?:autoris[ée]es?|à\s+pr[ée]venir|à\s+contacter)[^:\n]{0,40}|contact\s+d['’]urgence))"
    r"[ \t]*(?:\([^)\n]{0,30}\))?[ \t]*"
)
_LABEL_VALUE = re.compile(
    r"[ \t]*(?:(?:M\.|Mme|Mlle|Madame|Monsieur|Mademoiselle|Dr)[ \t]+)?"
    rf"(?P<value>[{_UP}{_LO}'’\-]+(?:[ \t][{_UP}{_LO}'’\-]+){{0,4}})"
)
_LINE_BREAK = re.compile(r"[ \t]*\r?\n")
# what opens a field: line start, a cell separator, a bullet, or a run of spaces
_FIELD_START = re.compile(r"(?:\n|\t|\||;|  )[ \t]*(?:[-*•][ \t]*)?")
# "Cohen S.A.", "Moulin et Fils": a company, not a person
_COMPANY_AFTER = re.compile(
    r"[ \t]*(?:S\.?A\.?S?\.?U?|S\.?A\.?R\.?L\.?|E\.?U\.?R\.?L\.?|SCI|SNC|SCOP|SELARL|GIE|et [Ff]ils|& [Ff]ils|et [Aa]ssoci[ée]s|"
    r"Solicitors|Department|Magistrates|Ltd|Limited|Inc|LLP|PLC|plc|Associates|& Co|& Partners|Partners|Council|"
    r"Courts?|Company|Corporation|Group|Groupe|Trust|Bank|Banque|Holding|Consulting|Conseil|Avocats|Notaires|"
    r"Entertainment|Records|Racing|Cinema|Pictures|Studios?|Productions|Brothers|Airlines|Motors)(?![\w])"
)
# a title written with a capital, leading a run: "Lord Keegan", "Président Karimov", "Sir John Smith"
_TITLE_TOKENS = frozenset(
    [
        "lord",
        "lady",
        "sir",
        "dame",
        "judge",
        "justice",
        "president",
        "presidente",
        "colonel",
        "capitaine",
        "commandant",
        "lieutenant",
        "juge",
        "inspecteur",
        "inspector",
        "detective",
        "sergeant",
        "sergent",
        "officer",
        "mgr",
        "monseigneur",
        "pape",
        "cardinal",
        "senator",
        "senateur",
        "senatrice",
        "depute",
        "deputee",
        "ministre",
        "maire",
        "mayor",
        "king",
        "queen",
        "prince",
        "princesse",
        "roi",
        "reine",
        "baron",
        "baronne",
        "comte",
        "comtesse",
        "duc",
        "duchesse",
        "marechal",
        "amiral",
        "abbe",
        "imam",
        "rabbin",
        "pasteur",
    ]
)
# a name alone on the line after a closing formula or a signatory's title
_CLOSING = re.compile(
    r"^(?:(?:bien |tres )?cordialement|(?:sinceres |meilleures |bien )?salutations[^\n]*|bien a vous|respectueusement|"
    r"(?:pour )?(?:le|la|l') ?(?:maire|president|presidente|adjoint\w*|directeur\w*|directrice\w*|secretaire\w*|"
    r"conseill\w+|responsable|chef|agent\w*|gestionnaire|charge\w*)[^\n]*|(?:le|la) signataire)\W*$"
)
# "Présents : M. X, Mme Y", "Copie à : ..." — every item of the list is a person
_LIST_LABEL = re.compile(
    r"^[ \t]*(?:(?:etaient |membres )?presents?|absents?(?: excuses?)?|excuses?|participants?|"
    r"destinataires?|copies? (?:a|pour)|diffusion|pouvoirs?|procurations?|assistaient|invites?)\b[^:\n]{0,25}:"
)
# words that open the next field of a form, never part of a name
_LABEL_WORDS = frozenset(
    [
        "nom",
        "noms",
        "prenom",
        "prenoms",
        "ne",
        "nee",
        "nes",
        "date",
        "dates",
        "adresse",
        "tel",
        "telephone",
        "portable",
        "mobile",
        "email",
        "courriel",
        "mail",
        "classe",
        "ecole",
        "age",
        "sexe",
        "lieu",
        "profession",
        "service",
        "employeur",
        "situation",
        "matricule",
        "numero",
        "n",
        "no",
    ]
)
_PARTICLES = frozenset(
    {
        "le",
        "la",
        "de",
        "du",
        "des",
        "da",
        "di",
        "van",
        "von",
        "el",
        "al",
        "ben",
        "d'",
        "del",
        "della",
        "dos",
    }
)


@dataclass(frozen=True, slots=True)
class _Info:
    """What a capitalised word is, computed once per distinct word."""

    key: str
    upper: bool
    initial: bool
    first: bool
    common: bool
    acronym: bool
    particle: bool
    civility: bool


_INFO: dict[str, _Info] = {}


def info(word: str) -> _Info:
    got = _INFO.get(word)
    if got is None:
        if len(_INFO) > 100_000:
            _INFO.clear()
        k = key(word)
        letters = [c for c in word if c.isalpha()]
        initial = word.endswith(".") and len(word) <= 5
        if initial and len(letters) == 2 and "-" not in word:  # "St.", "Bd." are no initials
            initial = not is_common(word) and k not in CIVILITIES
        upper = not initial and len(letters) >= 2 and all(c.isupper() for c in letters)
        flat = k.replace("-", "")
        # "Saint-Pierre-des-Corps", "Oliveira-la-Forêt": a lower-case inner part makes a place
        place = "-" in word and any(p.islower() for p in word.split("-")[1:])
        got = _INFO[word] = _Info(
            key=k,
            upper=upper,
            initial=initial,
            first=not initial and is_first_name(word),
            common=place or is_common(word),
            acronym=upper and len(flat) <= 4 and not any(v in flat for v in "aeiouy"),
            particle=k in _PARTICLES,
            civility=k in CIVILITIES,
        )
    return got


class Token:
    """A capitalised word of a chain, with what it is (looked up once)."""

    __slots__ = ("end", "info", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.info = info(text)

    @property
    def upper(self) -> bool:
        return self.info.upper

    @property
    def initial(self) -> bool:
        return self.info.initial


#: Score of a lone capitalised word inside a sentence, not known as a first name:
#: below the threshold, so only NER (standard, deep) can make it a name.
LONE_SCORE = 0.35
#: Score of words that only open an NER window at standard depth (NER's own names
#: there count; the words themselves are never reported).
WINDOW_ONLY = 0.36
#: Score of a word in capitals beside an unknown capitalised word ("DURAND Kelyan",
#: "FLOTTE Arrivée"): below the threshold, NER (standard, deep) settles it.
MIXED_SCORE = 0.45


@dataclass(frozen=True, slots=True)
class PersonFindings:
    """Names the cues settle, and the spans only NER can settle."""

    sure: list[Span]
    ambiguous: list[Span]


def _split(tokens: list[Token], gaps: list[str]) -> list[list[Token]]:
    """Cut a chain at common words and acronyms ("Conseil Municipal de Brest").

    A piece that a particle opens right after a common word names a place
    ("MAIRIE DE GEORGES", "Ville de Paris") and is dropped. A capitalised
    common word right after a first name is a surname ("Emmanuel RIVIÈRE").
    """
    pieces: list[list[Token]] = []
    cur: list[Token] = []
    after_common = False
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        inf = tok.info
        if inf.particle:
            j = i + 1
            while j <= last and tokens[j].info.particle:
                j += 1
            if j <= last and not tokens[j].info.common:
                if not cur and after_common:
                    cur = []
                    continue
                cur.append(tok)
                continue
        prev = cur[-1].info if cur else None
        surname = (
            inf.upper and prev is not None and (prev.initial or (prev.first and not prev.upper))
        )
        if (inf.common or inf.acronym) and not inf.first and not inf.initial and not surname:
            if cur:
                pieces.append(_strip_particles(cur))
            cur = []
            after_common = True
            continue
        if not cur and after_common and inf.particle:
            continue
        cur.append(tok)
        after_common = False
    if cur:
        pieces.append(_strip_particles(cur))
    return [p for p in pieces if p]


def _strip_particles(piece: list[Token]) -> list[Token]:
    while piece and piece[-1].info.particle:
        piece = piece[:-1]
    return piece


# an English honorific inside a run starts a new name: "G.H. THUNE Sir Basil HALL"
# (not "Dame": "Notre Dame de Paris")
_HONORIFICS = frozenset({"sir", "lord", "lady"})
#: Most tokens a CHAIN match holds (its first token and ``{0,5}`` more).
_CHAIN_MAX = 6


def _token_runs(text: str) -> Iterator[list[Token]]:
    """The runs of capitalised words of ``text``, as tokens.

    A chain stops after six words; a run longer than that (judges listed without
    commas: "E. BUSUTTIL A. WEITZEL J.C. SOYER H.G. SCHERMERS") goes on in the next
    match, one space further, and is joined back so that no name is cut in two.
    """
    held: list[Token] = []
    for m in CHAIN.finditer(text):
        raw = m.group()
        if held and text[held[-1].end : m.start()] not in (" ", "\u00a0"):
            yield held
            held = []
        if " " not in raw and "\u00a0" not in raw:
            inf = info(raw)
            # the common case, a lone capitalised word of ordinary French
            if (inf.common or inf.acronym or inf.civility) and not inf.first and not held:
                continue
            tokens = [Token(raw, m.start(), m.end())]
        else:
            base = m.start()
            tokens = [
                Token(t.group(), base + t.start(), base + t.end()) for t in _TOKEN_RE.finditer(raw)
            ]
        if held:
            tokens, held = held + tokens, []
        if len(tokens) % _CHAIN_MAX == 0:
            held = tokens  # the chain may go on in the next match
        else:
            yield tokens
    if held:
        yield held


def _middle_initial(tokens: list[Token], i: int) -> bool:
    """ "M." between a first name and a surname is a middle initial, not "Monsieur"."""
    prev = tokens[i - 1].info
    return (
        tokens[i].text == "M."
        and prev.first
        and not prev.upper
        and i + 1 < len(tokens)
        and not tokens[i + 1].initial
    )


def _next_initialled_name(tokens: list[Token], i: int) -> bool:
    """Token ``i`` is an initial opening the next name of a list run together.

    Court records list judges without commas: "H.G. SCHERMERS H. DANELIUS", "E. Busuttil
    A. Weitzel". An initial after a surname in capitals, or after an "initial surname"
    pair, starts a new name when a word follows it; after a first name it belongs to
    the same name ("Boštjan M. Zupančič", "Vincent A. De Gaetano").
    """
    tok, prev = tokens[i], tokens[i - 1]
    if not tok.initial or prev.initial or i + 1 >= len(tokens) or tokens[i + 1].initial:
        return False
    return (prev.upper and not prev.info.particle) or (i >= 2 and tokens[i - 2].initial)


class PersonRecognizer(Recognizer):
    entities = ("PERSON",)
    priority = 80
    uses_ner = True

    def __init__(self) -> None:
        super().__init__()
        preload_word_forms()  # once per process, with the other loading, not on a first text

    def find(self, text: str) -> list[Span]:
        found = self.analyze(text)
        return found.sure + [s for s in found.ambiguous if s.score >= 0.5]

    def analyze(self, text: str) -> PersonFindings:
        sure: list[Span] = []
        ambiguous: list[Span] = []
        for tokens in _token_runs(text):
            # a civility inside a run of capitalised words starts a new candidate
            cuts = [
                i
                for i, t in enumerate(tokens)
                if i
                and (
                    (
                        t.info.civility
                        and not tokens[i - 1].initial  # "J. M. Morenilla"
                        and not _middle_initial(tokens, i)  # "Boštjan M. Zupančič"
                        and not (tokens[i - 1].info.civility and t.initial)  # "Mme M. Jaeger"
                    )
                    or (t.info.key in _HONORIFICS and not tokens[i - 1].initial)
                    or _next_initialled_name(tokens, i)
                )
            ]
            for lo, hi in itertools.pairwise([0, *cuts, len(tokens)]):
                self._run(text, tokens[lo:hi], sure, ambiguous)
        sure.extend(self._labels(text))
        sure.extend(_lists(text))
        sure.extend(_bracketed(text))
        sure.extend(_case_parties(text))
        sure.extend(_anonymised(text))
        still: list[Span] = []
        sure.extend(_listed_between_names(text, sure))
        sure.extend(_given_names_before(text, sure))
        listed = _between_listed_names(text, sure) if sure and ambiguous else None
        for a in ambiguous:
            if a.score >= 0.4 and (
                _line_cue(text, a)
                or _RELATION_BEFORE.search(before(text, a.start, 50))
                or (listed is not None and listed(a))
            ):
                sure.append(Span("PERSON", a.start, a.end, 0.8))
            else:
                still.append(a)
        return PersonFindings(sure, still)

    def _run(self, text: str, tokens: list[Token], sure: list[Span], ambiguous: list[Span]) -> None:
        gaps = [text[a.end : b.start] for a, b in itertools.pairwise(tokens)]
        civil_before = False
        # leading civility tokens belong to the cue, not to the name
        lead = 0
        while lead < len(tokens) and tokens[lead].info.civility:
            if lead and tokens[lead].initial:
                break  # "Mme M. Jaeger", "M. M. Pellonpää": after a civility, "M." is an initial
            lead += 1
        if lead:
            civil_before = True
            rest_gap = gaps[lead - 1] if lead - 1 < len(gaps) else ""
            if rest_gap.strip() and not rest_gap.strip().lower().startswith("d"):
                return  # "Monsieur le Maire": a title, not a name
            tokens, gaps = tokens[lead:], gaps[lead:]
            if not tokens:
                return
        elif len(tokens) > 1 and tokens[0].info.key in _TITLE_TOKENS and not gaps[0].strip():
            civil_before = True
            tokens, gaps = tokens[1:], gaps[1:]
        pieces = _split(tokens, gaps)
        # the words before the run are a cue for a piece opening on its first word only:
        # they are read for that piece alone (a run of common words, "Conseil Municipal",
        # or one opening on one, "Ville de Paris", has none)
        if not civil_before and pieces and pieces[0][0] is tokens[0]:
            civil_before = _cue_before(text, tokens[0].start)
        for piece in pieces:
            self._judge(text, piece, civil_before and piece[0] is tokens[0], sure, ambiguous)

    def _labels(self, text: str) -> list[Span]:
        out: list[Span] = []
        p = text.find(":")
        while p >= 0:
            lo = max(0, p - 70)
            seg = text[lo:p]
            starts = [m.end() for m in _FIELD_START.finditer(seg)]
            phrase_start = starts[-1] if starts else (0 if lo == 0 else -1)
            if phrase_start >= 0:
                key_m = _LABEL_KEY.fullmatch(seg, phrase_start)
                if key_m is not None:
                    span = self._label_value(text, p + 1, key_m.group("explicit") is not None)
                    if span:
                        out.append(span)
            p = text.find(":", p + 1)
        return out

    def _label_value(self, text: str, pos: int, explicit: bool) -> Span | None:
        m = _LABEL_VALUE.match(text, pos)
        if m is None:
            # "Demandeur :" alone on its line, the value on the next one (a form or a
            # decision's header laid out in two columns, then flattened)
            nl = _LINE_BREAK.match(text, pos)
            m = _LABEL_VALUE.match(text, nl.end()) if nl is not None else None
        if m is None:
            return None
        kept = []
        for w in _WORD.finditer(m.group("value")):
            word = w.group()
            k = key(word)
            if k in _LABEL_WORDS or (not explicit and is_common(word) and not is_first_name(word)):
                break
            if not explicit and not word[:1].isupper():
                break
            kept.append(w)
        if not kept:
            return None
        base = m.start("value")
        return Span(
            "PERSON", base + kept[0].start(), base + kept[-1].end(), 0.9 if explicit else 0.8
        )

    def _judge(
        self, text: str, piece: list[Token], civil: bool, sure: list[Span], ambiguous: list[Span]
    ) -> None:
        start, end = piece[0].start, piece[-1].end
        if civil:  # "Mme X.", "M. et Mme T.": an initial after a civility is a person still
            lone = piece[0].info if len(piece) == 1 else None
            if lone is None or not ((lone.common and not lone.first) or lone.acronym):
                sure.append(Span("PERSON", start, end, 0.95))
            return
        if (
            len(piece) > 1
            and not piece[0].info.particle
            and (is_word_form(piece[0].text) or after_determiner(text, start))
        ):
            # "aux Poudres de Cock", "« Cueillons la Violette »", "les Rolling Stones": a
            # French word (a plural, a verb, an adjective's form) or a determiner opens
            # a product, a title or a band
            rest = piece[1:]
            while rest and rest[0].info.particle:
                rest = rest[1:]
            # "Affaire Morel :" (the sentence's capital), "la Norvégienne Ingrid Solberg"
            # (a first name and a surname follow) keep the rest
            # the words still open an NER window: a name may stand next to them
            ambiguous.append(Span("PERSON", start, end, WINDOW_ONLY))
            if not rest or not (
                is_clause_start(text, start) or (len(rest) > 1 and rest[0].info.first)
            ):
                return
            piece, start = rest, rest[0].start
        if all(t.initial for t in piece):
            if not _numeral(piece[0]) and _initials_cue(text, start, end):
                sure.append(Span("PERSON", start, end, 0.85))
            return
        if (_AGE_AFTER.match(text, end) or _KIN_AFTER.match(text, end)) and not (
            len(piece) == 1 and (piece[0].info.common or piece[0].info.acronym)
        ):  # "Kervella, 25 ans, a signé", "Jeanne Morel (82 ans)": an age is a person's;
            # "Morel, fils d'un médecin", "Kervella, épouse Le Goff": so is a kinship
            sure.append(Span("PERSON", start, end, 0.85))
            return
        if (
            len(piece) == 1
            and not piece[0].upper
            and _last_word(before(text, start, 20)).rsplit("'", 1)[-1] in _CASE_NOUNS
            and not _lone_noun(text, piece[0])
            and not is_territory(piece[0].text)
        ):
            # "l'affaire Ibrahim", "l'arrêt Salduz": courts name a case after a party
            sure.append(Span("PERSON", start, end, 0.8))
            return
        if len(piece) == 1 and not piece[0].info.first and not piece[0].upper:
            # a lone capitalised word: only NER can tell (its spans are checked for places)
            if _lone_place(text, start) or _lone_noun(text, piece[0]):
                return
            if not is_clause_start(text, start) or _subject(text, end):
                ambiguous.append(Span("PERSON", start, end, LONE_SCORE))
            return
        window = before(text, start, 40)
        if (
            _is_place(window, piece[0].info.first)
            or _COMPANY_AFTER.match(text, end)
            or is_territory(text[start:end])
        ):
            return  # "rue Victor Hugo", "Moulin et Fils", "Sierra Leone"
        if quoted_title(text, start, end):
            return  # « Anna Karénine », "Le Prince de Bel-Air": the title of a work
        if _club_initials_before(text, start, piece[0].text) or _opens_with_club_initials(
            text, piece
        ):
            return  # "avec l'EC Red Bull Salzbourg", "contre NAC Breda": a club
        if any(_COMPANY_AFTER.match(text, t.start) for t in piece[1:]):
            return
        firsts = [t for t in piece if t.info.first]
        uppers = [t for t in piece if t.upper]
        n = len(piece)
        if uppers and not piece[0].initial and _in_headline(text, piece):
            ambiguous.append(Span("PERSON", start, end, 0.3))
            return
        if n >= 2 and all(t.upper or t.info.particle for t in piece):
            # a run in capitals is a heading more often than a name ("LA NEIGE"):
            # only a first name of French paperwork vouches for it, not the world list
            firsts = [t for t in firsts if is_french_first_name(t.text)]
        if n >= 2:
            if firsts and (len(firsts) < n or uppers or n == 2):
                sure.append(Span("PERSON", start, end, 0.9 if uppers else 0.85))
            elif len(uppers) == 1 and any(t.initial for t in piece) and not _numeral(piece[0]):
                sure.append(Span("PERSON", start, end, 0.85))
            elif (
                piece[0].initial
                and not _numeral(piece[0])
                and not piece[-1].initial
                and not piece[-1].upper
                and not _lettered_heading(text, piece)
            ):  # "J. M. Morenilla", "Al. Freudenreich"
                sure.append(Span("PERSON", start, end, 0.85))
            elif uppers and len(uppers) < n:
                # "PAQUEBOTS Arrivés", "TRIBUNAUX Nouvelles": a heading run into the
                # text as often as a name; below the threshold, NER settles it. In a
                # form field or a table row ("Référent : DURAND Kelyan") it is a name.
                score = 0.55 if _record_line(text, start, end) else MIXED_SCORE
                ambiguous.append(Span("PERSON", start, end, score))
            elif uppers:  # a heading in capitals, more often than a name
                ambiguous.append(Span("PERSON", start, end, 0.3))
            else:
                ambiguous.append(Span("PERSON", start, end, 0.4))
            return
        tok = piece[0]
        if firsts and _last_word(window) in _GREETINGS:
            sure.append(Span("PERSON", start, end, 0.8))
        elif tok.upper and len(tok.text) >= 3 and not is_clause_start(text, start):
            ambiguous.append(Span("PERSON", start, end, 0.3))
        elif not tok.upper and (not is_clause_start(text, start) or _subject(text, end)):
            # a lone first name inside a sentence ("selon Maëlys") or the subject of its
            # verb ("Pascal m'a dit"): NER reads its window
            ambiguous.append(Span("PERSON", start, end, LONE_SCORE))


# what makes bare initials a person: "S.C. (« le requérant »)", "D., né en 1915"
_INITIALS_ROLE_AFTER = re.compile(
    r"[ \u00a0]*(?:\([ \u00a0]*[«\"“]?[ \u00a0]*(?:le|la|les)[ \u00a0]+requ[ée]rante?s?\b"
    r"|,[ \u00a0]*n[ée]e?s?[ \u00a0]+(?:en|le)\b)"
)


def _initials_cue(text: str, start: int, end: int) -> bool:
    """Bare initials stand for a person when the text says so: the party's role in
    brackets after them, a birth in apposition, or a relative before them ("son fiancé
    H.E."). Court records use them to keep a party's name out of the public text."""
    return _INITIALS_ROLE_AFTER.match(text, end) is not None or bool(
        _RELATION_BEFORE.search(before(text, start, 50))
    )


# an age in apposition right after the words: "X, 25 ans,", "X (82 ans)", "X, âgé de 40 ans"
# (not "Lyon, 20 ans après": a lapse of time)
_AGE_AFTER = re.compile(
    r"[ \u00a0]*[,(][ \u00a0]*(?:[âa]g[ée]e?s?[ \u00a0]+de[ \u00a0]+)?\d{1,3}[ \u00a0]*ans\b"
    r"(?![ \u00a0]*(?:apr[èe]s|plus|d['’]|de\b|auparavant|avant|durant|pendant|depuis|en arri[èe]re))"
)


# a kinship in apposition right after the words: "X, fils de", "X, épouse Y", "X, veuve Z"
_KIN_AFTER = re.compile(
    r"[ \u00a0]*,[ \u00a0]*(?:(?:fils|fille|fr[èe]re|s(?:œ|oe)ur|neveu|ni[èe]ce|cousine?|"
    r"petit-fils|petite-fille|p[èe]re|m[èe]re|veuve?|[ée]poux|[ée]pouse|concubine?)"
    r"[ \u00a0]+(?:de|du|des|d['’])|(?:[ée]pouse|[ée]poux|veuve?)[ \u00a0]+[A-ZÀ-Þ])"
)


_CAPS_WORD = re.compile(rf"[{_UP}]{{2,}}['’\-]?[ \u00a0]*$")


def _in_headline(text: str, piece: list[Token]) -> bool:
    """A word in capitals inside a headline ("TEMPÊTES EN ALLEMAGNE Berlin"), not a surname.

    Another capitalised-only word just before the piece, or the same word twice
    ("ODESSA Odessa"), marks a title line run into the text that follows it.
    """
    start = piece[0].start
    if _CAPS_WORD.search(text, max(0, start - 25), start):
        return True
    keys = [t.info.key for t in piece]
    return len(set(keys)) < len(keys)


# a verb right after a word that opens a sentence: "Neymar a signé", "Durand avait dit"
_SUBJECT_VERB = re.compile(
    r"[ \u00a0]+(?:(?:ne|n'|s'|se|l'|m'|t'|me|te|nous|vous|lui|leur|y|en|a|aussi|donc|alors|pourtant|lui-m[êe]me|"
    r"elle-m[êe]me)[ \u00a0]*)?(?:a|avait|aura|est|était|sera|fut|ont|sont|avoue|admet|affirme|"
    r"déclare|explique|dit|annonce|reste|devient|doit|peut|veut|va|vient|fait|[a-zéè]{2,}ait)\b"
)


def _subject(text: str, end: int) -> bool:
    """A verb follows: the lone word opening the clause is its subject ("Neymar a signé")."""
    return _SUBJECT_VERB.match(text, end) is not None


_ROW_HEAD = re.compile(r"^[\s\d.#°\-–•*]*$")
_BIRTH_AFTER = re.compile(r"\s*[,(]?\s*n[ée]", re.IGNORECASE)


def _record_line(text: str, start: int, end: int) -> bool:
    """The words sit in a form field, a table row or an entry of a numbered list.

    A label and a colon before them on their line ("Référent : …"), a row
    number alone before them ("0004  …"), cells (tabs, ";", "|"), or a birth
    right after them ("…, né le").
    """
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    line = text[ls : le if le >= 0 else len(text)]
    head = text[ls:start]
    return (
        ":" in head
        or bool(_ROW_HEAD.match(head) and head.strip())
        or "\t" in line
        or line.count(";") >= 2
        or line.count("|") >= 2
        or _BIRTH_AFTER.match(text, end) is not None
    )


_LIST_GAP = re.compile(
    rf"(?:[ \u00a0]*,[ \u00a0]*{_TITLE})+[ \u00a0]*(?:,[ \u00a0]*(?:et|ou)?|et|ou)[ \u00a0]+"
)


def _listed_between_names(text: str, named: list[Span]) -> list[Span]:
    """Lone words listed between two names ("Kylian Morel, Neymar et Lucas Hernandez").

    An enumeration holds things of one kind: with a person's name on each side,
    a single word between is one too (issue 10, "find every name of the list"),
    unless it is a common word, initials, a country or a word form.
    """
    out: list[Span] = []
    ordered = sorted(named, key=lambda s: s.start)
    for left, right in itertools.pairwise(ordered):
        if left.end >= right.start or _LIST_GAP.fullmatch(text, left.end, right.start) is None:
            continue
        for m in re.finditer(_TITLE, text[left.end : right.start]):
            word = m.group()
            inf = info(word)
            if inf.common or inf.acronym or is_word_form(word) or is_territory(word):
                continue
            out.append(Span("PERSON", left.end + m.start(), left.end + m.end(), 0.8))
    return out


_GIVEN_LIST_BEFORE = re.compile(
    rf"(?<![\w'’])((?:{_TITLE}[ \u00a0]*,[ \u00a0]*){{0,8}}{_TITLE})[ \u00a0]+et[ \u00a0]+$"
)


def _given_names_before(text: str, named: list[Span]) -> list[Span]:
    """First names listed before a full name: "Alex, Chris et Samantha Menson", "Paul et
    Audrey Edwards" (the family name is written once, after the last first name).

    Every listed word must be a known first name or an unknown capitalised word (no
    common word, no country, no French word form), and most of them known first names,
    so that "Rennes, Brest et Jeanne Morel" does not turn towns into persons.
    """
    out: list[Span] = []
    for span in named:
        if text[max(0, span.start - 3) : span.start] != "et ":
            continue
        first = _TOKEN_RE.match(text, span.start)
        if first is None or first.end() >= span.end or not is_first_name(first.group()):
            continue  # "Samantha Menson": a first name, then more
        m = _GIVEN_LIST_BEFORE.search(text, max(0, span.start - 160), span.start)
        if m is None:
            continue
        words = list(re.finditer(_TITLE, m.group(1)))
        known = sum(1 for w in words if is_first_name(w.group()))
        if 2 * known < len(words) or any(
            (info(w.group()).common and not is_first_name(w.group()))
            or is_territory(w.group())
            or (is_word_form(w.group()) and not is_first_name(w.group()))
            for w in words
        ):
            continue
        base = m.start(1)
        out.extend(Span("PERSON", base + w.start(), base + w.end(), 0.8) for w in words)
    return out


_COMMA = re.compile(r"[ \u00a0]*,[ \u00a0]*")
_COMMA_OR_AND = re.compile(r"[ \u00a0]*(?:,[ \u00a0]*(?:et[ \u00a0]+)?|[ \u00a0]+et[ \u00a0]+)")


def _between_listed_names(text: str, named: list[Span]) -> Callable[[Span], bool]:
    """A test: the words sit in a list of names, a name on each side ("Elisabet Fura,
    Khanlar Hajiyev, Egbert Myjer"), separated by commas (or "et" before the last).

    Two capitalised words nobody knows are a name as often as not; in a list of names
    they are one, as ``_listed_between_names`` says of a lone word.
    """
    ordered = sorted(named, key=lambda s: s.start)
    starts = [s.start for s in ordered]

    def test(span: Span) -> bool:
        i = bisect.bisect_left(starts, span.end)
        if i == 0 or i >= len(ordered):
            return False
        left = max(
            (s for s in ordered[:i] if s.end <= span.start), key=lambda s: s.end, default=None
        )
        right = ordered[i]
        return (
            left is not None
            and _COMMA.fullmatch(text, left.end, span.start) is not None
            and _COMMA_OR_AND.fullmatch(text, span.end, right.start) is not None
        )

    return test


def _lone_noun(text: str, tok: Token) -> bool:
    """A lone capitalised word that is a French word form or follows a determiner.

    "les Bleus", "la Dépêche", "Tomber": a noun made proper, a title or a verb.
    Measured on hand-annotated news text, NER confirmed 4 of 336 such words as
    names (the plural of a family, "les Kennedy"), so they open no NER window:
    a third fewer windows for the slowest step of a scan.
    """
    return after_determiner(text, tok.start) or is_word_form(tok.text)


def _lone_place(text: str, start: int) -> bool:
    """A lone capitalised word after a preposition or noun of place ("dans Steinbach")."""
    window = before(text, start, 40)
    return _last_word(window) in _PLACE_PREPOSITIONS or _is_place(window)


def _lettered_heading(text: str, piece: list[Token]) -> bool:
    """ "A. Circonstances particulières", "B. Droit interne": a heading's letter opening
    its line, then a French word, not an initial and a surname."""
    first = piece[0].text
    ls = text.rfind("\n", 0, piece[0].start) + 1
    return (
        len(first) == 2
        and not text[ls : piece[0].start].strip()
        and is_word_form(piece[1].text)
        and not piece[1].info.first
    )


def _numeral(tok: Token) -> bool:
    """ "I.", "IV.", "V.": a heading's number more often than an initial."""
    return tok.initial and set(tok.text.rstrip(".")) <= set("IVX")


def _lists(text: str) -> list[Span]:
    """Every name of a list opened by a plural civility or function ("MM. A, B et C")."""
    out: list[Span] = []
    starts = [(m.end(), False) for m in _PLURAL.finditer(text)]
    # after a function, a short word in capitals is a body ("les députés LR"), not a name
    if _PLURAL_HEAD_HINT.search(text) is not None:
        starts.extend(
            (m.end(), True)
            for m in _PLURAL_HEAD.finditer(text)
            if _FUNCTION_WORD.fullmatch(fold(m.group("function"))[:-1])
        )
    for pos, strict in starts:
        for _ in range(12):
            c = CHAIN.match(text, pos)
            if c is None:
                break
            toks = [t for t in _TOKEN_RE.finditer(c.group()) if not info(t.group()).civility]
            names = [
                t
                for t in toks
                if (not info(t.group()).common or info(t.group()).first)
                and not (strict and info(t.group()).upper and len(t.group()) <= 4)
            ]
            if not names or len(toks) > 4:
                break
            # "MM. J.-P. Costa B. Walsh": two names run together, one span each
            run = [Token(t.group(), c.start() + t.start(), c.start() + t.end()) for t in names]
            cuts = [i for i in range(1, len(run)) if _next_initialled_name(run, i)]
            for lo, hi in itertools.pairwise([0, *cuts, len(run)]):
                out.append(Span("PERSON", run[lo].start, run[hi - 1].end, 0.9))
            sep = _LIST_SEP.match(text, c.end())
            if sep is None or sep.end() == c.end():
                break
            pos = sep.end()
    return out


_BEFORE_PLACE = frozenset(["a", "de", "la", "le", "du", "des", "en", "dans", "aux", "au", "vers"])


def _bracketed(text: str) -> list[Span]:
    """A surname followed by its first names in brackets ("MOREL (Louis-Marie)").

    Only first names count inside the brackets, so "Paris (Seine)" or
    "Renault (Boulogne)" stay what they are.
    """
    out: list[Span] = []
    p = text.find("(")
    while p >= 0:
        m = _NAME_BRACKET.search(text, max(0, p - 40), p + 45)
        if m is not None and m.start("first") == p + 1 and is_first_name(m.group("name")) is False:
            words = [w for w in re.split(r"[ ,\-'’]+", m.group("first")) if w]
            if (
                words
                and all(is_french_first_name(w) for w in words)
                and not is_common(m.group("name"))
                and _last_word(before(text, m.start(), 20)) not in _BEFORE_PLACE
            ):
                out.append(Span("PERSON", m.start("name"), m.end("name"), 0.9))
                out.append(Span("PERSON", m.start("first"), m.end("first"), 0.9))
        p = text.find("(", p + 1)
    out.extend(_author_initials(text))
    return out


# "Tulkens (Fr.)", "Van Drooghenbroeck (S.)", "Renucci (J.-Fr.)": an author as legal
# writing cites one, the surname then the initials of the first names in brackets
_AUTHOR = re.compile(
    rf"(?P<name>(?:(?:Van|Von|De|Du|Le|La|Mac|Mc)[ \u00a0]+)?(?:{_UPPER}|{_TITLE}))"
    rf"[ \u00a0]*\((?:[{_UP}][{_LO}]{{0,2}}\.-?){{1,3}}\)"
)


def _author_initials(text: str) -> list[Span]:
    """An author cited as "Surname (I.)"; a common word or a place before the brackets
    is left alone ("Article (A.)", "Paris (F.)" are no authors)."""
    out: list[Span] = []
    if ".)" not in text:
        return out
    for m in _AUTHOR.finditer(text):
        name = m.group("name")
        last = name.split()[-1]
        if info(last).common or is_territory(last):
            continue  # a French word form stays: "Hachez (I.)" is an author
        out.append(Span("PERSON", m.start("name"), m.end(), 0.85))
    return out


# "Corcuff c. France", "İ.B. c. Turquie", "Serves c/ France": the parties of a case
# caption, where "c." and "c/" are the abbreviations of "contre" that courts use
_VERSUS = re.compile(
    r"(?<=[ \u00a0])(?:c\.|c/|contre)[ \u00a0]+"
    r"(?:(?:la|le|les|LA|LE|LES)[ \u00a0]+|[lL]['’])?"
)
_CASE_NOUNS = frozenset({"affaire", "arret", "arrets"})
_CAPTION_WORDS = frozenset({"affaire", "arret", "aff", "requete", "decision", "cas", "en"})
_OTHERS_END = re.compile(r"[ \u00a0]+(?:et|ET)[ \u00a0]+(?:autres|AUTRES)$")
# initials may be listed with commas: "X., Y. et Z. c. ROYAUME-UNI"
_PARTY_CHAIN = re.compile(
    rf"(?:{_INITIAL}[ \u00a0]*,[ \u00a0]*)*(?:{_TOKEN}(?:{_GAP}|[ \u00a0]+(?:et|ET)[ \u00a0]+)?)+$"
)


_CITED_AGAIN = re.compile(r"[ \u00a0]*,[ \u00a0]*précitée?s?\b")


def _cited_again(text: str) -> list[Span]:
    """A case cited again by its applicant's name: "Salduz, précité, § 54".

    Only a name stands there: a common word ("la Convention, précitée") or a
    territory is left alone.
    """
    out: list[Span] = []
    for m in _CITED_AGAIN.finditer(text):
        left = _PARTY_CHAIN.search(text, max(0, m.start() - 60), m.start())
        if left is None:
            continue
        tokens = [
            Token(t.group(), left.start() + t.start(), left.start() + t.end())
            for t in _TOKEN_RE.finditer(left.group())
        ]
        names = [t for t in tokens if not t.info.particle and key(t.text) != "et"]
        if (
            not names
            or any(t.info.common and not t.info.first for t in names)
            or is_territory(text[tokens[0].start : tokens[-1].end])
            or after_determiner(text, tokens[0].start)
            or _last_word(before(text, tokens[0].start, 20)) in _BEFORE_PLACE
            or text[max(0, tokens[0].start - 2) : tokens[0].start] in ("d'", "d’")
        ):
            continue  # "le tribunal de Paris, précité": a place
        out.append(Span("PERSON", tokens[0].start, tokens[-1].end, 0.85))
    return out


def _case_parties(text: str) -> list[Span]:
    """The person a case is named after: "En l'affaire Corcuff c. France", "AFFAIRE İ.B. c.
    TURQUIE", "l'arrêt Serves c/ France", "MENSON et AUTRES contre le ROYAUME-UNI".

    European and French courts name a case "<applicant> c. <State>"; the words before
    "c." are a person's name unless they are common words (an association, a firm:
    "ASSOCIATION INNOCENCE EN DANGER c. FRANCE") or a territory ("Turquie c. Chypre").
    The other side must be a State (or, after "c." or "c/", any capitalised party):
    "contre" alone is ordinary French ("Lyon contre Marseille" is a match).
    """
    out: list[Span] = []
    if "précité" in text:
        out.extend(_cited_again(text))
    if " c." not in text and " c/" not in text and " contre" not in text:
        return out  # most texts: no caption, no regular expression
    for m in _VERSUS.finditer(text):
        right = CHAIN.match(text, m.end())
        if right is None:
            continue
        if "contre" in m.group() and not is_territory(right.group()):
            continue
        end = m.start()
        while end and text[end - 1] in " \u00a0":
            end -= 1
        others = _OTHERS_END.search(text, max(0, end - 12), end)
        if others is not None:
            end = others.start()
        left = _PARTY_CHAIN.search(text, max(0, end - 60), end)
        if left is None:
            continue
        tokens = [
            Token(t.group(), left.start() + t.start(), left.start() + t.end())
            for t in _TOKEN_RE.finditer(left.group())
        ]
        # "En l'affaire", "AFFAIRE", "arrêt": the words that open the caption
        while tokens and tokens[0].info.key in _CAPTION_WORDS:
            tokens.pop(0)
        while tokens and tokens[0].info.civility:
            tokens.pop(0)  # "M. c. France": the civility of an anonymised party
        names = [t for t in tokens if not t.info.particle and key(t.text) not in ("et",)]
        if not names or any(t.info.common and not (t.info.first or t.initial) for t in names):
            continue
        if after_determiner(text, tokens[0].start):
            continue  # "les Bleus contre la Belgique": a team, a band
        span = text[tokens[0].start : tokens[-1].end]
        if is_territory(span) or _COMPANY_AFTER.match(text, tokens[-1].end):
            continue
        out.append(Span("PERSON", tokens[0].start, tokens[-1].end, 0.85))
    return out


# "X...", "Y…", "J...-C...G...": French courts hide a party's name behind its initials
_ANON = re.compile(r"(?<![\w.])[A-Z](?:\.\.\.|…)(?:-?[ \u00a0]?[A-Z](?:\.\.\.|…))*")
_ANON_FIRST_AFTER = re.compile(rf"[ \u00a0]+({_TITLE})")
_ANON_FIRST_BEFORE = re.compile(rf"(?<![\w'’])({_TITLE})[ \u00a0]+$")


def _anonymised(text: str) -> list[Span]:
    """A name a court anonymised: "M. Y… a qualifié", "- X... Jacky,", "M. A... B...".

    The initials stand for a person after a civility or a function ("Mme le conseiller
    Y..."), or next to a first name ("X... Pierre", "Mickaël X..."); elsewhere "A..."
    may be a cut word.
    """
    out: list[Span] = []
    p = text.find("..")
    q = text.find("…")
    if p < 0 and q < 0:
        return out
    for m in _ANON.finditer(text):
        start, end = m.start(), m.end()
        first = _ANON_FIRST_AFTER.match(text, end)
        if first is not None and is_first_name(first.group(1)):
            end = first.end(1)
        prior = _ANON_FIRST_BEFORE.search(text, max(0, start - 30), start)
        if prior is not None and (
            is_first_name(prior.group(1))
            or _last_word(before(text, prior.start(1), 30)) in _CIVIL_WORDS
        ):  # "Mickaël X...", "M. Sowath X...": the first name the court left
            start = prior.start(1)
        elif end == m.end() and not (
            _last_word(before(text, start, 30)) in _CIVIL_WORDS or _title_before(text, start)
        ):
            continue
        out.append(Span("PERSON", start, end, 0.85))
    return out


def _line_cue(text: str, span: Span) -> bool:
    """A signature line under a closing formula, or an item of a "Présents :" list."""
    ls = text.rfind("\n", 0, span.start) + 1
    if _LIST_LABEL.match(fold(text[ls : span.start])):
        return True
    le = text.find("\n", span.end)
    line = text[ls : le if le >= 0 else len(text)]
    if line.strip(" \t,.") != text[span.start : span.end] or ls < 2:
        return False
    ps = text.rfind("\n", 0, ls - 1) + 1
    return bool(_CLOSING.match(fold(text[ps : ls - 1].strip())))


def clean_ner_person(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim an NER "PER" span to the name itself, or reject it.

    spaCy's French model often includes the civility ("Mme"), runs into a
    following role ("Dupont Directrice"), or tags a capitalised common word.
    """
    tokens = [
        Token(t.group(), start + t.start(), start + t.end())
        for t in _TOKEN_RE.finditer(text[start:end])
    ]
    while tokens and (key(tokens[0].text) in CIVILITIES or is_common(tokens[0].text)):
        tokens.pop(0)
    while tokens and (is_common(tokens[-1].text) and not is_first_name(tokens[-1].text)):
        tokens.pop()
    if not tokens or all(t.initial for t in tokens):
        return None
    word_form = not tokens[0].info.particle and is_word_form(tokens[0].text)
    if word_form or after_determiner(text, tokens[0].start):
        # "les Pilules Fosfer", "Cueillons la Violette", "les Rolling Stones": a French
        # word or a determiner opens a product, a title or a band. Kept: the name after
        # a sentence's capital ("Affaire Durand :") or after a nationality or function
        # ("la Norvégienne Ingrid Solberg"), as in the cue rules of ``_judge``.
        if (word_form and len(tokens) > 1 and is_clause_start(text, tokens[0].start)) or (
            len(tokens) > 2 and tokens[1].info.first
        ):
            tokens.pop(0)
        else:
            return None
    if len(tokens) > 1 and all(t.upper or t.info.particle for t in tokens):
        return None  # "LA NEIGE", "TEMPÊTES DE NEIGE": a headline, not a name
    if _in_headline(text, tokens):
        return None
    s, e = tokens[0].start, tokens[-1].end
    span = text[s:e]
    if any(c.isdigit() for c in span) or "@" in span or len(span) < 2 or is_territory(span):
        return None  # a number, an address, a country ("Nouvelle-Zélande")
    if _is_place(before(text, s, 40), tokens[0].info.first) or _COMPANY_AFTER.match(text, e):
        return None
    if len(tokens) == 1 and not tokens[0].info.first and _lone_place(text, s):
        return None
    if _SIGNED_AT.search(before(text, s, 20)):
        return None  # "Fait à Fournier, le 26 avril": a town
    if (
        len(tokens) == 1
        and text[e : e + 1] == ")"
        and _INSTITUTION_GLOSS.search(before(text, s, 40))
    ):
        return None  # "la Cour suprême (Riigikohus)": a court's name in its own language
    if _club_initials_before(text, s, tokens[0].text) or _opens_with_club_initials(text, tokens):
        return None  # "au FK Borac Banja Luka", "contre NAC Breda": a club
    if len(tokens) == 1 and tokens[0].upper and len(span) <= 3 and not tokens[0].info.first:
        return None  # "ERC", "PSG": initials
    if quoted_title(text, s, e):
        return None  # « Le Prince de Bel-Air »: the title of a work
    return s, e


# "le FK Borac Banja Luka", "contre NAC Breda", "l'EC Red Bull": a club's or a firm's
# initials glued before the words; a function's initials ("le DGS Jean Morel") are a cue
_ACRONYM_BEFORE = re.compile(r"(?<![\w.])([A-Z]{2,5})[ \u00a0]$")
_FUNCTION_ACRONYMS = frozenset(
    {"pdg", "dg", "dgs", "dga", "dgas", "dgst", "dst", "drh", "rh", "dsi", "daf", "dpo", "rssi"}
    | {"ceo", "cfo", "cto", "coo", "cpe", "atsem", "aesh", "avs", "cesf", "tisf", "ide", "asvp"}
    | {"asv", "as", "pm", "mm", "mme", "mlle", "me", "dr", "pr", "st", "ste", "sr", "jr", "md"}
    | {"phd"}
)


def _club_initials_before(text: str, start: int, word: str) -> bool:
    """An organisation's initials right before ``word``, which is no French first name.

    The world list of first names holds "Red" or "Breda"; the French one does not,
    and a surname in capitals before a French first name ("MOREL Jeanne") stays a name.
    """
    if is_french_first_name(word) or info(word).initial:
        return False  # "SOYER H.G. SCHERMERS": a surname in capitals, then the next name
    m = _ACRONYM_BEFORE.search(text, max(0, start - 7), start)
    return m is not None and m.group(1).lower() not in _FUNCTION_ACRONYMS


def _opens_with_club_initials(text: str, piece: list[Token]) -> bool:
    """ "NAC Breda", "ADO La Haye": two or three capitals, then words that are no French
    first name; not in a form line or a table row, where "ROY Kelyan" is a person."""
    return (
        len(piece) > 1
        and piece[0].upper
        and 2 <= len(piece[0].text) <= 3
        and not piece[0].info.civility
        and not any(t.upper for t in piece[1:])
        and _club_initials_before(text, piece[1].start, piece[1].text)
        and not _record_line(text, piece[0].start, piece[-1].end)
    )


# a court or a body named in French, its own name in brackets after it: "la cour d'appel
# (Ringkonnakohus)", "l'Office fédéral (Bundesamt)"
_INSTITUTION_GLOSS = re.compile(
    r"\b(?:cour|tribunal|juridiction|chambre|conseil|parlement|assemblee|office|ministere|agence|"
    r"commission|parquet|prison|police|supreme|appel|municipal|regional|cantonal|federal|"
    r"administratif|administrative|constitutionnel|cassation|instance|district|comte|land)"
    r"(?:e|s|es|aux)?[ \u00a0]*\($"
)
_SIGNED_AT = re.compile(r"\b(?:fait|signe|redige|delivre|etabli)e?\s+a\s+$")
