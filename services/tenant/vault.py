"""Encryption at rest for brand secrets and signing keys (MultiFernet).

SECRETS_KEYS holds Fernet keys, comma-separated: the first encrypts, every
one decrypts, so a new key can be put first, ``telecart tenants
rotate-secrets`` re-encrypts every stored value with it, and the old key can
then be dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


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
