"""The handle every library call takes: settings, database, keys, actor.

Opened once by the CLI (or by a program embedding rgpd); it holds no request
state, so one workspace serves many organisations.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from rgpd import audit
from rgpd.config import CONFIG_NAME, DEFAULT_TIMEZONE, DEFAULT_TOML, Settings, load_settings
from rgpd.crypto import KeyRing
from rgpd.errors import ConfigError, Conflict, KeyMismatch
from rgpd.i18n import _
from rgpd.keys import FINGERPRINT_KEY, bind, check_binding, reseal_retired
from rgpd.storage.db import Database
from rgpd.storage.tables import MetaRow


@dataclass
class Workspace:
    settings: Settings
    db: Database
    actor: str | None = None
    _keys: KeyRing | None = field(default=None, repr=False)
    _bound: bool = field(default=False, repr=False)

    @property
    def keys(self) -> KeyRing:
        """The install's key ring, checked once against the database's recorded fingerprint.

        The check runs before the ring is first handed out, so a key file of
        another install (or none) stops every command before it writes anything.
        """
        if self._keys is not None and self._bound:
            return self._keys
        path = self.settings.path(self.settings.key_file)
        ring = self._keys if self._keys is not None else self._load_ring(path)
        with self.db.session() as s:
            check_binding(s, ring, path)
            install = self._install_row(s)
        if not ring.install:
            ring.install = install
            if path.exists():
                ring.save(path)
        self._keys, self._bound = ring, True
        # before each commit that sealed: nothing stored under a key retired meanwhile. The
        # hook holds the ring, not the workspace: a database -> hook -> workspace -> database
        # cycle kept dropped workspaces' connection pools open until the cycle collector ran
        self.db.listen_writes(functools.partial(reseal_retired, ring=ring))
        return ring

    def _load_ring(self, path: Path) -> KeyRing:
        if path.exists():
            return KeyRing.load(path)
        with self.db.session() as s:
            recorded = s.get(MetaRow, FINGERPRINT_KEY)
            install = s.get(MetaRow, "install_id")
        if recorded is None:
            raise ConfigError(_("key file not found: {path} (run `rgpd init`)", path=path))
        raise KeyMismatch(
            _(
                "key file not found: {path}. This database (install {install}, key fingerprint "
                "{fp}) was sealed with it: restore it from its backup. A new key file cannot "
                "open the values already stored.",
                path=path,
                install=install.value if install is not None else _("unknown"),
                fp=recorded.value,
            )
        )

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
            return self._install_row(s)

    @staticmethod
    def _install_row(s: Session) -> str:
        row = s.get(MetaRow, "install_id")
        if row is None:
            row = MetaRow(key="install_id", value=str(uuid.uuid4()))
            s.add(row)
            s.flush()
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
    ws = Workspace(settings=s, db=db, actor=actor, _keys=keys)
    if migrate and (keys is not None or s.path(s.key_file).exists()):
        # Check (or first record) the key binding now, outside any transaction: done
        # lazily inside a caller's write transaction, the binding's own write would
        # wait on that transaction's SQLite lock (issues 13 and 15).
        ws.keys  # noqa: B018
    return ws


@dataclass
class InitResult:
    config_created: bool
    key_created: bool
    config_path: Path
    key_path: Path
    database: str
    database_created: bool = True


def _existing_install(settings: Settings) -> str | None:
    """The install id of the configured database, or None if it holds no rgpd install."""
    db = Database(settings.database_url)
    try:
        db.check()
        with db.engine.connect() as conn:
            if not inspect(conn).has_table(MetaRow.__tablename__):
                return None
            row = conn.execute(select(MetaRow.value).where(MetaRow.key == "install_id")).first()
            return str(row[0]) if row else ""
    finally:
        db.dispose()


def init_workspace(settings: Settings, *, force: bool = False) -> InitResult:
    """Create config, key file (0600) and database; never overwrites a key file.

    Without ``force`` it refuses when the database already holds an install or the
    key file exists: re-running ``init`` by habit must not touch either. With
    ``force`` it keeps both (brings the database up to date, creates what is
    missing); when the database's own key file is lost, ``force`` creates a new
    one and re-binds: values sealed under the lost key stay unreadable for good.
    """
    cfg = settings.base_dir / CONFIG_NAME
    key_path = settings.path(settings.key_file)
    install = _existing_install(settings)
    if not force and (install is not None or key_path.exists()):
        raise Conflict(
            _(
                "an install already exists (database: {db}; key file: {key}); `rgpd init` "
                "changes nothing. Use --force to bring it up to date (a key file is never "
                "overwritten).",
                db=_("install {id}", id=install) if install is not None else _("none"),
                key=key_path if key_path.exists() else _("none"),
            )
        )
    created_cfg = False
    if not cfg.exists():
        cfg.write_text(DEFAULT_TOML, encoding="utf-8")
        created_cfg = True
    created_key = False
    if not key_path.exists():
        KeyRing.generate().save(key_path)
        created_key = True
    ws = open_workspace(settings)
    if created_key and install is not None:
        with ws.db.session() as s:  # the old key is lost: bind the new one explicitly
            ring = KeyRing.load(key_path)
            bind(s, ring)
            audit.append(
                s,
                action="rebind",
                entity="keys",
                entity_ref=ring.fingerprint(),
                details={"reason": "key file lost; init --force"},
            )
    ws.keys  # noqa: B018  (binds a new database to its key file, checks an old one)
    return InitResult(
        created_cfg, created_key, cfg, key_path, ws.db.safe_url(), database_created=install is None
    )
