"""Access tokens as the tenant service issues them, for tests of other services.

One RS256 key pair per test run; ``trust_test_keys(app)`` makes a service
app verify tokens against its public half (the JWKS document the tenant
service would publish), and ``mint`` signs tokens with the claims of the
architecture note (``iss sub aud exp iat tid roles jti``). Tokens go through
the real ``shared.auth`` verifier: nothing of the service is faked.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from jwt.algorithms import RSAAlgorithm

from shared.auth import PLATFORM_TID, audience_for, install_token_verifier
from shared.config import load_settings
from shared.tenancy import Tenant

KID = "tests-support"


def _key_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": KID, "use": "sig", "alg": "RS256"})
    return private, public


SIGNING_KEY, SIGNING_JWK = _key_pair()


def trust_test_keys(app: Flask) -> None:
    """The app verifies tokens against the test key set (no tenant app needed)."""
    install_token_verifier(app, source=lambda: {"keys": [SIGNING_JWK]})


def mint(
    service: str,
    tenant: Tenant | None,
    roles: Iterable[str],
    subject: str = "staff-1",
    *,
    ttl_s: int = 600,
    **claims: object,
) -> str:
    """A token for ``service`` at ``tenant`` (None: a platform token)."""
    now = int(time.time())
    body = {
        "iss": load_settings().jwt_issuer,
        "sub": subject,
        "aud": [audience_for(service)],
        "iat": now,
        "exp": now + ttl_s,
        "tid": tenant.id if tenant else PLATFORM_TID,
        "roles": list(roles),
        "jti": uuid.uuid4().hex,
    }
    body.update(claims)
    return jwt.encode(body, SIGNING_KEY, algorithm="RS256", headers={"kid": KID})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def staff_of(service: str, tenant: Tenant, subject: str = "staff-1") -> dict:
    """Authorization header of a ``tenant_admin`` of ``tenant``."""
    return bearer(mint(service, tenant, ["tenant_admin"], subject))


def customer_of(service: str, tenant: Tenant, subject: str) -> dict:
    """Authorization header of the customer ``subject`` of ``tenant``."""
    return bearer(mint(service, tenant, ["customer"], subject))
