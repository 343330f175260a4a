"""Sealing a brand's provider credentials before they are stored.

All storage of credentials goes through ``seal_credentials`` and
``open_credentials``.

TODO: swap the body of both for the shared MultiFernet over ``SECRETS_KEYS``
(being built in ``shared`` by another helper) once it is merged. Until then
the sealed form is a versioned, *unencrypted* JSON envelope so that rows
written now are recognisable (prefix ``v0:``) and can be re-sealed in place.
"""

from __future__ import annotations

import json

_PLAIN = "v0:"


def seal_credentials(credentials: dict) -> str:
    return _PLAIN + json.dumps(credentials, sort_keys=True)


def open_credentials(sealed: str) -> dict:
    if sealed.startswith(_PLAIN):
        return json.loads(sealed[len(_PLAIN) :])
    raise ValueError("credentials sealed with an unknown scheme")
