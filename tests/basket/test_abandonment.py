"""Idle baskets are announced once, with contact details only when given."""

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from services.basket.abandonment import abandon_idle_baskets
from services.basket.models import db
from services.cli import main
from shared.tenancy import tenant_scope
from tests.basket.harness import (
    NORTHWIND,
    build_shop,
    checkout_body,
    customer_token,
    load_pack,
)

SIM_ONLY = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]
EIGHT_AM = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_idle_baskets_are_abandoned_once_and_the_rate_is_readable(
    postgres_url, monkeypatch
):
    pack = load_pack("northwind")
    pack["tenant"]["settings"] = {"basket_abandon_after_minutes": 30}
    shop = build_shop(postgres_url, {"northwind": pack})
    shop.clock.now = EIGHT_AM

    with_contact = shop.client(NORTHWIND)
    a = with_contact.new_basket("web", contact={"email": "ada@example.com"})
    with_contact.add_bundle(a["id"], SIM_ONLY)
    signed_in = shop.client(NORTHWIND).sign_in("customer-bob")
    b = signed_in.new_basket("app")
    signed_in.add_bundle(b["id"], SIM_ONLY)
    shop.client(NORTHWIND).new_basket("web")  # empty: nothing to abandon
    buyer = shop.client(NORTHWIND)
    e = buyer.new_basket("web")
    e = buyer.add_bundle(e["id"], SIM_ONLY)
    assert (
        buyer.call("POST", f"/baskets/{e['id']}/checkout", checkout_body(e)).status_code
        == 200
    )
    shop.clock.now = EIGHT_AM + timedelta(minutes=110)
    recent = shop.client(NORTHWIND)
    c = recent.new_basket("web")
    recent.add_bundle(c["id"], SIM_ONLY)

    ten_am = EIGHT_AM + timedelta(hours=2)
    with shop.app.app_context(), tenant_scope(NORTHWIND):
        first_run = abandon_idle_baskets(ten_am)
        second_run = abandon_idle_baskets(ten_am + timedelta(hours=1))
        db.session.remove()
    shop.clock.now = ten_am
    staff = shop.client(NORTHWIND)
    staff.bearer = customer_token("staff-1", roles=("tenant_admin",))
    rate = staff.call("GET", "/abandonment-rate?days=7").get_json()
    as_guest = shop.client(NORTHWIND).call("GET", "/abandonment-rate")
    as_customer = signed_in.call("GET", "/abandonment-rate")

    print(
        f"\nabandoned at 10:00: {[p['basket_id'][:8] for p in first_run]}; "
        f"again at 11:00: {len(second_run)}; rate {rate}"
    )
    by_id = {p["basket_id"]: p for p in first_run}
    assert set(by_id) == {a["id"], b["id"]}
    assert by_id[a["id"]]["contact"] == {"email": "ada@example.com"}
    assert "contact" not in by_id[b["id"]]
    assert by_id[b["id"]]["customer_id"] == "customer-bob"
    assert [p["basket_id"] for p in second_run] == [c["id"]]
    assert (as_guest.status_code, as_customer.status_code) == (401, 403)
    assert rate["baskets"] == 4 and rate["checked_out"] == 1
    assert rate["abandoned"] == 3 and rate["rate"] == 0.75

    monkeypatch.setenv("BASKET_DATABASE_URL", postgres_url)
    command = CliRunner().invoke(main, ["basket", "abandon"])
    assert command.exit_code == 0, command.output
    assert "northwind: 0 basket(s) abandoned" in command.output
