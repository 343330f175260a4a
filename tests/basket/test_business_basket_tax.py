"""Harbor (B2B) prices exclude VAT: the basket adds it, and the volume campaign
starts at ten lines on the business portal.

By hand: Business Unlimited 24m = 2600 net per line.
  9 lines: 9 x 2600 = 23400 net; VAT 23% = 5382; gross 28782.
  10 lines: 15% off each plan = 390 -> 2210 x 10 = 22100 net;
            VAT 23% = 5083; gross 27183.
"""

from tests.basket.harness import HARBOR, build_shop, load_pack, sqlite_url

LINE = [{"code": "biz-unlimited", "term_months": 24}, {"code": "biz-esim"}]


def test_exclusive_prices_get_vat_added_and_ten_lines_get_the_volume_discount(
    tmp_path,
):
    shop = build_shop(sqlite_url(tmp_path), {"harbor": load_pack("harbor")})
    buyer = shop.client(HARBOR)
    basket = buyer.new_basket("portal")
    for _ in range(9):
        basket = buyer.add_bundle(basket["id"], LINE)
    nine = basket["totals"]["per_month"]
    basket = buyer.add_bundle(basket["id"], LINE)
    ten = basket["totals"]["per_month"]

    print(
        f"\nHarbor 9 lines: {nine['excluding_tax']} + VAT {nine['tax']} = "
        f"{nine['including_tax']}; 10 lines: {ten['excluding_tax']} + VAT "
        f"{ten['tax']} = {ten['including_tax']} EUR cents"
    )
    assert (nine["excluding_tax"], nine["tax"], nine["including_tax"]) == (
        23400,
        5382,
        28782,
    )
    assert [c["code"] for c in basket["campaigns"]] == ["volume-10"]
    assert (ten["excluding_tax"], ten["tax"], ten["including_tax"]) == (
        22100,
        5083,
        27183,
    )
    assert ten["amount"] == 27183
    assert basket["tax"] == {"rate_percent": 23, "prices_include_tax": False}
