"""The ``telecart`` command: serve, work, migrate and run the platform."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import click

from services.basket.cli import basket_cli
from services.catalog.cli import catalog
from services.channel.cli import channel_commands
from services.demo import demo
from services.order.cli import order_cli
from services.payment.cli import payments
from services.tenant.cli import tenants
from services.worker import events, worker
from shared import SERVICES
from shared.config import ConfigError, Settings, load_settings
from shared.observability.logging import configure_logging

service_arg = click.argument("service", type=click.Choice(SERVICES))


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    configure_logging(settings.log_level, settings.log_format)
    return settings


@click.group()
def main() -> None:
    """Telecart: white-label commerce for telecom brands."""


main.add_command(worker), main.add_command(events)
main.add_command(demo)


@main.command()
@service_arg
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
def serve(service: str, bind: str, workers: int, threads: int) -> None:
    """Serve one service's HTTP API with gunicorn."""
    settings = settings_or_exit()
    from services.gunicorn_app import ServiceServer

    _prepare_multiprocess_metrics()
    ServiceServer(service, settings, bind=bind, workers=workers, threads=threads).run()


def _prepare_multiprocess_metrics() -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        directory = tempfile.mkdtemp(prefix="telecart-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


@main.command()
@click.argument("service", type=click.Choice(SERVICES), required=False)
def migrate(service: str | None) -> None:
    """Bring a service's database (or all) and every tenant schema to head."""
    settings = settings_or_exit()
    from services.migration import migrate_service

    for name in [service] if service else SERVICES:
        report = migrate_service(name, settings)
        click.echo(
            f"{name}: {len(report.schemas)} tenant schema(s) at head "
            f"in {report.seconds:.2f}s"
        )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def run(host: str, port: int) -> None:
    """Run all six services in one process on the embedded default."""
    settings = settings_or_exit()
    from services.embedded import run_embedded

    run_embedded(settings, host, port)


# Each service's own commands, kept in that service's cli.py.
for command in (basket_cli, catalog, channel_commands, order_cli, payments, tenants):
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    main()
