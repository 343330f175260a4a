"""Test models: a ledger of applied events, one per consuming service.

Each row is one application of an event; a duplicate application shows up as
two rows with the same event id.
"""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import TenantOwned, make_db

catalog_db = make_db()
order_db = make_db()
tenant_db = make_db()


class CatalogLedger(catalog_db.Model, TenantOwned):
    __tablename__ = "event_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(120))


class OrderLedger(order_db.Model, TenantOwned):
    __tablename__ = "event_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(120))


class TenantLedger(tenant_db.Model, TenantOwned):
    __tablename__ = "event_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(120))


DBS = {"catalog": catalog_db, "order": order_db, "tenant": tenant_db}
LEDGERS = {"catalog": CatalogLedger, "order": OrderLedger, "tenant": TenantLedger}
