"""Ready-to-install schedules: a systemd timer + service, or a crontab line.

A scan profile runs every night (``rgpd scan run NAME``); the action plan's
reminders run once a week (``rgpd --org SLUG actions remind``, :func:`actions_remind_spec`).

Pure text rendering: the CLI gathers the facts (working directory, the venv's
``rgpd``, the database URL, the variables holding connection passwords) and
prints what these functions return. Secrets never appear in the output: a
database URL with a password, and every ``password_env`` a profile's
connections need, go to an environment file (mode 0600) that the unit or the
crontab line reads; the process list only ever shows ``rgpd scan run NAME``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from rgpd.errors import InvalidInput
from rgpd.i18n import _

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

#: Days of a weekly schedule: systemd's names and cron's numbers.
WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 0}


@dataclass(frozen=True)
class ScheduleSpec:
    profile: str
    workdir: str
    rgpd_bin: str
    database_url: str | None = None
    config_file: str | None = None
    at: str = "02:30"
    user: str | None = None
    #: Variables the run needs from the environment file (connection passwords...).
    secret_env: tuple[str, ...] = field(default_factory=tuple)
    env_file: str | None = None
    log_file: str | None = None
    #: The rgpd arguments to run instead of ``scan run PROFILE`` (a task that is not a scan).
    task: tuple[str, ...] = ()
    #: ``mon``…``sun``: run once a week on that day instead of every night.
    weekday: str | None = None
    #: What the unit does, for its Description= line (default: the scan profile).
    description: str | None = None

    def day(self) -> str | None:
        if self.weekday is None:
            return None
        day = self.weekday.strip().lower()[:3]
        if day not in WEEKDAYS:
            raise InvalidInput("--day", _("expected a day: mon, tue, wed, thu, fri, sat or sun"))
        return day

    def hour_minute(self) -> tuple[int, int]:
        m = _TIME.match(self.at)
        if not m:
            raise InvalidInput("--at", _("expected HH:MM, e.g. 02:30"))
        return int(m.group(1)), int(m.group(2))

    @property
    def unit(self) -> str:
        prefix = "rgpd-" if self.task else "rgpd-scan-"
        return prefix + re.sub(r"[^A-Za-z0-9_.-]", "-", self.profile)

    def url_has_secret(self) -> bool:
        if not self.database_url:
            return False
        try:
            return make_url(self.database_url).password is not None
        except Exception:
            return "@" in self.database_url

    def needs_env_file(self) -> bool:
        return bool(self.secret_env) or self.url_has_secret()

    def env_path(self) -> str:
        return self.env_file or f"/etc/rgpd/{self.unit}.env"

    def bin_dir(self) -> str:
        return self.rgpd_bin.rsplit("/", 1)[0] if "/" in self.rgpd_bin else "/usr/local/bin"

    def command(self) -> list[str]:
        cmd = [self.rgpd_bin]
        if self.config_file:
            cmd += ["--config", self.config_file]
        return [*cmd, *(self.task or ("scan", "run", self.profile))]

    def what(self) -> str:
        return self.description or f"scan profile {self.profile}"


def actions_remind_spec(
    org: str,
    *,
    workdir: str,
    rgpd_bin: str,
    database_url: str | None = None,
    config_file: str | None = None,
    at: str = "08:00",
    weekday: str = "mon",
    user: str | None = None,
    secret_env: tuple[str, ...] = (),
    env_file: str | None = None,
) -> ScheduleSpec:
    """The weekly ``rgpd --org ORG actions remind`` (owners get their overdue and due-soon actions).

    No ``--lang``: the reminder is written in the language of ``RGPD_LANG`` (French by default).
    """
    return ScheduleSpec(
        profile=f"actions-remind-{org}",
        workdir=workdir,
        rgpd_bin=rgpd_bin,
        database_url=database_url,
        config_file=config_file,
        at=at,
        user=user,
        secret_env=secret_env,
        env_file=env_file,
        task=("--org", org, "actions", "remind"),
        weekday=weekday,
        description=f"the action plan reminders of {org}",
    )


def _env_file_help(spec: ScheduleSpec, comment: str) -> list[str]:
    lines = [
        f"{comment} "
        + _(
            "Environment file {path} (chmod 600, owned by the service user):", path=spec.env_path()
        ),
    ]
    if spec.url_has_secret():
        safe = make_url(spec.database_url or "").render_as_string(hide_password=True)
        lines.append(
            f"{comment}   RGPD_DATABASE_URL={safe}   ("
            + _("write the real password instead of ***")
            + ")"
        )
    for name in spec.secret_env:
        lines.append(f"{comment}   {name}=...")
    return lines


def render_systemd(spec: ScheduleSpec) -> str:
    """A oneshot service and its timer; findings (exit 1) do not mark the unit failed."""
    hour, minute = spec.hour_minute()
    env = [f'Environment="PATH={spec.bin_dir()}:/usr/local/bin:/usr/bin:/bin"']
    if spec.database_url and not spec.url_has_secret():
        env.append(f'Environment="RGPD_DATABASE_URL={spec.database_url}"')
    if spec.needs_env_file():
        env.append(f"EnvironmentFile={spec.env_path()}")
    service = [
        f"# /etc/systemd/system/{spec.unit}.service",
        "[Unit]",
        f"Description=rgpd: {spec.what()}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        *([f"User={spec.user}"] if spec.user else []),
        f"WorkingDirectory={spec.workdir}",
        *env,
        "ExecStart=" + " ".join(shlex.quote(a) for a in spec.command()),
        *(
            []
            if spec.task
            else [
                "# 1 = findings or contradictions with the register: a result, not a failure;",
                "# 5 = clean but for files unreadable by design (encrypted, corrupt, too large)",
                "SuccessExitStatus=1 5",
            ]
        ),
        "Nice=10",
        "IOSchedulingClass=idle",
        "NoNewPrivileges=yes",
        "",
    ]
    day = spec.day()
    timer = [
        f"# /etc/systemd/system/{spec.unit}.timer",
        "[Unit]",
        f"Description=rgpd: run {spec.what()} "
        + (f"every week ({day.capitalize()})" if day else "every night"),
        "",
        "[Timer]",
        f"OnCalendar={day.capitalize() + ' ' if day else ''}*-*-* {hour:02d}:{minute:02d}:00",
        "Persistent=true",
        "RandomizedDelaySec=10min",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ]
    head = []
    if spec.needs_env_file():
        head = [*_env_file_help(spec, "#"), ""]
    install = [
        "# " + _("Install:"),
        f"#   sudo systemctl daemon-reload && sudo systemctl enable --now {spec.unit}.timer",
        f"#   journalctl -u {spec.unit}.service   # " + _("JSON lines of the last runs"),
    ]
    return "\n".join([*head, *service, *timer, *install]) + "\n"


def _cron_escape(s: str) -> str:
    return s.replace("%", "\\%")  # cron turns a bare % into a newline


def render_cron(spec: ScheduleSpec) -> str:
    """A crontab block: PATH, then one line that runs the profile every night."""
    hour, minute = spec.hour_minute()
    parts = [f"cd {shlex.quote(spec.workdir)}"]
    if spec.needs_env_file():
        parts.append(f"set -a && . {shlex.quote(spec.env_path())} && set +a")
    env = ""
    if spec.database_url and not spec.url_has_secret():
        env += f"RGPD_DATABASE_URL={shlex.quote(spec.database_url)} "
    log = spec.log_file or f"{spec.workdir.rstrip('/')}/logs/{spec.unit}.log"
    parts.append(f"mkdir -p {shlex.quote(log.rsplit('/', 1)[0] or '/')}")
    run = env + " ".join(shlex.quote(a) for a in spec.command()) + f" >> {shlex.quote(log)} 2>&1"
    parts.append(run)
    lines = []
    if spec.needs_env_file():
        lines += _env_file_help(spec, "#")
    lines += [
        "# " + _("crontab -e (as the service user), then paste:"),
        f"PATH={spec.bin_dir()}:/usr/local/bin:/usr/bin:/bin",
        _cron_escape(
            f"{minute} {hour} * * {WEEKDAYS[day] if (day := spec.day()) else '*'} "
            + " && ".join(parts)
        ),
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DaskUnitsSpec:
    """What the Dask units need: where the scheduler listens, where workers mount the share."""

    scheduler: str  # tcp://HOST:8786 or tls://HOST:8786
    dask_bin: str
    workdir: str
    user: str | None = None
    share: str | None = None  # the worker's read-only mount of the share
    nworkers: int = 2  # worker processes per VM (one per core)
    memory_limit: str = "3GiB"  # per worker process: spaCy's French model maps ~0.7 GB
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    def port(self) -> str:
        tail = self.scheduler.rsplit(":", 1)[-1]
        return tail if tail.isdigit() else "8786"

    def tls_args(self) -> list[str]:
        if not self.tls_ca:
            return []
        return [
            "--tls-ca-file",
            self.tls_ca,
            "--tls-cert",
            str(self.tls_cert),
            "--tls-key",
            str(self.tls_key),
        ]


def render_dask_units(spec: DaskUnitsSpec) -> str:
    """A scheduler service (one VM) and a worker service (each worker VM).

    Workers hold no database credentials and no rgpd key: nothing secret goes in
    these units. ``RequiresMountsFor`` keeps a worker down while the share is not
    mounted, so it cannot report a whole share as missing.
    """
    proto = "tls" if spec.tls_ca else "tcp"
    common = [
        "[Service]",
        *([f"User={spec.user}"] if spec.user else []),
        f"WorkingDirectory={spec.workdir}",
        "Restart=on-failure",
        "RestartSec=5",
        "NoNewPrivileges=yes",
    ]
    sched_cmd = [
        spec.dask_bin,
        "scheduler",
        "--protocol",
        proto,
        "--port",
        spec.port(),
        "--no-dashboard",
        *spec.tls_args(),
    ]
    worker_cmd = [
        spec.dask_bin,
        "worker",
        spec.scheduler,
        "--nworkers",
        str(spec.nworkers),
        "--nthreads",
        "1",
        "--memory-limit",
        spec.memory_limit,
        "--no-dashboard",
        "--name",
        "%H",
        *spec.tls_args(),
    ]
    scheduler = [
        "# /etc/systemd/system/rgpd-dask-scheduler.service   (" + _("on the scheduler VM") + ")",
        "[Unit]",
        "Description=rgpd: Dask scheduler for scans",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        *common,
        "ExecStart=" + " ".join(shlex.quote(a) for a in sched_cmd),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    worker = [
        "# /etc/systemd/system/rgpd-dask-worker.service   (" + _("on each worker VM") + ")",
        "[Unit]",
        "Description=rgpd: Dask worker for scans",
        "Wants=network-online.target",
        "After=network-online.target",
        *([f"RequiresMountsFor={spec.share}"] if spec.share else []),
        "",
        *common,
        "Nice=10",
        "IOSchedulingClass=idle",
        # Dask's statistical profiler samples the worker every 10 ms, CPU no scan uses
        # (a third of the Dask processes' own CPU in benchmarks/bench_scaleout.py)
        'Environment="DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False"',
        "ExecStart=" + " ".join(shlex.quote(a) for a in worker_cmd),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    notes = [
        "# " + _("Install:"),
        "#   sudo systemctl daemon-reload && sudo systemctl enable --now rgpd-dask-scheduler",
        "#   sudo systemctl daemon-reload && sudo systemctl enable --now rgpd-dask-worker",
        "# "
        + _(
            "Workers need the same rgpd version and the share mounted read-only; "
            "the coordinator maps paths with --path-map (see docs/scaleout.md)."
        ),
    ]
    return "\n".join([*scheduler, *worker, *notes]) + "\n"
