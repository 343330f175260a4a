"""Stock never oversold: the last units, duplicate releases, expiry, eSIM."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from services.catalog import inventory, service
from services.catalog.models import Reservation, StockLevel, StockMovement, db
from services.cli import main
from shared.tenancy import tenant_scope
from tests.catalog.harness import NORTHWIND, VOLT, build_app, import_brand

BUYERS = 50
ROUNDS = 5


def put_stock(app, sku, on_hand, tenant=NORTHWIND, tracked=True):
    with app.app_context(), tenant_scope(tenant):
        db.session.add(StockLevel(sku=sku, tracked=tracked, on_hand=on_hand))
        db.session.commit()
        db.session.remove()


def stock(app, sku, tenant=NORTHWIND):
    with app.app_context(), tenant_scope(tenant):
        level = inventory.stock_of(db.session, sku)
        held = db.session.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.sku == sku, Reservation.status == "held"
            )
        )
        moved = db.session.scalar(
            select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
                StockMovement.sku == sku
            )
        )
        db.session.remove()
    return level.on_hand, held, moved


def reserve(app, order_id, line_id, sku, quantity=1, pids=None):
    with app.app_context(), tenant_scope(NORTHWIND):
        if pids is not None:
            pids.add(
                db.session.execute(
                    text("SELECT pg_backend_pid()"),
                    execution_options={"raw_sql_reason": "test: which connection"},
                ).scalar()
            )
        outcome = service.reserve_stock(order_id, line_id, sku, quantity)
        db.session.remove()
    return outcome


def release(app, order_id, line_id):
    with app.app_context(), tenant_scope(NORTHWIND):
        released = service.release_stock(order_id, line_id)
        db.session.remove()
    return released


def run_at_once(count, work):
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def buyer(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.fixture
def pg_app(postgres_url):
    app = build_app(postgres_url, pool_size=BUYERS, max_overflow=10)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_last_ten_units_fifty_buyers_exactly_ten_sold_in_every_round(pg_app):
    lowest_seen = []
    for round_no in range(ROUNDS):
        sku = f"DEV-LAST-TEN-{round_no}"
        put_stock(pg_app, sku, 10)
        watching = threading.Event()

        def watch(sku=sku, watching=watching):
            while not watching.is_set():
                lowest_seen.append(stock(pg_app, sku)[0])

        watcher = threading.Thread(target=watch)
        watcher.start()
        pids: set[int] = set()
        outcomes = run_at_once(
            BUYERS,
            lambda i, sku=sku, r=round_no, p=pids: reserve(
                pg_app, f"order-{r}-{i}", "line-1", sku, pids=p
            ),
        )
        watching.set()
        watcher.join()

        sold = sum(o.reserved for o in outcomes)
        refused = {o.reason for o in outcomes if not o.reserved}
        on_hand, held, moved = stock(pg_app, sku)
        oversold = max(0, sold - 10)
        print(
            f"\nround {round_no + 1}: last 10 units, {BUYERS} buyers: "
            f"{sold} sold, {oversold} oversold "
            f"({len(pids)} connections; stock left {on_hand}, held {held})"
        )
        assert sold == 10 and oversold == 0
        assert refused == {"insufficient_stock"}
        assert (on_hand, held, moved) == (0, 10, -10)
        assert len(pids) > 10
    assert min(lowest_seen) >= 0
    print(f"lowest stock seen by a watcher: {min(lowest_seen)}")


def test_the_same_order_line_reserved_at_once_twenty_times_holds_one_unit(pg_app):
    put_stock(pg_app, "DEV-DUPLICATE", 5)

    outcomes = run_at_once(
        20, lambda i: reserve(pg_app, "order-dup", "line-1", "DEV-DUPLICATE", 2)
    )

    assert all(o.reserved for o in outcomes)
    assert sum(o.reason == "reserved" for o in outcomes) == 1
    assert stock(pg_app, "DEV-DUPLICATE") == (3, 2, -2)


def test_a_duplicate_release_does_not_add_stock_twice(pg_app):
    put_stock(pg_app, "DEV-RELEASE", 3)
    reserve(pg_app, "order-r", "line-1", "DEV-RELEASE", 2)

    first = release(pg_app, "order-r", "line-1")
    again = release(pg_app, "order-r", "line-1")
    racing = run_at_once(10, lambda i: release(pg_app, "order-r", "line-1"))

    print(f"\nrelease x12: stock back once -> {stock(pg_app, 'DEV-RELEASE')[0]} of 3")
    assert (first, again, any(racing)) == (True, False, False)
    assert stock(pg_app, "DEV-RELEASE") == (3, 0, 0)


def test_concurrent_releases_of_one_line_put_stock_back_once(pg_app):
    put_stock(pg_app, "DEV-RACE", 1)
    reserve(pg_app, "order-x", "line-1", "DEV-RACE", 1)

    released = run_at_once(20, lambda i: release(pg_app, "order-x", "line-1"))

    assert sum(released) == 1
    assert stock(pg_app, "DEV-RACE") == (1, 0, 0)


def test_an_esim_is_untracked_on_purpose_and_an_unknown_sku_is_refused(sqlite_url):
    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)

    esim = [reserve(app, f"order-e{i}", "line-1", "sim-esim", 1) for i in range(3)]
    unknown = reserve(app, "order-u", "line-1", "SIM-NOT-IN-CATALOG", 1)
    charger = reserve(app, "order-c", "line-1", "ACC-USBC-25W", 3)

    assert all(o.reserved for o in esim)
    with app.app_context(), tenant_scope(NORTHWIND):
        level = inventory.stock_of(db.session, "sim-esim")
        assert (level.tracked, level.on_hand) == (False, 0)
        db.session.remove()
    assert (unknown.reserved, unknown.reason) == (False, "unknown_sku")
    assert charger.reserved and stock(app, "ACC-USBC-25W")[0] == 197


def test_the_sweeper_releases_expired_reservations_for_every_brand(
    sqlite_url, monkeypatch
):
    app = build_app(sqlite_url)
    put_stock(app, "DEV-SWEEP", 4)
    put_stock(app, "VOLT-SWEEP", 4, tenant=VOLT)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    for tenant, sku in ((NORTHWIND, "DEV-SWEEP"), (VOLT, "VOLT-SWEEP")):
        with app.app_context(), tenant_scope(tenant):
            inventory.reserve_line(
                db.session,
                order_id="o-old",
                line_id="l1",
                sku=sku,
                quantity=3,
                now=long_ago,
            )
            inventory.reserve_line(
                db.session, order_id="o-new", line_id="l1", sku=sku, quantity=1
            )
            db.session.commit()
            db.session.remove()

    monkeypatch.setenv("CATALOG_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(main, ["catalog", "sweep-reservations"])
    again = CliRunner().invoke(main, ["catalog", "sweep-reservations"])

    print(f"\n{result.output}")
    assert result.exit_code == 0, result.output
    assert "total: 2" in result.output and "total: 0" in again.output
    assert stock(app, "DEV-SWEEP") == (3, 1, -1)
    assert stock(app, "VOLT-SWEEP", tenant=VOLT) == (3, 1, -1)


def test_concurrent_restocks_and_write_offs_lose_no_update(pg_app):
    put_stock(pg_app, "DEV-ADJUST", 5)

    def adjust(index):
        delta, reason = (1, "restock") if index % 2 else (-1, "write_off")
        with pg_app.app_context(), tenant_scope(NORTHWIND):
            try:
                return delta, service.adjust_stock("DEV-ADJUST", delta, reason)
            except Exception:  # noqa: BLE001 - a refused write-off is an outcome
                return delta, None
            finally:
                db.session.remove()

    results = run_at_once(40, adjust)

    added = sum(1 for delta, ok in results if delta > 0 and ok)
    removed = sum(1 for delta, ok in results if delta < 0 and ok)
    on_hand, _, moved = stock(pg_app, "DEV-ADJUST")
    print(
        f"\n20 restocks, 20 write-offs at once from 5: {added} in, {removed} out, "
        f"stock {on_hand}"
    )
    assert added == 20
    assert on_hand == 5 + added - removed >= 0
    assert moved == added - removed


def test_an_admin_adjustment_refuses_to_go_below_zero_or_touch_an_esim(sqlite_url):
    from tests.catalog.harness import admin, host

    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    client = app.test_client()
    staff = admin(NORTHWIND)
    url = "/api/catalog/admin/stock/{sku}/adjustments"

    restock = client.post(
        url.format(sku="DEV-FAIRPHONE-5-256-TRANSPARENT"),
        json={"delta": 4, "reason": "restock"},
        headers=staff,
    )
    too_many = client.post(
        url.format(sku="DEV-FAIRPHONE-5-256-TRANSPARENT"),
        json={"delta": -6, "reason": "write_off"},
        headers=staff,
    )
    esim = client.post(
        url.format(sku="sim-esim"),
        json={"delta": 1, "reason": "restock"},
        headers=staff,
    )
    shopper = client.post(
        url.format(sku="ACC-USBC-25W"),
        json={"delta": -200, "reason": "write_off"},
        headers=host(NORTHWIND),
    )

    assert restock.get_json() == {
        "sku": "DEV-FAIRPHONE-5-256-TRANSPARENT",
        "on_hand": 5,
    }
    assert too_many.status_code == 409 and esim.status_code == 409
    assert shopper.status_code == 401
    assert stock(app, "DEV-FAIRPHONE-5-256-TRANSPARENT")[0] == 5
    assert stock(app, "ACC-USBC-25W")[0] == 200


def test_the_product_page_shows_a_sell_out_at_once_despite_the_cache(sqlite_url):
    from tests.catalog.harness import host

    app = build_app(sqlite_url)
    import_brand(app, NORTHWIND)
    client = app.test_client()
    url = "/api/catalog/products/device-fairphone-5"

    def black_in_stock():
        response = client.get(url, headers=host(NORTHWIND))
        return response.get_json()["variants"][0]["in_stock"], response.headers["ETag"]

    before, etag_before = black_in_stock()
    reserve(app, "order-f", "line-1", "DEV-FAIRPHONE-5-256-MATTE-BLACK", 1)
    after, etag_after = black_in_stock()

    assert (before, after) == (True, False)
    assert etag_before != etag_after
