"""init, keys and audit commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rgpd import audit
from rgpd.commands._common import Ctx, console, emit_json, ok, pass_ctx, table
from rgpd.i18n import _


@click.command("init")
@click.option(
    "--force",
    is_flag=True,
    help="Run over an existing database or key file (a key file is never overwritten).",
)
@pass_ctx
def init_cmd(c: Ctx, force: bool) -> int:
    """Create rgpd.toml, the key file (0600) and the database in the working directory.

    Refuses when a database or key file already exists, unless --force.

    \b
    Example:
      rgpd init
    """
    from rgpd.workspace import init_workspace

    r = init_workspace(c.settings, force=force)
    ok(_("configuration: {path}", path=r.config_path) + ("" if r.config_created else _(" (kept)")))
    ok(_("key file: {path}", path=r.key_path) + ("" if r.key_created else _(" (kept)")))
    ok(_("database: {url}", url=r.database))
    return 0


@click.group("keys")
def keys_grp() -> None:
    """Encryption keys (AES-256-GCM, HMAC blind index, Ed25519 signatures).

    \b
    Example:
      rgpd keys rotate
    """


@keys_grp.command("rotate")
@click.option("--retire-old", is_flag=True, help="Remove old keys once everything is re-encrypted.")
@pass_ctx
def keys_rotate(c: Ctx, retire_old: bool) -> int:
    """Add a new key and re-encrypt every sealed value under it.

    \b
    Example:
      rgpd keys rotate --retire-old
    """
    from rgpd.keys import rotate

    res = rotate(c.ws, retire_old=retire_old)
    ok(_("new active key {kid}; {n} values re-encrypted", kid=res.new_key, n=res.resealed))
    if res.retired:
        ok(_("retired keys: {keys}", keys=", ".join(res.retired)))
    return 0


@keys_grp.command("show")
@pass_ctx
def keys_show(c: Ctx) -> int:
    """Show key ids and the public key used to sign audit checkpoints (never the secrets).

    \b
    Example:
      rgpd keys show
    """
    k = c.ws.keys
    table(
        None,
        [_("key id"), _("created"), _("active")],
        [[kid, k.created.get(kid, ""), "✓" if kid == k.active else ""] for kid in sorted(k.keys)],
    )
    console.print(_("Audit signing public key: {pk}", pk=k.public_key()))
    console.print(
        _("Install {install}, key file fingerprint {fp}", install=k.install, fp=k.fingerprint())
    )
    return 0


@click.group("audit")
def audit_grp() -> None:
    """The hash-chained audit log (CNIL délibération 2021-122).

    \b
    Example:
      rgpd audit verify
    """


@audit_grp.command("verify")
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False),
    help="Also check a checkpoint exported earlier.",
)
@click.option(
    "--pubkey",
    type=click.Path(exists=True, dir_okay=False),
    help="Check signatures against this kept copy of `rgpd audit pubkey` (default: the install's).",
)
@pass_ctx
def audit_verify(c: Ctx, checkpoint: str | None, pubkey: str | None) -> int:
    """Check that no entry was edited, deleted or reordered; exit 1 if one was.

    A checkpoint is trusted only if it is signed by this install's own key (or by
    the key in --pubkey), never by the key written inside the checkpoint.

    \b
    Example:
      rgpd audit verify --checkpoint checkpoint-2026-11-22.json --pubkey /secure/rgpd.pub
    """
    cp = audit.parse_checkpoint(_read(checkpoint)) if checkpoint else None
    trusted = audit.parse_public_key(_read(pubkey)) if pubkey else c.ws.keys.public_key()
    with c.ws.db.session() as s:
        res = audit.verify(s, cp, public_key=trusted)
    if res.ok:
        ok(_("audit log intact: {n} entries, head #{seq}", n=res.entries, seq=res.head_seq))
        if res.recorded_seq is not None:
            ok(
                _(
                    "checked against the checkpoint #{seq} recorded at {at}",
                    seq=res.recorded_seq,
                    at=res.recorded_at,
                )
            )
        return 0
    console.print(_("audit log broken"), style="red")
    for p in res.problems:
        console.print(f"  • {p}", markup=False)
    return 1


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from rgpd.errors import InvalidInput

        raise InvalidInput(path, _("cannot read: {error}", error=type(exc).__name__)) from None


@audit_grp.command("export")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Checkpoint file (default: ./reports/)."
)
@pass_ctx
def audit_export(c: Ctx, out: str | None) -> int:
    """Write a signed (Ed25519) checkpoint of the log head, to keep outside the database.

    The checkpoint is also recorded in the database: a later `audit verify` reports
    a wiped or truncated log against it.

    \b
    Example:
      rgpd audit export --out /secure/rgpd-checkpoint.json
    """
    with c.ws.db.session() as s:
        cp = audit.make_checkpoint(s, c.ws.keys, c.ws.install_id())
    path = (
        Path(out)
        if out
        else c.ws.reports_dir() / f"audit-checkpoint-{cp['at'][:10]}-{cp['seq']}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cp, indent=2), encoding="utf-8")
    ok(_("checkpoint #{seq} written to {path}", seq=cp["seq"], path=path))
    ok(
        _(
            "install {install}, signing key fingerprint {fp}",
            install=cp["install"],
            fp=cp["public_key_fingerprint"],
        )
    )
    return 0


@audit_grp.command("pubkey")
@pass_ctx
def audit_pubkey(c: Ctx) -> int:
    """Print the public key that signs checkpoints, for the DPO to keep elsewhere.

    Keep this line outside the server (printed, in the DPO's safe, by e-mail to
    yourself): `audit verify --pubkey FILE` then proves a checkpoint was signed by
    this install even if the server's key files were replaced.

    \b
    Example:
      rgpd audit pubkey > /secure/rgpd-audit.pub
    """
    from rgpd.crypto import public_key_fingerprint

    pk = c.ws.keys.public_key()
    click.echo(f"# rgpd install {c.ws.install_id()} fingerprint {public_key_fingerprint(pk)}")
    click.echo(pk)
    return 0


@audit_grp.command("log")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def audit_log(c: Ctx, limit: int, as_json: bool) -> int:
    """Show the latest audit entries of the selected organisation (or all).

    \b
    Example:
      rgpd --org mairie audit log --limit 20
    """
    with c.ws.db.session() as s:
        entries = audit.load_entries(s, org=c.org)
    entries = entries[-limit:]
    if as_json:
        emit_json([e.__dict__ for e in entries])
        return 0
    table(
        None,
        ["#", _("when (UTC)"), _("who"), _("action"), _("record")],
        [[e.seq, e.ts, e.actor, e.action, f"{e.entity} {e.entity_ref}"] for e in entries],
    )
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(init_cmd)
    cli.add_command(keys_grp)
    cli.add_command(audit_grp)
