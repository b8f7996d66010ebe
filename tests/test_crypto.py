from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd.crypto import KeyRing, seal_log, verify_signature
from rgpd.errors import ConfigError, CryptoError


@given(st.binary(max_size=2048), st.text(max_size=30))
@settings(max_examples=50, deadline=None)
def test_seal_open_round_trip(data: bytes, context: str) -> None:
    ring = KeyRing.generate()
    token = ring.seal(data, context)
    assert token.startswith(f"v1${ring.active}$")
    assert ring.open(token, context) == data


def test_ciphertext_is_randomised_and_hides_plaintext() -> None:
    ring = KeyRing.generate()
    a, b = ring.seal("jeanne.dupont@example.org"), ring.seal("jeanne.dupont@example.org")
    assert a != b
    assert "jeanne" not in a


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],
        lambda t: t.replace("v1$", "v2$", 1),
        lambda t: t.replace("$k-", "$k9-", 1),
        lambda t: "garbage",
    ],
)
def test_tampered_ciphertext_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    ring = KeyRing.generate()
    with pytest.raises(CryptoError):
        ring.open(tamper(ring.seal(b"secret")))


def test_context_is_bound() -> None:
    ring = KeyRing.generate()
    token = ring.seal(b"x", "request.payload")
    with pytest.raises(CryptoError):
        ring.open(token, "finding.evidence")


def test_rotation_keeps_old_readable_and_reseals() -> None:
    ring = KeyRing.generate()
    first = ring.active
    old = ring.seal(b"payload", "c")
    kid = ring.add_key()
    assert kid != first and ring.active == kid
    assert ring.open(old, "c") == b"payload"
    new = ring.reseal(old, "c")
    assert KeyRing.key_id_of(new) == kid
    ring.retire(first)
    assert ring.open(new, "c") == b"payload"
    with pytest.raises(CryptoError):
        ring.open(old, "c")
    with pytest.raises(CryptoError):
        ring.retire(kid)


def test_a_retired_key_only_reseals_what_this_process_sealed_under_it(tmp_path: Path) -> None:
    """Issue 13: after another process retired a key, this ring never opens with it for
    a reader, never seals with it, and can still move its own late value to the new key."""
    path = tmp_path / "keys.json"
    server = KeyRing.generate()
    server.save(path)
    late = server.seal("valeur tardive", "c")
    admin = KeyRing.load(path)
    kid = admin.add_key()
    admin.retire(KeyRing.key_id_of(late))
    admin.save(path)
    assert server.refresh() and KeyRing.key_id_of(late) not in server.keys
    with pytest.raises(CryptoError):
        server.open(late, "c")
    moved = server.reseal(late, "c")
    assert KeyRing.key_id_of(moved) == kid and admin.open_text(moved, "c") == "valeur tardive"
    assert KeyRing.key_id_of(server.seal("x", "c")) == kid


def test_seal_log_collects_the_key_ids_of_its_own_block_only() -> None:
    ring = KeyRing.generate()
    ring.seal("hors bloc", "c")
    with seal_log() as outer:
        ring.seal("a", "c")
        with seal_log() as inner:
            ring.add_key()
            ring.seal("b", "c")
        assert {KeyRing.key_id_of(tok) for tok in inner} == {ring.active}
        assert len(outer) == 1 and not outer & inner


def test_a_seal_never_labels_its_token_with_a_key_another_thread_just_made_active(
    tmp_path: Path,
) -> None:
    """Review of issue 13: ``seal`` read the active key several times; a ``refresh`` in
    another thread in between gave a token named after one key, sealed under another."""
    import threading

    path = tmp_path / "keys.json"
    ring = KeyRing.generate()
    ring.save(path)
    admin = KeyRing.load(path)
    stop = threading.Event()

    def rotate() -> None:
        while not stop.is_set():
            admin.add_key()
            admin.save(path)
            ring.refresh()

    t = threading.Thread(target=rotate)
    t.start()
    try:
        with seal_log() as log:
            for i in range(400):
                ring.seal(f"valeur {i}", "c")
    finally:
        stop.set()
        t.join()
    assert len(log) == 400
    for tok in log:  # every token opens under the key it names
        assert ring.open_text(tok, "c").startswith("valeur")


def test_blind_index_is_deterministic_and_keyed() -> None:
    r1, r2 = KeyRing.generate(), KeyRing.generate()
    assert r1.blind_index("EMAIL_ADDRESS", "a@example.org") == r1.blind_index(
        "EMAIL_ADDRESS", "a@example.org"
    )
    assert r1.blind_index("EMAIL_ADDRESS", "a@example.org") != r1.blind_index(
        "FR_NIR", "a@example.org"
    )
    assert r1.blind_index("EMAIL_ADDRESS", "a@example.org") != r2.blind_index(
        "EMAIL_ADDRESS", "a@example.org"
    )


def test_key_file_is_0600_and_round_trips(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    path = tmp_path / "k" / "keys.json"
    ring.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = KeyRing.load(path)
    assert loaded.open(ring.seal(b"z")) == b"z"
    os.chmod(path, 0o644)
    with pytest.raises(CryptoError, match="readable by others"):
        KeyRing.load(path)


def test_missing_or_malformed_key_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        KeyRing.load(tmp_path / "none.json")
    with pytest.raises(CryptoError):
        KeyRing.from_json('{"keys": {}}')


def test_signature_verifies_with_public_key_only() -> None:
    ring = KeyRing.generate()
    sig = ring.sign(b"head")
    assert verify_signature(ring.public_key(), b"head", sig)
    assert not verify_signature(ring.public_key(), b"head2", sig)
    assert not verify_signature(KeyRing.generate().public_key(), b"head", sig)


@pytest.mark.parametrize(
    ("alphabet", "length"), [("ABCDEFGHJKMNPQRSTVWXYZ23456789", 8), ("ab", 64)]
)
def test_random_code_uses_only_its_alphabet_and_varies(alphabet: str, length: int) -> None:
    from rgpd.crypto import random_code

    codes = {random_code(alphabet, length) for _ in range(200)}
    assert all(len(c) == length and set(c) <= set(alphabet) for c in codes)
    assert len(codes) > 1
    assert set("".join(codes)) == set(alphabet)  # every character can be drawn


@given(st.text(max_size=40), st.text(max_size=40))
def test_same_secret_is_string_equality(a: str, b: str) -> None:
    from rgpd.crypto import same_secret

    assert same_secret(a, b) is (a == b)
    assert same_secret(a, a)
