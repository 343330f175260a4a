"""What the basket service is wired to: catalog, orders, identity and a clock.

Set once by ``create_app``; views read it, the service layer takes explicit
arguments, so a test or a worker can pass its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.basket.catalog_client import CatalogClient
from services.basket.identity import CustomerIdentity, PlatformIdentity
from services.basket.live import BasketFeed, InProcessFeed
from services.basket.order_client import OrderClient
from shared.tenancy.context import Tenant


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BasketDeps:
    catalogs: Callable[[Tenant], CatalogClient]
    orders: OrderClient
    identity: CustomerIdentity = field(default_factory=PlatformIdentity)
    clock: Callable[[], datetime] = utc_now
    feed: BasketFeed = field(default_factory=InProcessFeed)
    keep_alive_s: float = 15.0
    configured_brands: set[str] = field(default_factory=set)
