"""Sealing a brand's provider credentials before they are stored.

All storage of credentials goes through ``seal_credentials`` and
``open_credentials``: the JSON of the credentials encrypted with the
platform's vault (``shared.secrets``, MultiFernet over SECRETS_KEYS) and
stored as ``v1:<fernet token>``. Rows written before encryption (``v0:``,
plain JSON) still open and are re-sealed by ``reseal_credentials``. What an
answer or log shows of credentials is ``masked_credentials``.
"""

from __future__ import annotations

import json

from shared.secrets import app_vault, mask

_PLAIN = "v0:"
_SEALED = "v1:"


def seal_credentials(credentials: dict) -> str:
    return _SEALED + app_vault().encrypt(json.dumps(credentials, sort_keys=True))


def open_credentials(sealed: str) -> dict:
    if sealed.startswith(_SEALED):
        return json.loads(app_vault().decrypt(sealed[len(_SEALED) :]))
    if sealed.startswith(_PLAIN):
        return json.loads(sealed[len(_PLAIN) :])
    raise ValueError("credentials sealed with an unknown scheme")


def reseal_credentials(sealed: str) -> str:
    """The same credentials sealed with the first key of SECRETS_KEYS."""
    if sealed.startswith(_SEALED):
        return _SEALED + app_vault().rotate(sealed[len(_SEALED) :])
    return seal_credentials(open_credentials(sealed))


def masked_credentials(credentials: dict) -> dict:
    """Every string value shown as ``…abcd``; numbers and flags as they are."""
    return {
        name: mask(value) if isinstance(value, str) else value
        for name, value in credentials.items()
    }
