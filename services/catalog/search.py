"""Storefront listing: filters, full-text search, sorting and facet counts.

Full text runs on PostgreSQL over a generated ``tsvector`` column with a GIN
index, and on SQLite (embedded default) over an FTS5 table whose rowid is the
product id. Both take every word of the query as a prefix, so "iphone" and
"iph" both find the iPhones.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from services.catalog.models import Product

DATA_STEPS_GB = (5, 10, 30, 50, 100)
MONTHLY_STEPS = (1000, 2000, 3000, 5000)  # minor units

SORTS = {
    "name": (Product.name.asc(),),
    "-name": (Product.name.desc(),),
    "price_today": (Product.price_today_from.asc().nulls_last(), Product.name),
    "-price_today": (Product.price_today_from.desc().nulls_last(), Product.name),
    "price_monthly": (Product.price_monthly_from.asc().nulls_last(), Product.name),
    "-price_monthly": (Product.price_monthly_from.desc().nulls_last(), Product.name),
}


@dataclass
class ListingQuery:
    q: str | None = None
    types: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    network: str | None = None
    esim: bool | None = None
    unlimited: bool | None = None
    data_gb_min: int | None = None
    today_min: int | None = None
    today_max: int | None = None
    monthly_min: int | None = None
    monthly_max: int | None = None
    channel: str | None = None
    sort: str = "name"


@dataclass
class Listing:
    product_ids: list[int]
    facets: dict[str, Any]


def search_terms(q: str) -> list[str]:
    return re.findall(r"\w+", q.lower())[:8]


def _filtered(session: Session, query: ListingQuery) -> Select:
    stmt = select(
        Product.id,
        Product.type,
        Product.brand,
        Product.is_5g,
        Product.has_esim,
        Product.unlimited_data,
        Product.tags,
        Product.hidden_channels,
        Product.data_gb,
        Product.price_monthly_from,
    ).where(Product.lifecycle == "active")

    if query.types:
        stmt = stmt.where(Product.type.in_(query.types))
    if query.brands:
        stmt = stmt.where(Product.brand.in_(query.brands))
    if query.network:
        stmt = stmt.where(Product.is_5g.is_(query.network.upper() == "5G"))
    if query.esim is not None:
        stmt = stmt.where(Product.has_esim.is_(query.esim))
    if query.unlimited is not None:
        stmt = stmt.where(Product.unlimited_data.is_(query.unlimited))
    if query.data_gb_min is not None:
        stmt = stmt.where(
            Product.unlimited_data.is_(True) | (Product.data_gb >= query.data_gb_min)
        )
    if query.today_min is not None:
        stmt = stmt.where(Product.price_today_from >= query.today_min)
    if query.today_max is not None:
        stmt = stmt.where(Product.price_today_from <= query.today_max)
    if query.monthly_min is not None:
        stmt = stmt.where(Product.price_monthly_from >= query.monthly_min)
    if query.monthly_max is not None:
        stmt = stmt.where(Product.price_monthly_from <= query.monthly_max)

    terms = search_terms(query.q or "")
    if terms:
        stmt = _full_text(session, stmt, terms, rank=query.sort == "relevance")
    if query.sort != "relevance" or not terms:
        stmt = stmt.order_by(*SORTS.get(query.sort, SORTS["name"]), Product.id)
    return stmt


def _full_text(session: Session, stmt: Select, terms: list[str], rank: bool) -> Select:
    if session.get_bind().dialect.name == "postgresql":
        tsquery = func.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))
        vector = literal_column("search_vector")
        stmt = stmt.where(vector.op("@@")(tsquery))
        if rank:
            stmt = stmt.order_by(func.ts_rank(vector, tsquery).desc(), Product.name)
        return stmt

    match = " ".join(f'"{t}"*' for t in terms)
    fts = table("products_fts")
    matching = (
        select(literal_column("rowid"))
        .select_from(fts)
        .where(literal_column("products_fts").op("MATCH")(match))
    )
    stmt = stmt.where(Product.id.in_(matching))
    if rank:
        stmt = stmt.order_by(Product.name)
    return stmt


def list_products(session: Session, query: ListingQuery) -> Listing:
    """Ids in display order, and facet counts over the whole filtered set."""
    rows = [
        row
        for row in session.execute(_filtered(session, query))
        if not (query.channel and query.channel in (row.hidden_channels or []))
    ]
    if query.tags:
        wanted = set(query.tags)
        rows = [row for row in rows if wanted <= set(row.tags or [])]

    facets = {
        "type": dict(Counter(row.type for row in rows)),
        "brand": dict(Counter(row.brand for row in rows if row.brand)),
        "network_5g": sum(1 for row in rows if row.is_5g),
        "esim": sum(1 for row in rows if row.has_esim),
        "unlimited_data": sum(1 for row in rows if row.unlimited_data),
        "tags": dict(Counter(tag for row in rows for tag in row.tags or [])),
        "data_gb_at_least": {
            str(gb): sum(
                1 for row in rows if row.unlimited_data or (row.data_gb or 0) >= gb
            )
            for gb in DATA_STEPS_GB
        },
        "monthly_at_most": {
            str(amount): sum(
                1
                for row in rows
                if row.price_monthly_from is not None
                and row.price_monthly_from <= amount
            )
            for amount in MONTHLY_STEPS
        },
    }
    return Listing(product_ids=[row.id for row in rows], facets=facets)


def index_for_search(session: Session, products: list[Product]) -> None:
    """Keep SQLite's FTS5 rows in step (PostgreSQL generates its own column)."""
    if session.get_bind().dialect.name == "postgresql" or not products:
        return
    reason = {"raw_sql_reason": "FTS5 index of product search text"}
    for product in products:
        session.execute(
            text("DELETE FROM products_fts WHERE rowid = :id"),
            {"id": product.id},
            execution_options=reason,
        )
        session.execute(
            text("INSERT INTO products_fts (rowid, search_text) VALUES (:id, :t)"),
            {"id": product.id, "t": product.search_text},
            execution_options=reason,
        )
