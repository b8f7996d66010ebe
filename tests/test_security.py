"""Issue 13: each attack reproduced, now refused (keys, audit, symlinks, terminal, mail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rgpd.crypto import KeyRing
from rgpd.errors import KeyMismatch
from rgpd.keys import rotate
from rgpd.storage.tables import MetaRow
from rgpd.workspace import Workspace, open_workspace

# -- keys ---------------------------------------------------------------------


def test_key_ids_are_random_and_legacy_k1_rings_still_rotate() -> None:
    a, b = KeyRing.generate(), KeyRing.generate()
    assert a.active != b.active and a.active.startswith("k-")
    legacy = KeyRing.from_json(a.to_json().replace(a.active, "k1"))
    old = legacy.seal("ancien", "ctx")
    kid = legacy.add_key()
    assert kid not in {"k1", "k2"} and legacy.open_text(old, "ctx") == "ancien"


def test_retired_key_never_seals_in_a_long_lived_process(ws_any: Workspace) -> None:
    """Issue 13 item 1: `keys rotate --retire-old` beside a running server.

    ``ws_any`` stands for the server (its ring loaded once, long-lived); a second
    workspace on the same database and key file stands for the admin's command.
    """
    server_ring = ws_any.keys
    before = server_ring.seal("avant", "c")
    admin = open_workspace(ws_any.settings, actor="admin")
    res = rotate(admin, retire_old=True)
    assert res.retired == [server_ring.key_id_of(before)]
    after = server_ring.seal("après", "c")
    assert KeyRing.key_id_of(after) == res.new_key
    assert admin.keys.open_text(after, "c") == "après"
    admin.db.dispose()


def test_binding_refuses_another_install_key_file(ws_any: Workspace) -> None:
    ws_any.keys  # noqa: B018  (binds the database to its key file)
    foreign = KeyRing.generate()
    foreign.install = "autre"
    w2 = open_workspace(ws_any.settings, keys=foreign)
    with pytest.raises(KeyMismatch) as exc:
        w2.keys.seal("x")
    msg = str(exc.value)
    assert foreign.fingerprint() in msg and ws_any.keys.fingerprint() in msg
    assert "autre" in msg and ws_any.install_id() in msg and "init" not in msg
    w2.db.dispose()


def test_key_file_records_its_install(ws_any: Workspace) -> None:
    ring = ws_any.keys
    on_disk = json.loads(ws_any.settings.path(ws_any.settings.key_file).read_text())
    assert on_disk["install"] == ws_any.install_id() == ring.install
    with ws_any.db.session() as s:
        assert s.get(MetaRow, "keys_fingerprint").value == ring.fingerprint()  # type: ignore[union-attr]


def test_swapped_key_file_under_a_running_process_is_refused(ws_any: Workspace) -> None:
    ring = ws_any.keys
    path = ws_any.settings.path(ws_any.settings.key_file)
    KeyRing.generate().save(path)
    with pytest.raises(Exception, match="another install"):
        ring.seal("x")


def test_public_key_is_kept_beside_the_key_file(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    ring.save(tmp_path / "keys.json")
    assert (tmp_path / "keys.pub").read_text().strip() == ring.public_key()
