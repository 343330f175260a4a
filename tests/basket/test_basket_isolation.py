"""A basket is seen only on its brand's host and only by its owner (PostgreSQL)."""

from tests.basket.harness import NORTHWIND, VOLT, build_shop, customer_token

VOLT_LINE = [{"code": "volt-m"}, {"code": "volt-esim"}]
NORTHWIND_LINE = [{"code": "plan-smart-30", "term_months": 24}, {"code": "sim-esim"}]


def test_a_volt_guest_token_is_refused_on_northwinds_host(postgres_url):
    shop = build_shop(postgres_url)
    volt_guest = shop.client(VOLT)
    basket = volt_guest.new_basket("web")
    volt_guest.add_bundle(basket["id"], VOLT_LINE)
    assert volt_guest.call("GET", f"/baskets/{basket['id']}").status_code == 200

    on_northwind = shop.client(NORTHWIND)
    on_northwind.token = volt_guest.token
    answers = [
        on_northwind.call("GET", f"/baskets/{basket['id']}"),
        on_northwind.call(
            "POST", f"/baskets/{basket['id']}/bundles", {"lines": NORTHWIND_LINE}
        ),
        on_northwind.call(
            "POST", f"/baskets/{basket['id']}/promotion-codes", {"code": "WELCOME10"}
        ),
    ]

    print(f"\nVolt token on Northwind's host: {[a.status_code for a in answers]}")
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert all(a.get_json()["type"].endswith("/basket-not-found") for a in answers)
    after = volt_guest.call("GET", f"/baskets/{basket['id']}").get_json()
    assert [b["lines"][0]["code"] for b in after["bundles"]] == ["volt-m"]
    assert after["promotion_codes"] == []


def test_a_guest_token_opens_only_its_own_basket(postgres_url):
    shop = build_shop(postgres_url)
    first, second = shop.client(NORTHWIND), shop.client(NORTHWIND)
    mine = first.new_basket("web")
    theirs = second.new_basket("web")

    first_token_on_second_basket = first.call("GET", f"/baskets/{theirs['id']}")
    no_token = shop.client(NORTHWIND).call("GET", f"/baskets/{mine['id']}")

    assert first_token_on_second_basket.status_code == 404
    assert no_token.status_code == 404
    assert "token" not in first.call("GET", f"/baskets/{mine['id']}").get_json()


def test_one_customers_basket_is_invisible_to_another_customer(postgres_url):
    shop = build_shop(postgres_url)
    alice = shop.client(NORTHWIND).sign_in("customer-alice")
    bob = shop.client(NORTHWIND).sign_in("customer-bob")
    basket = alice.new_basket("web")
    alice.add_bundle(basket["id"], NORTHWIND_LINE)
    assert "token" not in basket

    seen_by_bob = [
        bob.call("GET", f"/baskets/{basket['id']}").status_code,
        bob.call("DELETE", f"/baskets/{basket['id']}/bundles/x").status_code,
        bob.call("GET", "/baskets/mine").status_code,
    ]

    print(f"\nAlice's basket as Bob: {seen_by_bob}")
    assert seen_by_bob == [404, 404, 404]
    assert alice.call("GET", "/baskets/mine").get_json()["id"] == basket["id"]


def test_a_basket_on_a_channel_the_brand_does_not_have_is_refused(postgres_url):
    shop = build_shop(postgres_url)

    answer = shop.client(VOLT).call("POST", "/baskets", {"channel": "retail"})

    assert answer.status_code == 422
    assert answer.get_json()["errors"] == [
        {"field": "channel", "location": "json", "message": "one of web, app"}
    ]


def test_a_customer_token_of_another_brand_is_refused(postgres_url):
    shop = build_shop(postgres_url)
    shopper = shop.client(NORTHWIND)
    shopper.bearer = customer_token("customer-alice", VOLT)

    answer = shopper.call("POST", "/baskets", {"channel": "web"})

    assert answer.status_code == 403
    assert answer.get_json()["type"].endswith("/token-for-another-tenant")


def test_a_token_for_another_service_or_a_garbled_one_is_not_a_guest(tmp_path):
    shop = build_shop(f"sqlite:///{tmp_path}/basket.db")
    for_orders = shop.client(NORTHWIND)
    for_orders.bearer = customer_token("customer-alice", audience="telecart:order")
    garbled = shop.client(NORTHWIND)
    garbled.bearer = "not-a-jwt"

    answers = [
        shopper.call("POST", "/baskets", {"channel": "web"})
        for shopper in (for_orders, garbled)
    ]

    print(f"\nrefused: {[a.get_json()['detail'] for a in answers]}")
    assert [a.status_code for a in answers] == [401, 401]
    assert all(a.get_json()["type"].endswith("/token-invalid") for a in answers)
