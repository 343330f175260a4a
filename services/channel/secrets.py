"""Storing brand secrets (the Contentful token and webhook secret).

Every read and write of a secret goes through ``seal_secret`` and
``open_secret``: the platform's vault (``shared.secrets``, MultiFernet over
SECRETS_KEYS), so rotating the keys (new key first, old key second) keeps
every stored value readable. Values written before encryption (marked
``unsealed:``) still open; the next write of the setting seals them.
"""

from __future__ import annotations

from shared.secrets import app_vault, mask

_LEGACY_MARK = "unsealed:"

__all__ = ["mask", "open_secret", "seal_secret"]


def seal_secret(plain: str) -> str:
    return app_vault().encrypt(plain)


def open_secret(sealed: str) -> str:
    if sealed.startswith(_LEGACY_MARK):
        return sealed[len(_LEGACY_MARK) :]
    return app_vault().decrypt(sealed)
