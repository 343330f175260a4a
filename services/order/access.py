"""Who is asking: the one place the order service checks identity.

Tokens are the tenant service's RS256 JWTs, verified by ``shared.auth``
(signature, issuer, audience ``telecart:order``, expiry, and ``tid`` equal to
the brand the Host resolved to). A customer's orders are those placed with
their account id (the token's ``sub``); guests' orders are reached through
customer service. Staff are the brand's ``tenant_admin`` accounts.
"""

from __future__ import annotations

from shared.auth import require_claims


def customer_id() -> str:
    """The signed-in customer's account id (orders carry it as customer.id)."""
    return require_claims(["customer"])["sub"]


def staff_user() -> str:
    """The brand staff member acting; written to the audit trail."""
    return "staff:" + require_claims(["tenant_admin"])["sub"]
