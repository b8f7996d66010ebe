"""A small synthetic register covering every legal basis, for the forms and browser tests."""

from __future__ import annotations

from html.parser import HTMLParser

from rgpd.registry.model import (
    Activity,
    DataCategoryUse,
    DataLocation,
    LegalBasis,
    Organisation,
    PersonIdentifier,
    Role,
)

ORG = "saint-exemple"


def organisation(**over: object) -> Organisation:
    data: dict[str, object] = {
        "slug": ORG,
        "name": "Ville de Saint-Exemple",
        "address": "1 place de la Mairie, 99000 Saint-Exemple",
        "dpo_name": "Délégué mutualisé",
        "dpo_email": "dpo@example.org",
        "color_primary": "#1f4e79",
    }
    data.update(over)
    return Organisation.model_validate(data)


def activities() -> list[Activity]:
    """Public task, legal obligation, consent, contract (with and without software), processor."""
    return [
        Activity(
            ref="cantine",
            name="Restauration scolaire",
            department="Service enfance",
            legal_basis=LegalBasis.PUBLIC_TASK,
            legal_basis_text="Code de l'éducation, art. L131-13",
            software=["Portail Familles"],
            person_identifiers=[
                PersonIdentifier(
                    key="numero_famille",
                    label_fr="Numéro de famille",
                    label_en="Family number",
                    required=True,
                    example="F-2024-0042",
                ),
                PersonIdentifier(key="telephone", label_fr="Téléphone", label_en="Phone"),
            ],
        ),
        Activity(
            ref="etat-civil",
            name="Tenue de l'état civil",
            department="Service population",
            legal_basis=LegalBasis.LEGAL_OBLIGATION,
            person_identifiers=[
                PersonIdentifier(
                    key="nom_date_naissance",
                    label_fr="Nom et date de naissance",
                    required=True,
                ),
            ],
        ),
        Activity(
            ref="rh-paie",
            name="Paie des agents",
            department="Ressources humaines",
            legal_basis=LegalBasis.LEGAL_OBLIGATION,
            data_categories=[DataCategoryUse(category="nir")],
            person_identifiers=[
                PersonIdentifier(key="nir", label_fr="Numéro de sécurité sociale", required=True),
                PersonIdentifier(key="matricule", label_fr="Matricule", label_en="Staff number"),
            ],
        ),
        Activity(
            ref="newsletter",
            name="Lettre d'information",
            department="Service communication",
            legal_basis=LegalBasis.CONSENT,
            data_locations=[DataLocation(kind="files", path="/srv/newsletter")],
            person_identifiers=[PersonIdentifier(key="email", label_fr="Adresse électronique")],
        ),
        Activity(
            ref="salles",
            name="Location de salles",
            legal_basis=LegalBasis.CONTRACT,
            person_identifiers=[
                PersonIdentifier(
                    key="numero_reservation",
                    label_fr="Numéro de réservation",
                    label_en="Booking number",
                    example="R-0042",
                )
            ],
        ),
        Activity(
            ref="paie-sivom",
            name="Paie du SIVOM (pour son compte)",
            role=Role.PROCESSOR,
            legal_basis=LegalBasis.CONTRACT,
            person_identifiers=[PersonIdentifier(key="matricule_sivom", required=True)],
        ),
    ]


class Page(HTMLParser):
    """The elements of a generated page, as a checker of RGAA criteria needs them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self.label_text: dict[str, str] = {}
        self._label_for: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "label":
            self._label_for = a.get("for")
            if self._label_for:
                self.label_text[self._label_for] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_for = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._label_for:
            self.label_text[self._label_for] += data

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag]

    def ids(self) -> list[str]:
        return [a["id"] for _t, a in self.elements if "id" in a]

    def by_id(self, ident: str) -> tuple[str, dict[str, str]]:
        return next((t, a) for t, a in self.elements if a.get("id") == ident)

    def fields(self) -> list[tuple[str, dict[str, str]]]:
        """Form controls a person fills (hidden inputs and buttons excluded)."""
        return [
            (t, a)
            for t, a in self.elements
            if t in ("input", "textarea", "select")
            and a.get("type") not in ("hidden", "submit", "button")
        ]

    def field_names(self) -> set[str]:
        return {a["name"] for _t, a in self.fields()}
