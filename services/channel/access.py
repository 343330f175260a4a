"""Who may manage placements and preview a slot on another date.

TODO: replace ``staff_roles`` with the shared JWT verification (shared/auth,
being built in parallel): roles from a verified token whose ``tid`` matches
the tenant. Until then, outside production, the roles are read from the
``X-Telecart-Roles`` header so the admin API can be exercised; in production
every admin call is refused rather than trusted.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.channel.errors import StaffOnly

STAFF_ROLES = frozenset({"tenant_admin", "platform_admin"})


def staff_roles(headers: Mapping[str, str], environment: str) -> set[str]:
    if environment == "production":
        return set()
    raw = headers.get("X-Telecart-Roles", "")
    return {role.strip() for role in raw.split(",") if role.strip()}


def is_staff(headers: Mapping[str, str], environment: str) -> bool:
    return bool(staff_roles(headers, environment) & STAFF_ROLES)


def require_staff(headers: Mapping[str, str], environment: str) -> None:
    if not is_staff(headers, environment):
        raise StaffOnly("this needs a tenant_admin of this brand")
