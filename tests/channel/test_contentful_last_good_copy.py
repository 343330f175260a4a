"""Contentful through the official SDK, against a real local stand-in server.

Down, slow or rate-limiting, the placement still answers from the last good
copy; a signed publish webhook refreshes it; a forged one changes nothing.
"""

import json
import time
from datetime import timedelta

import pytest

from services.channel.contentful_gateway import ContentfulGateways
from tests.channel.conftest import PACKS
from tests.channel.harness import (
    BRANDS,
    NORTHWIND,
    VOLT,
    build_channel_app,
    dispose,
    host,
    staff_headers,
)
from tests.support.contentful_standin import (
    ContentfulStandin,
    signed_webhook,
    webhook_body,
)

HERO = "/api/channel/placements?channel=web&slot=home-hero&locale={}&visitor=v-0002"
WEBHOOK = "/api/channel/contentful/webhook"
SECRET = "northwind-webhook-secret-0123456789"
PUBLISH = "ContentManagement.Entry.publish"


def _hero_fields(version):
    return {
        "headline": {
            "en-GB": f"Unlimited, half price ({version})",
            "cy-GB": f"Diderfyn, hanner pris ({version})",
        },
        "cta_label": {"en-GB": "See Unlimited", "cy-GB": "Gweld Diderfyn"},
    }


@pytest.fixture
def standin():
    server = ContentfulStandin().start()
    server.put_entry("hero-winter-unlimited", "heroBanner", _hero_fields("v1"))
    server.put_entry(
        "hero-winter-unlimited-b",
        "heroBanner",
        {"headline": {"en-GB": "Go unlimited (contentful b)"}},
    )
    yield server
    server.stop()


def _contentful_app(url, standin, max_age):
    app, catalog, clock = build_channel_app(
        url,
        migrate=False,
        contentful=ContentfulGateways(timeout_s=1.0),
        content_max_age=max_age,
    )
    for tenant in BRANDS:
        catalog.add_pack(tenant, PACKS[tenant.slug])
    answer = app.test_client().put(
        "/api/channel/admin/settings/contentful",
        json={
            "space": standin.space,
            "access_token": standin.token,
            "webhook_secret": SECRET,
            "api_url": standin.url,
        },
        headers=staff_headers(NORTHWIND),
    )
    assert answer.status_code == 200, answer.get_json()
    return app, clock


@pytest.fixture
def always_refreshing(fresh_db, standin):
    """Every read asks Contentful again (maximum age zero)."""
    app, clock = _contentful_app(fresh_db, standin, timedelta(0))
    yield app, clock
    dispose(app)


@pytest.fixture
def cached(fresh_db, standin):
    """Reads serve the copy for five minutes; webhooks refresh it."""
    app, clock = _contentful_app(fresh_db, standin, timedelta(minutes=5))
    yield app, clock
    dispose(app)


def _headline(client, locale="en-GB"):
    answer = client.get(HERO.format(locale), headers=host(NORTHWIND))
    assert answer.status_code == 200, answer.get_json()
    [item] = answer.get_json()["items"]
    return item["content"]["fields"]["headline"], item["content"]["source"]


def _webhook(client, clock, body, topic=PUBLISH, secret=SECRET, tenant=NORTHWIND):
    stamp = int(clock.now.timestamp() * 1000)
    headers = signed_webhook(secret, WEBHOOK, body, topic, timestamp_ms=stamp)
    return client.post(WEBHOOK, data=body, headers={**headers, **host(tenant)})


def test_the_hero_comes_from_contentful_in_english_and_welsh(always_refreshing):
    app, _ = always_refreshing
    client = app.test_client()

    english = _headline(client, "en-GB")
    welsh = _headline(client, "cy-GB")

    print(f"\nfrom Contentful: {english}, {welsh}")
    assert english == ("Unlimited, half price (v1)", "contentful")
    assert welsh == ("Diderfyn, hanner pris (v1)", "contentful")


@pytest.mark.parametrize("failure", ["down", "slow", "rate_limited"])
def test_contentful_failing_still_serves_the_last_good_copy(
    always_refreshing, standin, failure
):
    app, _ = always_refreshing
    client = app.test_client()
    assert _headline(client)[0] == "Unlimited, half price (v1)"
    standin.put_entry("hero-winter-unlimited", "heroBanner", _hero_fields("v2"))
    standin.mode = failure
    asked_before = len(standin.requests)

    timings, answers = [], []
    for _ in range(5):
        started = time.perf_counter()
        answers.append(_headline(client))
        timings.append(time.perf_counter() - started)

    asked = len(standin.requests) - asked_before
    print(
        f"\nContentful {failure}: 5 of 5 answered {answers[0]}, "
        f"slowest {max(timings):.2f}s, Contentful asked {asked} time(s)"
    )
    assert answers == [("Unlimited, half price (v1)", "contentful")] * 5
    assert asked >= 1
    assert max(timings) < 2.5
    if failure == "slow":
        assert asked <= 3, "the circuit breaker stops asking a slow Contentful"


def test_a_publish_webhook_refreshes_the_hero_even_while_contentful_is_down(
    cached, standin
):
    app, clock = cached
    client = app.test_client()
    assert _headline(client)[0] == "Unlimited, half price (v1)"
    standin.put_entry("hero-winter-unlimited", "heroBanner", _hero_fields("v2"))
    still_cached = _headline(client)[0]
    standin.mode = "down"

    answer = _webhook(
        client, clock, webhook_body(standin.entries["hero-winter-unlimited"])
    )

    print(f"\nbefore the webhook: {still_cached!r}; webhook {answer.status_code}")
    assert still_cached == "Unlimited, half price (v1)"
    assert answer.status_code == 200, answer.get_json()
    assert _headline(client, "en-GB")[0] == "Unlimited, half price (v2)"
    assert _headline(client, "cy-GB")[0] == "Diderfyn, hanner pris (v2)"


def test_a_webhook_with_a_bad_signature_changes_nothing(cached, standin):
    app, clock = cached
    client = app.test_client()
    assert _headline(client)[0] == "Unlimited, half price (v1)"
    standin.put_entry("hero-winter-unlimited", "heroBanner", _hero_fields("forged"))
    body = webhook_body(standin.entries["hero-winter-unlimited"])
    stamp = int(clock.now.timestamp() * 1000)

    wrong_secret = _webhook(client, clock, body, secret="not-the-secret-at-all-0000")
    tampered = signed_webhook(SECRET, WEBHOOK, body, PUBLISH, timestamp_ms=stamp)
    tampered_answer = client.post(
        WEBHOOK,
        data=body.replace(b"(forged)", b"(forged!)"),
        headers={**tampered, **host(NORTHWIND)},
    )
    replayed = signed_webhook(
        SECRET, WEBHOOK, body, PUBLISH, timestamp_ms=stamp - 3_600_000
    )
    replayed_answer = client.post(
        WEBHOOK, data=body, headers={**replayed, **host(NORTHWIND)}
    )
    unsigned = client.post(
        WEBHOOK,
        data=body,
        headers={"X-Contentful-Topic": PUBLISH, **host(NORTHWIND)},
    )

    statuses = [
        r.status_code
        for r in (wrong_secret, tampered_answer, replayed_answer, unsigned)
    ]
    print(f"\nwrong secret, tampered body, hour-old replay, unsigned: {statuses}")
    assert statuses == [401, 401, 401, 401]
    assert wrong_secret.mimetype == "application/problem+json"
    assert _headline(client)[0] == "Unlimited, half price (v1)"


def test_one_brands_webhook_secret_does_not_work_for_another(cached, standin):
    app, clock = cached
    client = app.test_client()
    client.put(
        "/api/channel/admin/settings/contentful",
        json={
            "space": "voltspace",
            "access_token": "volt-token",
            "webhook_secret": "volt-webhook-secret-0123456789",
            "api_url": standin.url,
        },
        headers=staff_headers(VOLT),
    )
    body = webhook_body(standin.entries["hero-winter-unlimited"])

    answer = _webhook(client, clock, body, tenant=VOLT)

    assert answer.status_code == 401


def test_an_unpublish_webhook_takes_the_banner_down(cached, standin):
    app, clock = cached
    client = app.test_client()
    assert _headline(client)[0] == "Unlimited, half price (v1)"
    standin.entries.pop("hero-winter-unlimited")
    body = json.dumps(
        {"sys": {"type": "DeletedEntry", "id": "hero-winter-unlimited"}}
    ).encode()

    answer = _webhook(client, clock, body, topic="ContentManagement.Entry.unpublish")

    hero = client.get(HERO.format("en-GB"), headers=host(NORTHWIND)).get_json()
    assert answer.status_code == 200
    [item] = hero["items"]
    assert item["content"] is None
    assert [p["code"] for p in item["products"]] == ["plan-unlimited"]


def test_contentful_down_before_the_first_fetch_shows_the_packs_copy(
    always_refreshing, standin
):
    app, _ = always_refreshing
    standin.mode = "down"

    headline = _headline(app.test_client())

    print(f"\nContentful never reached: {headline}")
    assert headline == ("Unlimited data, half the price", "pack")
