"""The embedded default (SQLite, one file for every brand) resolves slots too."""

from datetime import UTC, datetime

from tests.channel.harness import (
    BRANDS,
    NORTHWIND,
    VOLT,
    build_channel_app,
    dispose,
    host,
    import_demo_pack,
)

HERO = "/api/channel/placements?channel={}&slot=home-hero&locale={}&visitor=v-sqlite"


def test_the_hero_resolves_on_sqlite_and_stays_within_its_brand(tmp_path):
    app, catalog, clock = build_channel_app(f"sqlite:///{tmp_path}/channel.db")
    for tenant in BRANDS:
        import_demo_pack(app, catalog, tenant)
    client = app.test_client()

    welsh = client.get(HERO.format("web", "cy-GB"), headers=host(NORTHWIND)).get_json()
    volt = client.get(HERO.format("web", "en-GB"), headers=host(VOLT)).get_json()
    clock.now = datetime(2027, 2, 1, tzinfo=UTC)
    ended = client.get(HERO.format("web", "cy-GB"), headers=host(NORTHWIND)).get_json()
    dispose(app)

    [item] = welsh["items"]
    assert item["content"]["id"].startswith("hero-winter-unlimited")
    assert item["window"]["to"] == "2027-01-31T23:59:59Z"
    assert volt["items"] == [] and ended["items"] == []
