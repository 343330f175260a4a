"""The tenant-aware session, the tenant-owned mixin and their guards."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

import flask_sqlalchemy.session
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, String, event, make_url
from sqlalchemy.orm import (
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql.elements import TextClause

from shared.tenancy.context import TenantRequired, current_tenant

TENANT_SCHEMA = "tenant"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class RawSQLRefused(RuntimeError):
    """A text or Core statement touched tenant tables without going through the ORM."""


class CrossTenantWrite(RuntimeError):
    """A row was about to be written with another tenant's id."""


class TenantSwitchInTransaction(RuntimeError):
    """The tenant in context changed while a session still held a transaction."""


def tenant_table_args(*constraints: Any, **options: Any) -> tuple[Any, ...]:
    """``__table_args__`` for a tenant-owned model with its own constraints."""
    return (*constraints, {"schema": TENANT_SCHEMA, **options})


class TenantOwned:
    """Mixin for every model whose rows belong to one tenant."""

    __table_args__: Any = {"schema": TENANT_SCHEMA}

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:  # noqa: N805 - declared_attr takes the class
        return mapped_column(String(36), nullable=False, index=True)


_routed: weakref.WeakKeyDictionary[Engine, dict[str | None, Engine]] = (
    weakref.WeakKeyDictionary()
)


def routed_bind(engine: Engine, schema: str | None) -> Engine:
    """The engine that sends the symbolic tenant schema to ``schema``.

    The same object is returned for the same engine and schema, so one session
    transaction keeps using one connection for one tenant.
    """
    per_engine = _routed.setdefault(engine, {})
    bound = per_engine.get(schema)
    if bound is None:
        target = schema if engine.dialect.name == "postgresql" else None
        bound = engine.execution_options(schema_translate_map={TENANT_SCHEMA: target})
        per_engine[schema] = bound
    return bound


class TenantSession(flask_sqlalchemy.session.Session):
    """A session that routes every connection to the tenant in context."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[override]
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        tenant = current_tenant()
        if tenant is None:
            return engine
        return routed_bind(engine, tenant.schema)


def _is_tenant_owned(mapper: Any) -> bool:
    return mapper is not None and issubclass(mapper.class_, TenantOwned)


def _touches_tenant_tables(statement: Any) -> bool:
    tables = sql_util.find_tables(statement, include_crud=True, include_joins=True)
    return any(getattr(table, "schema", None) == TENANT_SCHEMA for table in tables)


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_to_tenant(state: Any) -> None:
    statement = state.statement
    allowed_raw = state.execution_options.get("raw_sql_reason")

    if isinstance(statement, TextClause):
        if not allowed_raw:
            raise RawSQLRefused(
                "text SQL through a session needs execution_options(raw_sql_reason=...)"
            )
        return

    touches_tenant_tables = _touches_tenant_tables(statement) or any(
        _is_tenant_owned(m) for m in state.all_mappers
    )
    if not touches_tenant_tables:
        return
    if not state.is_orm_statement:
        if allowed_raw:
            return
        raise RawSQLRefused("a Core statement touched tenant tables; use the ORM")

    tenant = current_tenant()
    if tenant is None:
        raise TenantRequired("tenant-owned query with no tenant in context")
    _check_same_tenant(state.session, tenant.id)

    if state.is_insert:
        raise RawSQLRefused("bulk INSERT of tenant rows bypasses stamping; use add()")

    if state.is_column_load or state.is_relationship_load:
        # The criteria added to the parent query travel with it
        # (propagate_to_loaders); adding them again would only repeat them.
        return

    tenant_id = tenant.id
    state.statement = statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
            propagate_to_loaders=True,
        )
    )


@event.listens_for(TenantSession, "after_begin")
def _remember_tenant(session: Session, transaction: Any, connection: Any) -> None:
    tenant = current_tenant()
    if tenant is not None:
        session.info.setdefault("tenant_id", tenant.id)


@event.listens_for(TenantSession, "after_transaction_end")
def _forget_tenant(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("tenant_id", None)


def _check_same_tenant(session: Session, tenant_id: str) -> None:
    held = session.info.get("tenant_id")
    if held is not None and held != tenant_id:
        raise TenantSwitchInTransaction(
            "the session holds another tenant's transaction; commit or close it first"
        )


@event.listens_for(TenantSession, "before_flush")
def _stamp_and_check(session: Session, flush_context: Any, instances: Any) -> None:
    owned = [
        o
        for o in (*session.new, *session.dirty, *session.deleted)
        if isinstance(o, TenantOwned)
    ]
    if not owned:
        return

    tenant = current_tenant()
    if tenant is None:
        raise TenantRequired("tenant-owned write with no tenant in context")
    _check_same_tenant(session, tenant.id)

    for obj in owned:
        if obj in session.new and obj.tenant_id is None:
            obj.tenant_id = tenant.id
        if obj.tenant_id != tenant.id:
            raise CrossTenantWrite(
                f"{type(obj).__name__} carries tenant {obj.tenant_id}, "
                f"context is {tenant.id}"
            )


def ensure_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder; make the folder."""
    database = make_url(url).database
    if url.startswith("sqlite") and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def engine_options(
    url: str, pool_size: int = 5, max_overflow: int = 5
) -> dict[str, Any]:
    """Engine settings for PostgreSQL (pooled) or SQLite (one file, many threads)."""
    if url.startswith("sqlite"):
        ensure_sqlite_folder(url)
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_pre_ping": True,
        "pool_timeout": 10,
        "connect_args": {"connect_timeout": 5},
    }


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_db() -> SQLAlchemy:
    """One extension object per service: its own models, metadata and engine."""
    return SQLAlchemy(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        session_options={"class_": TenantSession, "expire_on_commit": False},
    )
