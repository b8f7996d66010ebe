"""Each French recognizer on realistic sentences and on look-alikes that must not match.

Valid identifiers are built with python-stdnum's own check-digit functions, so
the tests do not depend on hand-computed keys; look-alikes break exactly one
check (NIR key, IBAN mod 97, SIRET Luhn).
"""

from __future__ import annotations

import pytest
from stdnum import luhn
from stdnum.fr import nif, nir

from rgpd.scan.detect.engine import recognizers_for
from rgpd.scan.detect.recognizers.base import Recognizer
from rgpd.scan.detect.recognizers.fr.address import AddressRecognizer
from rgpd.scan.detect.recognizers.fr.credit_card import CreditCardRecognizer
from rgpd.scan.detect.recognizers.fr.date_of_birth import DateOfBirthRecognizer
from rgpd.scan.detect.recognizers.fr.email import EmailRecognizer
from rgpd.scan.detect.recognizers.fr.iban import IbanRecognizer
from rgpd.scan.detect.recognizers.fr.id_card import IdCardRecognizer
from rgpd.scan.detect.recognizers.fr.ip import IpRecognizer
from rgpd.scan.detect.recognizers.fr.nir import NirRecognizer
from rgpd.scan.detect.recognizers.fr.passport import PassportRecognizer
from rgpd.scan.detect.recognizers.fr.person import PersonRecognizer
from rgpd.scan.detect.recognizers.fr.phone import PhoneRecognizer
from rgpd.scan.detect.recognizers.fr.plate import PlateRecognizer
from rgpd.scan.detect.recognizers.fr.siren import SirenRecognizer
from rgpd.scan.detect.recognizers.fr.siret import SiretRecognizer
from rgpd.scan.detect.recognizers.fr.tabular import TabularRecognizer
from rgpd.scan.detect.recognizers.fr.tax_id import TaxIdRecognizer
from rgpd.scan.detect.recognizers.special.recognizer import SpecialCategoryRecognizer

THRESHOLD = 0.5


def _nir(body: str) -> str:
    return body + nir.calc_check_digits(body)


def _bad_nir(body: str) -> str:
    good = int(nir.calc_check_digits(body))
    return body + f"{(good % 97) + 1:02d}"


def _siren(body8: str) -> str:
    return body8 + luhn.calc_check_digit(body8)


def _siret(body13: str) -> str:
    return body13 + luhn.calc_check_digit(body13)


def _bad_siret(body13: str) -> str:
    return body13 + str((int(luhn.calc_check_digit(body13)) + 1) % 10)


def _spaced_nir(compact: str) -> str:
    c = compact
    return f"{c[0]} {c[1:3]} {c[3:5]} {c[5:7]} {c[7:10]} {c[10:13]} {c[13:]}"


NIR_M = _nir("1850575123456")
NIR_CORSICA = _nir("285052A123456")
SIREN = _siren("73282932")
SIRET = _siret(SIREN + "0007")
CARD = "497010123456789" + luhn.calc_check_digit("497010123456789")
BAD_CARD = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
TAX = "30232176" + "00" + "053"  # python-stdnum's documented valid example
assert nif.is_valid(TAX)

# (recognizer, entity, text, expected matched substrings at or above the threshold)
POSITIVES: list[tuple[type[Recognizer], str, str, list[str] | None]] = [
    (NirRecognizer, "FR_NIR", f"Numéro de sécurité sociale : {_spaced_nir(NIR_M)}.", [_spaced_nir(NIR_M)]),
    (NirRecognizer, "FR_NIR", f"NIR {NIR_M} (assuré principal)", [NIR_M]),
    (NirRecognizer, "FR_NIR", f"l'agent, NIR {_spaced_nir(NIR_CORSICA)}, né en Corse", [_spaced_nir(NIR_CORSICA)]),
    (NirRecognizer, "FR_NIR", f"matricule;nir\nA12;{NIR_M}\n", [NIR_M]),
    (SirenRecognizer, "FR_SIREN", f"Société immatriculée au RCS de Rennes sous le n° SIREN {SIREN}.", [SIREN]),
    (SiretRecognizer, "FR_SIRET", f"Le titulaire (SIRET {SIRET}) est retenu.", [SIRET]),
    (SiretRecognizer, "FR_SIRET", f"Entreprise Dupont, {SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}.",
     [f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}"]),
    (IbanRecognizer, "IBAN_CODE", "Versement sur l'IBAN FR76 3000 6000 0112 3456 7890 189 BIC AGRIFRPP.",
     ["FR76 3000 6000 0112 3456 7890 189"]),
    (IbanRecognizer, "IBAN_CODE", "RIB : FR7630006000011234567890189", ["FR7630006000011234567890189"]),
    (IbanRecognizer, "IBAN_CODE", "compte allemand DE89 3704 0044 0532 0130 00, merci", ["DE89 3704 0044 0532 0130 00"]),
    (CreditCardRecognizer, "CREDIT_CARD", f"Payé par carte bancaire {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]} hier.", None),
    (CreditCardRecognizer, "CREDIT_CARD", "Carte Amex 3782 822463 10005, expire 12/27", ["3782 822463 10005"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Tél. : 06 12 34 56 78 (portable)", ["06 12 34 56 78"]),
    (PhoneRecognizer, "PHONE_NUMBER", "joindre au +33 (0)1 45 67 89 10 ou au 0033 6 12 34 56 78",
     ["+33 (0)1 45 67 89 10", "0033 6 12 34 56 78"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Mairie de Saint-Denis (La Réunion) : 0262 40 00 00", ["0262 40 00 00"]),
    (PhoneRecognizer, "PHONE_NUMBER", "portable +262 692 12 34 56", ["+262 692 12 34 56"]),
    (PhoneRecognizer, "PHONE_NUMBER", "nom;tel\nDurand;0612345678\n", ["0612345678"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Durand,06.12.34.56.78,durand@example.org", ["06.12.34.56.78"]),
    (EmailRecognizer, "EMAIL_ADDRESS", "Écrire à jeanne.dupont@example.net avant lundi.", ["jeanne.dupont@example.net"]),
    (EmailRecognizer, "EMAIL_ADDRESS", "De : <J.Martin+ccas@mairie.example.org>", ["J.Martin+ccas@mairie.example.org"]),
    (IpRecognizer, "IP_ADDRESS", "Connexion depuis l'adresse IP 192.0.2.45 refusée", ["192.0.2.45"]),
    (IpRecognizer, "IP_ADDRESS", "src=2001:db8::8a2e:370:7334 GET /", ["2001:db8::8a2e:370:7334"]),
    (PlateRecognizer, "FR_LICENSE_PLATE", "Le véhicule immatriculé AB-123-CD stationne rue Haute.", ["AB-123-CD"]),
    (PlateRecognizer, "FR_LICENSE_PLATE", "Véhicule ancien, plaque 1234 AB 75.", ["1234 AB 75"]),
    (TaxIdRecognizer, "FR_TAX_ID", f"Numéro fiscal (SPI) : {TAX}", [TAX]),
    (IdCardRecognizer, "FR_ID_CARD", "titulaire de la carte nationale d'identité n° 880692310285", ["880692310285"]),
    (IdCardRecognizer, "FR_ID_CARD", "Pièce d'identité : CNI X4RTBPFW4", ["X4RTBPFW4"]),
    (PassportRecognizer, "FR_PASSPORT", "présentant le passeport n° 12AB34567", ["12AB34567"]),
    (DateOfBirthRecognizer, "DATE_OF_BIRTH", "Jeanne Dupont, née le 12/03/1985 à Lyon", ["12/03/1985"]),
    (DateOfBirthRecognizer, "DATE_OF_BIRTH", "M. Martin, né à Quimper le 1er mars 1950", ["1er mars 1950"]),
    (DateOfBirthRecognizer, "DATE_OF_BIRTH", "Date de naissance : 03.10.2016", ["03.10.2016"]),
    (DateOfBirthRecognizer, "DATE_OF_BIRTH", "DDN 1985-03-12", ["1985-03-12"]),
    (AddressRecognizer, "LOCATION", "domiciliée 12 bis, rue des Lilas 29200 BREST.", ["12 bis, rue des Lilas 29200 BREST"]),
    (AddressRecognizer, "LOCATION", "Madame Durand\n8 avenue Jean Jaurès\n35000 Rennes\n", ["8 avenue Jean Jaurès\n35000 Rennes"]),
    (AddressRecognizer, "LOCATION", "BP 123 - 75001 PARIS CEDEX 01\n", ["BP 123 - 75001 PARIS CEDEX 01"]),
    (PersonRecognizer, "PERSON", "DUPONT Jeanne, adjointe technique, est absente.", ["DUPONT Jeanne"]),
    (PersonRecognizer, "PERSON", "M. Jean-Pierre MARTIN a écrit à Mme veuve LEFEBVRE.", ["Jean-Pierre MARTIN", "LEFEBVRE"]),
    (PersonRecognizer, "PERSON", "Nom : DURAND    Prénom : Léa", ["DURAND", "Léa"]),
    (PersonRecognizer, "PERSON", "Présents : Saskia Ullrich, A. ROBERT, Umberto Barcella",
     ["Saskia Ullrich", "A. ROBERT", "Umberto Barcella"]),
    (PersonRecognizer, "PERSON", "Cordialement,\nKyano Sanders\n", ["Kyano Sanders"]),
    (PersonRecognizer, "PERSON", "le brigadier-chef LE GALL est intervenu", ["LE GALL"]),
    (PersonRecognizer, "PERSON", "Marie DE LA FONTAINE, née DURAND", ["Marie DE LA FONTAINE", "DURAND"]),
    (TabularRecognizer, "PERSON", "Nom;Prénom;Service\nNGUYEN;Thi;CCAS\nDa Silva;Ana;Voirie\n", ["NGUYEN", "Thi", "Da Silva", "Ana"]),
    (TabularRecognizer, "DATE_OF_BIRTH", "Nom\tDate de naissance\nDurand\t12/03/2015\n", ["12/03/2015"]),
    (TabularRecognizer, "LOCATION", "nom,adresse,ville\nDurand,rue des Lilas,Brest\n", ["rue des Lilas", "Brest"]),  # town beside a name: residence
]  # fmt: skip

# (recognizer, text) — nothing at or above the threshold
NEGATIVES: list[tuple[type[Recognizer], str]] = [
    (NirRecognizer, f"Numéro de dossier : {_bad_nir('1850575123456')}."),
    (NirRecognizer, f"NIR {_spaced_nir(_bad_nir('2850575123456'))}"),
    (NirRecognizer, f"NIR {_nir('5850575123456')} (premier chiffre impossible)"),
    (NirRecognizer, f"référence {NIR_M}7 (seize chiffres)"),
    (SiretRecognizer, f"Référence fournisseur SIRET {_bad_siret(SIREN + '0007')}."),
    (SiretRecognizer, "Facture 12345678901234 réglée."),
    (SirenRecognizer, f"Code interne {SIREN} sans rapport."),
    (IbanRecognizer, "Ancien RIB (erroné) : FR76 3000 6000 0112 3456 7890 188."),
    (IbanRecognizer, "Référence FR12 ABCD 1234 5678 9012"),
    (CreditCardRecognizer, f"Carte {BAD_CARD[:4]} {BAD_CARD[4:8]} {BAD_CARD[8:12]} {BAD_CARD[12:]} refusée."),
    (CreditCardRecognizer, "Commande 1234567890123456 livrée."),
    (PhoneRecognizer, "Article 6042 : 15 000,00 €"),
    (PhoneRecognizer, "Séance du 01.02.2023 à 18 h."),
    (PhoneRecognizer, f"NIR {_spaced_nir(NIR_M)}"),
    (PhoneRecognizer, "Tél. : 00 00 00 00 00"),
    (PhoneRecognizer, "Voir l'article (12) 345-6789 du recueil."),
    (EmailRecognizer, "Plus d'informations sur www.exemple.fr ou https://www.mairie-exemple.fr/demarches."),
    (EmailRecognizer, "Suivez-nous @mairie_exemple sur les réseaux."),
    (IpRecognizer, "Voir la section 1.2.3.4 du règlement."),
    (IpRecognizer, "Version 10.0.19045.3693 installée."),
    (PlateRecognizer, "Le code IO-123-UO est invalide, comme SS-123-AB."),
    (TaxIdRecognizer, "Commande 3023217600054 (chiffre de contrôle faux)."),
    (IdCardRecognizer, "Référence X4RTBPFW4 du colis."),
    (DateOfBirthRecognizer, "Délibération du 15/02/2024, séance du 12 mars 2024."),
    (DateOfBirthRecognizer, "Né le 31/02/1985 (date impossible)."),
    (AddressRecognizer, "La rue de la Paix sera fermée ; il a suivi 2 cours de chant."),
    (AddressRecognizer, "Budget : 15 000,00 € ; article 6042."),
    (PersonRecognizer, "Le Conseil Municipal, réuni en Mairie sous la présidence de Monsieur le Maire."),
    (PersonRecognizer, "La Directrice Générale des Services a signé ; Place Jean Jaurès, rue Victor Hugo."),
    (PersonRecognizer, "Le marché est attribué à Moulin Fontaine S.A. ; COMMUNE DE PASCAL ; collège Jean Moulin."),
    (PersonRecognizer, "ORDRE DU JOUR\nCOMPTE RENDU DU CONSEIL MUNICIPAL\nSaint-Pierre-des-Corps"),
    (TabularRecognizer, "Le Conseil, réuni en Mairie, rue de la Paix.\nVote : pour 10, contre 3, abstention 2."),
]  # fmt: skip


# ---- issue 10: identifiers written the way people write them

NNBSP, NBSP, THIN, FIGURE = "\u202f", "\u00a0", "\u2009", "\u2007"


def _vat(siren: str) -> str:
    """The French VAT key of ``siren`` (python-stdnum's rule for numeric keys)."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def _card(prefix: str, length: int) -> str:
    body = (prefix + "0" * length)[: length - 1]
    return body + luhn.calc_check_digit(body)


def _by4(number: str, sep: str = " ") -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def _bad(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def _by3(number: str) -> str:
    return " ".join(number[i : i + 3] for i in range(0, len(number), 3))


VAT_KEY = _vat(SIREN)
SIREN_2 = _siren("44230680")
SIRET_2 = _siret(SIREN_2 + "0001")
SIRET_G = f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}"
MC2 = _card("2221", 16)
JCB = _card("3528", 16)
DISCOVER = _card("6011", 16)
UNIONPAY = _card("6200", 16)
MAESTRO = _card("6759", 16)
DINERS = _card("3056", 14)
MIR = _card("2200", 16)
PDF_IBAN = "FR76 3000 6000 0112 3456 7890\n189"
CORSICA_1980 = _nir("1800620123456")  # key holds, but Corsica is 2A/2B since 1976
assert nir.is_valid(CORSICA_1980)

POSITIVES += [
    # SIREN / SIRET: a following number or postal code, hyphens, irregular grouping, any space
    (SiretRecognizer, "FR_SIRET", f"Titulaire : SIRET {SIRET_G} 75014 Paris", [SIRET_G]),
    (SiretRecognizer, "FR_SIRET", f"Fournisseur {SIRET[:3]}-{SIRET[3:6]}-{SIRET[6:9]}-{SIRET[9:]}.",
     [f"{SIRET[:3]}-{SIRET[3:6]}-{SIRET[6:9]}-{SIRET[9:]}"]),
    (SiretRecognizer, "FR_SIRET", f"SIRET {SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:12]} {SIRET[12:]}",
     [f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:12]} {SIRET[12:]}"]),
    (SiretRecognizer, "FR_SIRET", f"{SIRET[:9]}{NNBSP}{SIRET[9:]} (établissement secondaire)",
     [f"{SIRET[:9]}{NNBSP}{SIRET[9:]}"]),
    (SiretRecognizer, "FR_SIRET", SIRET, [SIRET]),  # a database cell holding only the number
    (SirenRecognizer, "FR_SIREN", f"RCS Brest {SIREN[:3]}-{SIREN[3:6]}-{SIREN[6:]}",
     [f"{SIREN[:3]}-{SIREN[3:6]}-{SIREN[6:]}"]),
    (SirenRecognizer, "FR_SIREN", f"SIREN {SIREN[:3]}{NNBSP}{SIREN[3:6]}{NNBSP}{SIREN[6:]} 29200 Brest",
     [f"{SIREN[:3]}{NNBSP}{SIREN[3:6]}{NNBSP}{SIREN[6:]}"]),
    (SirenRecognizer, "FR_SIREN", f"{SIREN} SIREN", [SIREN]),
    # the VAT number is reported as the SIREN it holds
    (SirenRecognizer, "FR_SIREN",
     f"N° TVA intracommunautaire : FR {VAT_KEY} {SIREN[:3]} {SIREN[3:6]} {SIREN[6:]}.",
     [f"{SIREN[:3]} {SIREN[3:6]} {SIREN[6:]}"]),
    (SirenRecognizer, "FR_SIREN", f"Facture — TVA FR{VAT_KEY}{SIREN}", [SIREN]),
    (SirenRecognizer, "FR_SIREN", f"vendeur FR{VAT_KEY}{SIREN} (Brest)", [SIREN]),
    # payment cards of every brand, grouped or next to a cue
    (CreditCardRecognizer, "CREDIT_CARD", f"Réglé avec la carte {_by4(MC2)}.", [_by4(MC2)]),
    (CreditCardRecognizer, "CREDIT_CARD", f"Carte JCB {JCB}", [JCB]),
    (CreditCardRecognizer, "CREDIT_CARD", f"paiement par carte Discover {DISCOVER} accepté", [DISCOVER]),
    (CreditCardRecognizer, "CREDIT_CARD", f"UnionPay {_by4(UNIONPAY, '-')}", [_by4(UNIONPAY, "-")]),
    (CreditCardRecognizer, "CREDIT_CARD", f"Maestro : {_by4(MAESTRO, NNBSP)}", [_by4(MAESTRO, NNBSP)]),
    (CreditCardRecognizer, "CREDIT_CARD", f"carte Mir {MIR}, expire 03/29", [MIR]),
    (CreditCardRecognizer, "CREDIT_CARD", f"Diners {DINERS[:4]} {DINERS[4:10]} {DINERS[10:]}",
     [f"{DINERS[:4]} {DINERS[4:10]} {DINERS[10:]}"]),
    (CreditCardRecognizer, "CREDIT_CARD", f"Cartes : {CARD} {_by4(MC2, '-')}", [CARD, _by4(MC2, "-")]),
    # IPv6: at the end of a sentence, with an IPv4 part (whole), with a prefix
    (IpRecognizer, "IP_ADDRESS", "L'adresse du serveur est 2001:db8::1.", ["2001:db8::1"]),
    (IpRecognizer, "IP_ADDRESS", "Client ::ffff:192.0.2.17 connecté à 10 h", ["::ffff:192.0.2.17"]),
    (IpRecognizer, "IP_ADDRESS", "passerelle 64:ff9b::198.51.100.7, DNS 2001:db8:1::53",
     ["64:ff9b::198.51.100.7", "2001:db8:1::53"]),
    (IpRecognizer, "IP_ADDRESS", "Réseau des agents : 192.168.10.0/24 et 2001:db8:42::/48.",
     ["192.168.10.0/24", "2001:db8:42::/48"]),
    # phones: 08 national form, overseas short plans with a cue, abroad, unlisted after a strong cue
    (PhoneRecognizer, "PHONE_NUMBER", "Numéro vert : 0 800 12 34 56", ["0 800 12 34 56"]),
    (PhoneRecognizer, "PHONE_NUMBER", "joindre au 28.45.67 (Nouméa)", ["28.45.67"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Portable : 87 21 43 65 (Papeete)", ["87 21 43 65"]),
    (PhoneRecognizer, "PHONE_NUMBER", "appelez le +44 20 7946 0123 ou le +49 30 12345678",
     ["+44 20 7946 0123", "+49 30 12345678"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Tél. aux États-Unis : (212) 555-0147", ["(212) 555-0147"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Tél. : 04 05 12 34 56", ["04 05 12 34 56"]),
    # North America's bracketed form needs no phone word
    (PhoneRecognizer, "PHONE_NUMBER", "Bureau de Boston (617)555-0199, ouvert le lundi", ["(617)555-0199"]),
    (PhoneRecognizer, "PHONE_NUMBER", "portable : +33 7 23 45 67 89", ["+33 7 23 45 67 89"]),
    (PhoneRecognizer, "PHONE_NUMBER", f"Tél. 06{NNBSP}12{NNBSP}34{NNBSP}56{NNBSP}78",
     [f"06{NNBSP}12{NNBSP}34{NNBSP}56{NNBSP}78"]),
    (PhoneRecognizer, "PHONE_NUMBER", f"+33{NBSP}1{THIN}45{THIN}67{THIN}89{THIN}10",
     [f"+33{NBSP}1{THIN}45{THIN}67{THIN}89{THIN}10"]),
    # IBAN cut by a line break (PDF extraction), NIR and tax number with Unicode spaces
    (IbanRecognizer, "IBAN_CODE", f"IBAN : {PDF_IBAN}.\nBIC AGRIFRPP", [PDF_IBAN]),
    (IbanRecognizer, "IBAN_CODE", f"RIB FR76{NNBSP}3000{NNBSP}6000{NNBSP}0112{NNBSP}3456{NNBSP}7890{NNBSP}189",
     [f"FR76{NNBSP}3000{NNBSP}6000{NNBSP}0112{NNBSP}3456{NNBSP}7890{NNBSP}189"]),
    (NirRecognizer, "FR_NIR", f"NIR : {_spaced_nir(NIR_M).replace(' ', NNBSP)}", [_spaced_nir(NIR_M).replace(" ", NNBSP)]),
    (TaxIdRecognizer, "FR_TAX_ID", f"Numéro fiscal : {TAX[:2]}{NBSP}{TAX[2:4]}{NBSP}{TAX[4:7]}{NBSP}{TAX[7:10]}{NBSP}{TAX[10:]}",
     [f"{TAX[:2]}{NBSP}{TAX[2:4]}{NBSP}{TAX[4:7]}{NBSP}{TAX[7:10]}{NBSP}{TAX[10:]}"]),
    (PlateRecognizer, "FR_LICENSE_PLATE", f"véhicule AB{NBSP}123{NBSP}CD", [f"AB{NBSP}123{NBSP}CD"]),
    (EmailRecognizer, "EMAIL_ADDRESS", "Écrire à contact@xn--mairie-dsa.example.xn--p1ai.",
     ["contact@xn--mairie-dsa.example.xn--p1ai"]),
    # checksum-valid numbers in a list vouch for each other (one chance in a hundred by luck)
    (SirenRecognizer, "FR_SIREN", f"Les sociétés {SIREN} et {SIREN_2} ont répondu.", [SIREN, SIREN_2]),
    (SirenRecognizer, "FR_SIREN", f"Attributaires : {_by3(SIREN)} ; {_by3(SIREN_2)}",
     [_by3(SIREN), _by3(SIREN_2)]),
    (SirenRecognizer, "FR_SIREN", f"{_by3(SIREN)} {_by3(SIREN_2)}", [_by3(SIREN), _by3(SIREN_2)]),
    (SiretRecognizer, "FR_SIRET", f"Établissements {SIRET}, {SIRET_2}.", [SIRET, SIRET_2]),
    (CreditCardRecognizer, "CREDIT_CARD", f"Opposition faite : {MC2} / {_by4(CARD)}", [MC2, _by4(CARD)]),
    # a foreign number after France's international prefix "00", next to a phone word
    (PhoneRecognizer, "PHONE_NUMBER", "Tél. : 00 44 20 7946 0123 (Londres)", ["00 44 20 7946 0123"]),
    (PhoneRecognizer, "PHONE_NUMBER", "joindre au 0049 30 12345678 ou au 00 1 212 555 0147",
     ["0049 30 12345678", "00 1 212 555 0147"]),
    # Monaco's national form ("0X" like France's) is no "00" international number
    (PhoneRecognizer, "PHONE_NUMBER", "Pédiatre : Dr Morel – 06 94 79 12 34", ["06 94 79 12 34"]),
    # a verb of calling right before compact digits a country writes that way
    (PhoneRecognizer, "PHONE_NUMBER", "Pour l'Expo de Shanghai, contacter 13912345670 avant mai.", ["13912345670"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Vous pouvez appeler le 2125550147 (bureau de New York).", ["2125550147"]),
    (PhoneRecognizer, "PHONE_NUMBER", "Merci de le joindre au numéro 13912345670.", ["13912345670"]),
    (PhoneRecognizer, "PHONE_NUMBER", "contactez le 04 05 12 34 56 demain", ["04 05 12 34 56"]),  # unlisted, strong cue
    # every Unicode space, in a table's phone column and in a VAT number with no VAT word
    *[(TabularRecognizer, "PHONE_NUMBER", f"Nom;Téléphone\nMartin;06{c}12{c}34{c}56{c}78\n",
       [f"06{c}12{c}34{c}56{c}78"]) for c in (NBSP, NNBSP, THIN, FIGURE)],
    *[(SirenRecognizer, "FR_SIREN", f"Le lot 2 est attribué à la société Exemple, FR{c}{VAT_KEY}{c}"
       f"{SIREN[:3]}{c}{SIREN[3:6]}{c}{SIREN[6:]} (Brest).", [f"{SIREN[:3]}{c}{SIREN[3:6]}{c}{SIREN[6:]}"])
      for c in (NNBSP, THIN, FIGURE)],
]  # fmt: skip

NEGATIVES += [
    (SiretRecognizer, f"SIRET {_bad(SIRET)} 75014 Paris"),
    (SiretRecognizer, "SIRET 000 000 000 00000"),
    (SiretRecognizer, "SIRET ０７３２８２９３２００００７"),  # full-width digits
    (SirenRecognizer, f"RCS Brest {_bad(SIREN)[:3]}-{_bad(SIREN)[3:6]}-{_bad(SIREN)[6:]}"),
    (SirenRecognizer, f"Budget voté : {SIREN[:3]} {SIREN[3:6]} {SIREN[6:]} euros."),  # no cue
    (SirenRecognizer, "SIREN 000000000"),
    (SirenRecognizer, f"TVA intracommunautaire FR{(int(VAT_KEY) + 1) % 97:02d}{_bad(SIREN)}"),
    (CreditCardRecognizer, f"Carte JCB {_bad(JCB)}"),
    (CreditCardRecognizer, f"Carte {_by4(_card('9999', 16))}"),  # no issuer there
    (CreditCardRecognizer, f"Fournisseur {DINERS[:3]} {DINERS[3:6]} {DINERS[6:9]} {DINERS[9:]}"),  # a SIRET
    (CreditCardRecognizer, f"Commande {MAESTRO} livrée"),  # bare digits, no cue
    (IpRecognizer, "Le service écoute sur 0.0.0.0 et sur ::."),
    (IpRecognizer, "OID 1.3.6.1.4.1 du fournisseur."),
    (PhoneRecognizer, "Réunion du 20.12.24 à 18 h, salle 3."),
    (PhoneRecognizer, "Contact : 12.03.2024"),
    (PhoneRecognizer, "Dossier 04 05 12 34 56 classé."),  # unlisted, no strong cue
    (PhoneRecognizer, "Veuillez contacter 59020123 pour le dossier."),  # valid nowhere near
    (PhoneRecognizer, "Tél. : 00 12 34"),  # in no plan
    (IbanRecognizer, "IBAN : FR76 3000 6000 0112 3456 7890\n188."),
    (NirRecognizer, f"NIR {_spaced_nir(CORSICA_1980)}"),
    (EmailRecognizer, "Suivez contact@mairie sur le réseau interne."),
    # a list vouches only when every member passes, on one line, and is no list of amounts
    (SirenRecognizer, f"Les sociétés {SIREN} et {_bad(SIREN_2)} ont répondu."),
    (SirenRecognizer, f"Montants : {_by3(SIREN)} et {_by3(SIREN_2)} euros."),
    (SirenRecognizer, f"Crédits {_by3(SIREN)} € ; {_by3(SIREN_2)} €"),
    (SirenRecognizer, f"Dossiers {SIREN}\n{SIREN_2}"),
    (SirenRecognizer, f"Le dossier {SIREN} concerne le lot {SIREN_2}."),
    (SiretRecognizer, f"Commandes {SIRET} et {_bad(SIRET_2)} livrées."),
    (CreditCardRecognizer, f"Commandes {MC2} et {_bad(MAESTRO)} livrées."),
    # "00" + a foreign number without a phone word: a zero-padded reference as much as a phone
    (PhoneRecognizer, "Dossier 0044 20 7946 0123 classé."),
    (PhoneRecognizer, "Tél. : 00 99 12 34 56 78"),  # no country 99
    # compact digits after a verb of calling: valid in no plan as written, or too short
    (PhoneRecognizer, "Pour l'Expo de Shanghai, contacter 12812345678 avant mai."),  # no such prefix
    (PhoneRecognizer, "Veuillez contacter 12345678 pour le dossier."),  # 012 34 56 78 in Belgium
    (PhoneRecognizer, "Veuillez rappeler 20240315 ou 2024031512."),  # a date, a reference
    (PhoneRecognizer, "Dossier 13912345670 classé sans suite."),  # no verb of calling
    # a trailing digit after a Unicode space makes the run longer than a phone, as after a space
    *[(PhoneRecognizer, f"Tél. : 06 12 34 56 78{c}9") for c in (NBSP, NNBSP, THIN, FIGURE)],
    *[(TabularRecognizer, f"Service;Téléphone\nCCAS;06{c}12{c}34{c}56{c}79{c}99\n") for c in (NNBSP, THIN)],
    (SirenRecognizer, f"Le lot 2 est attribué à la société Exemple, FR{NNBSP}{(int(VAT_KEY) + 1) % 97:02d}"
     f"{NNBSP}{SIREN[:3]}{NNBSP}{SIREN[3:6]}{NNBSP}{SIREN[6:]} (Brest)."),  # VAT key fails
]  # fmt: skip


def test_ipv6_with_ipv4_part_is_masked_whole() -> None:
    from rgpd.masking import mask

    for value in ("::ffff:192.0.2.17", "64:ff9b::198.51.100.7", "2001:db8::192.168.1.1/120"):
        masked = mask("IP_ADDRESS", value)
        assert not any(part in masked for part in ("192", "198", "17", "100")), masked
        assert masked.count("*") >= 3


def _found(rec: Recognizer, entity: str, text: str) -> list[str]:
    return [
        text[s.start : s.end]
        for s in rec.find(text)
        if s.entity_type == entity and s.score >= THRESHOLD
    ]


@pytest.mark.parametrize(
    ("cls", "entity", "text", "expected"), POSITIVES, ids=lambda v: str(v)[:40]
)
def test_true_positives(
    cls: type[Recognizer], entity: str, text: str, expected: list[str] | None
) -> None:
    found = _found(cls(), entity, text)
    if expected is None:  # the exact span is the recognizer's business; one hit is required
        assert len(found) == 1
    else:
        assert sorted(found) == sorted(expected)


@pytest.mark.parametrize(("cls", "text"), NEGATIVES, ids=lambda v: str(v)[:40])
def test_lookalikes_are_not_findings(cls: type[Recognizer], text: str) -> None:
    rec = cls()
    assert [text[s.start : s.end] for s in rec.find(text) if s.score >= THRESHOLD] == []


SPECIAL_POSITIVES = [
    ("HEALTH", "Mme Durand est atteinte d'un diabète de type 1.", "diabète"),
    ("HEALTH", "L'agent est placé en congé de longue maladie.", "congé de longue maladie"),
    ("HEALTH", "L'enfant bénéficie d'un PAI pour asthme.", "PAI"),
    ("HEALTH", "L'élève souffre d'une maladie rare, suivi au CHU.", "maladie"),
    ("RELIGION", "Régime : repas sans porc.", "sans porc"),
    ("RELIGION", "La famille, de confession musulmane, demande un aménagement.", "musulmane"),
    ("POLITICAL_OPINION", "Adhérent du Parti socialiste depuis 2010.", "Parti socialiste"),
    ("TRADE_UNION", "Il est délégué syndical CFDT.", "délégué syndical"),
    ("TRADE_UNION", "Elle bénéficie d'une décharge syndicale.", "décharge syndicale"),
    ("ETHNIC_ORIGIN", "Un individu d'origine maghrébine selon le témoin.", "origine maghrébine"),
    ("SEX_LIFE", "Il a révélé son orientation sexuelle à son employeur.", "orientation sexuelle"),
    ("BIOMETRIC", "Une pointeuse à empreintes digitales est envisagée.", "empreintes digitales"),
    ("GENETIC", "Un test génétique a été réalisé.", "test génétique"),
    ("CRIMINAL_OFFENCE", "Extrait de casier judiciaire demandé au candidat.", "casier judiciaire"),
    ("CRIMINAL_OFFENCE", "Placé en GARDE À VUE pour vol.", "GARDE À VUE"),
]
SPECIAL_NEGATIVES = [
    "La Caisse primaire d'assurance maladie a été informée.",
    "Le syndicat intercommunal des eaux se réunit jeudi.",
    "Travaux sur l'édifice du culte ; traitement des données personnelles.",
    "Allergies / PAI : néant\nMédecin traitant : à compléter",
    "Le traitement sera versé le 28 du mois.",
    "Décision de sursis à statuer sur le permis de construire.",
    "M. Olivier GAY, 12 rue Gay-Lussac.",
    "Empreinte carbone des bâtiments communaux.",
]


@pytest.mark.parametrize(("entity", "text", "term"), SPECIAL_POSITIVES)
def test_special_categories(entity: str, text: str, term: str) -> None:
    at = text.index(term)
    hits = SpecialCategoryRecognizer().find(text)
    assert any(s.entity_type == entity and s.start <= at and at + len(term) <= s.end for s in hits)
    assert all(s.entity_type == entity for s in hits)


@pytest.mark.parametrize("text", SPECIAL_NEGATIVES)
def test_special_category_lookalikes(text: str) -> None:
    assert SpecialCategoryRecognizer().find(text) == []


def test_registry_follows_configuration() -> None:
    only = recognizers_for(["EMAIL_ADDRESS", "FR_NIR"])
    assert {e for r in only for e in r.entities} >= {"EMAIL_ADDRESS", "FR_NIR"}
    assert not any(isinstance(r, PersonRecognizer | SpecialCategoryRecognizer) for r in only)
    assert len(recognizers_for(None)) > len(only)


def test_registry_entities_are_each_class_own() -> None:
    """The registry chooses without importing: what it says each class emits must hold."""
    from rgpd.scan.detect.registry import POOL, recognizer_class
    from rgpd.scan.detect.types import SPECIAL_ENTITIES

    seen = set()
    for module, name, entities in POOL:
        cls = recognizer_class(module, name)
        assert frozenset(cls.entities) == entities, name
        assert frozenset(cls().entities) == entities, name
        seen |= entities
    assert seen >= {e.value for e in SPECIAL_ENTITIES}


def test_a_path_mask_loads_no_lexicon() -> None:
    """Masking a path (a rescan's summary) builds identifier recognizers only (issue 11)."""
    from tests.clihelp import fresh_python_json

    loaded = fresh_python_json(
        "import json, sys\n"
        "from rgpd.scan.paths import mask_path\n"
        "masked = mask_path('dossiers/2021/jean.dupont@example.org/06 12 34 56 78.txt')\n"
        "print(json.dumps({'masked': masked, 'modules': sorted(sys.modules)}))\n"
    )
    masked, modules = str(loaded["masked"]), loaded["modules"]
    assert isinstance(modules, list)
    assert "jean.dupont@example.org" not in masked and "06 12 34 56 78" not in masked
    assert "rgpd.scan.detect.recognizers.fr.person" not in modules
    assert "rgpd.scan.detect.recognizers.special.recognizer" not in modules
    assert "rgpd.scan.detect.detector" not in modules


def test_unknown_entity_is_a_config_error() -> None:
    from rgpd.errors import ConfigError

    with pytest.raises(ConfigError):
        recognizers_for(["NOT_AN_ENTITY"])
