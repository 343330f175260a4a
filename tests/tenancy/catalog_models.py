"""A small tenant-owned model set with every relationship shape the services use."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import TenantOwned, make_db, tenant_table_args

db = make_db()


class Offering(TenantOwned, db.Model):
    __tablename__ = "offerings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    price: Mapped[int] = mapped_column(Integer, default=0)
    variants: Mapped[list[Variant]] = relationship(
        back_populates="offering", lazy="select", order_by="Variant.id"
    )


class Variant(TenantOwned, db.Model):
    __tablename__ = "variants"
    __table_args__ = tenant_table_args()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(60))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    offering_id: Mapped[int] = mapped_column(ForeignKey("tenant.offerings.id"))
    offering: Mapped[Offering] = relationship(back_populates="variants")
