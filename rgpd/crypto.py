"""All cryptography of rgpd, in one place.

* Sealing (recoverable secrets: request contents, kept evidence, uploads):
  AES-256-GCM (``cryptography``'s AESGCM), 96-bit random nonce, ciphertext text
  format ``v1$<key id>$<base64url(nonce || ciphertext+tag)>``. The version and
  key id are bound as associated data, so a ciphertext cannot be relabelled to
  another key. Fernet is not used: AES-128-CBC, rated legacy by OWASP ASVS 5.0.
* Blind index (lookup without decryption): HMAC-SHA256 under a separate index
  key, over a normalised value (``rgpd.masking.normalise``) prefixed by its kind,
  so the same e-mail found by a scan and typed by a citizen gives the same token.
  The index key is not rotated by ``keys rotate`` (that would orphan every index);
  rotating it means a re-scan.
* Signing audit checkpoints: Ed25519.

Keys live in a JSON key file outside the database, created with 0600
permissions; the database alone reveals nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rgpd.errors import ConfigError, CryptoError
from rgpd.i18n import _

FORMAT_VERSION = "v1"


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


#: Tokens sealed by the unit of work in progress (see :func:`seal_log`).
_SEAL_LOG: ContextVar[set[str] | None] = ContextVar("rgpd_seal_log", default=None)


@contextmanager
def seal_log() -> Iterator[set[str]]:
    """Collect the tokens every seal made inside the block returns (each names its key id).

    A unit of work (:meth:`rgpd.storage.db.Database.session`) opens one, so that at
    commit it knows whether it stores a value sealed under a key that a concurrent
    ``keys rotate --retire-old`` has just retired (:func:`rgpd.keys.reseal_retired`),
    and which rows are its own: the tokens, random per seal, name them exactly.
    A context variable, not a ring attribute: the intake server seals in many
    threads at once, and each unit of work must see only its own seals.
    """
    kids: set[str] = set()
    token = _SEAL_LOG.set(kids)
    try:
        yield kids
    finally:
        _SEAL_LOG.reset(token)


def new_key_id() -> str:
    """A random key id: two installs never share one (``k1`` everywhere hid mix-ups)."""
    return "k-" + secrets.token_hex(6)


@dataclass
class KeyRing:
    """The keys of one install. ``active`` seals; every listed key can open.

    A ring loaded from a file remembers it and, before each seal, re-reads it when
    it changed on disk (inode, size or mtime): a ``rgpd keys rotate --retire-old``
    run by another process is seen at once by a long-running server, which then
    never seals under a retired key.
    """

    keys: dict[str, bytes]
    active: str
    index_key: bytes
    signing_key: bytes
    created: dict[str, str] = field(default_factory=dict)
    #: Install id of the database this key file is bound to ("" until first bound).
    install: str = ""
    _path: Path | None = field(default=None, repr=False, compare=False)
    _stamp: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)
    #: Keys retired since this ring was loaded: never seal, only open what this
    #: process sealed under them before it saw the retirement, to reseal it.
    _former: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    #: ``refresh`` swaps keys and active key under it, ``seal`` reads the pair under it:
    #: a thread never seals under one key and labels the token with another.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    # -- key file -----------------------------------------------------------
    @classmethod
    def generate(cls) -> KeyRing:
        kid = new_key_id()
        return cls(
            keys={kid: AESGCM.generate_key(bit_length=256)},
            active=kid,
            index_key=secrets.token_bytes(32),
            signing_key=Ed25519PrivateKey.generate().private_bytes_raw(),
            created={kid: datetime.now(UTC).isoformat(timespec="seconds")},
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": 1,
                "install": self.install,
                "active": self.active,
                "keys": {
                    k: {"aes256": _b64e(v), "created": self.created.get(k, "")}
                    for k, v in self.keys.items()
                },
                "index_key": _b64e(self.index_key),
                "signing_key": _b64e(self.signing_key),
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            d = json.loads(text)
            keys = {k: _b64d(v["aes256"]) for k, v in d["keys"].items()}
            ring = cls(
                keys=keys,
                active=d["active"],
                index_key=_b64d(d["index_key"]),
                signing_key=_b64d(d["signing_key"]),
                created={k: v.get("created", "") for k, v in d["keys"].items()},
                install=str(d.get("install") or ""),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CryptoError(
                _("key file is malformed: {error}", error=exc.__class__.__name__)
            ) from exc
        if ring.active not in keys or any(len(k) != 32 for k in keys.values()):
            raise CryptoError(_("key file is malformed: active key missing or not 256-bit"))
        return ring

    def save(self, path: Path) -> None:
        """Write atomically with 0600 permissions (the key never exists world-readable)."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        self._path, self._stamp = path, _stamp(path)
        pub = public_key_path(path)
        pub.write_text(self.public_key() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        if not path.exists():
            raise ConfigError(_("key file not found: {path}", path=path))
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise CryptoError(
                _(
                    "key file {path} is readable by others (mode {mode}); chmod 600 it",
                    path=path,
                    mode=f"{mode:o}",
                )
            )
        stamp = _stamp(path)
        ring = cls.from_json(path.read_text(encoding="utf-8"))
        ring._path, ring._stamp = path, stamp
        return ring

    def refresh(self) -> bool:
        """Re-read the key file if another process changed it; True when it did.

        One ``stat`` per call. A key file that vanished or went bad keeps the ring
        as it is: sealing under the last known active key beats failing a write.
        """
        if self._path is None:
            return False
        try:
            stamp = _stamp(self._path)
        except OSError:
            return False
        if stamp == self._stamp:
            return False
        fresh = KeyRing.load(self._path)
        if fresh.fingerprint() != self.fingerprint():
            raise CryptoError(
                _(
                    "key file {path} was replaced by another install's key file "
                    "(fingerprint {new}, expected {old}); nothing was written",
                    path=self._path,
                    new=fresh.fingerprint(),
                    old=self.fingerprint(),
                )
            )
        with self._lock:
            self._former.update({k: v for k, v in self.keys.items() if k not in fresh.keys})
            self.keys, self.active, self.created = fresh.keys, fresh.active, fresh.created
            self.install, self._stamp = fresh.install or self.install, fresh._stamp
        return True

    def fingerprint(self) -> str:
        """Identity of this install's key file, stable across ``keys rotate``.

        Derived from the index and signing keys, which rotation keeps; recorded in
        the database (``rgpd_meta``) so a key file of another install is refused.
        """
        return self.keyed_digest("keyfile.fingerprint", self.public_key())[:32]

    # -- rotation -----------------------------------------------------------
    def add_key(self) -> str:
        """Add a fresh AES key and make it active; old keys stay to open old data."""
        kid = new_key_id()
        while kid in self.keys:  # pragma: no cover - 48 random bits
            kid = new_key_id()
        self.keys[kid] = AESGCM.generate_key(bit_length=256)
        self.created[kid] = datetime.now(UTC).isoformat(timespec="seconds")
        self.active = kid
        return kid

    def retire(self, kid: str) -> None:
        if kid == self.active:
            raise CryptoError(_("cannot retire the active key"))
        if kid in self.keys:
            self._former[kid] = self.keys[kid]
        self.keys.pop(kid, None)
        self.created.pop(kid, None)

    # -- sealing ------------------------------------------------------------
    def seal(self, plaintext: bytes | str, context: str = "") -> str:
        """Encrypt; ``context`` (e.g. 'request.payload') must be given again to open."""
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        self.refresh()
        nonce = secrets.token_bytes(12)
        with self._lock:  # one read of the pair: another thread may refresh meanwhile
            kid, key = self.active, self.keys[self.active]
        aad = f"{FORMAT_VERSION}${kid}${context}".encode()
        ct = AESGCM(key).encrypt(nonce, data, aad)
        token = f"{FORMAT_VERSION}${kid}${_b64e(nonce + ct)}"
        log = _SEAL_LOG.get()
        if log is not None:
            log.add(token)
        return token

    def open(self, token: str, context: str = "") -> bytes:
        return self._open(token, context, former=False)

    def _open(self, token: str, context: str, *, former: bool) -> bytes:
        try:
            version, kid, body = token.split("$", 2)
        except ValueError:
            raise CryptoError(_("not a sealed value (expected v1$kid$...)")) from None
        if version != FORMAT_VERSION:
            raise CryptoError(_("unknown ciphertext version {version}", version=repr(version)))
        key = self.keys.get(kid)
        if key is None and self.refresh():
            key = self.keys.get(kid)
        if key is None and former:
            key = self._former.get(kid)
        if key is None:
            raise CryptoError(
                _("unknown key id {kid} (retired or from another install)", kid=repr(kid))
            )
        raw = _b64d(body)
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], f"{version}${kid}${context}".encode())
        except InvalidTag:
            raise CryptoError(
                _("ciphertext does not authenticate (tampered or wrong context)")
            ) from None

    def open_text(self, token: str, context: str = "") -> str:
        return self.open(token, context).decode("utf-8")

    @staticmethod
    def key_id_of(token: str) -> str:
        return token.split("$", 2)[1]

    def reseal(self, token: str, context: str = "") -> str:
        """Re-encrypt under the active key (``rgpd keys rotate``, :func:`rgpd.keys.reseal_retired`).

        The only use of a retired key this process still holds in memory: a value it
        sealed under that key before it saw the retirement is moved to the active one.
        """
        if self.key_id_of(token) == self.active:
            return token
        return self.seal(self._open(token, context, former=True), context)

    # -- blind index ----------------------------------------------------------
    def blind_index(self, kind: str, normalised_value: str) -> str:
        """HMAC-SHA256 token for equality lookups; the caller normalises the value."""
        mac = hmac.new(self.index_key, f"{kind}\x1f{normalised_value}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def derive(self, purpose: str) -> bytes:
        """A 256-bit secret for one purpose (link signing, pseudonyms), never stored.

        Derived from the index key with HMAC-SHA256 over a purpose label, so every
        worker of an install derives the same secret and purposes never share one.
        """
        return hmac.new(self.index_key, f"rgpd.derive.{purpose}".encode(), hashlib.sha256).digest()

    def keyed_digest(self, purpose: str, data: bytes | str) -> str:
        """Keyed hex digest for stable pseudonyms: same input, same output; unguessable."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return hmac.new(self.derive(purpose), raw, hashlib.sha256).hexdigest()

    # -- signatures -----------------------------------------------------------
    def sign(self, message: bytes) -> str:
        return _b64e(Ed25519PrivateKey.from_private_bytes(self.signing_key).sign(message))

    def public_key(self) -> str:
        return _b64e(
            Ed25519PrivateKey.from_private_bytes(self.signing_key).public_key().public_bytes_raw()
        )


def _stamp(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def public_key_path(key_path: Path) -> Path:
    """Where the audit signing public key is kept, beside the key file (not secret)."""
    return key_path.with_name(key_path.stem + ".pub")


def public_key_fingerprint(public_key_b64: str) -> str:
    """Short SHA-256 of a public key, to compare copies by eye (``rgpd audit pubkey``)."""
    return sha256_hex(public_key_b64.strip())[:32]


def is_public_key(public_key_b64: str) -> bool:
    """Whether ``public_key_b64`` decodes to an Ed25519 public key."""
    try:
        Ed25519PublicKey.from_public_bytes(_b64d(public_key_b64))
        return True
    except (ValueError, TypeError):
        return False


def verify_signature(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    """Check an Ed25519 signature with only the public key (outside the install)."""
    try:
        Ed25519PublicKey.from_public_bytes(_b64d(public_key_b64)).verify(
            _b64d(signature_b64), message
        )
        return True
    except (InvalidSignature, ValueError):
        return False


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def random_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def random_code(alphabet: str, length: int) -> str:
    """``length`` characters drawn uniformly from ``alphabet`` by the OS CSPRNG.

    For what people read out or type (request references, archive passwords), where
    an alphabet without look-alike characters matters more than compactness.
    """
    return "".join(secrets.choice(alphabet) for _ in range(length))


def same_secret(a: str, b: str) -> bool:
    """Compare secrets in constant time (no timing oracle on tokens and nonces)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


class SealedBox:
    """Values sealed *to* this process: anyone holding the public key can seal, only
    the holder of this object can open (X25519 + HKDF-SHA256 + AES-256-GCM).

    Used for remote scan workers: they get the public key of a key pair made for one
    run, never the blind-index key, and send normalised values sealed; the coordinator
    opens them and computes the HMAC tokens itself. Neither the network nor a worker
    ever holds anything that opens a value or computes a token.
    """

    _INFO = b"rgpd sealed box v1"

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        self._private = X25519PrivateKey.generate()

    @property
    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def open(self, blob: bytes) -> bytes:
        """Raises ``CryptoError`` for a blob not sealed to this key or altered."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

        if len(blob) < 32 + 12 + 16:
            raise CryptoError(_("sealed value too short"))
        peer, nonce, body = blob[:32], blob[32:44], blob[44:]
        key = _sealed_key(self._private.exchange(X25519PublicKey.from_public_bytes(peer)), peer)
        try:
            return AESGCM(key).decrypt(nonce, body, peer)
        except InvalidTag as exc:
            raise CryptoError(_("sealed value altered or not sealed to this key")) from exc


def seal_to(public_key: bytes, plaintext: bytes) -> bytes:
    """Seal ``plaintext`` for the holder of ``public_key`` (see :class:`SealedBox`)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )

    eph = X25519PrivateKey.generate()
    peer = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = _sealed_key(eph.exchange(X25519PublicKey.from_public_bytes(public_key)), peer)
    nonce = os.urandom(12)
    return peer + nonce + AESGCM(key).encrypt(nonce, plaintext, peer)


def _sealed_key(shared: bytes, peer: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(hashes.SHA256(), 32, salt=peer, info=SealedBox._INFO).derive(shared)
