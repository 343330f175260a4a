"""shared/auth refuses every malformed, forged or misdirected token."""

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.auth import (
    HttpJwksSource,
    JwksCache,
    JwksUnavailable,
    TokenForAnotherTenant,
    TokenInvalid,
    TokenVerifier,
)
from tests.tenant.jwks_server import JwksServer

ISSUER = "https://id.telecart.test"
AUDIENCE = "telecart:catalog"
NORTHWIND, VOLT = "tid-northwind", "tid-volt"


def new_key(kid: str):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return private, public


SIGNING, SIGNING_JWK = new_key("k1")
PUBLIC_PEM = SIGNING.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def claims(**changes):
    now = datetime.now(UTC)
    base = {
        "iss": ISSUER,
        "sub": "account-1",
        "aud": [AUDIENCE, "telecart:basket"],
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=10)).timestamp()),
        "tid": NORTHWIND,
        "roles": ["customer"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def signed(payload, key=SIGNING, kid="k1"):
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(payload) -> str:
    return f"{b64({'alg': 'none', 'kid': 'k1', 'typ': 'JWT'})}.{b64(payload)}."


def hmac_with_public_key(payload) -> str:
    """The classic confusion attack: HS256 keyed with the RSA public key."""
    import hashlib
    import hmac

    header = b64({"alg": "HS256", "kid": "k1", "typ": "JWT"})
    body = b64(payload)
    mac = hmac.new(PUBLIC_PEM, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


@pytest.fixture
def jwks():
    with JwksServer({"keys": [SIGNING_JWK]}) as server:
        yield server


@pytest.fixture
def verifier(jwks):
    cache = JwksCache(HttpJwksSource(jwks.url), ttl_s=60, min_refresh_interval_s=5)
    return TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)


def test_a_good_token_for_this_brand_and_service_is_accepted(verifier):
    accepted = verifier.verify(signed(claims()), tenant_id=NORTHWIND)

    assert accepted["sub"] == "account-1"
    assert accepted["roles"] == ["customer"]


MALICIOUS = {
    "unsigned (alg none)": lambda: unsigned(claims()),
    "HMAC signed with the public key": lambda: hmac_with_public_key(claims()),
    "expired": lambda: signed(claims(exp=int(time.time()) - 3600)),
    "no expiry": lambda: signed(claims(exp=None)),
    "wrong issuer": lambda: signed(claims(iss="https://evil.example")),
    "no issuer": lambda: signed(claims(iss=None)),
    "wrong audience": lambda: signed(claims(aud=["telecart:payment"])),
    "no audience": lambda: signed(claims(aud=None)),
    "no tenant claim": lambda: signed(claims(tid=None)),
    "signed by a key not in the set": lambda: signed(claims(), key=new_key("k1")[0]),
    "unknown kid": lambda: signed(claims(), kid="k-unknown"),
    "not a JWT": lambda: "not.a.jwt",
}


def test_every_malicious_token_is_refused_as_unauthorized(verifier):
    refused = {}
    for name, make in MALICIOUS.items():
        with pytest.raises(TokenInvalid) as caught:
            verifier.verify(make(), tenant_id=NORTHWIND)
        refused[name] = caught.value.detail
        assert caught.value.status == 401
        assert caught.value.headers["WWW-Authenticate"].startswith("Bearer")

    for name, detail in refused.items():
        print(f"\n  {name:<32} -> 401 {detail}")
    print(f"\nmalicious tokens: {len(refused)} of {len(MALICIOUS)} refused")
    assert len(refused) == len(MALICIOUS)


def test_a_token_of_another_brand_is_forbidden_on_this_brands_host(verifier):
    token = signed(claims(tid=VOLT))

    with pytest.raises(TokenForAnotherTenant) as caught:
        verifier.verify(token, tenant_id=NORTHWIND)

    assert caught.value.status == 403


def test_a_brand_token_is_refused_on_the_tenantless_operator_apis(verifier):
    with pytest.raises(TokenForAnotherTenant):
        verifier.verify(signed(claims(roles=["platform_admin"])), tenant_id=None)


def test_made_up_kids_cannot_make_the_cache_hammer_the_key_endpoint(jwks):
    clock = Clock()
    cache = JwksCache(
        HttpJwksSource(jwks.url), ttl_s=300, min_refresh_interval_s=10, clock=clock
    )
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)

    for n in range(50):
        with pytest.raises(TokenInvalid):
            verifier.verify(signed(claims(), kid=f"made-up-{n}"), tenant_id=NORTHWIND)

    print(f"\n50 unknown kids -> {jwks.hits} fetch(es) of the key set")
    assert jwks.hits == 1


def test_a_rotated_in_key_is_fetched_when_a_token_names_it(jwks):
    clock = Clock()
    cache = JwksCache(
        HttpJwksSource(jwks.url), ttl_s=300, min_refresh_interval_s=10, clock=clock
    )
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)
    verifier.verify(signed(claims()), tenant_id=NORTHWIND)
    newer, newer_jwk = new_key("k2")
    jwks.document = {"keys": [SIGNING_JWK, newer_jwk]}
    clock.now += 11  # well inside the TTL: the unknown kid causes the refresh

    token = signed(claims(tid=VOLT), key=newer, kid="k2")
    accepted = verifier.verify(token, tenant_id=VOLT)

    assert accepted["tid"] == VOLT
    assert jwks.hits == 2


def test_an_outage_of_the_key_endpoint_is_ridden_out_but_not_beyond_max_age(jwks):
    clock = Clock()
    cache = JwksCache(
        HttpJwksSource(jwks.url, timeout_s=1),
        ttl_s=60,
        max_age_s=600,
        min_refresh_interval_s=10,
        clock=clock,
    )
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)
    verifier.verify(signed(claims()), tenant_id=NORTHWIND)

    jwks.failing = True
    clock.now += 300  # stale, refetch fails, cached keys still serve
    assert verifier.verify(signed(claims()), tenant_id=NORTHWIND)["sub"] == "account-1"

    clock.now += 301  # now older than max_age: nobody is trusted blindly
    with pytest.raises(JwksUnavailable):
        verifier.verify(signed(claims()), tenant_id=NORTHWIND)

    jwks.failing = False
    clock.now += 10
    assert verifier.verify(signed(claims()), tenant_id=NORTHWIND)["sub"] == "account-1"


def test_a_key_removed_from_the_set_stops_verifying_after_the_next_refresh(jwks):
    clock = Clock()
    cache = JwksCache(HttpJwksSource(jwks.url), ttl_s=60, clock=clock)
    verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE)
    token = signed(claims())
    verifier.verify(token, tenant_id=NORTHWIND)

    jwks.document = {"keys": []}
    clock.now += 61

    with pytest.raises(TokenInvalid):
        verifier.verify(token, tenant_id=NORTHWIND)
