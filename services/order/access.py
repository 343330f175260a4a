"""Who is asking: the one place the order service checks identity.

TODO(auth): ``shared.auth`` (JWT verification, roles, ``tid`` against the
host's tenant) is being built elsewhere. Until it lands, these functions read
stand-in headers (``X-Customer-Email``, ``X-Staff-User``) outside production
and refuse everything in production. Swapping them for the JWT check changes
no view: every view calls only ``customer_email()`` or ``staff_user()``.
"""

from __future__ import annotations

from flask import current_app, request

from services.order.errors import IdentityRequired, StaffOnly


def _stand_in_allowed() -> bool:
    return current_app.extensions["telecart"].settings.environment != "production"


def customer_email() -> str:
    """The signed-in customer's e-mail (orders are matched by it)."""
    email = request.headers.get("X-Customer-Email", "").strip().lower()
    if not email or not _stand_in_allowed():
        raise IdentityRequired("sign in as a customer")
    return email


def staff_user() -> str:
    """The tenant staff member acting; written to the audit trail."""
    user = request.headers.get("X-Staff-User", "").strip()
    if not user or not _stand_in_allowed():
        raise StaffOnly("sign in as the brand's staff")
    return f"staff:{user}"
