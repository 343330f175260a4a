"""The campaigns running on a channel at a moment, as a basket asks for them.

Northwind's pack: winter-unlimited (50% off plan-unlimited for 6 months, web
and app, 2026-11-20 .. 2027-01-31) and retail-fairphone (50.00 off the
Fairphone 5, retail, 2026-10-01 .. 2027-03-31).
"""

from tests.catalog.harness import NORTHWIND, VOLT, host


def running(client, tenant=NORTHWIND, **params):
    answer = client.get(
        "/api/catalog/campaigns", query_string=params, headers=host(tenant)
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_campaigns_running_on_a_channel_at_a_moment(client):
    web = running(client, channel="web", at="2026-12-03T10:00:00Z")
    retail = running(client, channel="retail", at="2026-12-03T10:00:00Z")
    after_winter = running(client, channel="web", at="2027-02-01T00:00:00Z")

    print(f"\nweb 2026-12-03: {[c['code'] for c in web]}")
    print(f"retail 2026-12-03: {[c['code'] for c in retail]}")
    print(f"web 2027-02-01: {[c['code'] for c in after_winter]}")
    assert web == [
        {
            "code": "winter-unlimited",
            "name": "Unlimited: half price for 6 months",
            "applies_to": {"codes": ["plan-unlimited"], "types": []},
            "discount": {"percent": 50, "months": 6, "on": "recurring"},
            "condition": {},
            "channels": ["web", "app"],
            "valid": {
                "from": "2026-11-20T00:00:00+00:00",
                "to": "2027-01-31T23:59:59+00:00",
            },
        }
    ]
    assert [(c["code"], c["discount"]) for c in retail] == [
        ("retail-fairphone", {"amount": 5000, "on": "one_time"})
    ]
    assert after_winter == []


def test_campaigns_are_the_host_brands_own(client):
    volt = running(client, tenant=VOLT, channel="web", at="2026-12-03T10:00:00Z")

    assert "winter-unlimited" not in [c["code"] for c in volt]


def test_a_campaign_query_without_a_channel_names_the_field(client):
    answer = client.get("/api/catalog/campaigns", headers=host(NORTHWIND))

    assert answer.status_code == 422
    assert "channel" in str(answer.get_json())
