"""Guest baskets join the customer's on sign-in; baskets expire."""

from datetime import timedelta

from tests.basket.harness import (
    DECEMBER_3RD,
    NORTHWIND,
    build_shop,
    customer_token,
    sqlite_url,
)

SIM_ONLY = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]
MAX = [{"code": "plan-max-100", "term_months": 24}, {"code": "sim-physical"}]


def test_a_guest_basket_merges_into_the_customers_basket_on_sign_in(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    laptop = shop.client(NORTHWIND).sign_in("customer-fay")
    mine = laptop.new_basket("web")
    laptop.add_bundle(mine["id"], MAX)
    phone = shop.client(NORTHWIND)
    guest = phone.new_basket("web")
    phone.add_bundle(guest["id"], SIM_ONLY)
    phone.apply_code(guest["id"], "WELCOME10")

    phone.bearer = customer_token("customer-fay")
    merged = phone.call("POST", f"/baskets/{guest['id']}/claim")
    phone.bearer = None
    old_token = phone.call("GET", f"/baskets/{guest['id']}")

    assert merged.status_code == 200, merged.get_json()
    basket = merged.get_json()
    assert basket["id"] == mine["id"]
    assert [b["lines"][0]["code"] for b in basket["bundles"]] == [
        "plan-max-100",
        "plan-smart-30",
    ]
    assert [c["code"] for c in basket["promotion_codes"]] == ["WELCOME10"]
    assert old_token.status_code == 404


def test_a_guest_basket_becomes_the_customers_when_they_have_none(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    guest = shopper.new_basket("web")
    shopper.add_bundle(guest["id"], SIM_ONLY)

    shopper.sign_in("customer-gus")
    claimed = shopper.call("POST", f"/baskets/{guest['id']}/claim").get_json()
    shopper.token = None

    assert claimed["id"] == guest["id"]
    assert claimed["customer_id"] == "customer-gus"
    assert shopper.call("GET", "/baskets/mine").get_json()["id"] == guest["id"]


def test_a_basket_expires_after_the_brands_delay(tmp_path):
    shop = build_shop(sqlite_url(tmp_path))
    shopper = shop.client(NORTHWIND)
    basket = shopper.new_basket("web")
    assert basket["expires_at"].startswith("2027-01-02")

    shop.clock.now = DECEMBER_3RD + timedelta(days=31)
    late = shopper.call("POST", f"/baskets/{basket['id']}/bundles", {"lines": SIM_ONLY})

    assert late.status_code == 410
    assert shopper.call("GET", f"/baskets/{basket['id']}").get_json()["status"] == (
        "expired"
    )
