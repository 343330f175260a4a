"""Importing a brand pack's channels, placements and content: all or nothing."""

import copy

import pytest
from sqlalchemy import func, select

from services.channel import service
from services.channel.errors import BrandPackRefused
from services.channel.models import (
    ChannelSettings,
    ContentEntry,
    ExperimentVariant,
    Placement,
    SalesChannel,
    db,
)
from shared.tenancy import tenant_scope
from tests.channel.conftest import PACKS
from tests.channel.harness import (
    NORTHWIND,
    VOLT,
    customer_headers,
    host,
    staff_headers,
)
from tests.support.tokens import staff_of


def _counts():
    return {
        model.__tablename__: db.session.scalar(select(func.count(model.id)))
        for model in (SalesChannel, Placement, ContentEntry, ExperimentVariant)
    }


def test_the_northwind_pack_brings_channels_placements_content_and_locales(
    channel_app,
):
    app, _, _ = channel_app

    with app.app_context(), tenant_scope(NORTHWIND):
        channels = {
            c.code: c.assisted for c in db.session.scalars(select(SalesChannel))
        }
        settings = db.session.scalar(select(ChannelSettings))
        counts = _counts()
        db.session.remove()

    print(f"\nnorthwind after import: {counts}")
    assert channels == {"web": False, "app": False, "retail": True, "telesales": True}
    assert (settings.default_locale, settings.languages) == (
        "en-GB",
        ["en-GB", "cy-GB"],
    )
    assert counts == {
        "sales_channels": 4,
        "placements": 3,
        "content_entries": 5,
        "experiment_variants": 2,
    }


def test_importing_the_same_pack_again_changes_values_without_duplicates(
    fresh_channel_app,
):
    app, _, _ = fresh_channel_app
    pack = copy.deepcopy(PACKS["northwind"])
    pack["channels"][0]["name"] = "Online shop"
    pack["placements"][0]["priority"] = 20
    pack["placements"][0]["experiment"]["variants"][0]["weight"] = 80
    pack["placements"].pop()  # the app hero leaves the pack

    with app.app_context(), tenant_scope(NORTHWIND):
        report = service.import_brand_pack(pack)
        report_again = service.import_brand_pack(pack)
        web = db.session.scalar(select(SalesChannel).where(SalesChannel.code == "web"))
        hero = db.session.scalar(
            select(Placement).where(Placement.code == "web.home-hero")
        )
        weights = [v.weight for v in hero.experiment.variants]
        counts = _counts()
        db.session.remove()

    print(f"\nre-import report: {report}; again: {report_again}; rows {counts}")
    assert report["removed_placements"] == 1 and report_again["removed_placements"] == 0
    assert web.name == "Online shop"
    assert hero.priority == 20 and weights == [80, 50]
    assert counts == {
        "sales_channels": 4,
        "placements": 2,
        "content_entries": 5,
        "experiment_variants": 2,
    }


def test_a_pack_with_any_problem_stores_nothing_and_names_every_path(
    fresh_channel_app,
):
    app, _, _ = fresh_channel_app
    pack = copy.deepcopy(PACKS["northwind"])
    pack["channels"][0]["name"] = "Renamed, but refused"
    pack["channels"].append({"code": "web", "name": "Web again"})
    pack["placements"][0]["schedule"]["to"] = "2026-11-01T00:00:00Z"
    pack["placements"][0]["experiment"]["variants"][1]["weight"] = 0
    pack["placements"][1]["channel"] = "fax"
    pack["placements"][2]["content"] = "no-such-entry"
    pack["content"][0]["locale"] = "English"

    with app.app_context(), tenant_scope(NORTHWIND):
        before = _counts()
        with pytest.raises(BrandPackRefused) as refused:
            service.import_brand_pack(pack)
        after = _counts()
        web_name = db.session.scalar(
            select(SalesChannel.name).where(SalesChannel.code == "web")
        )
        db.session.remove()

    paths = sorted(e["field"] for e in refused.value.errors)
    print(f"\nrefused pack, problems at: {paths}")
    assert paths == [
        "channels[4].code",
        "content[0].locale",
        "placements[0].experiment.variants[1].weight",
        "placements[0].schedule.to",
        "placements[1].channel",
        "placements[2].content",
    ]
    assert after == before and web_name == "Web shop"


def test_the_admin_import_answers_problem_json_with_each_field(fresh_channel_app):
    app, _, _ = fresh_channel_app
    pack = copy.deepcopy(PACKS["northwind"])
    pack["placements"][0]["schedule"]["from"] = "next tuesday"

    answer = app.test_client().post(
        "/api/channel/admin/pack", json=pack, headers=staff_headers(NORTHWIND)
    )

    body = answer.get_json()
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert [e["field"] for e in body["errors"]] == ["placements[0].schedule.from"]


def test_admin_api_manages_channels_and_placements(fresh_channel_app):
    app, _, _ = fresh_channel_app
    client = app.test_client()
    staff = staff_headers(NORTHWIND)

    created = client.post(
        "/api/channel/admin/channels",
        json={"code": "b2b-portal", "name": "Business portal"},
        headers=staff,
    )
    duplicate = client.post(
        "/api/channel/admin/channels", json={"code": "web", "name": "x"}, headers=staff
    )
    renamed = client.patch(
        "/api/channel/admin/channels/retail",
        json={"name": "Stores", "assisted": True},
        headers=staff,
    )
    placed = client.post(
        "/api/channel/admin/placements",
        json={
            "code": "b2b.home-hero",
            "channel": "b2b-portal",
            "slot": "home-hero",
            "products": ["plan-max-100"],
            "schedule": {"from": "2026-12-01T00:00:00Z", "to": "2026-12-31T00:00:00Z"},
            "visibility": {"audience": "signed_in", "customer": "existing"},
        },
        headers=staff,
    )
    bad = client.post(
        "/api/channel/admin/placements",
        json={
            "code": "web.bad",
            "channel": "nowhere",
            "slot": "home-hero",
            "schedule": {"from": "2026-12-31T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        },
        headers=staff,
    )
    listed = client.get(
        "/api/channel/admin/placements?channel=b2b-portal", headers=staff
    )
    removed = client.delete(
        "/api/channel/admin/placements/b2b.home-hero", headers=staff
    )
    guest = client.get("/api/channel/admin/channels", headers=host(NORTHWIND))
    shopper = client.get(
        "/api/channel/admin/channels", headers=customer_headers(NORTHWIND)
    )
    other_brands_staff = client.get(
        "/api/channel/admin/channels",
        headers={**host(NORTHWIND), **staff_of("channel", VOLT)},
    )

    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert renamed.get_json() == {"code": "retail", "name": "Stores", "assisted": True}
    assert placed.status_code == 201, placed.get_json()
    assert placed.get_json()["visibility"]["audience"] == "signed_in"
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.get_json()["errors"]) == [
        "channel",
        "schedule.to",
    ]
    assert [p["code"] for p in listed.get_json()] == ["b2b.home-hero"]
    assert removed.status_code == 204
    assert guest.status_code == 401
    assert shopper.status_code == 403
    assert shopper.get_json()["type"].endswith("/role-missing")
    assert other_brands_staff.status_code == 403
    assert other_brands_staff.get_json()["type"].endswith("/token-for-another-tenant")


def test_visibility_rules_pick_who_sees_a_placement(fresh_channel_app):
    app, _, _ = fresh_channel_app
    client = app.test_client()
    staff = staff_headers(NORTHWIND)
    client.post(
        "/api/channel/admin/placements",
        json={
            "code": "web.loyalty",
            "channel": "web",
            "slot": "account-offers",
            "products": ["addon-world-roam"],
            "visibility": {
                "audience": "signed_in",
                "customer": "existing",
                "locales": ["en-GB"],
            },
        },
        headers=staff,
    )
    slot = "/api/channel/placements?channel=web&slot=account-offers&locale={}{}"

    signed_in = customer_headers(NORTHWIND, "ana")

    def shown(locale, extra="", headers=None):
        answer = client.get(
            slot.format(locale, extra), headers=headers or host(NORTHWIND)
        )
        assert answer.status_code == 200, answer.get_json()
        return [i["placement"] for i in answer.get_json()["items"]]

    assert shown("en-GB", "&customer=existing", signed_in) == ["web.loyalty"]
    assert shown("en-GB", "&customer=new", signed_in) == []
    assert shown("en-GB", "&customer=existing") == []  # a guest's hint counts not
    assert shown("en-GB") == []
    assert shown("cy-GB", "&customer=existing", signed_in) == []
    forged = client.get(
        slot.format("en-GB", "&customer=existing"),
        headers={**host(NORTHWIND), "Authorization": "Bearer not-a-token"},
    )
    assert forged.status_code == 401
    # signed in comes from a token, never from the query
    assert shown("en-GB", "&signed_in=true&customer=existing") == []
