"""Promotion code limits hold under concurrent checkouts (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from services.basket.models import PromotionCode, db
from shared.tenancy import tenant_scope
from tests.basket.harness import NORTHWIND, build_shop, checkout_body, load_pack

SIM_ONLY = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]


def test_five_redemptions_left_and_twenty_checkouts_exactly_five_get_it(postgres_url):
    pack = load_pack("northwind")
    pack["promotion_codes"].append(
        {
            "code": "LAST5",
            "discount": {"percent": 50, "on": "recurring", "months": 3},
            "max_redemptions": 100,
        }
    )
    shop = build_shop(postgres_url, {"northwind": pack}, pool_size=25)
    with shop.app.app_context(), tenant_scope(NORTHWIND):
        promo = db.session.scalars(
            select(PromotionCode).where(PromotionCode.code == "LAST5")
        ).one()
        promo.redeemed = 95
        db.session.commit()
        db.session.remove()

    shoppers = []
    for _ in range(20):
        shopper = shop.client(NORTHWIND)
        basket = shopper.new_basket("web")
        shopper.add_bundle(basket["id"], SIM_ONLY)
        basket = shopper.apply_code(basket["id"], "LAST5")
        assert basket["totals"]["per_month"]["amount"] == 650
        shoppers.append((shopper, basket))

    def check_out(pair):
        shopper, basket = pair
        # A short, fixed number: a long digit run in an e-mail could pass the
        # Luhn check, and card-like data is refused before checkout runs.
        body = checkout_body(basket, email=f"buyer{shoppers.index(pair)}@example.com")
        return shopper.call("POST", f"/baskets/{basket['id']}/checkout", body)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(check_out, shoppers))

    placed = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 409]
    discounted = [
        order
        for order in shop.orders.orders.values()
        if "LAST5" in order["order"]["promotion_codes"]
    ]
    with shop.app.app_context(), tenant_scope(NORTHWIND):
        counter = db.session.scalars(
            select(PromotionCode.redeemed).where(PromotionCode.code == "LAST5")
        ).one()
        db.session.remove()

    month_1 = [o["order"]["totals"]["per_month"]["amount"] for o in discounted]
    print(
        f"\nLAST5 with 5 redemptions left, 20 concurrent checkouts: "
        f"{len(placed)} placed with the discount (month 1 {month_1}), "
        f"{len(refused)} refused (code used up), "
        f"{len(shop.orders.orders) - len(discounted)} at full price; "
        f"counter {counter}/100"
    )
    assert len(placed) == 5
    assert len(shop.orders.orders) == 5  # none placed at a price it did not show
    assert len(discounted) == 5
    assert len(refused) == 15
    assert all(
        a.get_json()["type"].endswith("/promotion-code-used-up") for a in refused
    )
    assert all(o["order"]["totals"]["per_month"]["amount"] == 650 for o in discounted)
    assert counter == 100


def test_a_once_per_customer_code_is_redeemed_once_per_customer(postgres_url):
    shop = build_shop(postgres_url)
    first = shop.client(NORTHWIND).sign_in("customer-carol")
    basket = first.new_basket("web")
    first.add_bundle(basket["id"], SIM_ONLY)
    basket = first.apply_code(basket["id"], "WELCOME10")
    done = first.call(
        "POST", f"/baskets/{basket['id']}/checkout", checkout_body(basket)
    )
    assert done.status_code == 200, done.get_json()

    again = first.new_basket("web")
    first.add_bundle(again["id"], SIM_ONLY)
    again = first.apply_code(again["id"], "WELCOME10")

    assert again["promotion_codes"] == [
        {"code": "WELCOME10", "applied": False, "reason": "already_used"}
    ]
    assert again["totals"]["per_month"]["amount"] == 1300
