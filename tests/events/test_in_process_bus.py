"""The in-process bus (embedded default, SQLite) keeps outbox and inbox semantics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from shared.events import (
    EventHandlers,
    InProcessBus,
    event_being_handled,
    publish,
    use_handlers,
)
from shared.events.tables import inbox, outbox
from shared.http.app import runtime
from shared.http.problems import TenantSuspended
from shared.tenancy import Tenant, TenantRequired, tenant_scope
from tests.events.harness import (
    ALPHA,
    BETA,
    Poison,
    add_ledger_table,
    build_service,
    ledger_counts,
    ledger_handlers,
    place_orders,
    settings_for,
)


@pytest.fixture
def settings(tmp_path):
    return settings_for(
        {
            name: f"sqlite:///{tmp_path}/{name}.db"
            for name in ("order", "catalog", "tenant")
        }
    )


@pytest.fixture
def poison():
    return Poison()


@pytest.fixture
def apps(settings, poison):
    order = build_service("order", settings)
    catalog = build_service(
        "catalog", settings, ledger_handlers("catalog", ["order.*"], poison)
    )
    tenant = build_service("tenant", settings, ledger_handlers("tenant", ["order.#"]))
    return order, catalog, tenant


def unsent(app) -> int:
    with runtime(app).engine.connect() as connection:
        return connection.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )


def test_a_committed_event_is_applied_once_by_each_subscribed_service(apps):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    place_orders(order, ALPHA, 5)
    place_orders(order, BETA, 3)

    first = bus.drain()
    again = bus.drain()

    print(
        f"published {first.published}, applied {first.applied}, again {again.applied}"
    )
    assert first.published == 8
    assert ledger_counts(catalog) == (8, 8)
    assert ledger_counts(tenant) == (8, 8)
    assert ledger_counts(catalog, [BETA]) == (3, 3)
    assert again.published == again.applied == 0
    assert unsent(order) == 0


def test_a_rolled_back_transaction_sends_nothing(apps):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])

    place_orders(order, ALPHA, 4, commit=False)
    report = bus.drain()

    assert report.published == 0
    assert unsent(order) == 0
    assert ledger_counts(catalog) == (0, 0)


def test_a_redelivered_event_is_recognised_by_the_inbox(apps):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    place_orders(order, ALPHA, 1)
    bus.drain()
    with runtime(order).engine.begin() as connection:
        connection.execute(outbox.update().values(sent_at=None))

    report = bus.drain()

    assert report.published == 1
    assert report.duplicates == 2 and report.applied == 0
    assert ledger_counts(catalog) == (1, 1)


def test_a_failing_event_is_dead_lettered_after_the_tries_and_later_ones_flow(
    apps, poison
):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    ids = place_orders(order, ALPHA, 6)
    poison.failing.add(ids[1])

    report = bus.drain()

    letters = bus.dead_letters("catalog")
    print(f"dead letters {len(letters)}, tries {poison.tries[ids[1]]}")
    assert [letter.id for letter in letters] == [ids[1]]
    assert letters[0].attempts == 3 and "stock system rejected" in letters[0].error
    assert poison.tries[ids[1]] == 3
    assert report.retried == 2 and report.dead_lettered == 1
    assert ledger_counts(catalog) == (5, 5)
    assert ledger_counts(tenant) == (6, 6)

    poison.failing.clear()
    assert bus.replay(ids[1]).id == ids[1]
    bus.drain()
    assert ledger_counts(catalog) == (6, 6)
    assert bus.dead_letters("catalog") == []


def test_malformed_and_tenantless_events_go_straight_to_dead_letters(apps, poison):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    tenantless = {
        "id": "e1",
        "type": "order.placed",
        "version": 1,
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "tenant_id": None,
        "correlation_id": "c1",
        "payload": {},
    }
    bus.send_raw("catalog", b"{not json")
    bus.send_raw("catalog", json.dumps(tenantless))
    place_orders(order, ALPHA, 2)

    bus.drain()

    letters = bus.dead_letters("catalog")
    assert [letter.attempts for letter in letters] == [1, 1]
    assert "not JSON" in letters[0].error
    assert "EventWithoutTenant" in letters[1].error
    assert poison.tries == {} or all(v == 1 for v in poison.tries.values())
    assert ledger_counts(catalog) == (2, 2)


def test_consumers_ignore_fields_they_do_not_know(apps):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    newer = {
        "id": "7d0c5a6e-0000-4000-8000-000000000001",
        "type": "order.placed",
        "version": 1,
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "tenant_id": ALPHA.id,
        "correlation_id": "c1",
        "causation_id": None,
        "schema_hint": "added by a newer publisher",
        "payload": {"order_id": 1, "loyalty_tier": "gold"},
    }
    bus.send_raw("catalog", json.dumps(newer))

    report = bus.drain()

    assert report.applied == 1
    assert ledger_counts(catalog) == (1, 1)


def test_an_event_for_a_tenant_this_service_does_not_know_is_never_applied(apps):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    stranger = Tenant(id="00000000-0000-0000-0000-00000000dead", slug="stranger")
    place_orders(order, stranger, 1)

    bus.drain()

    letters = bus.dead_letters("catalog")
    assert len(letters) == 1 and "TenantUnknown" in letters[0].error
    assert ledger_counts(catalog) == (0, 0)


def test_publish_refuses_an_event_without_a_tenant(apps):
    order = apps[0]
    db = runtime(order).db
    with order.app_context(), pytest.raises(TenantRequired):
        publish(db.session, "order.placed", {"order_id": 1})


def test_publish_refuses_a_wildcard_or_malformed_event_type(apps):
    order = apps[0]
    db = runtime(order).db
    with order.app_context(), tenant_scope(ALPHA):
        for bad in ("order.*", "order.#", "Order Placed", "order"):
            with pytest.raises(ValueError):
                publish(db.session, bad, {})


def test_a_handler_that_publishes_carries_the_correlation_and_cause(settings):
    order = build_service("order", settings)
    catalog = build_service("catalog", settings)
    seen = []
    reactions = EventHandlers("catalog")

    @reactions.on("order.placed")
    def reserve_stock(envelope, session):
        assert event_being_handled() == envelope
        publish(session, "catalog.stock_reserved", {"order_id": 1})

    listener = EventHandlers("order")

    @listener.on("catalog.stock_reserved")
    def note(envelope, session):
        seen.append(envelope)

    use_handlers(catalog, reactions)
    use_handlers(order, listener)
    bus = InProcessBus([order, catalog])
    with order.app_context(), tenant_scope(ALPHA):
        placed = publish(
            runtime(order).db.session, "order.placed", {}, correlation_id="checkout-1"
        )
        runtime(order).db.session.commit()

    bus.drain()

    assert len(seen) == 1
    assert seen[0].correlation_id == "checkout-1"
    assert seen[0].causation_id == placed.id
    assert seen[0].tenant_id == ALPHA.id


def test_a_new_tenant_is_registered_migrated_and_answered_by_every_service(
    settings,
):
    gamma = Tenant(id="00000000-0000-0000-0000-0000000000c3", slug="gamma")
    tenant = build_service(
        "tenant", settings, ledger_handlers("tenant", ["*.tenant_ready"]), tenants=[]
    )
    add_ledger_table(tenant, gamma)
    catalog = build_service("catalog", settings, tenants=[])
    order = build_service("order", settings, tenants=[])
    bus = InProcessBus([tenant, catalog, order])
    with tenant.app_context(), tenant_scope(gamma):
        publish(
            runtime(tenant).db.session,
            "tenant.created",
            {
                "id": gamma.id,
                "slug": "gamma",
                "status": "provisioning",
                "domains": ["shop.gamma.example"],
                "name": "Gamma Mobile",
            },
        )
        runtime(tenant).db.session.commit()

    bus.drain()

    for app in (tenant, catalog, order):
        known = runtime(app).registry.by_slug("gamma")
        assert known == Tenant(gamma.id, "gamma", "provisioning")
    with tenant.app_context(), tenant_scope(gamma):
        from tests.events.ledgers import TenantLedger

        answered = (
            runtime(tenant)
            .db.session.scalars(
                select(TenantLedger.event_type).order_by(TenantLedger.event_type)
            )
            .all()
        )
    print(f"tenant_ready answers: {answered}")
    assert answered == [
        "catalog.tenant_ready",
        "order.tenant_ready",
        "tenant.tenant_ready",
    ]

    with tenant.app_context(), tenant_scope(gamma):
        publish(runtime(tenant).db.session, "tenant.suspended", {"id": gamma.id})
        runtime(tenant).db.session.commit()
    bus.drain()
    assert runtime(catalog).registry.by_slug("gamma").status == "suspended"
    with pytest.raises(TenantSuspended):
        runtime(catalog).registry.resolve_host("shop.gamma.example")


def test_the_outbox_backlog_is_measured(apps):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    place_orders(order, ALPHA, 3)
    bus._relays["order"].measure_backlog()
    assert (
        REGISTRY.get_sample_value("telecart_outbox_backlog", {"service": "order"}) == 3
    )

    bus.drain()

    assert (
        REGISTRY.get_sample_value("telecart_outbox_backlog", {"service": "order"}) == 0
    )
    consumed = REGISTRY.get_sample_value(
        "telecart_events_consumed_total",
        {"service": "catalog", "event_type": "order.placed"},
    )
    assert consumed >= 3


def test_a_handler_that_commits_by_itself_still_applies_an_event_once(settings):
    order = build_service("order", settings)
    catalog = build_service("catalog", settings)
    crashes = []
    handlers = EventHandlers("catalog")

    @handlers.on("order.placed")
    def reserve_and_crash(envelope, session):
        from tests.events.ledgers import CatalogLedger

        session.add(CatalogLedger(event_id=envelope.id, event_type=envelope.type))
        session.commit()  # a use case that owns its transaction
        if not crashes:
            crashes.append(envelope.id)
            raise RuntimeError("worker died after the use case committed")

    use_handlers(catalog, handlers)
    bus = InProcessBus([order, catalog])
    place_orders(order, ALPHA, 1)

    report = bus.drain()

    assert crashes and report.retried == 1 and report.duplicates == 1
    assert ledger_counts(catalog) == (1, 1)


def test_old_sent_events_and_old_inbox_rows_are_pruned(apps):
    order, catalog, tenant = apps
    bus = InProcessBus([order, catalog, tenant])
    place_orders(order, ALPHA, 3)
    bus.drain()
    place_orders(order, ALPHA, 2)
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with runtime(order).engine.begin() as connection:
        connection.execute(
            outbox.update()
            .where(outbox.c.sent_at.is_not(None))
            .values(sent_at=long_ago)
        )
    with runtime(catalog).engine.begin() as connection:
        connection.execute(inbox.update().values(applied_at=long_ago))

    pruned_outbox = bus._relays["order"].prune()
    pruned_inbox = bus._relays["catalog"].prune()

    assert pruned_outbox == (3, 0) and pruned_inbox == (0, 3)
    assert unsent(order) == 2
