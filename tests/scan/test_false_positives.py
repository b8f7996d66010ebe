"""False alarms seen on real text, next to the true findings that look like them.

Each trap comes from a real shape: French municipal documents ("diagnostic
amiante", "chien de race", numéros de marché), English technical text found
on disk ("this could race with", git commit ids, hex dumps, code
identifiers). Each true positive is the closest sentence that must still be
reported, so that a fix that only deletes a term fails here.
"""

from __future__ import annotations

import pytest

from rgpd.scan.detect import Detector
from rgpd.scan.detect.recognizers.fr.phone import counting

PHONE = "0612345678"

# (text, entity type, the words the detection must cover, expected to be found)
CASES: list[tuple[str, str, str, bool]] = [
    # ---- HEALTH: "diagnostic" and acronyms
    ("Le diagnostic amiante de l'école a été réalisé par l'agent.", "HEALTH", "diagnostic", False),
    (
        "Diagnostic de performance énergétique (DPE) de la salle des fêtes.",
        "HEALTH",
        "Diagnostic",
        False,
    ),
    ("Le diagnostic territorial sera présenté au conseil.", "HEALTH", "diagnostic", False),
    (
        "Diagnostic immobilier obligatoire avant la vente du logement communal.",
        "HEALTH",
        "Diagnostic",
        False,
    ),
    ("Le diagnostic plomb de son logement a été remis par l'agent.", "HEALTH", "diagnostic", False),
    (
        "Diagnostic report written to the directory given by --diagnostic-dir.",
        "HEALTH",
        "Diagnostic",
        False,
    ),
    ("Voir la fonction mailinfo-header-cmp dans le code source.", "HEALTH", "cmp", False),
    ("Fichiers : libs/math/test/pch.hpp et md5/md5cmp.c", "HEALTH", "pch", False),
    (
        "Un diagnostic de trouble du spectre autistique a été posé pour son fils.",
        "HEALTH",
        "diagnostic",
        True,
    ),
    ("L'enfant bénéficie d'un suivi au CMP depuis septembre.", "HEALTH", "CMP", True),
    ("Mme Durand a déposé un dossier à la MDPH en mars.", "HEALTH", "MDPH", True),
    ("L'agent est en ALD depuis 2022.", "HEALTH", "ALD", True),
    # ---- ETHNIC_ORIGIN: "race"
    (
        "Le concours de chien de race aura lieu sur la place du marché.",
        "ETHNIC_ORIGIN",
        "race",
        False,
    ),
    (
        "Subvention à l'association pour la sauvegarde de la race bovine locale.",
        "ETHNIC_ORIGIN",
        "race",
        False,
    ),
    (
        "The rename could race with a concurrent read-write operation.",
        "ETHNIC_ORIGIN",
        "race",
        False,
    ),
    ("Use Promise.race() to settle on the first promise.", "ETHNIC_ORIGIN", "race", False),
    (
        "Le fichier mentionne l'origine ethnique du demandeur.",
        "ETHNIC_ORIGIN",
        "origine ethnique",
        True,
    ),
    (
        "Plainte pour refus de location en raison de sa race et de sa couleur de peau.",
        "ETHNIC_ORIGIN",
        "race",
        True,
    ),
    # ---- other categories: acronyms and code tokens
    ("Files: src/pcf/pcf.c src/pcf/pcf.h", "POLITICAL_OPINION", "pcf", False),
    ("Il est adhérent du PCF depuis 2010.", "POLITICAL_OPINION", "PCF", True),
    ("Université catholique de Louvain, Belgique.", "RELIGION", "catholique", False),
    (
        "Mme Martin, catholique pratiquante, demande un repas sans porc.",
        "RELIGION",
        "catholique",
        True,
    ),
    # ---- PHONE_NUMBER
    ("(merge 0696232390 jx/pack-redundant later to maint).", "PHONE_NUMBER", "0696232390", False),
    ("Prints: <Buffer 01 02 03 04 05>", "PHONE_NUMBER", "01 02 03 04 05", False),
    ("Prints: <Buffer 02 01 04 03 06 05 08 07>", "PHONE_NUMBER", "06 05 08 07", False),
    ("Marché public n° 2024-0612345678 attribué à la société.", "PHONE_NUMBER", PHONE, False),
    ("Bon de commande 0612345678 du 3 mars, imputé au budget.", "PHONE_NUMBER", PHONE, False),
    ("La chaîne '0123456789' sert de test.", "PHONE_NUMBER", "0123456789", False),
    (f"Contact : Mme Leroy, tél. {PHONE}", "PHONE_NUMBER", PHONE, True),
    (f"Téléphone : {PHONE}\n", "PHONE_NUMBER", PHONE, True),
    (f"Vous pouvez me joindre au {PHONE} après 18 h.", "PHONE_NUMBER", PHONE, True),
    (f"Médecin traitant : Dr Lambert – {PHONE}\n", "PHONE_NUMBER", PHONE, True),
    ("Appeler le 06 12 34 56 78 pour le rendez-vous.", "PHONE_NUMBER", "06 12 34 56 78", True),
    ("Le standard de la mairie : 01 23 45 67 89.", "PHONE_NUMBER", "01 23 45 67 89", True),
    (
        "nom;prenom;ville;telephone\n"
        "DURAND;Jeanne;Lyon;0612345678\n"
        "MARTIN;Paul;Lyon;0712345678\n"
        "PETIT;Anne;Lyon;0145678912\n",
        "PHONE_NUMBER",
        "0145678912",
        True,
    ),
    (
        "Nom;Prénom;Portable;Ville\nDURAND;Jeanne;0612345678;Lyon\n",
        "PHONE_NUMBER",
        PHONE,
        True,
    ),
    (
        "Nom;Prénom;N° commande;Ville\nDURAND;Jeanne;0612345678;Lyon\n",
        "PHONE_NUMBER",
        PHONE,
        False,
    ),
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(depth="quick")


@pytest.mark.parametrize(("text", "entity", "needle", "expected"), CASES)
def test_trap_or_true_positive(
    detector: Detector, text: str, entity: str, needle: str, expected: bool
) -> None:
    start = text.index(needle)
    end = start + len(needle)
    found = [
        d
        for d in detector.detect(text)
        if d.entity_type == entity and d.start < end and start < d.end
    ]
    assert bool(found) is expected, [(d.entity_type, d.start, d.end, d.score) for d in found]


@pytest.mark.parametrize(
    ("digits", "grouped", "expected"),
    [
        ("0102030405", True, True),
        ("0807060504", True, True),
        ("0123456789", False, True),
        ("9876543210", False, True),
        ("0123456789", True, False),  # "01 23 45 67 89": pairs that do not count by one
        ("0612345678", False, False),
        ("0102030406", True, False),
        ("0201040306", True, False),
    ],
)
def test_counting_runs(digits: str, grouped: bool, expected: bool) -> None:
    assert counting(digits, grouped) is expected
