"""Who the caller is: the brand's staff, a signed-in customer, or a guest.

Tokens are the tenant service's RS256 access tokens, verified by
``shared.auth`` (the token's ``tid`` must be the Host's brand). The admin API
and previews need ``tenant_admin``. The storefront slot is public; a visitor
who sends a token is signed in (an invalid token is refused, not taken for a
guest), one who sends none is a guest.
"""

from __future__ import annotations

from typing import Any

from flask import request

from shared.auth import require_claims, requires_auth

STAFF_ROLES = ("tenant_admin",)

staff_only = requires_auth(roles=STAFF_ROLES)


def caller_claims() -> dict[str, Any] | None:
    """The verified claims of the request's token, or None for a guest."""
    if not request.headers.get("Authorization"):
        return None
    return require_claims()


def is_staff(claims: dict[str, Any] | None) -> bool:
    return bool(claims) and bool(set(STAFF_ROLES) & set(claims.get("roles", [])))


def is_signed_in_customer(claims: dict[str, Any] | None) -> bool:
    return bool(claims) and "customer" in claims.get("roles", [])
