"""Register import and export: YAML register-as-code, the CNIL layout, the public register.

The format functions are pure (text or bytes in, ``Register`` out, and back);
``read_register`` / ``write_register`` are the thin edge the CLI calls, choosing
the format from the file extension.
"""

from __future__ import annotations

from pathlib import Path

from rgpd.errors import FieldProblem, InvalidInput, ValidationFailed
from rgpd.i18n import _
from rgpd.registry.io.cnil import (
    COLUMNS,
    NOT_IN_TABLES,
    SHEET_NAME,
    export_csv,
    export_ods,
    export_xlsx,
    import_csv,
    import_ods,
    import_xlsx,
    merge_table_import,
)
from rgpd.registry.io.public import (
    PUBLIC_FIELDS,
    export_public_csv,
    export_public_json,
    public_register,
)
from rgpd.registry.io.template import ImportOutcome
from rgpd.registry.io.yamlio import (
    dump_yaml,
    dump_yaml_activity,
    load_yaml,
    load_yaml_activity,
    problems_from_validation,
)
from rgpd.registry.model import Register

__all__ = [
    "COLUMNS",
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "NOT_IN_TABLES",
    "PUBLIC_FIELDS",
    "SHEET_NAME",
    "ImportOutcome",
    "dump_yaml",
    "dump_yaml_activity",
    "export_csv",
    "export_ods",
    "export_public_csv",
    "export_public_json",
    "export_xlsx",
    "format_from_path",
    "import_csv",
    "import_ods",
    "import_xlsx",
    "load_yaml",
    "load_yaml_activity",
    "merge_table_import",
    "parse_register",
    "parse_register_report",
    "problems_from_validation",
    "public_register",
    "read_register",
    "render_register",
    "write_register",
]

IMPORT_FORMATS = ("yaml", "csv", "xlsx", "ods")
EXPORT_FORMATS = (
    "yaml",
    "csv",
    "xlsx",
    "ods",
    "cnil-ods",
    "cnil-xlsx",
    "public-csv",
    "public-json",
)
_EXT = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx", ".ods": "ods"}


def format_from_path(path: Path) -> str:
    fmt = _EXT.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            "--format",
            _(
                "cannot tell the format of {name}; use one of: {formats}",
                name=path.name,
                formats=", ".join(IMPORT_FORMATS),
            ),
        )
    return fmt


def parse_register(data: bytes, fmt: str, *, source: str = "") -> Register:
    """Pure dispatch: file content → validated register."""
    return parse_register_report(data, fmt, source=source).register


def parse_register_report(data: bytes, fmt: str, *, source: str = "") -> ImportOutcome:
    """File content → register, plus every cell that could not be mapped.

    Spreadsheets are recognised by content: the CNIL template (list + fiches), a
    Madis export, or rgpd's own flat layout. YAML and the flat layout report
    problems as errors (nothing is guessed); the CNIL template and Madis, filled by
    people in other tools, import what maps and return notes for the rest.
    """
    if fmt in ("ods", "xlsx"):
        from rgpd.registry.io.madis import import_madis, is_madis
        from rgpd.registry.io.sheets import read_workbook
        from rgpd.registry.io.template import import_cnil_template, is_cnil_template

        sheets = read_workbook(data, fmt, source=source)
        if is_cnil_template(sheets):
            return import_cnil_template(sheets, source=source)
        if is_madis(sheets):
            return import_madis(sheets, source=source)
    if fmt == "csv":
        from rgpd.registry.io.madis import import_madis, is_madis, sheet_from_csv

        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        csv_sheet = sheet_from_csv(text)
        if is_madis([csv_sheet]):
            return import_madis([csv_sheet], source=source)
    return ImportOutcome(_parse_plain(data, fmt, source=source), [], fmt)


def _parse_plain(data: bytes, fmt: str, *, source: str = "") -> Register:
    if fmt in ("yaml", "csv"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(
                [FieldProblem("", _("the file is not UTF-8 text"))], source
            ) from None
        return load_yaml(text, source=source) if fmt == "yaml" else import_csv(text, source=source)
    if fmt == "xlsx":
        return import_xlsx(data, source=source)
    if fmt == "ods":
        return import_ods(data, source=source)
    raise InvalidInput("--format", _("unknown format {fmt}", fmt=fmt))


def render_register(register: Register, fmt: str) -> str | bytes:
    """Pure dispatch: register → file content (text formats as ``str``)."""
    if fmt == "yaml":
        return dump_yaml(register)
    if fmt == "csv":
        return export_csv(register)
    if fmt == "xlsx":
        return export_xlsx(register)
    if fmt == "ods":
        return export_ods(register)
    if fmt in ("cnil-ods", "cnil-xlsx"):
        from rgpd.registry.io.template_export import export_template_ods, export_template_xlsx

        return (export_template_ods if fmt == "cnil-ods" else export_template_xlsx)(register)
    if fmt == "public-csv":
        return export_public_csv(register)
    if fmt == "public-json":
        return export_public_json(register)
    raise InvalidInput("--format", _("unknown format {fmt}", fmt=fmt))


def read_register(path: Path, fmt: str | None = None) -> Register:
    """Edge: read a file and parse it (format from the extension unless given)."""
    fmt = fmt or format_from_path(path)
    return parse_register(path.read_bytes(), fmt, source=str(path))


def write_register(register: Register, fmt: str) -> str | bytes:
    """Edge alias kept for the CLI: the content to write for ``fmt``."""
    return render_register(register, fmt)
