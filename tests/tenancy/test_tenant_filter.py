"""Layer 2, alone: both brands' rows in one table, every query shape run as one.

On SQLite this is the only layer; on PostgreSQL the same tests run with both
brands' rows forced into one schema, so the schema cannot be what saves us.
"""

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from shared.db import CrossTenantWrite, RawSQLRefused, TenantSwitchInTransaction
from shared.tenancy import TenantRequired, tenant_scope
from tests.tenancy.catalog_models import Offering, Variant, db
from tests.tenancy.harness import ALPHA, BETA, build_app, seed


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/filter.db"
        yield _seeded(build_app(url))
        return
    url = request.getfixturevalue("postgres_url")
    yield _seeded(build_app(url), one_schema=True)


def _seeded(app, one_schema=False):
    if one_schema:
        # Both brands in alpha's schema: only the tenant_id filter stands between them.
        beta_in_alpha = ALPHA.__class__(id=BETA.id, slug=ALPHA.slug)
        seed(app, ALPHA, ["alpha-phone", "alpha-plan"])
        seed(app, beta_in_alpha, ["beta-phone", "beta-plan", "beta-sim"])
        app.config["BETA"] = beta_in_alpha
    else:
        seed(app, ALPHA, ["alpha-phone", "alpha-plan"])
        seed(app, BETA, ["beta-phone", "beta-plan", "beta-sim"])
        app.config["BETA"] = BETA
    return app


@pytest.fixture
def as_alpha(app):
    with app.app_context(), tenant_scope(ALPHA):
        yield db.session
        db.session.rollback()
        db.session.remove()


def codes(rows):
    return sorted(r.code for r in rows)


def test_a_plain_select_returns_only_the_brands_rows(as_alpha):
    assert codes(as_alpha.scalars(select(Offering))) == ["alpha-phone", "alpha-plan"]


def test_get_by_primary_key_of_another_brands_row_finds_nothing(app, as_alpha):
    beta_ids = _ids_of(app, app.config["BETA"])
    assert beta_ids
    assert [as_alpha.get(Offering, pk) for pk in beta_ids] == [None] * len(beta_ids)


def test_joins_and_aliases_are_filtered_on_every_side(as_alpha):
    joined = as_alpha.execute(
        select(Offering.code, Variant.sku).join(
            Variant, Variant.offering_id == Offering.id
        )
    ).all()
    assert joined and all(code.startswith("alpha") for code, _ in joined)
    assert all(sku.startswith("alpha") for _, sku in joined)

    other = aliased(Offering)
    pairs = as_alpha.execute(
        select(Offering.code, other.code).join(other, other.id > 0)
    ).all()
    assert pairs and all(
        a.startswith("alpha") and b.startswith("alpha") for a, b in pairs
    )


def test_aggregates_count_only_the_brands_rows(as_alpha):
    assert as_alpha.scalar(select(func.count()).select_from(Offering)) == 2
    assert as_alpha.scalar(select(func.sum(Variant.stock))) == 2 * (5 + 7)
    grouped = as_alpha.execute(
        select(Offering.code, func.count(Variant.id))
        .join(Offering.variants)
        .group_by(Offering.code)
    ).all()
    assert sorted(grouped) == [("alpha-phone", 2), ("alpha-plan", 2)]


def test_subqueries_and_exists_are_filtered(as_alpha):
    in_stock = select(Variant.offering_id).where(Variant.stock > 0).scalar_subquery()
    rows = as_alpha.scalars(select(Offering).where(Offering.id.in_(in_stock))).all()
    assert all(r.tenant_id == ALPHA.id for r in rows)
    assert as_alpha.scalar(select(select(Variant).exists())) is True


def test_relationship_loads_lazy_joined_and_selectin_stay_in_the_brand(as_alpha):
    lazy = as_alpha.scalars(select(Offering)).all()
    assert all(v.sku.startswith("alpha") for o in lazy for v in o.variants)
    as_alpha.expunge_all()

    joined = as_alpha.scalars(select(Offering).options(joinedload(Offering.variants)))
    assert all(v.sku.startswith("alpha") for o in joined.unique() for v in o.variants)
    as_alpha.expunge_all()

    selectin = as_alpha.scalars(
        select(Offering).options(selectinload(Offering.variants))
    )
    assert all(v.sku.startswith("alpha") for o in selectin for v in o.variants)

    variant = as_alpha.scalars(select(Variant)).first()
    assert variant.offering.tenant_id == ALPHA.id


def test_bulk_update_and_delete_change_only_the_brands_rows(app, as_alpha):
    as_alpha.execute(update(Variant).values(stock=0))
    as_alpha.execute(delete(Variant).where(Variant.sku.like("%-2")))
    as_alpha.commit()

    with tenant_scope(app.config["BETA"]):
        db.session.remove()
        beta = db.session.scalars(select(Variant)).all()
        assert len(beta) == 6
        assert all(v.stock in (5, 7) for v in beta)
        db.session.remove()


def test_a_query_with_no_tenant_in_context_raises(app):
    with app.app_context():
        with pytest.raises(TenantRequired):
            db.session.scalars(select(Offering)).all()
        with pytest.raises(TenantRequired):
            db.session.execute(update(Variant).values(stock=1))
        db.session.rollback()
        db.session.add(Offering(code="orphan"))
        with pytest.raises(TenantRequired):
            db.session.flush()
        db.session.rollback()
        db.session.remove()


def test_text_and_core_statements_on_tenant_tables_are_refused(as_alpha):
    with pytest.raises(RawSQLRefused):
        as_alpha.execute(text("SELECT * FROM offerings"))
    with pytest.raises(RawSQLRefused):
        as_alpha.execute(select(Offering.__table__))
    with pytest.raises(RawSQLRefused):
        as_alpha.execute(Offering.__table__.delete())


def test_a_row_stamped_with_another_brands_id_is_not_written(as_alpha):
    as_alpha.add(Offering(code="smuggled", tenant_id=BETA.id))
    with pytest.raises(CrossTenantWrite):
        as_alpha.flush()


def test_moving_a_row_to_another_brand_is_refused(as_alpha):
    offering = as_alpha.scalars(select(Offering)).first()
    offering.tenant_id = BETA.id
    with pytest.raises(CrossTenantWrite):
        as_alpha.flush()


def test_switching_brand_inside_one_transaction_is_refused(app):
    with app.app_context():
        with tenant_scope(ALPHA):
            db.session.scalars(select(Offering)).all()
        with tenant_scope(BETA), pytest.raises(TenantSwitchInTransaction):
            db.session.scalars(select(Offering)).all()
        db.session.rollback()
        db.session.remove()


def _ids_of(app, tenant):
    with app.app_context(), tenant_scope(tenant):
        ids = list(db.session.scalars(select(Offering.id)))
        db.session.remove()
    return ids
