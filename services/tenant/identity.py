"""Accounts of customers and staff (per brand), operators, clients and secrets.

Passwords are hashed with Argon2id. A customer account lives in the brand's
own schema, so the same e-mail at two brands is two unrelated accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.tenant import audit
from services.tenant.audit import Actor
from services.tenant.errors import (
    AccountExists,
    AccountInvalid,
    PasswordTooWeak,
)
from services.tenant.models import (
    Account,
    Brand,
    OAuthClient,
    Operator,
)
from services.tenant.tokens import Principal
from services.tenant.wiring import Wiring
from shared.tenancy.context import Tenant, tenant_scope

log = structlog.get_logger(__name__)

CUSTOMER, TENANT_ADMIN, PLATFORM_ADMIN = "customer", "tenant_admin", "platform_admin"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, policy: dict[str, Any]) -> None:
    problems = []
    if len(password) < int(policy.get("min_length", 10)):
        problems.append(f"must be at least {policy.get('min_length', 10)} characters")
    if policy.get("require_letter", True) and not re.search(r"[A-Za-z]", password):
        problems.append("must contain a letter")
    if policy.get("require_digit", True) and not re.search(r"\d", password):
        problems.append("must contain a digit")
    if problems:
        raise PasswordTooWeak(
            "the password does not meet the brand's policy",
            errors=[{"field": "password", "message": "; ".join(problems)}],
        )


def _check_email(email: str) -> str:
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise AccountInvalid(
            "the e-mail address is not valid",
            errors=[{"field": "email", "message": "must be an e-mail address"}],
        )
    return email


def _brand_tenant(brand: Brand) -> Tenant:
    return Tenant(id=brand.id, slug=brand.slug, status=brand.status)


def create_account(
    w: Wiring,
    brand: Brand,
    email: str,
    password: str,
    roles: list[str],
    name: str = "",
    actor: Actor | None = None,
) -> Account:
    """A customer (self-registered) or staff account (``actor`` audited)."""
    email = _check_email(email)
    check_password(password, (brand.settings or {}).get("password_policy") or {})
    session = w.db.session
    with tenant_scope(_brand_tenant(brand)):
        account = Account(
            id=str(uuid.uuid4()),
            email=email,
            name=name or "",
            password_hash=w.hasher.hash(password),
            roles=list(roles),
            disabled=False,
            created_at=datetime.now(UTC),
        )
        session.add(account)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise AccountExists(f"{email} already has an account here") from None
        if actor is not None:
            audit.record(
                session,
                actor,
                "account.create",
                f"account:{account.id}",
                tenant_id=brand.id,
                after={"email": email, "roles": list(roles)},
            )
        session.commit()
    log.info("account_created", tenant_id=brand.id, account_id=account.id, roles=roles)
    return account


_DUMMY_HASH: str | None = None


def _verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    """Verify in about the same time whether or not the account exists."""
    global _DUMMY_HASH
    if stored is None:
        _DUMMY_HASH = _DUMMY_HASH or hasher.hash("not-a-real-password-0")
        stored = _DUMMY_HASH
        password = password + "\0"
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate_account(
    w: Wiring, tenant: Tenant, email: str, password: str
) -> Principal | None:
    with tenant_scope(tenant):
        account = w.db.session.scalars(
            select(Account).where(Account.email == normalise_email(email))
        ).first()
        w.db.session.commit()
    if not _verify(w.hasher, account.password_hash if account else None, password):
        return None
    if account is None or account.disabled:
        return None
    return Principal(account.id, "account", tuple(account.roles), tenant.id)


def account_principal(w: Wiring, tenant: Tenant, account_id: str) -> Principal | None:
    with tenant_scope(tenant):
        account = w.db.session.get(Account, account_id)
        w.db.session.commit()
    if account is None or account.disabled:
        return None
    return Principal(account.id, "account", tuple(account.roles), tenant.id)


def get_account(w: Wiring, tenant: Tenant, account_id: str) -> Account | None:
    with tenant_scope(tenant):
        account = w.db.session.get(Account, account_id)
        w.db.session.commit()
    return account


def create_operator(w: Wiring, email: str, password: str) -> Operator:
    email = _check_email(email)
    check_password(password, {"min_length": 12})
    operator = Operator(
        id=str(uuid.uuid4()),
        email=email,
        password_hash=w.hasher.hash(password),
        roles=[PLATFORM_ADMIN],
        disabled=False,
        created_at=datetime.now(UTC),
    )
    session = w.db.session
    session.add(operator)
    ensure_console_client(w)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise AccountExists(f"{email} is already an operator") from None
    audit.record(
        session,
        Actor("cli:create-operator", (PLATFORM_ADMIN,)),
        "operator.create",
        f"operator:{operator.id}",
        tenant_id=None,
        after={"email": email},
    )
    session.commit()
    return operator


CONSOLE_CLIENT = "platform-console"


def ensure_console_client(w: Wiring) -> None:
    """The public client operators sign in with on the operator endpoint."""
    if w.db.session.get(OAuthClient, CONSOLE_CLIENT) is None:
        w.db.session.add(
            OAuthClient(
                client_id=CONSOLE_CLIENT,
                tenant_id=None,
                name="Operator console (public)",
                secret_hash=None,
                grant_types=["password", "refresh_token"],
                roles=[],
                created_at=datetime.now(UTC),
            )
        )


def authenticate_operator(w: Wiring, email: str, password: str) -> Principal | None:
    operator = w.db.session.scalars(
        select(Operator).where(Operator.email == normalise_email(email))
    ).first()
    if not _verify(w.hasher, operator.password_hash if operator else None, password):
        return None
    if operator is None or operator.disabled:
        return None
    return Principal(operator.id, "operator", tuple(operator.roles), None)


def operator_principal(w: Wiring, operator_id: str) -> Principal | None:
    operator = w.db.session.get(Operator, operator_id)
    if operator is None or operator.disabled:
        return None
    return Principal(operator.id, "operator", tuple(operator.roles), None)


# -- machine clients ---------------------------------------------------------


def client_secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(
    w: Wiring, brand: Brand | None, name: str, roles: list[str], actor: Actor
) -> tuple[OAuthClient, str]:
    """A confidential client (client_credentials); its secret is shown once."""
    secret = secrets.token_urlsafe(32)
    prefix = brand.slug if brand else "platform"
    client = OAuthClient(
        client_id=f"{prefix}-{secrets.token_hex(6)}",
        tenant_id=brand.id if brand else None,
        name=name,
        secret_hash=client_secret_digest(secret),
        grant_types=["client_credentials"],
        roles=list(roles),
        created_at=datetime.now(UTC),
    )
    session = w.db.session
    session.add(client)
    audit.record(
        session,
        actor,
        "client.create",
        f"client:{client.client_id}",
        tenant_id=client.tenant_id,
        after={"name": name, "roles": list(roles)},
    )
    session.commit()
    return client, secret


def client_secret_matches(client: OAuthClient, secret: str) -> bool:
    if not client.secret_hash:
        return False
    return hmac.compare_digest(client.secret_hash, client_secret_digest(secret))
