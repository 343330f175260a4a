"""The operator's commands, the event catalog and the broker readiness check."""

from __future__ import annotations

import pika
import pytest
from click.testing import CliRunner
from marshmallow import Schema, fields
from sqlalchemy import func, select

from services.cli import main
from shared.events import Envelope, InvalidPayload, event_type, publish
from shared.events.catalog import collect, render_markdown
from shared.events.tables import outbox
from shared.events.worker import add_broker_readiness
from shared.http.app import runtime
from shared.tenancy import tenant_scope
from tests.events.broker import browse, pika_channel, queue_depth
from tests.events.harness import ALPHA, build_service, settings_for


class PlanChangedSchema(Schema):
    subscription_id = fields.String(required=True)
    plan_code = fields.String(required=True)
    monthly_fee_minor = fields.Integer(required=True)
    currency = fields.String(required=True)
    effective_on = fields.Date()


PLAN_CHANGED = event_type(
    "demo.plan_changed", 2, PlanChangedSchema, "A subscriber moved to another plan."
)


@pytest.fixture
def sqlite_settings(tmp_path):
    return settings_for({"catalog": f"sqlite:///{tmp_path}/catalog.db"})


def test_the_catalog_command_prints_every_service_event_with_its_payload():
    result = CliRunner().invoke(main, ["events", "catalog"])

    assert result.exit_code == 0, result.output
    for service in ("tenant", "catalog", "channel", "basket", "order", "payment"):
        assert f"## `{service}.tenant_ready` v1" in result.output
    assert "| `tenant_id` | string, the tenant's id | yes |" in result.output


def test_a_declared_schema_documents_the_payload_fields_and_whether_required():
    markdown = render_markdown([PLAN_CHANGED], {"demo.plan_changed": ["order"]})

    assert "## `demo.plan_changed` v2" in markdown
    assert "A subscriber moved to another plan." in markdown
    assert "- consumers: order" in markdown
    assert "| `monthly_fee_minor` | Integer | yes |" in markdown
    assert "| `effective_on` | Date | no |" in markdown
    assert "order.tenant_ready" in {e.name for e in collect(["order"])}


def test_a_payload_that_breaks_its_declared_schema_is_refused_before_commit(
    sqlite_settings,
):
    app = build_service("catalog", sqlite_settings)
    db = runtime(app).db

    with app.app_context(), tenant_scope(ALPHA):
        with pytest.raises(InvalidPayload) as refused:
            publish(db.session, "demo.plan_changed", {"plan_code": "5G-XL"}, version=2)
        db.session.commit()
        stored = db.session.scalar(select(func.count()).select_from(outbox))

    assert set(refused.value.errors) == {
        "subscription_id",
        "monthly_fee_minor",
        "currency",
    }
    assert stored == 0


def test_the_worker_refuses_to_start_without_a_broker(monkeypatch):
    monkeypatch.setenv("BROKER_URL", "memory://")

    result = CliRunner().invoke(main, ["worker", "catalog"])

    assert result.exit_code == 2
    assert "BROKER_URL is memory://" in result.output


@pytest.mark.rabbitmq
def test_readiness_reports_whether_the_broker_answers(rabbitmq_url, tmp_path):
    urls = {"catalog": f"sqlite:///{tmp_path}/catalog.db"}
    up = build_service("catalog", settings_for(urls, rabbitmq_url))
    down = build_service(
        "catalog", settings_for(urls, "amqp://guest:guest@127.0.0.1:9//")
    )
    for app in (up, down):
        add_broker_readiness(app)

    ready = up.test_client().get("/readyz")
    not_ready = down.test_client().get("/readyz")

    assert ready.status_code == 200
    broker = ready.get_json()["checks"]["broker"]
    assert (broker["ok"], broker["detail"]) == (True, "ok")
    assert not_ready.status_code == 503
    assert not_ready.get_json()["checks"]["broker"]["ok"] is False


@pytest.mark.rabbitmq
def test_dead_letters_are_listed_in_place_and_one_can_be_replayed(
    rabbitmq_url, topology, monkeypatch
):
    monkeypatch.setenv("BROKER_URL", rabbitmq_url)
    monkeypatch.setenv("EVENTS_EXCHANGE", topology.exchange)
    dlq, queue = topology.dead_letter_queue("catalog"), topology.queue("catalog")
    with pika_channel(rabbitmq_url) as channel:
        for name in (dlq, queue):
            channel.queue_declare(name, durable=True)
        for n in (1, 2):
            channel.basic_publish(
                "",
                dlq,
                b'{"id": "e%d"}' % n,
                pika.BasicProperties(
                    delivery_mode=2,
                    headers={
                        "x-telecart-dead-letter-id": f"dl-{n}",
                        "x-telecart-routing-key": "order.placed",
                        "x-telecart-attempts": 3,
                        "x-telecart-error": "RuntimeError: stock system down",
                        "tenant_id": ALPHA.id,
                    },
                ),
            )
    runner = CliRunner()

    listed = runner.invoke(main, ["events", "dead-letters", "catalog"])
    replayed = runner.invoke(main, ["events", "replay", "dl-2"])
    unknown = runner.invoke(
        main, ["events", "replay", "dl-404", "--service", "catalog"]
    )

    print(listed.output)
    assert listed.exit_code == 0, listed.output
    assert "dl-1  order.placed" in listed.output and "attempts=3" in listed.output
    assert "2 dead letter(s) for catalog" in listed.output
    assert replayed.exit_code == 0, replayed.output
    assert "replayed dl-2 (order.placed) to catalog" in replayed.output
    assert unknown.exit_code == 1
    assert queue_depth(rabbitmq_url, dlq) == 1
    [(headers, body)] = browse(rabbitmq_url, queue)
    assert body == b'{"id": "e2"}' and headers["x-telecart-attempts"] == 1


def test_a_consumer_loads_a_newer_payload_and_drops_the_fields_it_does_not_know():
    envelope = Envelope.new(
        "demo.plan_changed",
        {
            "subscription_id": "sub-1",
            "plan_code": "5G-XL",
            "monthly_fee_minor": 3999,
            "currency": "EUR",
            "roaming_pack": "EU+",
        },
        tenant_id=ALPHA.id,
        version=2,
    )

    payload = envelope.load_payload(PlanChangedSchema)

    assert payload == {
        "subscription_id": "sub-1",
        "plan_code": "5G-XL",
        "monthly_fee_minor": 3999,
        "currency": "EUR",
    }
