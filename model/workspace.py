"""Whose lab a store call acts for: a typed workspace, and the keys that open one on a shared server.

    ws = db.create_workspace(home, key_hash(key))    # key = new_key(): the secret in the lab's link
    ws = db.workspace_for_key(home, key_hash(key)) if is_key(key) else None
    Registry(home, ws), DrawingStore(home, ws)      # every query filters by ws

A key is a capability (like Jupyter's tokens): 256 random bits in the URL. The database keeps only its
SHA-256, and a key is found by looking up that hash, so the key itself is never stored or compared.
On a server with sign-in, an account's workspace is found by account_hash(issuer, subject) instead.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

KEY_BYTES = 32  # 256 bits of randomness per key
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) gives: 43 base64url characters


@dataclass(frozen=True)
class Workspace:
    id: str  # "personal" for the one local lab (make run); a random hex id on a shared server


PERSONAL = Workspace("personal")
SHARED = Workspace("shared")  # holds the bundled default model, listed in every workspace; no key opens it


def new_key() -> str:
    """A fresh lab key: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_hash(key: str) -> str:
    """What the database stores and looks up instead of the key: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def account_hash(issuer: str, subject: str) -> str:
    """What the database keeps of a signed-in account: the SHA-256 of its OpenID issuer and subject, which
    together name one person for good (an email can change hands); no name or address is stored."""
    return hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()


def is_key(key: object) -> bool:
    """True if `key` looks like one new_key() made: a tampered alphabet or a truncated key is refused before any lookup."""
    return isinstance(key, str) and KEY_PATTERN.fullmatch(key) is not None
