"""Fraud screening before an authorisation: rules, a score and a decision.

Each rule that fires adds its weight and a reason; the brand's thresholds turn
the score into approve, review or decline. Velocity counts earlier screenings
of the same customer, e-mail, device or address inside the brand's window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com",
        "guerrillamail.com",
        "10minutemail.com",
        "tempmail.com",
        "temp-mail.org",
        "yopmail.com",
        "trashmail.com",
        "sharklasers.com",
        "getnada.com",
        "dispostable.com",
    }
)

WEIGHTS = {
    "velocity_customer": 30,
    "velocity_email": 25,
    "velocity_device": 30,
    "velocity_address": 20,
    "amount_over_threshold": 30,
    "country_mismatch": 25,
    "disposable_email": 40,
}


@dataclass(frozen=True)
class FraudThresholds:
    review_score: int = 40
    decline_score: int = 70
    amount_threshold: int = 150_000
    velocity_limit: int = 3
    velocity_window_minutes: int = 60

    @classmethod
    def from_settings(cls, values: dict | None) -> FraudThresholds:
        known = {
            k: int(v) for k, v in (values or {}).items() if k in cls.__annotations__
        }
        return cls(**known)


@dataclass(frozen=True)
class FraudSignals:
    customer_id: str
    amount: int
    email: str | None = None
    device_id: str | None = None
    address_key: str | None = None
    billing_country: str | None = None
    delivery_country: str | None = None


@dataclass(frozen=True)
class FraudVerdict:
    score: int
    decision: str
    reasons: list[str] = field(default_factory=list)


def screen(
    signals: FraudSignals, thresholds: FraudThresholds, recent: dict[str, int]
) -> FraudVerdict:
    """``recent`` holds earlier screenings per dimension within the window."""
    reasons = [
        f"velocity_{dimension}"
        for dimension in ("customer", "email", "device", "address")
        if recent.get(dimension, 0) >= thresholds.velocity_limit
    ]

    if signals.amount > thresholds.amount_threshold:
        reasons.append("amount_over_threshold")

    billing, delivery = signals.billing_country, signals.delivery_country
    if billing and delivery and billing.upper() != delivery.upper():
        reasons.append("country_mismatch")

    domain = (signals.email or "").rpartition("@")[2].lower()
    if domain in DISPOSABLE_DOMAINS:
        reasons.append("disposable_email")

    score = min(100, sum(WEIGHTS[r] for r in reasons))
    if score >= thresholds.decline_score:
        decision = "decline"
    elif score >= thresholds.review_score:
        decision = "review"
    else:
        decision = "approve"
    return FraudVerdict(score, decision, reasons)
