"""One "today" and one "now": the workspace's, in the configured time zone.

A deadline's day and a retention's end are calendar days of the organisation:
a commune in French Guiana is three hours behind Paris, one in New Caledonia ten
hours ahead. ``[rgpd] timezone`` / ``RGPD_TIMEZONE`` set it; Europe/Paris by default.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from rgpd.config import DEFAULT_TIMEZONE, load_settings
from rgpd.errors import ConfigError
from rgpd.registry import service
from rgpd.registry.model import Breach
from rgpd.workspace import Workspace

#: 02:00 UTC on 1 January: already the 1st in Paris, still 31 December in Cayenne.
INSTANT = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


class _Frozen(Workspace):
    def now(self) -> datetime:
        return INSTANT


def _ws(tmp_path: Path, toml: str = "", env: dict[str, str] | None = None) -> Workspace:
    (tmp_path / "rgpd.toml").write_text(toml, encoding="utf-8")
    settings = load_settings(tmp_path, env=env or {})
    return _Frozen(settings=settings, db=None)  # type: ignore[arg-type]  # no storage needed


@pytest.mark.parametrize(
    ("toml", "env", "today"),
    [
        ("", {}, date(2026, 1, 1)),  # Europe/Paris
        ('[rgpd]\ntimezone = "America/Cayenne"\n', {}, date(2025, 12, 31)),
        ("", {"RGPD_TIMEZONE": "America/Cayenne"}, date(2025, 12, 31)),
        ('[rgpd]\ntimezone = "America/Cayenne"\n', {"RGPD_TIMEZONE": "Europe/Paris"}, date(2026, 1, 1)),
        ('[rgpd]\ntimezone = "Pacific/Noumea"\n', {}, date(2026, 1, 1)),
    ],
)  # fmt: skip
def test_today_is_the_configured_zone_s_calendar_day(
    tmp_path: Path, toml: str, env: dict[str, str], today: date
) -> None:
    ws = _ws(tmp_path, toml, env)
    assert ws.today() == today
    assert ws.now() == INSTANT and ws.now().tzinfo is not None


def test_default_zone_is_paris(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    assert str(ws.timezone) == DEFAULT_TIMEZONE == "Europe/Paris"


def test_an_unknown_zone_is_a_config_error(tmp_path: Path) -> None:
    ws = _ws(tmp_path, '[rgpd]\ntimezone = "Europe/Atlantis"\n')
    with pytest.raises(ConfigError, match="timezone"):
        ws.today()


def test_a_breach_time_typed_without_zone_is_the_organisation_s_local_time(
    tmp_path: Path,
) -> None:
    ws = _ws(tmp_path, '[rgpd]\ntimezone = "America/Cayenne"\n')
    data = {"ref": "v", "title": "V", "discovered_at": "2026-01-05T09:00:00"}
    b = service.validate(Breach, data, "v", timezone=ws.settings.timezone)
    assert b.discovered_at.astimezone(UTC) == datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    paris = service.validate(Breach, data, "v")  # no zone given: Europe/Paris
    assert paris.discovered_at.astimezone(UTC) == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert ws.local(datetime(2026, 1, 5, 9)).astimezone(UTC).hour == 12


#: The modules that may read the machine's clock: the workspace (the one home),
#: storage's UTC stamp for rows, and timestamps that are not a legal date
#: (audit entries, key creation, a mail file's name).
CLOCK_READERS = {"workspace.py", "storage/db.py", "audit.py", "crypto.py", "requests/mailer.py"}


def test_only_the_workspace_reads_today_and_the_zone() -> None:
    """No module grows its own "today", "now" or fixed Paris zone again (issue 16)."""
    import ast

    import rgpd

    root = Path(rgpd.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("demo/") or rel in CLOCK_READERS:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = ast.unparse(node.func)
            if f in ("datetime.now", "date.today", "datetime.today", "datetime.utcnow"):
                found.append(f"{rel}:{node.lineno} {f}")
            elif f == "ZoneInfo" and any(
                isinstance(a, ast.Constant) and a.value == DEFAULT_TIMEZONE for a in node.args
            ):
                found.append(f"{rel}:{node.lineno} ZoneInfo({DEFAULT_TIMEZONE!r})")
    assert found == []
