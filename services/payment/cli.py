"""``telecart payments``: the billing cycle and settlement reconciliation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from shared.tenancy import Tenant, tenant_scope


@click.group("payments")
def payments() -> None:
    """Monthly billing and reconciliation of the payment service."""


def _payment_app():
    from services.cli import settings_or_exit
    from services.payment.app import create_app

    return create_app(settings_or_exit())


def _brands(app, slug: str | None) -> list[Tenant]:
    from shared.http.app import runtime

    tenants = [t for t in runtime(app).registry.all() if t.is_active]
    if slug is not None:
        tenants = [t for t in tenants if t.slug == slug]
        if not tenants:
            raise click.BadParameter(f"no active brand {slug!r}", param_hint="--brand")
    return tenants


@payments.command()
@click.option("--date", "on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option(
    "--through",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Also run every following day up to this date (catching up missed runs).",
)
@click.option("--brand", "slug", help="Only this brand (slug); default all active.")
def bill(on, through, slug: str | None) -> None:
    """Charge the subscriptions due on --date and retry failed ones (dunning).

    Running it twice for the same date charges nothing more.
    """
    from services.payment.billing import run_billing
    from services.payment.models import db

    app = _payment_app()
    first, last = on.date(), (through or on).date()
    for tenant in _brands(app, slug):
        charged = amount = failed = suspended = 0
        day = first
        with app.app_context(), tenant_scope(tenant):
            while day <= last:
                report = run_billing(day)
                charged += len(report.charged)
                amount += report.amount
                failed += len(report.failed)
                suspended += len(report.suspended)
                day += timedelta(days=1)
            db.session.remove()
        click.echo(
            f"{tenant.slug} {first.isoformat()}..{last.isoformat()}: "
            f"charged {charged} ({amount} minor units), failed {failed}, "
            f"suspended {suspended}"
        )


@payments.command()
@click.option("--brand", "slug", required=True, help="The brand (slug).")
@click.option("--provider", required=True, type=click.Choice(["sandbox", "stripe"]))
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
def reconcile(slug: str, provider: str, path: Path) -> None:
    """Compare a provider settlement CSV with the ledger."""
    from services.payment.models import db
    from services.payment.reconciliation import reconcile_settlement

    app = _payment_app()
    (tenant,) = _brands(app, slug)
    with app.app_context(), tenant_scope(tenant):
        result = reconcile_settlement(provider, path.read_text())
        db.session.remove()
    click.echo(
        f"{slug} {provider}: matched {len(result.matched)}, "
        f"missing in ledger {len(result.missing_in_ledger)}, "
        f"missing in settlement {len(result.missing_in_settlement)}, "
        f"mismatched {len(result.mismatched)}"
    )
    for reference, ours, theirs in result.mismatched:
        click.echo(f"  mismatched {reference}: ledger {ours}, settlement {theirs}")
    for reference in result.missing_in_ledger:
        click.echo(f"  missing in ledger {reference}")
    for reference in result.missing_in_settlement:
        click.echo(f"  missing in settlement {reference}")


@payments.command()
@click.option("--date", "on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--brand", "slug", help="Only this brand (slug); default all active.")
def report(on, slug: str | None) -> None:
    """The day's money movements per brand, provider, kind and currency."""
    from services.payment.models import db
    from services.payment.reconciliation import daily_report

    app = _payment_app()
    for tenant in _brands(app, slug):
        with app.app_context(), tenant_scope(tenant):
            totals = daily_report(on.date())
            db.session.remove()
        click.echo(f"{tenant.slug} {on.date().isoformat()}:")
        for (provider, kind, currency), (count, amount) in totals.items():
            click.echo(f"  {provider:8} {kind:14} {currency} {count:>5} {amount:>12}")


@payments.command("rotate-secrets")
@click.option("--brand", "slug", help="Only this brand (slug); default all active.")
def rotate_secrets(slug: str | None) -> None:
    """Re-seal provider credentials with the first key of SECRETS_KEYS."""
    from services.payment.gateways import reseal_provider_accounts
    from services.payment.models import db

    app = _payment_app()
    for tenant in _brands(app, slug):
        with app.app_context(), tenant_scope(tenant):
            count = reseal_provider_accounts()
            db.session.commit()
            db.session.remove()
        click.echo(f"{tenant.slug}: {count} provider accounts re-sealed")
