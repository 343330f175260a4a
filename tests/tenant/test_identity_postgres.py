"""Customers, staff and machine clients sign in to their own brand only."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.tenant.tokens import KEY_LEAD
from services.tenant.wiring import wiring
from tests.support.services import (
    REDIS_URL,
    fresh_postgres_database,
    missing,
    reachable,
)
from tests.tenant.harness import (
    bearer,
    build_tenant_app,
    create_active_brand,
    make_operator,
    operator_token,
    sign_in,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

NW, VOLT = "northwind.localhost", "volt.localhost"
PASSWORD = "correct-horse-42"

# Endpoints anyone may call (they authenticate by other means or not at all).
PUBLIC = {
    "tenant.public_config",
    "tenant.theme_stylesheet",
    "tenant.register_customer",
    "tenant.openid_configuration",
    "tenant.oauth_metadata",
    "tenant.token",
    "tenant.revoke",
    "operator.operator_token",
    "keys.jwks",
}


@pytest.fixture(scope="module")
def platform():
    if not reachable(REDIS_URL, 6379):
        missing("Redis", REDIS_URL)
    url, drop = fresh_postgres_database()
    app, bus = build_tenant_app(url, redis_url=REDIS_URL)  # rate-limit counters
    make_operator(app)
    ops = operator_token(app)
    brands = {
        slug: create_active_brand(app, ops, slug) for slug in ("northwind", "volt")
    }
    yield app, ops, brands
    with app.app_context():
        app.extensions["telecart"].engine.dispose()
    drop()


def register(app, host, email, password=PASSWORD):
    return app.test_client().post(
        "/api/tenant/accounts",
        json={"email": email, "password": password},
        headers={"Host": host},
    )


def tokens_for(app, host, email, client_id):
    answer = sign_in(app, host, email, PASSWORD, client_id)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_same_email_at_two_brands_is_two_unrelated_accounts(platform):
    app, _, _ = platform

    at_northwind = register(app, NW, "sam@example.com")
    at_volt = register(app, VOLT, "sam@example.com")
    again = register(app, NW, "SAM@example.com")

    assert at_northwind.status_code == at_volt.status_code == 201
    assert at_northwind.get_json()["id"] != at_volt.get_json()["id"]
    assert again.status_code == 409
    northwind = jwt.decode(
        tokens_for(app, NW, "sam@example.com", "northwind-web")["access_token"],
        options={"verify_signature": False},
    )
    assert northwind["sub"] == at_northwind.get_json()["id"]
    assert northwind["roles"] == ["customer"]
    assert sorted(northwind) == [
        "aud",
        "exp",
        "iat",
        "iss",
        "jti",
        "roles",
        "sub",
        "tid",
    ]
    assert northwind["exp"] - northwind["iat"] == 600


def test_a_weak_password_is_refused_naming_the_field_and_nothing_is_stored(platform):
    app, _, _ = platform

    weak = register(app, NW, "weak@example.com", password="short")

    assert weak.status_code == 422
    assert weak.get_json()["errors"][0]["field"] == "password"
    assert (
        sign_in(app, NW, "weak@example.com", "short", "northwind-web").status_code
        == 400
    )


def test_a_token_of_one_brand_is_refused_on_every_endpoint_of_another(platform):
    app, _, brands = platform
    register(app, VOLT, "vic@example.com")
    volt_token = tokens_for(app, VOLT, "vic@example.com", "volt-web")["access_token"]
    client = app.test_client()
    checked = []

    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or "." not in rule.endpoint:
            continue
        if rule.endpoint.split(".")[0] not in ("tenant", "operator"):
            continue
        path = rule.rule.replace("<tenant_id>", brands["northwind"]["id"])
        path = path.replace("<name>", "stripe_secret_key")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(
                path, method=method, json={}, headers=bearer(volt_token, NW)
            )
            checked.append((method, rule.rule, answer.status_code))

    for method, path, status in checked:
        print(f"\n  volt token on northwind host: {method:<5} {path} -> {status}")
    print(f"\nforeign-brand token: {len(checked)} of {len(checked)} endpoints refused")
    assert len(checked) >= 15
    assert {status for _, _, status in checked} == {403}


def test_a_rotated_refresh_token_used_again_revokes_the_whole_sign_in(platform):
    app, _, _ = platform
    register(app, NW, "rita@example.com")
    first = tokens_for(app, NW, "rita@example.com", "northwind-web")
    client = app.test_client()

    def refresh(token):
        return client.post(
            "/api/tenant/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": token,
                "client_id": "northwind-web",
            },
            headers={"Host": NW},
        )

    second = refresh(first["refresh_token"])
    stolen = refresh(first["refresh_token"])
    after_theft = refresh(second.get_json()["refresh_token"])

    assert second.status_code == 200
    assert second.get_json()["refresh_token"] != first["refresh_token"]
    assert stolen.status_code == 400 and stolen.get_json()["error"] == "invalid_grant"
    assert after_theft.status_code == 400


def test_revoking_a_refresh_token_ends_its_sign_in(platform):
    app, _, _ = platform
    register(app, NW, "rob@example.com")
    issued = tokens_for(app, NW, "rob@example.com", "northwind-web")
    client = app.test_client()

    revoked = client.post(
        "/api/tenant/oauth/revoke",
        data={"token": issued["refresh_token"], "client_id": "northwind-web"},
        headers={"Host": NW},
    )
    refreshed = client.post(
        "/api/tenant/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": "northwind-web",
        },
        headers={"Host": NW},
    )

    assert revoked.status_code == 200
    assert refreshed.status_code == 400


def test_sign_in_attempts_are_limited_per_account(platform):
    app, _, _ = platform
    register(app, NW, "lou@example.com")

    statuses = [
        sign_in(
            app, NW, "lou@example.com", "wrong-password-1", "northwind-web"
        ).status_code
        for _ in range(6)
    ]
    with_right_password = sign_in(app, NW, "lou@example.com", PASSWORD, "northwind-web")
    other_account = register(app, NW, "max@example.com")
    other_sign_in = sign_in(app, NW, "max@example.com", PASSWORD, "northwind-web")

    storage = type(app.extensions["telecart"].extras["limiter"].storage).__name__
    print(f"\nwrong passwords for one account: {statuses} (counters in {storage})")
    assert storage == "RedisStorage"
    assert statuses == [400] * 5 + [429]
    assert with_right_password.status_code == 429
    assert with_right_password.mimetype == "application/problem+json"
    assert other_account.status_code == 201 and other_sign_in.status_code == 200


def test_sign_in_attempts_are_limited_per_client_address_across_accounts(platform):
    app, ops, _ = platform
    create_active_brand(app, ops, "spray")  # a brand of its own: its own counters
    host = "spray.localhost"

    statuses = [
        sign_in(app, host, f"guess{n}@example.com", "guess-1", "spray-web").status_code
        for n in range(31)
    ]
    elsewhere = sign_in(app, host, "x@example.com", "guess-1", "spray-web").status_code
    from_another_address = app.test_client().post(
        "/api/tenant/oauth/token",
        data={
            "grant_type": "password",
            "username": "x@example.com",
            "password": "guess-1",
            "client_id": "spray-web",
        },
        headers={"Host": host},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )

    print(f"\n31 accounts guessed from one address: {statuses.count(429)} refused")
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
    assert elsewhere == 429
    assert from_another_address.status_code == 400


def test_a_signing_key_rotation_logs_nobody_out(platform):
    app, _, _ = platform
    register(app, NW, "kim@example.com")
    before = tokens_for(app, NW, "kim@example.com", "northwind-web")["access_token"]
    verifier = app.extensions["telecart"].extras["token_verifier"]

    with app.app_context():  # a rotation made KEY_LEAD ago: the new key signs now
        w = wiring(app)
        rotated_at = datetime.now(UTC) - KEY_LEAD - timedelta(seconds=1)
        new_key = w.keyring.rotate(w.db.session, now=rotated_at)
        w.db.session.commit()
    verifier.keys._fetched_at = None  # as if the verifier's cache TTL had passed
    after = tokens_for(app, NW, "kim@example.com", "northwind-web")["access_token"]
    jwks = app.test_client().get("/api/tenant/.well-known/jwks.json").get_json()
    client = app.test_client()

    kids = [jwt.get_unverified_header(t)["kid"] for t in (before, after)]
    assert kids[1] == new_key.kid != kids[0]
    assert set(kids) <= {key["kid"] for key in jwks["keys"]}
    assert (
        client.get("/api/tenant/accounts/me", headers=bearer(before, NW)).status_code
        == 200
    )
    assert (
        client.get("/api/tenant/accounts/me", headers=bearer(after, NW)).status_code
        == 200
    )


def test_a_new_signing_key_is_published_before_it_signs(platform):
    app, _, _ = platform
    register(app, NW, "lee@example.com")

    with app.app_context():
        w = wiring(app)
        new_key = w.keyring.rotate(w.db.session)
        w.db.session.commit()
    token = tokens_for(app, NW, "lee@example.com", "northwind-web")["access_token"]
    jwks = app.test_client().get("/api/tenant/.well-known/jwks.json").get_json()

    assert new_key.kid in {key["kid"] for key in jwks["keys"]}
    assert jwt.get_unverified_header(token)["kid"] != new_key.kid


def test_a_machine_client_gets_a_brand_token_with_client_credentials(platform):
    app, ops, brands = platform
    client = app.test_client()
    made = client.post(
        f"/api/tenant/tenants/{brands['northwind']['id']}/clients",
        json={"name": "Storefront server", "roles": ["storefront"]},
        headers=bearer(ops),
    ).get_json()

    granted = client.post(
        "/api/tenant/oauth/token",
        data={"grant_type": "client_credentials", "audience": "telecart:catalog"},
        auth=(made["client_id"], made["client_secret"]),
        headers={"Host": NW},
    )
    wrong_secret = client.post(
        "/api/tenant/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(made["client_id"], "not-the-secret"),
        headers={"Host": NW},
    )
    on_other_brand = client.post(
        "/api/tenant/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(made["client_id"], made["client_secret"]),
        headers={"Host": VOLT},
    )

    claims = jwt.decode(
        granted.get_json()["access_token"], options={"verify_signature": False}
    )
    assert granted.status_code == 200 and "refresh_token" not in granted.get_json()
    assert claims["tid"] == brands["northwind"]["id"]
    assert claims["aud"] == ["telecart:catalog"]
    assert claims["roles"] == ["storefront"]
    assert wrong_secret.status_code == 401
    assert on_other_brand.status_code == 401


def test_the_discovery_document_names_the_token_endpoint_and_key_set(platform):
    app, _, _ = platform

    document = (
        app.test_client()
        .get("/api/tenant/.well-known/openid-configuration", headers={"Host": NW})
        .get_json()
    )

    assert (
        document["token_endpoint"]
        == "http://northwind.localhost/api/tenant/oauth/token"
    )
    assert document["jwks_uri"].endswith("/api/tenant/.well-known/jwks.json")
    assert "client_credentials" in document["grant_types_supported"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


def test_staff_read_their_own_brands_audit_trail_only(platform):
    app, ops, brands = platform
    client = app.test_client()
    staff = client.post(
        f"/api/tenant/tenants/{brands['volt']['id']}/staff",
        json={"email": "admin@volt.example", "password": PASSWORD},
        headers=bearer(ops),
    )
    token = tokens_for(app, VOLT, "admin@volt.example", "volt-web")["access_token"]

    trail = client.get("/api/tenant/audit", headers=bearer(token, VOLT)).get_json()
    customer = register(app, VOLT, "cus@example.com")
    customer_token = tokens_for(app, VOLT, "cus@example.com", "volt-web")[
        "access_token"
    ]
    refused = client.get("/api/tenant/audit", headers=bearer(customer_token, VOLT))

    assert staff.status_code == 201 and staff.get_json()["roles"] == ["tenant_admin"]
    assert {entry["tenant_id"] for entry in trail} == {brands["volt"]["id"]}
    assert trail[0]["action"] == "tenant.create"
    assert trail[-1]["action"] == "account.create"
    assert customer.status_code == 201 and refused.status_code == 403
