"""A product can be hidden from a channel or carry another price there; a
volume campaign needs its minimum number of lines."""

import copy

import pytest

from services.catalog import service
from services.catalog.models import db
from shared.tenancy import tenant_scope
from tests.catalog.harness import (
    HARBOR,
    NORTHWIND,
    build_app,
    catalog_sections,
    host,
    import_brand,
    load_pack,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("channels")
    app = build_app(f"sqlite:///{folder}/catalog.db")
    sections = copy.deepcopy(catalog_sections(load_pack("northwind")))
    by_code = {p["code"]: p for p in sections["products"]}
    by_code["acc-usb-c-charger"]["hidden_channels"] = ["app"]
    by_code["plan-smart-30"]["prices"] += [
        {
            "type": "recurring",
            "amount": 1100,
            "period": "month",
            "term_months": 24,
            "channel": "telesales",
        },
        {
            "type": "recurring",
            "amount": 1800,
            "period": "month",
            "term_months": 1,
            "channel": "retail",
            "hidden": True,
        },
    ]
    with app.app_context(), tenant_scope(NORTHWIND):
        service.import_catalog(None, **sections)
        db.session.remove()
    import_brand(app, HARBOR)
    return app


def smart_prices(client, channel):
    body = client.get(
        f"/api/catalog/products/plan-smart-30?channel={channel}",
        headers=host(NORTHWIND),
    ).get_json()
    return {p["term_months"]: p["amount"] for p in body["prices"]}


def test_a_channel_price_replaces_the_base_price_only_there(app):
    client = app.test_client()
    assert smart_prices(client, "web") == {1: 1800, 12: 1500, 24: 1300}
    assert smart_prices(client, "telesales") == {1: 1800, 12: 1500, 24: 1100}
    answer = client.get(
        "/api/catalog/products/plan-smart-30/effective-price",
        query_string={"channel": "telesales", "term_months": 24},
        headers=host(NORTHWIND),
    ).get_json()
    assert answer["per_month"]["amount"] == 1100


def test_a_price_hidden_on_a_channel_cannot_be_chosen_there(app):
    client = app.test_client()
    assert smart_prices(client, "retail") == {12: 1500, 24: 1300}
    response = client.get(
        "/api/catalog/products/plan-smart-30/effective-price",
        query_string={"channel": "retail", "term_months": 1},
        headers=host(NORTHWIND),
    )
    assert response.status_code == 404


def test_a_product_hidden_on_a_channel_is_neither_listed_nor_shown_there(app):
    client = app.test_client()

    def listed(channel):
        body = client.get(
            f"/api/catalog/products?type=accessory&channel={channel}",
            headers=host(NORTHWIND),
        ).get_json()
        return [item["code"] for item in body["items"]]

    assert listed("web") == ["acc-usb-c-charger"]
    assert listed("app") == []
    detail = client.get(
        "/api/catalog/products/acc-usb-c-charger?channel=app", headers=host(NORTHWIND)
    )
    assert detail.status_code == 404


def test_harbors_volume_campaign_needs_ten_lines(app):
    client = app.test_client()

    def monthly(lines):
        answer = client.get(
            "/api/catalog/products/biz-unlimited/effective-price",
            query_string={
                "channel": "portal",
                "term_months": 24,
                "lines": lines,
                "at": "2026-12-01T00:00:00Z",
            },
            headers=host(HARBOR),
        ).get_json()
        return answer["campaign"], answer["per_month"], len(answer["schedule"])

    # 26.00 ex tax, 15% off every month: 22.10 ex tax, 27.18 with 23% tax.
    assert monthly(10) == (
        "volume-10",
        {"amount": 2210, "excl_tax": 2210, "incl_tax": 2718},
        24,
    )
    assert monthly(9) == (
        None,
        {"amount": 2600, "excl_tax": 2600, "incl_tax": 3198},
        24,
    )
