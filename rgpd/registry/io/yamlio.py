"""YAML register-as-code: the format DPOs keep in git.

The dump is canonical so that export → import → export is byte-identical and a
git diff shows only real changes: keys in model declaration order, fields equal
to their default omitted, dates and times as YAML timestamps, multi-line text as
literal blocks. The load names every problem by its field path
(``activities[3].legal_basis``) and refuses duplicate keys, which PyYAML would
otherwise silently resolve by keeping the last one.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from rgpd.errors import FieldProblem, ValidationFailed
from rgpd.i18n import _
from rgpd.registry.model import Activity, Register

__all__ = [
    "YAML_HEADER",
    "dump_yaml",
    "dump_yaml_activity",
    "load_yaml",
    "load_yaml_activity",
    "problems_from_validation",
    "to_plain",
]

M = TypeVar("M", bound=BaseModel)

#: Comment written at the top of every dump (comments are ignored on load).
YAML_HEADER = (
    "# Registre des activités de traitement (article 30 du RGPD) — format rgpd, version 1.\n"
    "# Les champs absents prennent leur valeur par défaut.\n"
)


# -- load ---------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (a silent data loss otherwise)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                _("duplicate key {key!r}", key=key),
                key_node.start_mark,
            )
        seen[key] = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
    return seen


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    """An impossible date (2025-02-30) stays text, so validation names its field."""
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[no-untyped-call]
    except ValueError:
        return loader.construct_scalar(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)
_StrictLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    _construct_timestamp,  # type: ignore[arg-type]
)


def _parse(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (
            _("line {line}, column {col}", line=mark.line + 1, col=mark.column + 1) if mark else ""
        )
        problem = exc.problem or exc.context or str(exc)
        raise ValidationFailed(
            [FieldProblem(where, _("invalid YAML: {problem}", problem=problem))], source
        ) from None
    except yaml.YAMLError as exc:
        raise ValidationFailed(
            [FieldProblem("", _("invalid YAML: {problem}", problem=str(exc)))], source
        ) from None


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems_from_validation(exc: ValidationError, prefix: str = "") -> list[FieldProblem]:
    """Turn pydantic errors into field paths and plain sentences a DPO can act on."""
    out: list[FieldProblem] = []
    for err in exc.errors():
        kind = err["type"]
        field = _path(prefix, tuple(err["loc"]))
        ctx = err.get("ctx") or {}
        if kind == "missing":
            problem = _("required field missing")
        elif kind == "extra_forbidden":
            problem = _("unknown field (misspelt?)")
        elif kind in ("enum", "literal_error"):
            problem = _(
                "unknown value {value}; expected one of: {expected}",
                value=_short(err.get("input")),
                expected=str(ctx.get("expected", "")),
            )
        elif kind == "value_error":
            problem = str(err["msg"]).removeprefix("Value error, ")
        else:
            problem = _("{detail} (got {value})", detail=err["msg"], value=_short(err.get("input")))
        out.append(FieldProblem(field or _("(document)"), problem))
    return out


def _validate(model: type[M], data: Any, source: str, prefix: str = "") -> M:
    if data is None:
        raise ValidationFailed([FieldProblem("", _("the document is empty"))], source)
    if not isinstance(data, dict):
        raise ValidationFailed(
            [FieldProblem("", _("expected a mapping of fields at the top level"))], source
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from_validation(exc, prefix), source) from None


def load_yaml(text: str, *, source: str = "") -> Register:
    """Parse and validate a whole register; raise ``ValidationFailed`` listing every problem."""
    return _validate(Register, _parse(text, source), source)


def load_yaml_activity(text: str, *, source: str = "") -> Activity:
    """One activity (``rgpd registry add --file``)."""
    return _validate(Activity, _parse(text, source), source)


# -- dump ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, multi-line text as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _represent_str)


def to_plain(value: Any) -> Any:
    """Enums to their values, containers recursively; dates and datetimes kept as objects."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime | date | str | int | float | bool) or value is None:
        return value
    raise TypeError(f"cannot dump {type(value).__name__}")


def _dump(model: BaseModel) -> str:
    data = to_plain(model.model_dump(mode="python", exclude_defaults=True))
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=4096,
    )
    return YAML_HEADER + body


def dump_yaml(register: Register) -> str:
    """Canonical YAML; ``dump_yaml(load_yaml(dump_yaml(r))) == dump_yaml(r)``."""
    return _dump(register)


def dump_yaml_activity(activity: Activity) -> str:
    return _dump(activity)
