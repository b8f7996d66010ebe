"""Settings: ``rgpd.toml`` in the working directory, overridden by the environment.

Precedence (highest first): explicit arguments (CLI flags) > ``RGPD_*`` environment
variables > ``rgpd.toml`` > defaults. Secrets never live in the register or the
database: connection passwords come from an environment variable or a file named
in the config (``password_env`` / ``password_file``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rgpd.errors import ConfigError
from rgpd.i18n import _

CONFIG_NAME = "rgpd.toml"
DEFAULT_DB = "sqlite:///rgpd.db"
DEFAULT_KEY_FILE = ".rgpd/keys.json"


@dataclass
class Connection:
    """A named database the scanner and request discovery may read."""

    name: str
    url: str  # without password; e.g. postgresql+psycopg://rgpd_ro@db.local/portail
    password_env: str | None = None
    password_file: str | None = None
    schema: str | None = None

    def resolved_url(self) -> str:
        """The URL with its password filled in; never log or store this value."""
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        pw: str | None = None
        if self.password_env:
            pw = os.environ.get(self.password_env)
            if pw is None:
                raise ConfigError(
                    _(
                        "connection {name}: environment variable {var} is not set",
                        name=repr(self.name),
                        var=self.password_env,
                    )
                )
        elif self.password_file:
            try:
                pw = Path(self.password_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    _(
                        "connection {name}: cannot read password_file: {error}",
                        name=repr(self.name),
                        error=exc.strerror,
                    )
                ) from exc
        if pw is not None:
            url = url.set(password=pw)
        return url.render_as_string(hide_password=False)


@dataclass
class Profile:
    """A scan profile, run by ``rgpd scan run NAME`` from cron or a systemd timer."""

    name: str
    org: str | None = None
    paths: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)
    depth: str = "standard"
    workers: int = 2
    notify: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Smtp:
    host: str = "localhost"
    port: int = 25
    sender: str = "rgpd@localhost"
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None


#: The legal calendar of a French local authority; overseas ones set theirs
#: (``[rgpd] timezone = "America/Cayenne"`` or ``RGPD_TIMEZONE``).
DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass
class Settings:
    database_url: str = DEFAULT_DB
    org: str | None = None
    lang: str = "fr"
    timezone: str = DEFAULT_TIMEZONE  # IANA name; read through Workspace.timezone
    key_file: str = DEFAULT_KEY_FILE
    reports_dir: str = "reports"
    base_dir: Path = field(default_factory=Path.cwd)
    connections: dict[str, Connection] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    smtp: Smtp = field(default_factory=Smtp)
    server: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def path(self, p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else self.base_dir / q

    def connection(self, name: str) -> Connection:
        try:
            return self.connections[name]
        except KeyError:
            raise ConfigError(
                _(
                    "unknown connection {name}; define [connections.{section}] in {file}",
                    name=repr(name),
                    section=name,
                    file=CONFIG_NAME,
                )
            ) from None


def load_settings(
    base_dir: Path | None = None,
    *,
    config_file: Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Read ``rgpd.toml`` (if any) and apply environment and explicit overrides."""
    env = dict(os.environ) if env is None else env
    base = Path(base_dir or Path.cwd())
    cfg_path = config_file or Path(env.get("RGPD_CONFIG", base / CONFIG_NAME))
    data: dict[str, Any] = {}
    if cfg_path.exists():
        try:
            data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_("{path}: invalid TOML: {error}", path=cfg_path, error=exc)) from exc
        base = cfg_path.parent.resolve()
    s = Settings(base_dir=base, raw=data)
    core = data.get("rgpd", {})
    s.database_url = core.get("database_url", s.database_url)
    s.org = core.get("org", s.org)
    s.lang = core.get("lang", s.lang)
    s.timezone = str(core.get("timezone") or s.timezone)
    s.key_file = core.get("key_file", s.key_file)
    s.reports_dir = core.get("reports_dir", s.reports_dir)
    for name, c in data.get("connections", {}).items():
        if "url" not in c:
            raise ConfigError(
                _("{path}: [connections.{name}] needs 'url'", path=cfg_path, name=name)
            )
        if "@" in c["url"] and ":" in c["url"].split("@")[0].split("//")[-1]:
            raise ConfigError(
                _(
                    "{path}: [connections.{name}] url must not contain a password; "
                    "use password_env or password_file",
                    path=cfg_path,
                    name=name,
                )
            )
        s.connections[name] = Connection(
            name=name,
            url=c["url"],
            password_env=c.get("password_env"),
            password_file=c.get("password_file"),
            schema=c.get("schema"),
        )
    known = {"org", "paths", "exclude", "connections", "depth", "workers", "notify"}
    for name, p in data.get("profiles", {}).items():
        s.profiles[name] = Profile(
            name=name,
            org=p.get("org"),
            paths=list(p.get("paths", [])),
            exclude=list(p.get("exclude", [])),
            connections=list(p.get("connections", [])),
            depth=p.get("depth", "standard"),
            workers=int(p.get("workers", 2)),
            notify=list(p.get("notify", [])),
            extra={k: v for k, v in p.items() if k not in known},
        )
    if "smtp" in data:
        sm = data["smtp"]
        s.smtp = Smtp(
            host=sm.get("host", "localhost"),
            port=int(sm.get("port", 25)),
            sender=sm.get("sender", "rgpd@localhost"),
            starttls=bool(sm.get("starttls", False)),
            username=sm.get("username"),
            password_env=sm.get("password_env"),
        )
    s.server = dict(data.get("server", {}))
    # environment
    s.database_url = env.get("RGPD_DATABASE_URL", s.database_url)
    s.org = env.get("RGPD_ORG", s.org)
    s.lang = env.get("RGPD_LANG", s.lang)
    s.timezone = env.get("RGPD_TIMEZONE") or s.timezone
    s.key_file = env.get("RGPD_KEY_FILE", s.key_file)
    for k, v in (overrides or {}).items():
        if v is not None:
            setattr(s, k, v)
    if s.database_url.startswith("sqlite:///") and not s.database_url.startswith("sqlite:////"):
        rel = s.database_url.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            s.database_url = "sqlite:///" + str(s.path(rel))
    return s


DEFAULT_TOML = """\
# rgpd configuration — see README "Configuration".
[rgpd]
# database_url = "postgresql+psycopg://rgpd@127.0.0.1/rgpd"   # or RGPD_DATABASE_URL
database_url = "sqlite:///rgpd.db"
lang = "fr"
# timezone = "Europe/Paris"       # the legal calendar (or RGPD_TIMEZONE); overseas: "America/Cayenne"...
key_file = ".rgpd/keys.json"      # 0600, keep it out of the database and of backups of it
reports_dir = "reports"
# org = "mairie"                  # default organisation (or RGPD_ORG / --org)

# Named database connections: no password here, use password_env or password_file.
# [connections.portail_famille]
# url = "postgresql+psycopg://rgpd_ro@db.mairie.local/portail"
# password_env = "RGPD_PW_PORTAIL"

# Scan profiles, run with `rgpd scan run nightly`.
# [profiles.nightly]
# org = "mairie"
# paths = ["/mnt/partage"]
# exclude = ["**/.git/**"]
# connections = ["portail_famille"]
# depth = "standard"
# workers = 2
# notify = ["dpo@example.org"]

# [smtp]
# host = "smtp.mairie.local"
# port = 25
# sender = "rgpd@mairie.example.org"
"""
