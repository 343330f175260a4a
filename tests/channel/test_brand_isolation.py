"""Placements, content and results of one brand never appear for another."""

from sqlalchemy import select, text

from services.channel.models import Placement, db
from shared.tenancy import tenant_scope
from tests.channel.harness import HARBOR, NORTHWIND, VOLT, host, staff_headers

SLOT = "/api/channel/placements?channel={}&slot=home-hero&locale={}&visitor=v-iso"


def test_each_brand_sees_only_its_own_home_hero(channel_app):
    app, _, _ = channel_app
    client = app.test_client()

    northwind_app = client.get(SLOT.format("app", "en-GB"), headers=host(NORTHWIND))
    volt_app = client.get(SLOT.format("app", "de-DE"), headers=host(VOLT))
    volt_web = client.get(SLOT.format("web", "en-GB"), headers=host(VOLT))
    harbor = client.get(SLOT.format("portal", "en-GB"), headers=host(HARBOR))

    nw = northwind_app.get_json()["items"]
    vo = volt_app.get_json()["items"]
    print(
        f"\nnorthwind app hero: {[i['content']['id'] for i in nw]}, "
        f"volt app hero: {[i['content']['id'] for i in vo]}, "
        f"volt web hero: {volt_web.get_json()['items']}, "
        f"harbor portal hero: {harbor.get_json()['items']}"
    )
    assert [i["content"]["id"] for i in nw] == ["hero-app-esim"]
    assert [p["code"] for p in nw[0]["products"]] == ["sim-esim"]
    assert [i["content"]["id"] for i in vo] == ["volt-hero"]
    assert vo[0]["content"]["fields"]["headline"] == "Unbegrenzt. Monatlich kündbar."
    assert volt_web.get_json()["items"] == []
    assert harbor.get_json()["items"] == []


def test_alternating_brands_never_read_each_others_placements(channel_app):
    app, _, _ = channel_app
    client = app.test_client()
    own = {NORTHWIND.slug: {"hero-app-esim"}, VOLT.slug: {"volt-hero"}}

    wrong = 0
    for n in range(100):
        tenant = (NORTHWIND, VOLT)[n % 2]
        locale = "de-DE" if tenant is VOLT else "en-GB"
        answer = client.get(SLOT.format("app", locale), headers=host(tenant))
        ids = {i["content"]["id"] for i in answer.get_json()["items"]}
        wrong += len(ids - own[tenant.slug])
        assert ids == own[tenant.slug]

    print(f"\ncross-brand placements served: {wrong} of 100 answers")
    assert wrong == 0


def test_a_brand_cannot_read_or_change_another_brands_placement_by_code(
    fresh_channel_app,
):
    app, _, _ = fresh_channel_app
    client = app.test_client()
    staff_of_volt = staff_headers(VOLT)

    read = client.get(
        "/api/channel/admin/placements/web.home-hero", headers=staff_of_volt
    )
    changed = client.put(
        "/api/channel/admin/placements/web.home-hero",
        json={"channel": "web", "slot": "home-hero", "content": "volt-hero"},
        headers=staff_of_volt,
    )
    listed = client.get("/api/channel/admin/placements", headers=staff_of_volt)
    results = client.get(
        "/api/channel/admin/placements/web.home-hero/results", headers=staff_of_volt
    )

    assert read.status_code == 404 and changed.status_code == 404
    assert results.status_code == 404
    assert [p["code"] for p in listed.get_json()] == ["app.home-hero"]
    with app.app_context(), tenant_scope(NORTHWIND):
        hero = db.session.scalar(
            select(Placement).where(Placement.code == "web.home-hero")
        )
        assert hero.content_id == "hero-winter-unlimited"
        db.session.remove()


def test_every_row_sits_in_its_own_brands_schema(channel_app):
    app, _, _ = channel_app
    tables = ("sales_channels", "placements", "content_entries", "experiments")

    with app.app_context(), db.engine.connect() as connection:
        counts = {
            (tenant.slug, table): connection.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE tenant_id <> :tid) "
                    f'FROM "{tenant.schema}".{table}'
                ),
                {"tid": tenant.id},
            ).one()
            for tenant in (NORTHWIND, VOLT, HARBOR)
            for table in tables
        }

    print(f"\nrows (all, of another brand) per schema: {counts}")
    assert all(foreign == 0 for _, foreign in counts.values())
    assert counts[("northwind", "placements")] == (3, 0)
    assert counts[("volt", "placements")] == (1, 0)
    assert counts[("harbor", "placements")] == (0, 0)
