"""Sticky, weighted A/B assignment: ten thousand visitors, no server state."""

from collections import Counter

from sqlalchemy import func, select

from services.channel.experiments import variant_for
from services.channel.models import Placement, PlacementEvent, db
from shared.tenancy import tenant_scope
from tests.channel.harness import NORTHWIND, host, staff_headers

VISITORS = [f"visitor-{n:05d}" for n in range(10_000)]
HERO = "/api/channel/placements?channel=web&slot=home-hero&locale=en-GB&visitor={}"


def _split(app, code):
    with app.app_context(), tenant_scope(NORTHWIND):
        placement = db.session.scalar(select(Placement).where(Placement.code == code))
        first = [variant_for(NORTHWIND.id, placement, v).key for v in VISITORS]
        again = [variant_for(NORTHWIND.id, placement, v).key for v in VISITORS]
        weights = {v.key: v.weight for v in placement.experiment.variants}
        db.session.remove()
    return first, again, weights


def _shares(keys):
    counts = Counter(keys)
    return counts, {k: counts[k] / len(keys) for k in sorted(counts)}


def test_ten_thousand_visitors_split_fifty_fifty_and_each_keeps_its_variant(
    channel_app,
):
    app, _, _ = channel_app

    first, again, weights = _split(app, "web.home-hero")

    counts, shares = _shares(first)
    total = sum(weights.values())
    print(f"\nhero-copy 50/50 over 10000 visitors: {dict(sorted(counts.items()))}")
    assert first == again
    for key, weight in weights.items():
        assert abs(shares[key] - weight / total) < 0.02, shares


def test_a_seventy_thirty_experiment_splits_seventy_thirty(fresh_channel_app):
    app, _, _ = fresh_channel_app
    client = app.test_client()
    created = client.post(
        "/api/channel/admin/placements",
        json={
            "code": "web.plans-grid",
            "channel": "web",
            "slot": "plans-grid",
            "products": ["plan-smart-30", "plan-max-100"],
            "experiment": {
                "name": "grid-order",
                "variants": [
                    {"key": "control", "weight": 70},
                    {
                        "key": "unlimited-first",
                        "weight": 30,
                        "products": ["plan-unlimited", "plan-smart-30"],
                    },
                ],
            },
        },
        headers=staff_headers(NORTHWIND),
    )
    assert created.status_code == 201, created.get_json()

    first, again, _ = _split(app, "web.plans-grid")

    counts, shares = _shares(first)
    print(f"\ngrid-order 70/30 over 10000 visitors: {dict(sorted(counts.items()))}")
    assert first == again
    assert abs(shares["control"] - 0.70) < 0.02
    assert abs(shares["unlimited-first"] - 0.30) < 0.02


def test_the_storefront_answer_is_stable_per_visitor_and_records_one_exposure(
    channel_app,
):
    app, _, _ = channel_app
    client = app.test_client()
    sample = VISITORS[:40]
    expected, _, _ = _split(app, "web.home-hero")

    seen = {}
    for _ in range(2):
        for n, visitor in enumerate(sample):
            answer = client.get(HERO.format(visitor), headers=host(NORTHWIND))
            [item] = answer.get_json()["items"]
            variant = item["experiment"]["variant"]
            assert seen.setdefault(visitor, variant) == variant
            assert variant == expected[n]
            want = "hero-winter-unlimited" + ("" if variant == "a" else "-b")
            assert item["content"]["id"] == want

    with app.app_context(), tenant_scope(NORTHWIND):
        exposures = db.session.execute(
            select(PlacementEvent.variant_key, func.count())
            .where(
                PlacementEvent.kind == "exposure",
                PlacementEvent.visitor_id.in_(sample),
            )
            .group_by(PlacementEvent.variant_key)
        ).all()
        db.session.remove()
    print(f"\nexposures after 2 x 40 calls: {dict(exposures)}")
    assert dict(exposures) == dict(Counter(seen.values()))
