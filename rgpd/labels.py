"""The words a person reads for the codes rgpd stores: one table per kind of code.

Codes (``FR_NIR``, ``en_cours``, ``symlink_loop``, ``category_never_seen``…) are the
stable interface of ``--json``, JSON lines and the database; people read labels, in
their language. Every table maps a code to an English msgid (``N_``) translated at
display time with ``_()``; an unknown code is shown as it is, so a code added in one
place never breaks a screen, and ``tests/test_labels.py`` checks that every member of
every enum has its label.

The tables are keyed by the code string, not by the enums: this module sits below every
wing (only ``rgpd.i18n`` is imported), so the register, the scanners, the requests, the
reports and the CLI can all read it without an import circle.
"""

from __future__ import annotations

from rgpd.i18n import N_, _, _n

#: Entity types found by the detectors (rgpd.taxonomy.Entity).
ENTITY: dict[str, str] = {
    "PERSON": N_("Names of people"),
    "LOCATION": N_("Postal addresses"),
    "EMAIL_ADDRESS": N_("E-mail addresses"),
    "PHONE_NUMBER": N_("Phone numbers"),
    "IP_ADDRESS": N_("IP addresses"),
    "URL": N_("Web addresses (URL)"),
    "DATE_OF_BIRTH": N_("Dates of birth"),
    "IBAN_CODE": N_("Bank account numbers (IBAN)"),
    "CREDIT_CARD": N_("Payment card numbers"),
    "FR_NIR": N_("Social security numbers (NIR)"),
    "FR_SIREN": N_("SIREN numbers"),
    "FR_SIRET": N_("SIRET numbers"),
    "FR_TAX_ID": N_("Tax numbers"),
    "FR_ID_CARD": N_("Identity card numbers"),
    "FR_PASSPORT": N_("Passport numbers"),
    "FR_LICENSE_PLATE": N_("Vehicle plates"),
    "PHOTO": N_("Photos of people"),
    "CREDENTIAL": N_("Passwords and secrets"),
    "GENDER": N_("Sex or gender (civil status)"),
    "FINANCIAL_SITUATION": N_("Income and financial situation"),
    "HEALTH": N_("Health data (Art. 9)"),
    "RELIGION": N_("Religious beliefs (Art. 9)"),
    "POLITICAL_OPINION": N_("Political opinions (Art. 9)"),
    "TRADE_UNION": N_("Trade-union membership (Art. 9)"),
    "ETHNIC_ORIGIN": N_("Racial or ethnic origin (Art. 9)"),
    "SEX_LIFE": N_("Sex life or orientation (Art. 9)"),
    "BIOMETRIC": N_("Biometric data (Art. 9)"),
    "GENETIC": N_("Genetic data (Art. 9)"),
    "CRIMINAL_OFFENCE": N_("Offences and convictions (Art. 10)"),
}

#: Risk of a finding (rgpd.scan.findings.Severity) and weight of a register or
#: reconciliation issue (rgpd.registry.rules.Severity): the two share no code.
SEVERITY: dict[str, str] = {
    "none": N_("no risk"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "error": N_("error"),
    "warning": N_("warning"),
    "info": N_("information"),
}

#: Citizens' rights (rgpd.requests.model.RequestType).
RIGHT: dict[str, str] = {
    "acces": N_("Right of access"),
    "rectification": N_("Right to rectification"),
    "effacement": N_("Right to erasure"),
    "limitation": N_("Right to restriction of processing"),
    "portabilite": N_("Right to data portability"),
    "opposition": N_("Right to object"),
    "directives_post_mortem": N_("Directives on data after death"),
    "document_administratif": N_("Access to administrative documents"),
}

#: States of a request (rgpd.requests.model.RequestState).
REQUEST_STATE: dict[str, str] = {
    "recue": N_("Received"),
    "identite_en_attente": N_("Waiting for identity"),
    "en_cours": N_("In progress"),
    "en_attente_precision": N_("Waiting for clarification"),
    "prolongee": N_("Extended"),
    "traitee": N_("Answered"),
    "refusee": N_("Refused"),
    "retiree": N_("Withdrawn"),
    "reorientee": N_("Redirected"),
}

#: What an agent does to a request (rgpd.requests.model.Action), as a verb: "cannot extend".
REQUEST_ACTION: dict[str, str] = {
    "recevoir": N_("receive"),
    "instruire": N_("start work"),
    "demander_identite": N_("ask for proof of identity"),
    "identite_verifiee": N_("record the identity check"),
    "mandat_verifie": N_("record the mandate check"),
    "demander_precision": N_("ask for a clarification"),
    "precision_recue": N_("record the clarification"),
    "prolonger": N_("extend"),
    "attribuer": N_("assign"),
    "clore": N_("close"),
    "refuser": N_("refuse"),
    "retirer": N_("withdraw"),
    "reorienter": N_("redirect"),
}

#: How a request came in (rgpd.requests.model.Channel).
CHANNEL: dict[str, str] = {
    "web": N_("online form"),
    "guichet": N_("counter"),
    "courrier": N_("post"),
    "courriel": N_("e-mail"),
    "telephone": N_("phone"),
}

#: Who asks, relative to the person concerned (rgpd.requests.model.RequesterRole).
REQUESTER_ROLE: dict[str, str] = {
    "personne_concernee": N_("the person concerned"),
    "titulaire_autorite_parentale": N_("holder of parental authority"),
    "tuteur": N_("legal guardian"),
    "avocat": N_("lawyer"),
    "mandataire": N_("holder of a written mandate"),
    "heritier": N_("heir"),
    "personne_designee": N_("person named in the directives"),
}

#: Where a request stands against its Art. 12(3) deadline (rgpd.deadlines.DeadlineStatus).
DEADLINE_STATUS: dict[str, str] = {
    "ok": N_("on time"),
    "due_soon": N_("due soon"),
    "overdue": N_("overdue"),
    "paused": N_("paused"),
    "closed": N_("closed"),
}

#: What erasure does to a row, a column or a file (rgpd.registry.model.ErasureAction).
ERASURE_ACTION: dict[str, str] = {
    "supprimer": N_("delete"),
    "vider": N_("empty"),
    "pseudonymiser": N_("pseudonymise"),
    "conserver": N_("keep"),
}

#: What erasure does to a file (rgpd.requests.erasure.plan.FileAction.action).
FILE_ACTION: dict[str, str] = {
    "delete": N_("delete"),
    "redact": N_("redact"),
    "keep": N_("keep"),
    "manual": N_("by hand"),
}

#: Why a file or a member could not be read (rgpd.scan.extract.model.Reason).
ERROR_REASON: dict[str, str] = {
    "too_large": N_("too large"),
    "archive_entries": N_("archive with too many entries"),
    "archive_total": N_("archive too large once unpacked"),
    "archive_ratio": N_("suspicious compression ratio"),
    "archive_depth": N_("archives nested too deep"),
    "too_many_pages": N_("too many pages"),
    "memory": N_("out of memory"),
    "timeout": N_("took too long"),
    "crashed": N_("reader crashed"),
    "encrypted": N_("encrypted"),
    "missing_extra": N_("reader not installed"),
    "unknown_format": N_("unknown format"),
    "not_regular_file": N_("not a regular file"),
    "corrupt": N_("damaged file"),
    "permission_denied": N_("access denied"),
    "not_found": N_("not found"),
    "symlink_loop": N_("symbolic link loop"),
    "symlink_outside": N_("link leading outside the scanned folders"),
    "io_error": N_("read error"),
    "undecodable_name": N_("unreadable file name"),
    "error": N_("error"),
}

#: Contradictions between findings and the register (rgpd.scan.reconcile.Rule).
RECONCILE_RULE: dict[str, str] = {
    "undeclared_processing": N_("processing not in the register"),
    "special_category_undeclared": N_("special-category data not declared"),
    "nir_unauthorised": N_("NIR without authorisation"),
    "retention_overrun": N_("kept beyond its retention period"),
    "location_not_scanned": N_("declared location not scanned"),
    "category_never_seen": N_("declared category never found"),
    "password_weakly_stored": N_("passwords in clear or under a weak hash"),
}

#: Register checks (``code`` of rgpd.registry.rules.LintIssue).
LINT_RULE: dict[str, str] = {
    "art10_basis_missing": N_("Art. 10 ground missing"),
    "art10_flag_missing": N_("offence data not flagged"),
    "art9_condition_missing": N_("Art. 9 condition missing"),
    "controller_contact_missing": N_("controller contact missing"),
    "controller_missing": N_("controller missing"),
    "controllers_served_missing": N_("controllers served missing"),
    "data_categories_missing": N_("data categories missing"),
    "data_subjects_missing": N_("data subjects missing"),
    "dpia_missing": N_("DPIA missing"),
    "dpia_unknown_cnil_entry": N_("unknown CNIL list entry"),
    "dpo_missing": N_("DPO missing"),
    "legal_basis_missing": N_("legal basis missing"),
    "legal_basis_text_missing": N_("legal text missing"),
    "legitimate_interests_public_authority": N_("legitimate interests used by a public body"),
    "nir_category_unknown": N_("NIR use not in the décret"),
    "nir_not_authorised": N_("NIR not authorised"),
    "processor_unknown": N_("unknown processor"),
    "processor_unlinked": N_("processor not linked"),
    "processor_without_contract": N_("processor without contract"),
    "processor_clauses_incomplete": N_("Art. 28(3) clauses incomplete"),
    "processor_hosting_outside_eea": N_("processor hosting outside the EEA"),
    "purposes_missing": N_("purposes missing"),
    "retention_missing": N_("retention period missing"),
    "review_date_missing": N_("review date missing"),
    "review_overdue": N_("review overdue"),
    "security_missing": N_("security measures missing"),
    "transfer_undeclared": N_("transfer not declared"),
    "transfer_without_safeguard": N_("transfer without safeguard"),
    "dpia_not_started": N_("required DPIA not started"),
    "dpia_review_due": N_("DPIA review due"),
    "dpia_not_recorded": N_("validated DPIA not recorded"),
    "software_processor_missing": N_("software without its processor"),
    "software_transfer_undeclared": N_("software hosting abroad, transfer not declared"),
    "software_unknown_activity": N_("software linked to an unknown activity"),
    "software_unknown_processor": N_("software linked to an unknown processor"),
    "software_unlinked": N_("software serving no activity"),
}

#: How a scan run, a database or a table ended (rgpd.scan.files / rgpd.scan.database).
SCAN_STATUS: dict[str, str] = {
    "running": N_("running"),
    "completed": N_("finished"),
    "failed": N_("failed"),
    "interrupted": N_("interrupted"),
    "partial": N_("partly read"),
    "scanned": N_("scanned"),
    "unchanged": N_("unchanged"),
    "error": N_("error"),
    "present": N_("present"),
    "gone": N_("gone"),
}

#: How a password column keeps its values (rgpd.scan.columns.PasswordStorage): what the DPO
#: reads next to a CREDENTIAL finding. Art. 32(1)(a) GDPR; CNIL délibération n° 2022-100.
PASSWORD_STORAGE: dict[str, str] = {
    "clear": N_("passwords stored in clear (Art. 32(1)(a))"),
    "weak_hash": N_("passwords under a weak hash: fast or unsalted (Art. 32(1)(a))"),
    "hashed": N_("passwords hashed with a slow, salted function (Art. 32(1)(a))"),
    "unknown": N_("password storage not recognised"),
}

#: What happens to data at the end of its retention (rgpd.registry.model.FinalDisposition,
#: Code du patrimoine art. L212-2 ff.).
FINAL_DISPOSITION: dict[str, str] = {
    "destruction": N_("destroyed"),
    "versement": N_("transferred to the archives"),
    "tri": N_("sorted (part kept by the archives)"),
}

#: Software and supports register (rgpd.registry.model.SoftwareKind, SupportMedium, Hosting).
SOFTWARE_KIND: dict[str, str] = {
    "logiciel": N_("software"),
    "support": N_("support"),
}

SUPPORT_MEDIUM: dict[str, str] = {
    "archive_papier": N_("paper archive"),
    "cle_usb": N_("USB stick"),
    "disque_externe": N_("external drive"),
    "serveur": N_("server"),
    "poste_de_travail": N_("workstation"),
    "mobile": N_("mobile device"),
    "stockage_en_ligne": N_("online storage"),
    "autre": N_("other medium"),
}

HOSTING: dict[str, str] = {
    "sur_site": N_("on premises"),
    "saas": N_("SaaS"),
    "sous_traitant": N_("at a processor"),
}

#: Every table, by the name the generic :func:`label` takes.
TABLES: dict[str, dict[str, str]] = {
    "entity": ENTITY,
    "severity": SEVERITY,
    "right": RIGHT,
    "request_state": REQUEST_STATE,
    "request_action": REQUEST_ACTION,
    "channel": CHANNEL,
    "deadline_status": DEADLINE_STATUS,
    "requester_role": REQUESTER_ROLE,
    "erasure_action": ERASURE_ACTION,
    "file_action": FILE_ACTION,
    "error_reason": ERROR_REASON,
    "reconcile_rule": RECONCILE_RULE,
    "lint_rule": LINT_RULE,
    "scan_status": SCAN_STATUS,
    "password_storage": PASSWORD_STORAGE,
    "final_disposition": FINAL_DISPOSITION,
    "software_kind": SOFTWARE_KIND,
    "support_medium": SUPPORT_MEDIUM,
    "hosting": HOSTING,
}


def label(kind: str, code: object) -> str:
    """The label of ``code`` in the active language; the code itself when unknown."""
    text = str(getattr(code, "value", code) if code is not None else "")
    msgid = TABLES[kind].get(text)
    return _(msgid) if msgid else text


def entity(code: object, special: bool = False) -> str:
    """The entity's label; ``special`` marks an Art. 9 finding of a type not special by itself."""
    text = label("entity", code)
    return f"{text} (Art. 9)" if special and "(art." not in text.lower() else text


def severity(code: object) -> str:
    return label("severity", code)


def right(code: object) -> str:
    return label("right", code)


def request_state(code: object) -> str:
    return label("request_state", code)


def request_action(code: object) -> str:
    return label("request_action", code)


def channel(code: object) -> str:
    return label("channel", code)


def requester_role(code: object) -> str:
    return label("requester_role", code)


def deadline_status(code: object) -> str:
    return label("deadline_status", code)


def erasure_action(code: object) -> str:
    return label("erasure_action", code)


def file_action(code: object) -> str:
    return label("file_action", code)


def error_reason(code: object) -> str:
    return label("error_reason", code)


def reconcile_rule(code: object) -> str:
    return label("reconcile_rule", code)


def lint_rule(code: object) -> str:
    return label("lint_rule", code)


def scan_status(code: object) -> str:
    return label("scan_status", code)


def password_storage(code: object) -> str:
    return label("password_storage", code)


def final_disposition(code: object) -> str:
    return label("final_disposition", code)


def software_kind(code: object) -> str:
    return label("software_kind", code)


def support_medium(code: object) -> str:
    return label("support_medium", code)


def hosting(code: object) -> str:
    return label("hosting", code)


def category(key: str) -> str:
    """A data category of the register (rgpd.taxonomy.CATEGORIES) in the active language."""
    from rgpd.i18n import get_language
    from rgpd.taxonomy import CATEGORIES

    c = CATEGORIES.get(key)
    if c is None:
        return key
    return c.label_fr if get_language() == "fr" else c.label_en


def counts(kind: str, by_code: dict[str, int]) -> str:
    """ "E-mail addresses: 3, Dates of birth: 33" — a count per labelled code, largest first."""
    items = sorted(by_code.items(), key=lambda kv: (-kv[1], label(kind, kv[0])))
    return ", ".join(f"{label(kind, code)}{_(': ')}{n}" for code, n in items)


def duration_code(code: str | None) -> str:
    """ "10y" -> "10 ans", "6m" -> "6 mois", "30d" -> "30 jours"; other text as it is."""
    if not code:
        return ""
    text = code.strip()
    try:
        n, unit = int(text[:-1]), text[-1]
    except (ValueError, IndexError):
        return text
    if unit == "y":
        return duration(years=n)
    if unit == "m":
        return duration(months=n)
    if unit == "d":
        return duration(days=n)
    return text


def duration(years: int = 0, months: int = 0, days: int = 0) -> str:
    """ "100 ans", "6 mois", "1 an et 6 mois": a retention period people read."""
    parts = []
    if years:
        parts.append(_n("{n} year", "{n} years", years))
    if months:
        parts.append(_n("{n} month", "{n} months", months))
    if days or not parts:
        parts.append(_n("{n} day", "{n} days", days))
    if len(parts) == 1:
        return parts[0]
    return _("{first} and {last}", first=", ".join(parts[:-1]), last=parts[-1])
