"""Northwind's web home hero through the campaign window, in English and Welsh."""

from datetime import UTC, datetime

from tests.channel.harness import NORTHWIND, customer_headers, host, staff_headers

HERO = "/api/channel/placements?channel=web&slot=home-hero&locale={locale}"
PREVIEW = "/api/channel/preview/placements?channel=web&slot=home-hero&locale={locale}"


def _hero(client, locale, visitor="visitor-a1", **extra):
    url = HERO.format(locale=locale) + f"&visitor={visitor}"
    answer = client.get(url, headers=host(NORTHWIND), **extra)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_web_home_hero_shows_the_winter_unlimited_banner_in_english(channel_app):
    app, _, _ = channel_app
    body = _hero(app.test_client(), "en-GB")

    [item] = body["items"]
    print(
        f"\nen-GB hero: {item['content']['fields']['headline']!r}, {item['products']}"
    )
    assert item["placement"] == "web.home-hero"
    assert item["content"]["id"].startswith("hero-winter-unlimited")
    assert item["content"]["locale"] == "en-GB"
    assert [p["code"] for p in item["products"]] == ["plan-unlimited"]
    assert item["window"] == {
        "from": "2026-11-20T00:00:00Z",
        "to": "2027-01-31T23:59:59Z",
    }


def test_the_web_home_hero_is_welsh_for_a_welsh_visitor(channel_app):
    app, _, _ = channel_app
    client = app.test_client()
    visitor = _visitor_in_variant(client, "a")

    body = _hero(client, "cy-GB", visitor=visitor)

    [item] = body["items"]
    print(f"\ncy-GB hero: {item['content']['fields']['headline']!r}")
    assert item["content"]["id"] == "hero-winter-unlimited"
    assert item["content"]["locale"] == "cy-GB"
    assert item["content"]["fields"]["headline"] == "Data diderfyn, hanner y pris"
    assert body["locale_chain"] == ["cy-GB", "en-GB"]


def test_a_welsh_visitor_in_the_variant_without_welsh_copy_falls_back_to_english(
    channel_app,
):
    app, _, _ = channel_app
    client = app.test_client()
    visitor = _visitor_in_variant(client, "b")

    [item] = _hero(client, "cy-GB", visitor=visitor)["items"]

    assert item["content"]["id"] == "hero-winter-unlimited-b"
    assert item["content"]["locale"] == "en-GB"
    assert item["content"]["fields"]["headline"] == "Go unlimited this winter"


def test_the_hero_is_empty_once_the_campaign_has_ended(channel_app):
    app, _, clock = channel_app
    client = app.test_client()
    clock.now = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)

    english = _hero(client, "en-GB")
    welsh = _hero(client, "cy-GB")

    print(f"\nafter the window: en-GB {english['items']}, cy-GB {welsh['items']}")
    assert english["items"] == [] and welsh["items"] == []


def test_the_hero_goes_live_at_the_window_start_and_not_a_second_before(channel_app):
    app, _, clock = channel_app
    client = app.test_client()

    clock.now = datetime(2026, 11, 19, 23, 59, 59, tzinfo=UTC)
    before = _hero(client, "en-GB")["items"]
    clock.now = datetime(2026, 11, 20, 0, 0, 0, tzinfo=UTC)
    at_start = _hero(client, "en-GB")["items"]
    clock.now = datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC)
    last_second = _hero(client, "en-GB")["items"]

    assert before == []
    assert len(at_start) == 1 and len(last_second) == 1


def test_staff_preview_what_the_hero_shows_on_a_date(channel_app):
    app, _, _ = channel_app
    client = app.test_client()

    shown = {}
    for day in ("2026-11-01", "2026-12-24", "2027-02-01"):
        answer = client.get(
            PREVIEW.format(locale="cy-GB") + f"&at={day}T12:00:00Z",
            headers=staff_headers(NORTHWIND),
        )
        assert answer.status_code == 200, answer.get_json()
        shown[day] = [i["content"]["id"] for i in answer.get_json()["items"]]

    public_for_staff = client.get(
        HERO.format(locale="en-GB") + "&at=2027-02-01T00:00:00Z",
        headers=staff_headers(NORTHWIND),
    ).get_json()
    print(f"\nstaff preview of web/home-hero: {shown}")
    assert public_for_staff["preview"] is True and public_for_staff["items"] == []
    assert shown == {
        "2026-11-01": [],
        "2026-12-24": ["hero-winter-unlimited"],
        "2027-02-01": [],
    }


def test_a_shopper_cannot_ask_for_another_date(channel_app):
    app, _, _ = channel_app
    client = app.test_client()

    public = client.get(
        HERO.format(locale="en-GB") + "&at=2027-02-01T00:00:00Z",
        headers=host(NORTHWIND),
    )
    signed_in = client.get(
        HERO.format(locale="en-GB") + "&at=2027-02-01T00:00:00Z",
        headers=customer_headers(NORTHWIND),
    )
    preview = client.get(
        PREVIEW.format(locale="en-GB") + "&at=2027-02-01T00:00:00Z",
        headers=host(NORTHWIND),
    )
    customer_preview = client.get(
        PREVIEW.format(locale="en-GB") + "&at=2027-02-01T00:00:00Z",
        headers=customer_headers(NORTHWIND),
    )

    assert public.status_code == 403 and signed_in.status_code == 403
    assert public.mimetype == "application/problem+json"
    assert public.get_json()["field"] == "at"
    assert preview.status_code == 401
    assert customer_preview.status_code == 403


def test_a_bad_locale_is_refused_naming_the_field(channel_app):
    app, _, _ = channel_app

    answer = app.test_client().get(
        "/api/channel/placements?channel=web&slot=home-hero&locale=welsh",
        headers=host(NORTHWIND),
    )

    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == ["locale"]


def _visitor_in_variant(client, key):
    for n in range(100):
        visitor = f"visitor-{n}"
        [item] = _hero(client, "en-GB", visitor=visitor)["items"]
        if item["experiment"]["variant"] == key:
            return visitor
    raise AssertionError(f"no visitor in variant {key}")
