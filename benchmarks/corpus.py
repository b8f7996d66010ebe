"""A labelled French corpus for measuring detection: many document styles, gold spans.

Documents look like what sits on a commune's shared drive: letters,
délibérations, school-canteen forms, CSV exports, mails, HR tables, CCAS
minutes, police reports, logs, invoices, and documents with no personal data
at all. Look-alikes are planted on purpose and are *not* gold: NIRs with a
wrong key, IBANs failing mod 97, SIRETs failing Luhn, URLs such as
"www.exemple.fr", budget lines ("Article 6042 : 15 000,00 €"), meeting dates.

People's names come mostly from Faker ``fr_FR`` and partly from other locales
(Algerian, Portuguese, Spanish, Italian, Turkish, Vietnamese, Polish,
English...), as in a French town; the detector's first-name list was written
separately and does not know many of them.

Everything is synthetic: emails use example.org/.net/.com, numbers are
generated with valid or deliberately broken checksums.

Usage: ``python -m benchmarks.corpus --docs 20`` prints a sample with its gold spans.
"""

from __future__ import annotations

import argparse
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import nif, nir

ENTITY_TYPES = (
    "PERSON", "LOCATION", "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "DATE_OF_BIRTH", "IBAN_CODE",
    "CREDIT_CARD", "FR_NIR", "FR_SIREN", "FR_SIRET", "FR_TAX_ID", "FR_ID_CARD", "FR_PASSPORT",
    "FR_LICENSE_PLATE", "HEALTH", "RELIGION", "POLITICAL_OPINION", "TRADE_UNION", "ETHNIC_ORIGIN",
    "SEX_LIFE", "BIOMETRIC", "GENETIC", "CRIMINAL_OFFENCE",
)  # fmt: skip


@dataclass(frozen=True)
class Gold:
    entity_type: str
    start: int
    end: int


@dataclass
class Document:
    doc_id: str
    style: str
    text: str
    gold: list[Gold]


@dataclass
class _Builder:
    parts: list[str] = field(default_factory=list)
    gold: list[Gold] = field(default_factory=list)
    size: int = 0

    def add(self, text: str) -> _Builder:
        self.parts.append(text)
        self.size += len(text)
        return self

    def ent(self, entity_type: str, text: str) -> _Builder:
        self.gold.append(Gold(entity_type, self.size, self.size + len(text)))
        return self.add(text)

    def text(self) -> str:
        return "".join(self.parts)


MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]  # fmt: skip
_OTHER_LOCALES = [
    "fr_DZ",
    "pt_PT",
    "es_ES",
    "it_IT",
    "tr_TR",
    "vi_VN",
    "pl_PL",
    "en_GB",
    "de_DE",
    "fr_BE",
    "nl_NL",
]
_SIV_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"


class Gen:
    """Value factory: valid identifiers, broken look-alikes, people, places."""

    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.fr = Faker("fr_FR")
        self.fr.seed_instance(seed)
        self.others = {loc: Faker(loc) for loc in _OTHER_LOCALES}
        for i, f in enumerate(self.others.values()):
            f.seed_instance(seed + i + 1)

    # ------------------------------------------------------------- people
    def names(self) -> tuple[str, str]:
        f = self.fr if self.rnd.random() < 0.7 else self.others[self.rnd.choice(_OTHER_LOCALES)]
        first = f.first_name()
        last = f.last_name()
        return first, last

    def person(self, style: str | None = None) -> str:
        first, last = self.names()
        style = style or self.rnd.choice(
            ["First Last", "First LAST", "LAST First", "First Last", "First LAST"]
        )
        return {
            "First Last": f"{first} {last}",
            "First LAST": f"{first} {last.upper()}",
            "LAST First": f"{last.upper()} {first}",
            "Last": last,
            "LAST": last.upper(),
            "F. LAST": f"{first[0]}. {last.upper()}",
        }[style]

    def civility(self) -> str:
        return self.rnd.choice(["M.", "Mme", "Madame", "Monsieur", "Mme", "M.", "Mlle", "Dr"])

    # ------------------------------------------------------------- numbers
    def digits(self, n: int) -> str:
        return "".join(self.rnd.choice("0123456789") for _ in range(n))

    def nir(self, valid: bool = True) -> str:
        sex = self.rnd.choice("1212127")
        yy = f"{self.rnd.randint(0, 99):02d}"
        mm = f"{self.rnd.randint(1, 12):02d}"
        dept = self.rnd.choice(
            [f"{self.rnd.randint(1, 95):02d}", "2A", "2B", "75", "29", "69", "97"]
        )
        body = sex + yy + mm + dept + self.digits(3) + self.digits(3)
        key = nir.calc_check_digits(body)
        if not valid:
            key = f"{(int(key) + self.rnd.randint(1, 96)) % 97 or 97:02d}"
        compact = body + key
        if self.rnd.random() < 0.6:
            return f"{compact[0]} {compact[1:3]} {compact[3:5]} {compact[5:7]} {compact[7:10]} {compact[10:13]} {compact[13:]}"
        return compact

    def siren(self, valid: bool = True) -> str:
        body = self.rnd.choice("123456789") + self.digits(7)
        check = luhn.calc_check_digit(body)
        if not valid:
            check = str((int(check) + self.rnd.randint(1, 9)) % 10)
        return body + check

    def siret(self, valid: bool = True, grouped: bool | None = None) -> str:
        base = self.siren() + self.digits(3) + self.rnd.choice("0123456789")
        check = luhn.calc_check_digit(base)
        if not valid:
            check = str((int(check) + self.rnd.randint(1, 9)) % 10)
        s = base + check
        grouped = self.rnd.random() < 0.6 if grouped is None else grouped
        return f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}" if grouped else s

    def iban(self, valid: bool = True) -> str:
        value = self.fr.iban()
        while not std_iban.is_valid(value):
            value = self.fr.iban()
        if not valid:
            i = self.rnd.randint(4, len(value) - 1)
            ch = value[i]
            repl = str((int(ch) + self.rnd.randint(1, 9)) % 10) if ch.isdigit() else "7"
            value = value[:i] + repl + value[i + 1 :]
            if std_iban.is_valid(value):
                value = value[:-1] + str((int(value[-1]) + 1) % 10)
        if self.rnd.random() < 0.7:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def card(self) -> str:
        kind = self.rnd.choice(["visa16", "mastercard", "visa16", "amex"])
        num = self.fr.credit_card_number(kind)
        if len(num) == 16:
            return (
                " ".join(num[i : i + 4] for i in range(0, 16, 4))
                if self.rnd.random() < 0.8
                else num
            )
        if len(num) == 15:
            return f"{num[:4]} {num[4:10]} {num[10:]}"
        return num

    def phone(self) -> str:
        from rgpd.masking import parse_phone

        while True:
            value = self._phone()
            if parse_phone(value) is not None:
                return value

    def _phone(self) -> str:
        r = self.rnd.random()
        if r < 0.12:  # overseas
            prefix, code = self.rnd.choice(
                [
                    ("0692", "262"),
                    ("0690", "590"),
                    ("0694", "594"),
                    ("0696", "596"),
                    ("0262", "262"),
                ]
            )
            rest = self.digits(6)
            if self.rnd.random() < 0.5:
                return f"{prefix} {rest[:2]} {rest[2:4]} {rest[4:]}"
            return f"+{code} {prefix[1:]} {rest[:2]} {rest[2:4]} {rest[4:]}"
        lead = self.rnd.choice(["06", "07", "01", "02", "03", "04", "05", "09", "06"])
        d = lead + self.digits(8)
        if lead == "07" and d[2] not in "3456789":
            d = "07" + self.rnd.choice("3456789") + d[3:]
        pairs = [d[i : i + 2] for i in range(0, 10, 2)]
        fmt = self.rnd.random()
        if fmt < 0.5:
            return " ".join(pairs)
        if fmt < 0.65:
            return ".".join(pairs)
        if fmt < 0.75:
            return d
        if fmt < 0.9:
            return "+33 " + d[1] + " " + " ".join(pairs[1:])
        return "+33 (0)" + d[1] + " " + " ".join(pairs[1:])

    def email(self, first: str | None = None, last: str | None = None) -> str:
        if first is None or last is None:
            first, last = self.names()
        a, b = _ascii(first), _ascii(last)
        local = self.rnd.choice(
            [f"{a}.{b}", f"{a[0]}{b}", f"{a}-{b}", f"{b}.{a}", f"{a}{self.rnd.randint(1, 99)}"]
        )
        return f"{local}@{self.rnd.choice(['example.org', 'example.net', 'example.com'])}"

    def address(self) -> tuple[str, str]:
        """(street line, "postcode CITY")."""
        street = self.fr.street_address()
        city = self.fr.city()
        if self.rnd.random() < 0.4:
            city = city.upper()
        return street, f"{self.fr.postcode()} {city}"

    def dob(self, child: bool = False) -> str:
        if child:
            d = date(2012, 1, 1) + timedelta(days=self.rnd.randint(0, 4000))
        else:
            d = date(1930, 1, 1) + timedelta(days=self.rnd.randint(0, 30000))
        r = self.rnd.random()
        if r < 0.6:
            return d.strftime("%d/%m/%Y")
        if r < 0.8:
            return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"
        if r < 0.9:
            return d.strftime("%d.%m.%Y")
        return d.strftime("%d-%m-%Y")

    def other_date(self) -> str:
        d = date(2018, 1, 1) + timedelta(days=self.rnd.randint(0, 2500))
        return (
            d.strftime("%d/%m/%Y")
            if self.rnd.random() < 0.6
            else f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        )

    def ip(self) -> str:
        r = self.rnd.random()
        if r < 0.6:
            return self.fr.ipv4_public()
        if r < 0.85:
            return self.fr.ipv4_private()
        return self.fr.ipv6()

    def plate(self) -> str:
        letters = lambda: "".join(self.rnd.choice(_SIV_LETTERS) for _ in range(2))  # noqa: E731
        left = letters()
        while left in ("SS", "WW"):
            left = letters()
        sep = "-" if self.rnd.random() < 0.8 else " "
        return f"{left}{sep}{self.digits(3)}{sep}{letters()}"

    def tax_id(self) -> str:
        body = self.rnd.choice("0123") + self.digits(9)
        return body + nif.calc_check_digits(body)

    def id_card(self) -> str:
        if self.rnd.random() < 0.5:
            return f"{self.rnd.randint(88, 99):02d}{self.rnd.randint(1, 12):02d}{self.rnd.randint(10, 95)}{self.rnd.choice('0123456789ABC')}{self.digits(5)}"
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        while True:
            v = "".join(self.rnd.choice(chars) for _ in range(9))
            if any(c.isdigit() for c in v) and any(c.isalpha() for c in v):
                return v

    def passport(self) -> str:
        return f"{self.digits(2)}{''.join(self.rnd.choice('ABCDEFGHJKLMNPRSTUVWXYZ') for _ in range(2))}{self.digits(5)}"

    def amount(self) -> str:
        v = self.rnd.randint(100, 250000)
        return f"{v:,}".replace(",", " ") + f",{self.rnd.randint(0, 99):02d} €"

    def town(self) -> str:
        return self.fr.city()


def _ascii(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if c.isascii() and (c.isalnum() or c in "-"))
    return s.lower() or "x"


# ------------------------------------------------------------------ special categories
# (prefix, term, suffix): the term is the gold span. Phrased as a case worker,
# an HR officer or a police officer would write them.
SPECIAL: dict[str, list[tuple[str, str, str]]] = {
    "HEALTH": [
        ("est atteinte d'un ", "diabète", " de type 1"),
        ("souffre d'", "asthme", " sévère"),
        ("placé en ", "congé de longue maladie", " depuis le mois dernier"),
        ("a transmis un ", "arrêt de travail", " de quinze jours"),
        ("bénéficie de l'", "AAH", " depuis 2019"),
        ("dispose d'une ", "RQTH", " valable cinq ans"),
        ("présente une ", "allergie", " aux arachides"),
        ("un ", "PAI", " est en place à l'école"),
        ("fait l'objet d'un ", "suivi psychiatrique au CMP", ""),
        ("a été ", "hospitalisée", " en urgence"),
        ("est en ", "situation de handicap", " (taux 80 %)"),
        ("en ", "mi-temps thérapeutique", " jusqu'en juin"),
        ("enfant ", "autiste", ", accompagné par une AESH"),
        ("traitée pour un ", "cancer", " du sein"),
        ("déclarée ", "inapte", " à ses fonctions par le médecin du travail"),
        ("atteint d'", "épilepsie", ", pas de piscine"),
        ("en raison d'une ", "grossesse", " à risque"),
        ("a présenté un ", "certificat médical d'inaptitude", " au sport"),
        ("victime d'un ", "accident de service", " le mois dernier"),
        ("suit un ", "traitement antidépresseur", ""),
    ],
    "RELIGION": [
        ("régime : repas ", "sans porc", ""),
        ("la famille, de confession ", "musulmane", ", demande"),
        ("l'agent, ", "témoin de Jéhovah", ", refuse"),
        ("repas ", "casher", " demandé pour l'enfant"),
        ("absence pour fête religieuse (", "Ramadan", ")"),
        ("élève de culture ", "juive", ", absent le samedi"),
        ("", "pratiquante catholique", ", souhaite"),
        ("fréquente l'", "aumônerie", " du lycée"),
        ("port du ", "voile islamique", " signalé"),
        ("se déclare ", "athée", ""),
    ],
    "POLITICAL_OPINION": [
        ("adhérent du ", "Parti socialiste", " depuis 2010"),
        ("militante ", "écologiste", " engagée"),
        ("élu du groupe ", "Rassemblement national", ""),
        ("candidate ", "La France insoumise", " aux législatives"),
        ("ses ", "opinions politiques", " sont connues"),
        ("membre des ", "Républicains", ""),
        ("", "sympathisant du Parti communiste", ""),
        ("engagé à l'", "extrême gauche", ""),
    ],
    "TRADE_UNION": [
        ("", "délégué syndical CFDT", ""),
        ("adhérente à la ", "CGT", ""),
        ("bénéficie d'une ", "décharge syndicale", " de 20 %"),
        ("représentant ", "FO", " au comité social territorial"),
        ("", "syndiquée à l'UNSA", ""),
        ("", "heures de délégation", " : 10 h/mois"),
        ("cotise à la ", "CFDT", ""),
        ("mandat ", "syndical", " jusqu'en 2026"),
    ],
    "ETHNIC_ORIGIN": [
        ("famille d'", "origine maghrébine", ""),
        ("issue de la ", "communauté rom", ""),
        ("appartenant aux ", "gens du voyage", ""),
        ("son ", "origine ethnique", " a été mentionnée"),
        ("propos à caractère ", "racial", " signalés"),
        ("individu de ", "type africain", " selon le témoin"),
    ],
    "SEX_LIFE": [
        ("a révélé son ", "orientation sexuelle", ""),
        ("couple ", "homosexuel", " demandeur"),
        ("personne ", "transgenre", ""),
        ("victime d'", "agression sexuelle", ""),
        ("a subi un ", "harcèlement sexuel", ""),
        ("femme ", "lesbienne", ", harcelée"),
    ],
    "BIOMETRIC": [
        ("pointeuse à ", "empreintes digitales", ""),
        ("dispositif de ", "reconnaissance faciale", " testé"),
        ("accès par ", "contrôle biométrique", ""),
        ("relevé des ", "empreintes digitales", " de l'agent"),
        ("", "gabarit biométrique", " stocké sur badge"),
    ],
    "GENETIC": [
        ("", "test génétique", " réalisé"),
        ("", "maladie héréditaire", " dans la famille"),
        ("prélèvement ", "ADN", " effectué"),
        ("", "prédisposition génétique", " au cancer"),
        ("résultats du ", "caryotype", ""),
    ],
    "CRIMINAL_OFFENCE": [
        ("extrait de ", "casier judiciaire", " demandé"),
        ("a été placé en ", "garde à vue", ""),
        ("", "condamné à six mois avec sursis", ""),
        ("", "interpellé pour vol à l'étalage", ""),
        ("a déposé ", "plainte contre son voisin", ""),
        ("conduite en ", "état d'ivresse", ""),
        ("", "mis en examen pour escroquerie", ""),
        ("", "procès-verbal d'infraction", " dressé"),
        ("pour ", "dégradations volontaires", ""),
        ("actuellement ", "incarcéré", " à Fresnes"),
        ("", "rappel à la loi", " prononcé"),
    ],
}


def special(g: Gen, b: _Builder, category: str | None = None) -> None:
    cat = category or g.rnd.choice(list(SPECIAL))
    pre, term, post = g.rnd.choice(SPECIAL[cat])
    b.add(pre).ent(cat, term).add(post)


# ------------------------------------------------------------------ look-alikes


def lookalike(g: Gen, b: _Builder) -> None:
    """A sentence holding something that looks like personal data and is not."""
    kind = g.rnd.randrange(12)
    if kind == 0:
        b.add(f"Numéro de dossier : {g.nir(valid=False).replace(' ', '')}.")
    elif kind == 1:
        b.add(f"Ancien RIB (erroné, à ne pas utiliser) : {g.iban(valid=False)}.")
    elif kind == 2:
        b.add(f"Référence fournisseur {g.siret(valid=False)}.")
    elif kind == 3:
        b.add("Plus d'informations sur www.exemple.fr ou https://www.mairie-exemple.fr/demarches.")
    elif kind == 4:
        b.add(f"Article {g.rnd.choice(['6042', '6226', '60632', '2183', '6574'])} : {g.amount()}")
    elif kind == 5:
        b.add(
            f"Délibération n° {g.rnd.randint(2019, 2025)}-{g.rnd.randint(1, 150):03d} du {g.other_date()}."
        )
    elif kind == 6:
        b.add(f"Facture n° {g.digits(15)} réglée le {g.other_date()}.")
    elif kind == 7:
        b.add(
            "Le Conseil Municipal, réuni en Mairie sous la présidence de Monsieur le Maire, rue de la Paix."
        )
    elif kind == 8:
        b.add(
            "La Directrice Générale des Services et le Responsable du Pôle Technique ont validé le Plan Local d'Urbanisme."
        )
    elif kind == 9:
        b.add(
            f"Version {g.rnd.randint(1, 9)}.{g.rnd.randint(0, 9)}.{g.rnd.randint(0, 9)} du logiciel, code {g.digits(9)}."
        )
    elif kind == 10:
        b.add(
            f"Budget de fonctionnement {g.rnd.randint(2020, 2025)} : {g.amount()} (chapitre 011)."
        )
    else:
        b.add(
            "Le syndicat intercommunal des eaux et la Caisse primaire d'assurance maladie sont informés."
        )


def filler(g: Gen, b: _Builder, n: int = 2) -> None:
    phrases = [
        "Le dossier est complet et sera examiné lors de la prochaine commission.",
        "Les pièces justificatives ont été transmises au service instructeur.",
        "Conformément au règlement intérieur, la demande a été enregistrée.",
        "La commune rappelle que les horaires d'ouverture de l'accueil ont changé.",
        "Une réponse sera apportée dans les meilleurs délais.",
        "Les crédits nécessaires sont inscrits au budget de l'exercice en cours.",
        "La séance est levée à vingt et une heures trente.",
        "Le service enfance-jeunesse assure le suivi administratif.",
        "Il est proposé au Conseil d'approuver la convention jointe en annexe.",
        "Les travaux de voirie débuteront au printemps.",
        "La médiathèque sera fermée pendant les congés d'été.",
        "Merci de retourner ce formulaire complété avant la date limite.",
    ]
    for _ in range(n):
        b.add(g.rnd.choice(phrases) + " ")


# ------------------------------------------------------------------ styles


def letter(g: Gen, b: _Builder) -> None:
    town = g.town()
    b.add(f"MAIRIE DE {town.upper()}\n")
    street, city = g.address()
    b.ent("LOCATION", f"{street}\n{city}").add("\nTél. : ").ent("PHONE_NUMBER", g.phone()).add("\n")
    b.add("Courriel : ").ent("EMAIL_ADDRESS", f"accueil@mairie-{_ascii(town)}.example.org").add(
        "\n\n"
    )
    first, last = g.names()
    civ = g.civility()
    b.add(f"{civ} ").ent(
        "PERSON", f"{first} {last.upper()}" if g.rnd.random() < 0.6 else f"{first} {last}"
    ).add("\n")
    street, city = g.address()
    b.ent("LOCATION", f"{street}\n{city}").add("\n\n")
    b.add(f"{town}, le {g.other_date()}\n\nObjet : ")
    b.add(
        g.rnd.choice(
            [
                "votre demande d'aide sociale",
                "inscription sur les listes électorales",
                "demande de logement",
                "permis de construire",
            ]
        )
    )
    b.add(
        f"\nRéf. : {g.rnd.choice(['DGS', 'CCAS', 'URB'])}/{g.rnd.randint(100, 999)}\n\n{civ},\n\n"
    )
    filler(g, b, 1)
    r = g.rnd.random()
    if r < 0.3:
        b.add("Votre numéro de sécurité sociale (").ent("FR_NIR", g.nir()).add(
            ") figure sur le dossier. "
        )
    elif r < 0.5:
        b.add("Nous avons bien noté que vous êtes né le ").ent("DATE_OF_BIRTH", g.dob()).add(". ")
    elif r < 0.7:
        b.add("Le versement sera effectué sur le compte IBAN ").ent("IBAN_CODE", g.iban()).add(". ")
    if g.rnd.random() < 0.35:
        b.add("Nous avons noté que votre fils ")
        special(g, b, g.rnd.choice(["HEALTH", "HEALTH", "CRIMINAL_OFFENCE"]))
        b.add(". ")
    filler(g, b, 2)
    if g.rnd.random() < 0.5:
        lookalike(g, b)
    b.add(f"\n\nJe vous prie d'agréer, {civ}, l'expression de mes salutations distinguées.\n\n")
    b.add(
        g.rnd.choice(
            [
                "Le Maire,",
                "Pour le Maire et par délégation,",
                "L'Adjointe déléguée aux affaires sociales,",
            ]
        )
        + "\n"
    )
    b.ent("PERSON", g.person(g.rnd.choice(["First LAST", "First Last"]))).add("\n")


def deliberation(g: Gen, b: _Builder) -> None:
    town = g.town()
    b.add(
        f"COMMUNE DE {town.upper()}\nEXTRAIT DU REGISTRE DES DÉLIBÉRATIONS DU CONSEIL MUNICIPAL\n"
    )
    b.add(
        f"Séance du {g.other_date()}\n\nL'an deux mille vingt-quatre, le Conseil Municipal, légalement convoqué, s'est réuni sous la présidence de "
    )
    b.add(g.rnd.choice(["M.", "Mme"]) + " ").ent("PERSON", g.person("First LAST")).add(
        ", Maire.\n\nPrésents : "
    )
    for i in range(g.rnd.randint(4, 9)):
        if i:
            b.add(", ")
        b.add(g.rnd.choice(["M.", "Mme"]) + " ").ent(
            "PERSON", g.person(g.rnd.choice(["First LAST", "LAST", "First Last"]))
        )
    b.add(".\nAbsents excusés : ")
    b.add(g.rnd.choice(["M.", "Mme"]) + " ").ent("PERSON", g.person("First LAST")).add(
        " (pouvoir à "
    )
    b.add(g.rnd.choice(["M.", "Mme"]) + " ").ent("PERSON", g.person("LAST")).add(").\n")
    b.add("Secrétaire de séance : ").ent("PERSON", g.person("First LAST")).add("\n\n")
    b.add(
        f"Objet : attribution du marché de {g.rnd.choice(['voirie', 'restauration scolaire', 'nettoyage des locaux'])}\n\n"
    )
    filler(g, b, 2)
    b.add("Le marché est attribué à l'entreprise ")
    b.add(g.fr.company() + " (SIRET ").ent("FR_SIRET", g.siret()).add(
        f") pour un montant de {g.amount()} HT.\n"
    )
    for _ in range(g.rnd.randint(1, 3)):
        lookalike(g, b)
        b.add("\n")
    if g.rnd.random() < 0.4:
        b.add("Mme ").ent("PERSON", g.person("First LAST")).add(", ")
        special(g, b, "POLITICAL_OPINION")
        b.add(", vote contre.\n")
    b.add(
        f"Vote : pour {g.rnd.randint(10, 25)}, contre {g.rnd.randint(0, 5)}, abstention {g.rnd.randint(0, 3)}.\n"
    )
    b.add("Fait et délibéré les jour, mois et an susdits.\nLe Maire,\n").ent(
        "PERSON", g.person("First LAST")
    ).add("\n")


def canteen_form(g: Gen, b: _Builder) -> None:
    b.add(
        f"FICHE D'INSCRIPTION – RESTAURATION SCOLAIRE ET PÉRISCOLAIRE {g.rnd.randint(2021, 2025)}\n\n"
    )
    first, last = g.names()
    b.add("ENFANT\nNom : ").ent("PERSON", last.upper()).add("\nPrénom : ").ent("PERSON", first).add(
        "\n"
    )
    b.add("Date de naissance : ").ent("DATE_OF_BIRTH", g.dob(child=True)).add(
        f"\nClasse : {g.rnd.choice(['CP', 'CE1', 'CE2', 'CM1', 'CM2', 'GS'])}\n"
    )
    b.add(
        f"École : {g.rnd.choice(['école Jules Ferry', 'groupe scolaire Louise Michel', 'école Jean Moulin', 'école du Centre'])}\n\n"
    )
    for i in (1, 2):
        if i == 2 and g.rnd.random() < 0.4:
            break
        pf, _pl = g.names()
        b.add(f"RESPONSABLE LÉGAL {i}\nNom et prénom : ").ent("PERSON", f"{last.upper()} {pf}").add(
            "\n"
        )
        street, city = g.address()
        b.add("Adresse : ").ent("LOCATION", f"{street} {city}").add("\n")
        b.add("Téléphone portable : ").ent("PHONE_NUMBER", g.phone()).add("\n")
        b.add("Courriel : ").ent("EMAIL_ADDRESS", g.email(pf, last)).add("\n")
        b.add(f"Employeur : {g.fr.company()}\n\n")
    b.add("Régime alimentaire : ")
    r = g.rnd.random()
    if r < 0.25:
        b.add("repas ").ent("RELIGION", "sans porc").add("\n")
    elif r < 0.35:
        b.add("sans viande\n")
    else:
        b.add("standard\n")
    b.add("Allergies / PAI : ")
    if g.rnd.random() < 0.35:
        pre, term, post = g.rnd.choice(
            [
                ("", "allergie aux arachides", ""),
                ("", "asthme", " (Ventoline à l'école)"),
                ("", "PAI diabète", ""),
                ("", "épilepsie", ""),
                ("", "intolérance au lactose", ""),
            ]
        )
        b.add(pre).ent("HEALTH", term).add(post)
        b.add("\n")
    else:
        b.add("néant\n")
    b.add("Médecin traitant : Dr ").ent("PERSON", g.person("Last")).add(" – ").ent(
        "PHONE_NUMBER", g.phone()
    ).add("\n")
    b.add("Personnes autorisées à récupérer l'enfant : ").ent("PERSON", g.person("First Last")).add(
        " (grand-mère)\n"
    )
    b.add(f"\nFait à {g.town()}, le {g.other_date()}\nSignature du responsable légal\n")


def csv_export(g: Gen, b: _Builder) -> None:
    sep = g.rnd.choice([";", ";", ",", "\t"])
    cols = [
        "nom",
        "prenom",
        "date_naissance",
        "adresse",
        "code_postal",
        "ville",
        "telephone",
        "email",
    ]
    header = {
        "nom": g.rnd.choice(["Nom", "NOM", "nom", "Nom de famille"]),
        "prenom": g.rnd.choice(["Prénom", "PRENOM", "prenom"]),
        "date_naissance": g.rnd.choice(["Date de naissance", "date_naissance", "DDN", "Né(e) le"]),
        "adresse": g.rnd.choice(["Adresse", "adresse", "Adresse postale"]),
        "code_postal": "CP", "ville": "Ville", "telephone": g.rnd.choice(["Téléphone", "tel", "Portable"]),
        "email": g.rnd.choice(["Email", "Courriel", "mail"]),
    }  # fmt: skip
    if g.rnd.random() < 0.3:
        cols.append("iban")
        header["iban"] = "IBAN"
    if g.rnd.random() < 0.3:
        cols.insert(0, "id")
        header["id"] = "Identifiant"
    b.add(sep.join(header[c] for c in cols) + "\n")
    for i in range(g.rnd.randint(5, 25)):
        first, last = g.names()
        street, citycp = g.address()
        cp, city = citycp.split(" ", 1)
        for j, c in enumerate(cols):
            if j:
                b.add(sep)
            if c == "id":
                b.add(str(1000 + i))
            elif c == "nom":
                b.ent("PERSON", last.upper() if g.rnd.random() < 0.6 else last)
            elif c == "prenom":
                b.ent("PERSON", first)
            elif c == "date_naissance":
                b.ent(
                    "DATE_OF_BIRTH",
                    g.dob().replace(" ", " ") if sep != "," else g.dob().replace(",", ""),
                )
            elif c == "adresse":
                b.ent("LOCATION", street.replace(",", "") if sep == "," else street)
            elif c == "code_postal":
                b.add(cp)
            elif c == "ville":  # a town column beside person columns: where they live
                b.ent("LOCATION", city)
            elif c == "telephone":
                b.ent("PHONE_NUMBER", g.phone())
            elif c == "email":
                b.ent("EMAIL_ADDRESS", g.email(first, last))
            elif c == "iban":
                b.ent("IBAN_CODE", g.iban())
        b.add("\n")


def mail(g: Gen, b: _Builder) -> None:
    first, last = g.names()
    b.add("De : ").ent("PERSON", f"{first} {last}").add(" <").ent(
        "EMAIL_ADDRESS", g.email(first, last)
    ).add(">\n")
    b.add("À : ").ent(
        "EMAIL_ADDRESS",
        f"{g.rnd.choice(['accueil', 'ccas', 'urbanisme', 'rh'])}@mairie.example.org",
    ).add("\n")
    b.add(
        f"Date : {g.other_date()}\nObjet : {g.rnd.choice(['Demande de rendez-vous', 'Absence', 'Réclamation', 'Dossier en cours'])}\n\n"
    )
    b.add(g.rnd.choice(["Bonjour,", "Madame, Monsieur,", "Bonjour Madame,"]) + "\n\n")
    r = g.rnd.random()
    if r < 0.3:
        b.add("Je vous informe que je suis en ").ent("HEALTH", "arrêt maladie").add(
            " jusqu'à la fin du mois. "
        )
    elif r < 0.5:
        b.add("Mon voisin, ").ent("PERSON", g.person()).add(", a ")
        special(g, b, "CRIMINAL_OFFENCE")
        b.add(". ")
    filler(g, b, 1)
    b.add("Vous pouvez me joindre au ").ent("PHONE_NUMBER", g.phone()).add(". ")
    if g.rnd.random() < 0.3:
        street, city = g.address()
        b.add("Mon adresse a changé : ").ent("LOCATION", f"{street}, {city}").add(". ")
    if g.rnd.random() < 0.3:
        lookalike(g, b)
    b.add("\n\nCordialement,\n").ent(
        "PERSON", f"{first} {last.upper()}" if g.rnd.random() < 0.5 else f"{first} {last}"
    ).add("\n")


def hr_table(g: Gen, b: _Builder) -> None:
    cols = [
        "Matricule",
        "NOM",
        "Prénom",
        "NIR",
        "IBAN",
        "Service",
        "Date de naissance",
        "Observations",
    ]
    b.add("\t".join(cols) + "\n")
    for _ in range(g.rnd.randint(4, 15)):
        first, last = g.names()
        row: list[tuple[str | None, str]] = [
            (None, f"A{g.digits(5)}"),
            ("PERSON", last.upper()),
            ("PERSON", first),
            ("FR_NIR", g.nir()),
            ("IBAN_CODE", g.iban()),
            (
                None,
                g.rnd.choice(
                    ["Services techniques", "Enfance", "État civil", "CCAS", "Police municipale"]
                ),
            ),
            ("DATE_OF_BIRTH", g.dob()),
        ]
        for i, (etype, val) in enumerate(row):
            if i:
                b.add("\t")
            if etype:
                b.ent(etype, val)
            else:
                b.add(val)
        b.add("\t")
        if g.rnd.random() < 0.35:
            special(g, b, g.rnd.choice(["HEALTH", "TRADE_UNION", "TRADE_UNION", "HEALTH"]))
        else:
            b.add(g.rnd.choice(["", "temps partiel 80 %", "titulaire", "contractuel"]))
        b.add("\n")


def ccas_minutes(g: Gen, b: _Builder) -> None:
    b.add(f"CCAS – COMMISSION PERMANENTE\nCompte rendu de la séance du {g.other_date()}\n\n")
    b.add("Présents : ")
    for i in range(g.rnd.randint(3, 5)):
        if i:
            b.add(", ")
        b.ent("PERSON", g.person(g.rnd.choice(["First LAST", "F. LAST", "First Last"])))
    b.add("\n\n")
    for _ in range(g.rnd.randint(2, 4)):
        civ = g.rnd.choice(["Mme", "M.", "Madame", "Monsieur"])
        b.add(f"Dossier n° {g.rnd.randint(2023, 2025)}-{g.rnd.randint(1, 400):03d} : {civ} ")
        b.ent("PERSON", g.person(g.rnd.choice(["LAST First", "First LAST", "First Last"])))
        b.add(", née le " if civ in ("Mme", "Madame") else ", né le ").ent("DATE_OF_BIRTH", g.dob())
        street, city = g.address()
        b.add(", domicilié(e) ").ent("LOCATION", f"{street} {city}").add(", sollicite une aide de ")
        b.add(
            f"{g.rnd.randint(50, 800)} € pour {g.rnd.choice(['une facture d’énergie', 'des frais de cantine', 'un loyer impayé'])}. "
        )
        for _ in range(g.rnd.randint(1, 2)):
            b.add(
                g.rnd.choice(
                    [
                        "Situation : la personne ",
                        "Note : l'intéressée ",
                        "Le demandeur ",
                        "Précision : son conjoint ",
                    ]
                )
            )
            special(
                g,
                b,
                g.rnd.choice(
                    [
                        "HEALTH",
                        "HEALTH",
                        "CRIMINAL_OFFENCE",
                        "ETHNIC_ORIGIN",
                        "RELIGION",
                        "SEX_LIFE",
                    ]
                ),
            )
            b.add(". ")
        if g.rnd.random() < 0.3:
            b.add("NIR : ").ent("FR_NIR", g.nir()).add(". ")
        if g.rnd.random() < 0.3:
            b.add("Numéro fiscal : ").ent("FR_TAX_ID", g.tax_id()).add(". ")
        b.add(
            g.rnd.choice(
                [
                    "Avis favorable.",
                    "Ajourné, pièces manquantes.",
                    "Refus : ressources supérieures au plafond.",
                ]
            )
            + "\n\n"
        )
    filler(g, b, 1)


def police_report(g: Gen, b: _Builder) -> None:
    b.add(
        f"POLICE MUNICIPALE DE {g.town().upper()}\nRAPPORT D'INTERVENTION n° {g.rnd.randint(100, 999)}/{g.rnd.randint(2022, 2025)}\n\n"
    )
    b.add(
        f"Le {g.other_date()} à {g.rnd.randint(0, 23)}h{g.rnd.randint(0, 59):02d}, l'équipe composée du brigadier-chef "
    )
    b.ent("PERSON", g.person("LAST")).add(" et du gardien ").ent("PERSON", g.person("LAST")).add(
        " est intervenue "
    )
    street, city = g.address()
    b.add("au ").ent("LOCATION", f"{street}, {city}").add(".\n")
    b.add(f"{g.rnd.choice(['M.', 'Mme'])} ").ent(
        "PERSON", g.person(g.rnd.choice(["First LAST", "LAST First"]))
    )
    b.add(", né(e) le ").ent("DATE_OF_BIRTH", g.dob()).add(" à ").ent("LOCATION", g.town()).add(
        ", "
    )
    if g.rnd.random() < 0.5:
        b.add("titulaire de la carte nationale d'identité n° ").ent("FR_ID_CARD", g.id_card()).add(
            ", "
        )
    else:
        b.add("présentant le passeport n° ").ent("FR_PASSPORT", g.passport()).add(", ")
    b.add("a été ")
    special(g, b, "CRIMINAL_OFFENCE")
    b.add(".\nLe véhicule ")
    b.add(g.rnd.choice(["immatriculé ", "Renault Clio immatriculé ", "portant la plaque "])).ent(
        "FR_LICENSE_PLATE", g.plate()
    )
    b.add(" a été placé en fourrière.\nTémoin : ").ent("PERSON", g.person("First Last")).add(
        ", joignable au "
    ).ent("PHONE_NUMBER", g.phone())
    b.add(".\n")
    if g.rnd.random() < 0.3:
        b.add("Selon le témoin, l'auteur était un ")
        special(g, b, "ETHNIC_ORIGIN")
        b.add(".\n")
    filler(g, b, 1)


def access_log(g: Gen, b: _Builder) -> None:
    for _ in range(g.rnd.randint(10, 40)):
        ts = f"2024-{g.rnd.randint(1, 12):02d}-{g.rnd.randint(1, 28):02d} {g.rnd.randint(0, 23):02d}:{g.rnd.randint(0, 59):02d}:{g.rnd.randint(0, 59):02d}"
        r = g.rnd.random()
        if r < 0.5:
            first, last = g.names()
            b.add(f"{ts} INFO auth: login ok user=").ent("EMAIL_ADDRESS", g.email(first, last)).add(
                " src="
            ).ent("IP_ADDRESS", g.ip()).add("\n")
        elif r < 0.8:
            b.add(f"{ts} WARN http: ").ent("IP_ADDRESS", g.ip()).add(
                f" - GET /portail/famille?page={g.rnd.randint(1, 9)} 403\n"
            )
        else:
            b.add(
                f"{ts} DEBUG cache: {g.rnd.randint(1, 999)} entrées purgées en {g.rnd.randint(1, 90)} ms (v2.{g.rnd.randint(0, 9)}.{g.rnd.randint(0, 9)})\n"
            )


def invoice(g: Gen, b: _Builder) -> None:
    b.add(f"FACTURE N° {g.rnd.randint(2023, 2025)}-{g.rnd.randint(1, 9999):05d}\n\n")
    b.add(f"{g.fr.company()}\n")
    street, city = g.address()
    b.ent("LOCATION", f"{street}\n{city}").add("\nSIRET : ").ent("FR_SIRET", g.siret()).add("\n")
    if g.rnd.random() < 0.5:
        b.add("SIREN ").ent("FR_SIREN", g.siren()).add(" RCS Rennes\n")
    b.add(
        f"\nDésignation : {g.rnd.choice(['fournitures scolaires', 'prestation de nettoyage', 'location de matériel'])}\n"
    )
    b.add(f"Montant HT : {g.amount()}\nTVA 20 %\n")
    b.add("Règlement par virement : IBAN ").ent("IBAN_CODE", g.iban()).add("\n")
    if g.rnd.random() < 0.25:
        b.add("Paiement reçu par carte bancaire n° ").ent("CREDIT_CARD", g.card()).add("\n")
    lookalike(g, b)
    b.add("\n")


def hr_decree(g: Gen, b: _Builder) -> None:
    b.add(f"ARRÊTÉ N° {g.rnd.randint(2023, 2025)}-RH-{g.rnd.randint(1, 300):03d}\n")
    b.add(
        "portant placement en congé d'un agent\n\nLe Maire de la commune,\nVu le Code général de la fonction publique,\n"
    )
    civ = g.rnd.choice(["Mme", "M."])
    b.add(f"Vu la demande de {civ} ").ent("PERSON", g.person("First LAST")).add(
        ", adjoint technique territorial,\n"
    )
    b.add("Vu l'avis du conseil médical, considérant que l'intéressé(e) ")
    special(g, b, "HEALTH")
    b.add(",\n\nARRÊTE\n\nArticle 1 : l'agent (NIR ").ent("FR_NIR", g.nir()).add(
        ") est placé en congé à compter du "
    )
    b.add(f"{g.other_date()}.\nArticle 2 : le traitement sera versé sur le compte ").ent(
        "IBAN_CODE", g.iban()
    ).add(".\n")
    b.add("Article 3 : le présent arrêté sera notifié à l'intéressé(e), domicilié(e) ")
    street, city = g.address()
    b.ent("LOCATION", f"{street}, {city}").add(".\n")
    if g.rnd.random() < 0.4:
        b.add("Copie : représentant du personnel, ")
        special(g, b, "TRADE_UNION")
        b.add(".\n")
    b.add(f"Fait à {g.town()}, le {g.other_date()}\nLe Maire, ").ent(
        "PERSON", g.person("First LAST")
    ).add("\n")


def no_personal_data(g: Gen, b: _Builder) -> None:
    b.add(
        g.rnd.choice(
            [
                "RÈGLEMENT INTÉRIEUR DE LA MÉDIATHÈQUE",
                "BUDGET PRIMITIF – NOTE DE PRÉSENTATION",
                "PROCÉDURE D'ARCHIVAGE",
                "NOTE DE SERVICE",
            ]
        )
        + "\n\n"
    )
    for _ in range(g.rnd.randint(3, 7)):
        filler(g, b, 2)
        lookalike(g, b)
        b.add("\n")
    b.add("Le Directeur Général des Services\n")


def security_note(g: Gen, b: _Builder) -> None:
    b.add("NOTE – CONTRÔLE D'ACCÈS DES LOCAUX TECHNIQUES\n\n")
    b.add("Le prestataire propose une ")
    special(g, b, "BIOMETRIC")
    b.add(" pour les agents du centre technique. ")
    filler(g, b, 1)
    b.add("Référent : ").ent("PERSON", g.person("First LAST")).add(", ").ent(
        "EMAIL_ADDRESS", g.email()
    ).add(". ")
    b.add("Serveur de gestion : ").ent("IP_ADDRESS", g.fr.ipv4_private()).add(".\n")
    if g.rnd.random() < 0.5:
        b.add("Un agent signale une ")
        special(g, b, "GENETIC")
        b.add(" et demande une dispense.\n")
    filler(g, b, 1)


# ------------------------------------------------------------------ held-out styles
# Written after the detectors were tuned, and never tuned against: the benchmark
# reports them apart, as a check of how the cues carry over to unseen shapes.


def birth_record(g: Gen, b: _Builder) -> None:
    town = g.town()
    first, last = g.names()
    b.add(f"ACTE DE NAISSANCE N° {g.rnd.randint(1, 400)}\n\nLe ")
    b.ent("DATE_OF_BIRTH", g.dob(child=True))
    b.add(f", à {g.rnd.randint(0, 23)} heures {g.rnd.randint(0, 59)} minutes, est né(e) à ")
    b.ent("LOCATION", town).add(" ")  # a place of birth is personal data
    b.ent("PERSON", f"{first} {last.upper()}").add(
        ", de sexe " + g.rnd.choice(["féminin", "masculin"]) + ", fils/fille de "
    )
    pf, _ = g.names()
    b.ent("PERSON", f"{pf} {last.upper()}").add(f", {g.fr.job()}, né(e) le ").ent(
        "DATE_OF_BIRTH", g.dob()
    )
    mf, ml = g.names()
    b.add(" et de ").ent("PERSON", f"{mf} {ml.upper()}").add(", son épouse, domiciliés ")
    street, city = g.address()
    b.ent("LOCATION", f"{street}, {city}").add(".\nDressé le ")
    b.add(
        f"{g.other_date()} sur la déclaration du père, qui, lecture faite et invité à lire l'acte, a signé avec nous, "
    )
    b.ent("PERSON", g.person("First LAST")).add(", officier de l'état civil.\n")


def neighbour_report(g: Gen, b: _Builder) -> None:
    b.add(
        "Objet : signalement\n\nBonjour,\n\nJe me permets de vous écrire au sujet de mon voisin du dessus, "
    )
    b.ent("PERSON", g.person("First Last")).add(", qui fait du bruit tous les soirs. Sa compagne, ")
    b.ent("PERSON", g.person("First Last")).add(", m'a dit qu'il ")
    special(g, b, g.rnd.choice(["CRIMINAL_OFFENCE", "HEALTH"]))
    b.add(". J'en ai parlé à ")
    b.ent("PERSON", g.person("First Last")).add(" du bailleur, sans résultat. ")
    if g.rnd.random() < 0.5:
        b.add("Vous pouvez me rappeler au ").ent("PHONE_NUMBER", g.phone()).add(
            " ou m'écrire à "
        ).ent("EMAIL_ADDRESS", g.email()).add(". ")
    b.add("Merci d'avance.\n").ent("PERSON", g.person("First Last")).add("\n")
    street, city = g.address()
    b.ent("LOCATION", f"{street}\n{city}").add("\n")


def school_council(g: Gen, b: _Builder) -> None:
    b.add(f"CONSEIL D'ÉCOLE DU {g.other_date()}\n\nÉtaient présents :\n")
    for _ in range(g.rnd.randint(3, 6)):
        b.add("- " + g.rnd.choice(["Mme ", "M. "])).ent(
            "PERSON", g.person(g.rnd.choice(["First Last", "Last", "LAST"]))
        )
        b.add(
            g.rnd.choice(
                [" (directrice)", " (enseignant)", " (parent élu)", " (DDEN)", " (mairie)"]
            )
            + "\n"
        )
    b.add("\nLes effectifs sont stables. ")
    if g.rnd.random() < 0.5:
        b.add("Un élève de CE1 ")
        special(g, b, "HEALTH")
        b.add(" ; un protocole sera rédigé avec la famille. ")
    b.add("La kermesse aura lieu en juin. Prochain conseil : ")
    b.add(g.other_date() + ".\nSecrétaire de séance : ").ent("PERSON", g.person("First Last")).add(
        "\n"
    )


def electoral_list(g: Gen, b: _Builder) -> None:
    b.add(f"LISTE ÉLECTORALE — BUREAU N° {g.rnd.randint(1, 9)} — extrait\n\n")
    for i in range(g.rnd.randint(5, 12)):
        first, last = g.names()
        b.add(f"{i + 1:04d}  ")
        if g.rnd.random() < 0.3:
            _, married = g.names()
            b.ent("PERSON", f"{last.upper()} épouse {married.upper()} {first}")
        else:
            b.ent("PERSON", f"{last.upper()} {first}")
        b.add(", né(e) le ").ent("DATE_OF_BIRTH", g.dob()).add(" à ").ent("LOCATION", g.town())
        b.add(f" ({g.rnd.randint(1, 95):02d})\n      ")
        street, city = g.address()
        b.ent("LOCATION", f"{street} {city}").add("\n")


HELD_OUT: dict[str, tuple[Callable[[Gen, _Builder], None], float]] = {
    "acte_naissance": (birth_record, 0.03),
    "signalement": (neighbour_report, 0.04),
    "conseil_ecole": (school_council, 0.03),
    "liste_electorale": (electoral_list, 0.03),
}


STYLES: dict[str, tuple[Callable[[Gen, _Builder], None], float]] = {
    "lettre": (letter, 0.13),
    "deliberation": (deliberation, 0.1),
    "fiche_cantine": (canteen_form, 0.1),
    "export_csv": (csv_export, 0.08),
    "mail": (mail, 0.12),
    "tableau_rh": (hr_table, 0.06),
    "compte_rendu_ccas": (ccas_minutes, 0.09),
    "rapport_police": (police_report, 0.07),
    "journal_acces": (access_log, 0.05),
    "facture": (invoice, 0.07),
    "arrete_rh": (hr_decree, 0.06),
    "sans_donnees": (no_personal_data, 0.1),
    "note_securite": (security_note, 0.03),
}  # fmt: skip


def generate(n_docs: int = 300, seed: int = 7) -> list[Document]:
    """``n_docs`` documents, reproducible from ``seed``."""
    g = Gen(seed)
    styles = {**STYLES, **HELD_OUT}
    names = list(styles)
    weights = [styles[n][1] for n in names]
    out: list[Document] = []
    for i in range(n_docs):
        style = g.rnd.choices(names, weights)[0]
        b = _Builder()
        styles[style][0](g, b)
        out.append(Document(f"doc{i:05d}", style, b.text(), b.gold))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    for d in generate(args.docs, args.seed):
        print(f"=== {d.doc_id} ({d.style}) ===\n{d.text}")
        for gsp in d.gold:
            print(f"  [{gsp.entity_type}] {d.text[gsp.start : gsp.end]!r}")


if __name__ == "__main__":
    main()
