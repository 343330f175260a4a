"""``telecart worker <service>`` and ``telecart events ...``: the bus's commands."""

from __future__ import annotations

import sys

import click

from shared import SERVICES


def _settings():
    from services.cli import settings_or_exit

    return settings_or_exit()


def _needs_broker(settings) -> None:
    if not settings.uses_broker:
        click.echo(
            "BROKER_URL is memory://: events stay inside `telecart run`; "
            "set BROKER_URL=amqp://... for separate workers",
            err=True,
        )
        sys.exit(2)


@click.command()
@click.argument("service", type=click.Choice(SERVICES))
@click.option(
    "--metrics-port",
    default=9102,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Serve Prometheus metrics (outbox backlog, events) here; 0: off.",
)
def worker(service: str, metrics_port: int) -> None:
    """Relay a service's outbox and consume its events until stopped."""
    settings = _settings()
    _needs_broker(settings)
    from services.platform import create_service
    from shared.events.worker import EventWorker, serve_metrics

    if metrics_port:
        serve_metrics(metrics_port)
    EventWorker(create_service(service, settings)).run_until_signalled()


@click.group()
def events() -> None:
    """The event bus: catalog of event types, dead letters, replay."""


@events.command()
def catalog() -> None:
    """Print the event catalog (markdown) generated from the code."""
    from shared.events.builtin import TENANT_LIFECYCLE
    from shared.events.catalog import collect, render_markdown
    from shared.events.handlers import declared_handlers, topic_matches

    types = collect()
    patterns = {
        service: [*TENANT_LIFECYCLE, *declared_handlers(service).patterns]
        for service in SERVICES
    }
    consumers = {
        declared.name: [
            service
            for service in SERVICES
            if any(topic_matches(p, declared.name) for p in patterns[service])
        ]
        for declared in types
    }
    click.echo(render_markdown(types, consumers))


def _dead_letter_queues(settings):
    from shared.events.amqp import BrokerOptions, Topology
    from shared.events.dead_letters import DeadLetterQueues

    return DeadLetterQueues(
        settings.broker_url,
        Topology.for_exchange(settings.events_exchange),
        BrokerOptions.from_settings(settings),
    )


@events.command("dead-letters")
@click.argument("service", type=click.Choice(SERVICES))
def dead_letters(service: str) -> None:
    """List a service's dead letters (they stay in the queue)."""
    settings = _settings()
    _needs_broker(settings)
    letters = _dead_letter_queues(settings).list(service)
    for letter in letters:
        click.echo(
            f"{letter.id}  {letter.event_type}  tenant={letter.tenant_id}  "
            f"attempts={letter.attempts}  at={letter.dead_lettered_at}  "
            f"error={letter.error}"
        )
    click.echo(f"{len(letters)} dead letter(s) for {service}")


@events.command()
@click.argument("dead_letter_id")
@click.option("--service", type=click.Choice(SERVICES), help="Only this DLQ.")
def replay(dead_letter_id: str, service: str | None) -> None:
    """Send one dead letter back to its service's queue for a fresh try."""
    settings = _settings()
    _needs_broker(settings)
    services = [service] if service else list(SERVICES)
    letter = _dead_letter_queues(settings).replay(dead_letter_id, services)
    if letter is None:
        click.echo(f"no dead letter {dead_letter_id}", err=True)
        sys.exit(1)
    click.echo(f"replayed {letter.id} ({letter.event_type}) to {letter.service}")
