"""Fraud screening of an authorisation: the brand's thresholds, recent history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import func, select

from services.payment.fraud import FraudSignals, FraudThresholds, FraudVerdict, screen
from services.payment.models import BrandPaymentSettings, FraudScreening, db

log = structlog.get_logger(__name__)


def brand_settings() -> BrandPaymentSettings:
    settings = db.session.scalar(select(BrandPaymentSettings))
    return settings or BrandPaymentSettings(
        billing_day=1, dunning_days=[3, 7, 14], fraud={}
    )


def screen_authorisation(command) -> FraudVerdict:
    """Score one authorisation and record the screening (the caller commits)."""
    thresholds = FraudThresholds.from_settings(brand_settings().fraud)
    since = datetime.now(UTC) - timedelta(minutes=thresholds.velocity_window_minutes)
    dimensions = {
        "customer": (FraudScreening.customer_id, command.customer_id),
        "email": (FraudScreening.email, command.email),
        "device": (FraudScreening.device_id, command.device_id),
        "address": (FraudScreening.address_key, command.address_key),
    }
    recent = {}
    for name, (column, value) in dimensions.items():
        if value:
            recent[name] = db.session.scalar(
                select(func.count(FraudScreening.id)).where(
                    column == value,
                    FraudScreening.screened_at >= since,
                )
            )

    signals = FraudSignals(
        customer_id=command.customer_id,
        amount=command.amount,
        email=command.email,
        device_id=command.device_id,
        address_key=command.address_key,
        billing_country=command.billing_country,
        delivery_country=command.delivery_country,
    )
    verdict = screen(signals, thresholds, recent)
    db.session.add(
        FraudScreening(
            customer_id=command.customer_id,
            email=command.email,
            device_id=command.device_id,
            address_key=command.address_key,
            amount=command.amount,
            score=verdict.score,
            decision=verdict.decision,
            reasons=verdict.reasons,
        )
    )
    log.info(
        "fraud_screened",
        order_id=command.order_id,
        score=verdict.score,
        decision=verdict.decision,
        reasons=verdict.reasons,
    )
    return verdict
