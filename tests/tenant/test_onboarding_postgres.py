"""Onboarding brands from their packs on PostgreSQL: all or nothing, re-runnable."""

import time

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from services.cli import main
from services.tenant.audit import Actor
from services.tenant.models import AuditEntry, Brand
from services.tenant.onboarding import onboard_pack
from shared.brandpack import PackRefused
from shared.db.migrate import migration_engine, upgrade_platform
from tests.tenant.harness import answer_ready, build_tenant_app
from tests.tenant.packs import brands_dir, pack_paths

pytestmark = pytest.mark.postgres
OPERATOR = Actor("cli:test", ("platform_admin",))


def count_brands(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(Brand)).scalar()
    engine.dispose()
    return count


def test_the_three_demo_brands_onboard_and_each_becomes_active(postgres_url):
    app, bus = build_tenant_app(postgres_url)
    timings = {}

    for path in pack_paths():
        started = time.perf_counter()
        report = onboard_pack(app, path, OPERATOR)
        answer_ready(app, report.tenant_id)
        timings[report.slug] = time.perf_counter() - started

        with app.app_context():
            brand = app.extensions["telecart"].db.session.get(Brand, report.tenant_id)
            assert brand.status == "active", brand.slug

    for slug, seconds in timings.items():
        print(f"\nonboarded {slug}: active in {seconds:.2f}s")
    assert sorted(timings) == ["harbor", "northwind", "volt"]

    handed = [e["payload"] for e in bus.of_type("tenant.pack_imported")]
    northwind = yaml.safe_load((brands_dir() / "northwind.yaml").read_text())
    catalog = next(
        h for h in handed if h["slug"] == "northwind" and h["service"] == "catalog"
    )
    channel = next(
        h for h in handed if h["slug"] == "northwind" and h["service"] == "channel"
    )
    assert catalog["sections"]["products"] == northwind["products"]
    assert channel["sections"]["placements"] == northwind["placements"]
    assert set(catalog["sections"]) == {"products", "rules", "cross_sell"}
    northwind_events = [
        e["type"] for e in bus.events if e["tenant_id"] == catalog["tenant_id"]
    ]
    assert northwind_events == [
        "tenant.created",  # same transaction as the hand-offs, in outbox order
        "tenant.pack_imported",
        "tenant.pack_imported",
        "tenant.updated",  # activation, once the five services answered
    ]
    assert len(bus.of_type("tenant.created")) == 3
    assert len(bus.of_type("tenant.updated")) == 3  # one activation each


def test_onboarding_a_pack_again_updates_the_brand_instead_of_duplicating_it(
    postgres_url, tmp_path
):
    app, bus = build_tenant_app(postgres_url)
    source = yaml.safe_load((brands_dir() / "volt.yaml").read_text())
    first = onboard_pack(app, brands_dir() / "volt.yaml", OPERATOR)

    source["tenant"]["name"] = "Volt Mobile"
    changed = tmp_path / "volt.yaml"
    changed.write_text(yaml.safe_dump(source))
    second = onboard_pack(app, changed, OPERATOR)

    assert (first.created, second.created) == (True, False)
    assert first.tenant_id == second.tenant_id
    assert count_brands(postgres_url) == 1
    updated = bus.of_type("tenant.updated")[-1]["payload"]
    assert updated["name"] == "Volt Mobile"
    with app.app_context():
        actions = (
            app.extensions["telecart"]
            .db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq))
            .all()
        )
    assert actions == ["tenant.create", "tenant.update"]


def test_a_broken_pack_is_refused_whole_and_creates_nothing(postgres_url, tmp_path):
    app, bus = build_tenant_app(postgres_url)
    data = yaml.safe_load((brands_dir() / "harbor.yaml").read_text())
    data["tenant"]["currency"] = "EURO"
    data["products"][1]["variants"][0]["prices"][0]["amount"] = -1
    broken = tmp_path / "harbor.yaml"
    broken.write_text(yaml.safe_dump(data))

    with pytest.raises(PackRefused) as refused:
        onboard_pack(app, broken, OPERATOR)

    assert [str(p) for p in refused.value.problems] == [
        "tenant.currency: unknown ISO 4217 currency 'EURO'",
        "products[1].variants[0].prices[0].amount: must be >= 0",
    ]
    assert count_brands(postgres_url) == 0
    assert bus.events == []


def test_the_onboard_command_prints_every_problem_and_exits_non_zero(
    postgres_url, tmp_path, monkeypatch
):
    engine = migration_engine(postgres_url)
    upgrade_platform(engine, "tenant")
    engine.dispose()
    monkeypatch.setenv("TENANT_DATABASE_URL", postgres_url)
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    data = yaml.safe_load((brands_dir() / "northwind.yaml").read_text())
    data["products"][1]["code"] = "device-iphone-16"
    data["rules"][0]["require"]["any_of_codes"] = ["plan-gigantic"]
    data["placements"][0]["schedule"]["from"] = "2027-02-01T00:00:00Z"
    broken = tmp_path / "northwind.yaml"
    broken.write_text(yaml.safe_dump(data))

    refused = CliRunner().invoke(main, ["tenants", "onboard", str(broken)])
    accepted = CliRunner().invoke(
        main, ["tenants", "onboard", str(brands_dir() / "volt.yaml")]
    )

    print("\n" + refused.output)
    assert refused.exit_code == 1
    assert "products[1].code: duplicate product code" in refused.output
    assert "rules[0].require.any_of_codes[0]: names a missing product" in refused.output
    assert "placements[0].schedule.to: ends" in refused.output
    assert accepted.exit_code == 0, accepted.output
    assert "volt: created, status provisioning" in accepted.output
    assert count_brands(postgres_url) == 1
