"""The handle every library call takes: settings, database, keys, actor.

Opened once by the CLI (or by a program embedding rgpd); it holds no request
state, so one workspace serves many organisations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rgpd.config import CONFIG_NAME, DEFAULT_TIMEZONE, DEFAULT_TOML, Settings, load_settings
from rgpd.crypto import KeyRing
from rgpd.errors import ConfigError
from rgpd.i18n import _
from rgpd.storage.db import Database
from rgpd.storage.tables import MetaRow


@dataclass
class Workspace:
    settings: Settings
    db: Database
    actor: str | None = None
    _keys: KeyRing | None = field(default=None, repr=False)

    @property
    def keys(self) -> KeyRing:
        if self._keys is None:
            self._keys = KeyRing.load(self.settings.path(self.settings.key_file))
        return self._keys

    def save_keys(self) -> None:
        self.keys.save(self.settings.path(self.settings.key_file))

    def org_id(self, slug: str | None) -> int:
        """Resolve an organisation slug; every org-scoped query goes through this."""
        from rgpd.storage.lookups import org_id

        with self.db.session() as s:
            return org_id(s, slug or self.settings.org)

    def org_slug(self, slug: str | None) -> str:
        self.org_id(slug)
        return str(slug or self.settings.org)

    def install_id(self) -> str:
        with self.db.session() as s:
            row = s.get(MetaRow, "install_id")
            if row is None:
                row = MetaRow(key="install_id", value=str(uuid.uuid4()))
                s.add(row)
            return row.value

    def reports_dir(self) -> Path:
        return self.settings.path(self.settings.reports_dir)

    # -- time: the one home for "today" and "now" (pure code takes them as parameters)

    @property
    def timezone(self) -> ZoneInfo:
        """The organisations' legal time zone: ``[rgpd] timezone`` / ``RGPD_TIMEZONE``.

        Europe/Paris by default; an overseas authority (Cayenne, Saint-Denis de La
        Réunion, Nouméa...) sets its own, so that "today" (a deadline's day, a
        retention's end) is its calendar day, not the machine's or Paris's.
        """
        name = self.settings.timezone or DEFAULT_TIMEZONE
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                _("[rgpd] timezone: unknown time zone {name}", name=repr(name))
            ) from exc

    def today(self) -> date:
        """Today in the configured time zone: the legal date of what happens now."""
        return self.now().astimezone(self.timezone).date()

    def now(self) -> datetime:
        """This instant, time-zone aware (UTC), to the second."""
        return datetime.now(UTC).replace(microsecond=0)

    def local(self, when: datetime) -> datetime:
        """A time typed without zone is the organisation's local time; aware ones are kept."""
        return when.replace(tzinfo=self.timezone) if when.tzinfo is None else when


def open_workspace(
    settings: Settings | None = None,
    *,
    actor: str | None = None,
    migrate: bool = True,
    keys: KeyRing | None = None,
) -> Workspace:
    """Open (and bring up to date) the configured database."""
    s = settings or load_settings()
    db = Database(s.database_url)
    db.check()
    if migrate:
        db.upgrade()
    return Workspace(settings=s, db=db, actor=actor, _keys=keys)


@dataclass
class InitResult:
    config_created: bool
    key_created: bool
    config_path: Path
    key_path: Path
    database: str


def init_workspace(settings: Settings) -> InitResult:
    """Create config, key file (0600) and database; idempotent, never overwrites a key."""
    cfg = settings.base_dir / CONFIG_NAME
    created_cfg = False
    if not cfg.exists():
        cfg.write_text(DEFAULT_TOML, encoding="utf-8")
        created_cfg = True
    key_path = settings.path(settings.key_file)
    created_key = False
    if not key_path.exists():
        KeyRing.generate().save(key_path)
        created_key = True
    ws = open_workspace(settings)
    ws.install_id()
    return InitResult(created_cfg, created_key, cfg, key_path, ws.db.safe_url())
