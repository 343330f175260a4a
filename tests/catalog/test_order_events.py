"""Order events reserve and release stock through the bus, once each.

Payloads as the order saga's contract has them (services/order/SAGA.md).
"""

from __future__ import annotations

import json

from sqlalchemy import select

from services.catalog.models import db
from shared import events
from shared.tenancy import tenant_scope
from tests.catalog.harness import NORTHWIND, build_app, import_brand
from tests.catalog.test_stock_reservations import stock


def place(app, event_type, payload):
    with app.app_context(), tenant_scope(NORTHWIND):
        events.publish(db.session, event_type, payload)
        db.session.commit()
        db.session.remove()


def published(app, event_type):
    from shared.events.tables import outbox

    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            select(outbox.c.envelope).where(outbox.c.event_type == event_type)
        ).scalars()
        return [json.loads(row)["payload"] for row in rows]


def order(order_id, *lines):
    return {
        "order_id": order_id,
        "lines": [
            {"line_id": f"l{i}", "sku": sku, "quantity": qty}
            for i, (sku, qty) in enumerate(lines, start=1)
        ],
    }


def test_an_order_reserves_its_lines_once_and_a_cancel_puts_them_back(sqlite_url):
    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    bus = events.InProcessBus([app])
    pro = "DEV-IPHONE-16-PRO-256-BLACK-TITANIUM"  # 3 in stock

    place(app, "order.placed", order("o-1", (pro, 2), ("sim-esim", 1), (None, 1)))
    bus.drain()
    place(app, "order.placed", order("o-2", (pro, 2), ("ACC-USBC-25W", 1)))
    bus.drain()
    reserved = published(app, "catalog.stock_reserved")
    failed = published(app, "catalog.stock_reservation_failed")
    after_orders = stock(app, pro)

    place(app, "order.cancelled", {"order_id": "o-1"})
    place(app, "order.cancelled", {"order_id": "o-1"})
    bus.drain()

    assert [p["order_id"] for p in reserved] == ["o-1"]
    assert len(reserved[0]["lines"]) == 2  # the line without a SKU holds nothing
    assert failed[0]["order_id"] == "o-2"
    assert failed[0]["lines"][0]["reason"] == "insufficient_stock"
    assert (failed[0]["sku"], failed[0]["reason"]) == (pro, "insufficient_stock")
    assert after_orders == (1, 2, -2)
    assert stock(app, "ACC-USBC-25W")[0] == 200  # o-2 held nothing at all
    assert stock(app, pro) == (3, 0, 0)
    released = published(app, "catalog.stock_released")
    assert [len(p["lines"]) for p in released] == [2, 0]  # the repeat: answered


def test_an_expired_reservation_goes_out_as_stock_released(sqlite_url):
    from datetime import UTC, datetime, timedelta

    from services.catalog import inventory, service

    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    with app.app_context(), tenant_scope(NORTHWIND):
        inventory.reserve_line(
            db.session,
            order_id="o-abandoned",
            line_id="l1",
            sku="ACC-USBC-25W",
            quantity=2,
            now=datetime.now(UTC) - timedelta(hours=1),
        )
        db.session.commit()
        assert service.sweep_expired_reservations() == 1
        assert service.sweep_expired_reservations() == 0
        db.session.remove()

    assert published(app, "catalog.stock_released") == [
        {
            "order_id": "o-abandoned",
            "lines": [],
            "released_lines": 1,
            "reason": "expired",
        }
    ]
    assert stock(app, "ACC-USBC-25W")[0] == 200


def test_a_restock_goes_out_as_stock_changed(sqlite_url):
    from services.catalog import service

    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    with app.app_context(), tenant_scope(NORTHWIND):
        service.adjust_stock("ACC-USBC-25W", 50, "restock")
        db.session.remove()

    assert published(app, "catalog.stock_changed") == [
        {"sku": "ACC-USBC-25W", "delta": 50, "on_hand": 250, "reason": "restock"}
    ]


def test_a_confirmed_order_keeps_its_stock_past_the_hold_until_it_is_cancelled(
    sqlite_url,
):
    from datetime import UTC, datetime, timedelta

    from services.catalog import service

    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    bus = events.InProcessBus([app])
    charger = "ACC-USBC-25W"  # 200 in stock

    place(app, "order.placed", order("o-kept", (charger, 2), (charger, 1)))
    place(app, "order.confirmed", order("o-kept", (charger, 2), (charger, 1)))
    bus.drain()
    with app.app_context(), tenant_scope(NORTHWIND):
        expired = service.sweep_expired_reservations(
            datetime.now(UTC) + timedelta(days=30)
        )
        db.session.remove()
    after_a_month = stock(app, charger)[0]

    place(app, "order.line_cancelled", {"order_id": "o-kept", "line_id": "l2"})
    bus.drain()
    after_line = stock(app, charger)[0]
    place(app, "order.cancelled", {"order_id": "o-kept"})
    bus.drain()

    assert (expired, after_a_month, after_line) == (0, 197, 198)
    assert stock(app, charger)[0] == 200
    assert [len(p["lines"]) for p in published(app, "catalog.stock_released")] == [1]
