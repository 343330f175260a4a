"""The platform's sealing of secrets at rest (MultiFernet over SECRETS_KEYS).

SECRETS_KEYS holds Fernet keys, comma-separated: the first encrypts, every
one decrypts, so a new key can be put first, every stored value re-sealed
with it (``Vault.rotate``; ``telecart tenants rotate-secrets`` for the tenant
service), and the old key then dropped. What any API answer or log line may
show of a secret is ``mask(value)``: its last four characters.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app


class SecretUnreadable(RuntimeError):
    """No configured key decrypts the stored value."""


class Vault:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a vault needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "no key in SECRETS_KEYS decrypts this value"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext, encrypted again with the first key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "no key in SECRETS_KEYS decrypts this value"
            ) from None


def mask(value: str) -> str:
    """What any API or log may show of a secret: its last four characters."""
    return "…" + value[-4:] if len(value) > 8 else "…"


def app_vault(app: Flask | None = None) -> Vault:
    """The vault over the app's SECRETS_KEYS, built once per app."""
    from shared.http.app import runtime

    rt = runtime(app or current_app)
    vault = rt.extras.get("vault")
    if vault is None:
        vault = rt.extras["vault"] = Vault(rt.settings.secrets_keys)
    return vault
