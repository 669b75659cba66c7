"""Key material: master key (wraps subject data keys), HMAC pepper, Ed25519 signing key.

The embedded SQLite default generates missing keys into ``var/`` with 0600 permissions.
With any other database a missing key file is a start-up error, never a silent default.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from prefcenter.core import crypto
from prefcenter.private_files import open_private
from prefcenter.settings import KeySettings, SettingsError


@dataclass(frozen=True)
class KeyMaterial:
    master_key: bytes
    pepper: bytes
    signing_key: bytes  # raw Ed25519 private key
    previous_master_keys: tuple[bytes, ...] = ()  # still readable during a master key rotation

    @property
    def master_key_id(self) -> str:
        return master_key_id(self.master_key)

    def master_key_by_id(self, key_id: str) -> bytes:
        """The master key (current or previous) that wrapped something under ``key_id``."""
        for key in (self.master_key, *self.previous_master_keys):
            if master_key_id(key) == key_id:
                return key
        raise SettingsError(
            f"data was wrapped by master key {key_id}, which is not configured; "
            "set PREFCENTER_PREVIOUS_MASTER_KEY_FILE to it until `prefcenter keys rewrap` has run"
        )

    @property
    def signing_public_key(self) -> bytes:
        return crypto.public_key_of(self.signing_key)

    @property
    def signing_key_id(self) -> str:
        return hashlib.sha256(self.signing_public_key).hexdigest()[:16]


@cache  # asked for every data key unwrapped (each write, each exported identity); a handful of keys
def master_key_id(key: bytes) -> str:
    return hashlib.sha256(b"master:" + key).hexdigest()[:16]


def _write_secret(path: Path, raw: bytes) -> None:
    with open_private(path, exclusive=True) as fh:
        fh.write(base64.b64encode(raw).decode() + "\n")


def _read_secret(path: Path, name: str, env_var: str, generate, generate_missing: bool) -> bytes:
    if not path.exists():
        if not generate_missing:
            raise SettingsError(
                f"the {name} file {path} does not exist; set {env_var} to a file holding "
                f"a base64 key (generate one with `prefcenter keys generate`)"
            )
        _write_secret(path, generate())
    try:
        raw = base64.b64decode(path.read_text().strip(), validate=True)
    except ValueError as exc:
        raise SettingsError(f"the {name} file {path} does not hold base64 text") from exc
    if len(raw) != 32:
        raise SettingsError(f"the {name} in {path} must be 32 bytes, found {len(raw)}")
    return raw


def load_keys(settings: KeySettings) -> KeyMaterial:
    gen = settings.generate_missing
    previous = ()
    if settings.previous_master_key_file is not None:
        previous = (
            _read_secret(
                settings.previous_master_key_file,
                "previous master key",
                "PREFCENTER_PREVIOUS_MASTER_KEY_FILE",
                crypto.new_master_key,
                False,
            ),
        )
    return KeyMaterial(
        previous_master_keys=previous,
        master_key=_read_secret(
            settings.master_key_file, "master key", "PREFCENTER_MASTER_KEY_FILE", crypto.new_master_key, gen
        ),
        pepper=_read_secret(
            settings.pepper_file, "HMAC pepper", "PREFCENTER_PEPPER_FILE", crypto.new_pepper, gen
        ),
        signing_key=_read_secret(
            settings.signing_key_file,
            "signing key",
            "PREFCENTER_SIGNING_KEY_FILE",
            crypto.new_signing_key,
            gen,
        ),
    )


def generate_key_files(directory: Path) -> list[Path]:
    """Write a fresh set of key files into ``directory`` (for production set-up)."""
    made = []
    for name, gen in (
        ("master.key", crypto.new_master_key),
        ("pepper.key", crypto.new_pepper),
        ("signing.key", crypto.new_signing_key),
    ):
        path = directory / name
        _write_secret(path, gen())
        made.append(path)
    return made
