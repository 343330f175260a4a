"""Impressions, clicks and conversions per variant, with a significance check."""

from services.channel import service
from services.channel.experiments import two_proportion_z_test
from services.channel.models import db
from shared.tenancy import tenant_scope
from tests.channel.harness import NORTHWIND, VOLT, host, staff_headers

HERO = "/api/channel/placements?channel=web&slot=home-hero&locale=en-GB&visitor={}"
RESULTS = "/api/channel/admin/placements/web.home-hero/results"


def test_the_z_test_tells_a_real_difference_from_noise():
    clear = two_proportion_z_test(100, 1000, 150, 1000)
    noise = two_proportion_z_test(100, 1000, 104, 1000)

    print(
        f"\n10% vs 15% of 1000: z={clear[0]:.2f} p={clear[1]:.4f}; "
        f"10% vs 10.4%: z={noise[0]:.2f} p={noise[1]:.4f}"
    )
    assert clear[1] < 0.01 < noise[1]
    assert two_proportion_z_test(0, 0, 1, 10) is None


def test_results_count_impressions_clicks_and_conversions_per_variant(
    fresh_channel_app,
):
    app, _, clock = fresh_channel_app
    client = app.test_client()
    visitors = [f"shopper-{n:03d}" for n in range(60)]

    variant_of = {}
    for visitor in visitors:
        [item] = client.get(HERO.format(visitor), headers=host(NORTHWIND)).get_json()[
            "items"
        ]
        variant_of[visitor] = item["experiment"]["variant"]
    events = [
        {"type": "impression", "placement": "web.home-hero", "visitor": v}
        for v in visitors
    ]
    clickers = [v for v in visitors if variant_of[v] == "b"][:10] + [
        v for v in visitors if variant_of[v] == "a"
    ][:3]
    events += [
        {"type": "click", "placement": "web.home-hero", "visitor": v} for v in clickers
    ]
    posted = client.post(
        "/api/channel/events", json={"events": events}, headers=host(NORTHWIND)
    )
    with app.app_context(), tenant_scope(NORTHWIND):
        for n, visitor in enumerate(clickers[:6]):
            service.record_order_confirmed(
                {"order_id": f"ord-{n}", "visitor_id": visitor},
                "2026-12-04T10:00:00Z",
            )
            service.record_order_confirmed(  # the same event delivered twice
                {"order_id": f"ord-{n}", "visitor_id": visitor},
                "2026-12-04T10:00:00Z",
            )
        db.session.commit()
        db.session.remove()

    answer = client.get(RESULTS, headers=staff_headers(NORTHWIND))

    results = answer.get_json()
    for row in results["variants"]:
        print(f"\n{row}")
    assert posted.status_code == 202 and posted.get_json() == {"accepted": 73}
    a, b = results["variants"]
    exposed = {k: list(variant_of.values()).count(k) for k in ("a", "b")}
    assert (a["variant"], b["variant"]) == ("a", "b")
    assert a["impressions"] == a["exposed_visitors"] == exposed["a"]
    assert b["impressions"] == b["exposed_visitors"] == exposed["b"]
    assert (a["clicks"], b["clicks"]) == (3, 10)
    assert b["click_through_rate"] == round(10 / exposed["b"], 4)
    assert a["conversions"] + b["conversions"] == 6
    assert b["conversion_rate"] == round(b["conversions"] / exposed["b"], 4)
    assert set(b["click_through_vs_control"]) == {"z", "p_value", "significant"}


def test_events_for_a_placement_of_another_brand_are_refused(channel_app):
    app, _, _ = channel_app

    answer = app.test_client().post(
        "/api/channel/events",
        json={
            "events": [{"type": "click", "placement": "web.home-hero", "visitor": "v1"}]
        },
        headers=host(VOLT),
    )

    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "events[0].placement"


def test_an_order_from_a_visitor_never_shown_an_experiment_converts_nothing(
    channel_app,
):
    app, _, _ = channel_app

    with app.app_context(), tenant_scope(NORTHWIND):
        added = service.record_order_confirmed(
            {"order_id": "ord-x", "visitor_id": "never-seen"}, "2026-12-04T10:00:00Z"
        )
        anonymous = service.record_order_confirmed(
            {"order_id": "ord-y"}, "2026-12-04T10:00:00Z"
        )
        db.session.rollback()
        db.session.remove()

    assert (added, anonymous) == (0, 0)
