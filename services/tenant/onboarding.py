"""Onboarding a brand from its pack: validate all, then provision, then hand off.

Nothing is written unless the whole pack is sound. Re-running with the same
slug updates the brand and hands the sections off again (owners replace).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from services.tenant import handoff, provisioning, service
from services.tenant.audit import Actor
from services.tenant.wiring import wiring
from shared.brandpack import BrandPack, load_pack

Step = Callable[[str, str], None]
"""``on_step(step, detail)``: called as each step finishes (progress display)."""


@dataclass
class OnboardReport:
    slug: str
    tenant_id: str
    created: bool
    status: str
    handoffs: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def onboard_pack(
    app: Flask,
    path: str | Path,
    actor: Actor,
    on_step: Step | None = None,
    pack: BrandPack | None = None,
) -> OnboardReport:
    """Raise ``PackRefused`` (nothing written) or onboard the brand."""
    started = time.perf_counter()
    step = on_step or (lambda name, detail: None)

    pack = pack or load_pack(path)
    step("validate", f"{pack.slug}: sound ({len(pack.sections)} sections)")

    with app.app_context():
        w = wiring(app)
        planned = handoff.plan_handoffs(pack)

        # The brand, its audit entry, its tenant.* event and every section's
        # hand-off commit together: all of the pack, or none of it.
        def hand_off_sections(brand) -> None:
            for each in planned:
                handoff.hand_off(w.db.session, w.publish, brand, pack, each)

        brand, created = service.brand_from_pack(
            w, pack.tenant, actor, pack.digest, before_commit=hand_off_sections
        )
        step("tenant", f"{'created' if created else 'updated'} {brand.slug}")
        counts = {each.service: each.items for each in planned}
        for service_name, items in counts.items():
            step(f"handoff:{service_name}", f"{items} items")

        state = provisioning.provisioning_state(
            w.db.session, brand, w.settings.provisioning_timeout_s
        )
        report = OnboardReport(
            slug=brand.slug,
            tenant_id=brand.id,
            created=created,
            status=brand.status,
            handoffs=counts,
        )
        w.db.session.remove()
    step("provisioning", f"waiting for {', '.join(state.missing) or 'nobody'}")
    report.seconds = time.perf_counter() - started
    return report


def wait_until_active(
    app: Flask, tenant_id: str, timeout_s: float, poll_s: float = 0.2
) -> provisioning.ProvisioningState:
    """Poll the saga until the brand is active or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        with app.app_context():
            w = wiring(app)
            brand = service.get_brand(w, tenant_id)
            state = provisioning.provisioning_state(
                w.db.session, brand, w.settings.provisioning_timeout_s
            )
            w.db.session.remove()
        if state.status != "provisioning" or time.monotonic() >= deadline:
            return state
        time.sleep(poll_s)
