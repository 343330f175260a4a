"""A/B experiments: sticky variant assignment, events, conversions, results.

Assignment needs no server state: a visitor's variant is a hash of the
brand, the placement, the experiment and the visitor id, mapped onto the
variants' cumulative weights. The same visitor lands in the same variant on
every call, in every worker, for as long as the experiment is unchanged.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select

from services.channel.models import (
    Conversion,
    Experiment,
    ExperimentVariant,
    Placement,
    PlacementEvent,
    db,
)

log = structlog.get_logger(__name__)

ATTRIBUTION_WINDOW = timedelta(days=30)
SIGNIFICANCE_LEVEL = 0.05


def assign_variant(
    salt: str, visitor_id: str, weights: Sequence[tuple[str, int]]
) -> str:
    """The variant key for a visitor, spread in proportion to the weights."""
    digest = hashlib.sha256(f"{salt}:{visitor_id}".encode()).digest()
    total = sum(weight for _, weight in weights)
    point = int.from_bytes(digest[:8], "big") * total // 2**64

    upper = 0
    for key, weight in weights:
        upper += weight
        if point < upper:
            return key
    return weights[-1][0]


def experiment_salt(
    tenant_id: str, placement: Placement, experiment: Experiment
) -> str:
    return f"{tenant_id}:{placement.code}:{experiment.name}"


def variant_for(
    tenant_id: str, placement: Placement, visitor_id: str | None
) -> ExperimentVariant | None:
    """The visitor's variant; with no visitor id, the first (control) variant."""
    experiment = placement.experiment
    if experiment is None or not experiment.variants:
        return None
    if not visitor_id:
        return experiment.variants[0]

    key = assign_variant(
        experiment_salt(tenant_id, placement, experiment),
        visitor_id,
        [(v.key, v.weight) for v in experiment.variants],
    )
    return next(v for v in experiment.variants if v.key == key)


def record_exposure(
    placement: Placement, variant_key: str | None, visitor_id: str, now: datetime
) -> bool:
    """Record the first time a visitor is shown a placement's experiment."""
    seen = db.session.scalar(
        select(PlacementEvent.id).where(
            PlacementEvent.placement_id == placement.id,
            PlacementEvent.visitor_id == visitor_id,
            PlacementEvent.kind == "exposure",
        )
    )
    if seen is not None:
        return False
    db.session.add(
        PlacementEvent(
            placement_id=placement.id,
            variant_key=variant_key,
            visitor_id=visitor_id,
            kind="exposure",
            occurred_at=now,
        )
    )
    return True


def record_conversion(
    order_id: str, visitor_id: str | None, confirmed_at: datetime
) -> int:
    """Attribute a confirmed order to every placement the visitor was exposed to.

    The caller owns the transaction. Running it twice for one order adds
    nothing the second time (one conversion per order and placement).
    """
    if not visitor_id:
        return 0

    exposures = db.session.scalars(
        select(PlacementEvent)
        .where(
            PlacementEvent.visitor_id == visitor_id,
            PlacementEvent.kind == "exposure",
            PlacementEvent.occurred_at <= confirmed_at,
            PlacementEvent.occurred_at >= confirmed_at - ATTRIBUTION_WINDOW,
        )
        .order_by(PlacementEvent.occurred_at)
    ).all()
    already = set(
        db.session.scalars(
            select(Conversion.placement_id).where(Conversion.order_id == order_id)
        )
    )

    added = 0
    for exposure in exposures:
        if exposure.placement_id in already:
            continue
        already.add(exposure.placement_id)
        db.session.add(
            Conversion(
                order_id=order_id,
                placement_id=exposure.placement_id,
                variant_key=exposure.variant_key,
                visitor_id=visitor_id,
                occurred_at=confirmed_at,
            )
        )
        added += 1
    log.info("order_conversion_recorded", order_id=order_id, placements=added)
    return added


def two_proportion_z_test(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> tuple[float, float] | None:
    """(z, two-sided p-value) of B against A, or None with too little data."""
    if trials_a == 0 or trials_b == 0:
        return None
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if spread == 0:
        return None
    z = (successes_b / trials_b - successes_a / trials_a) / spread
    return z, math.erfc(abs(z) / math.sqrt(2))


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def placement_results(placement: Placement) -> dict[str, Any]:
    """Impressions, CTR, conversion rate and significance per variant."""
    counts: dict[tuple[str | None, str], int] = {}
    rows = db.session.execute(
        select(
            PlacementEvent.variant_key,
            PlacementEvent.kind,
            func.count(func.distinct(PlacementEvent.visitor_id)),
            func.count(PlacementEvent.id),
        )
        .where(PlacementEvent.placement_id == placement.id)
        .group_by(PlacementEvent.variant_key, PlacementEvent.kind)
    ).all()
    for variant_key, kind, visitors, events in rows:
        counts[(variant_key, kind)] = visitors if kind == "exposure" else events
    converted = dict(
        db.session.execute(
            select(
                Conversion.variant_key, func.count(func.distinct(Conversion.visitor_id))
            )
            .where(Conversion.placement_id == placement.id)
            .group_by(Conversion.variant_key)
        ).all()
    )

    keys: list[str | None] = (
        [v.key for v in placement.experiment.variants]
        if placement.experiment
        else [None]
    )
    variants = []
    for key in keys:
        exposed = counts.get((key, "exposure"), 0)
        impressions = counts.get((key, "impression"), 0)
        clicks = counts.get((key, "click"), 0)
        conversions = converted.get(key, 0)
        variants.append(
            {
                "variant": key,
                "exposed_visitors": exposed,
                "impressions": impressions,
                "clicks": clicks,
                "click_through_rate": _rate(clicks, impressions),
                "conversions": conversions,
                "conversion_rate": _rate(conversions, exposed),
            }
        )
    _add_significance(variants)
    return {
        "placement": placement.code,
        "experiment": placement.experiment.name if placement.experiment else None,
        "variants": variants,
    }


def _add_significance(variants: list[dict[str, Any]]) -> None:
    """Each variant against the first (the control), on CTR and on conversion."""
    control = variants[0]
    for variant in variants[1:]:
        for metric, hits, trials in (
            ("click_through", "clicks", "impressions"),
            ("conversion", "conversions", "exposed_visitors"),
        ):
            result = two_proportion_z_test(
                control[hits], control[trials], variant[hits], variant[trials]
            )
            variant[f"{metric}_vs_control"] = (
                None
                if result is None
                else {
                    "z": round(result[0], 3),
                    "p_value": round(result[1], 4),
                    "significant": result[1] < SIGNIFICANCE_LEVEL,
                }
            )
