"""The tenant migration creates exactly the tables the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

from services.payment.models import db
from tests.payment.harness import NORTHWIND


def test_the_migrated_tenant_schema_matches_the_models(payment):
    app, _ = payment
    schema = NORTHWIND.schema
    models = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(models, schema=schema, referred_schema_fn=lambda *a: schema)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, parent: (
                    name == schema if type_ == "schema" else name != "alembic_version"
                ),
                "compare_type": True,
            },
        )
        differences = compare_metadata(context, models)
    engine.dispose()

    # Index names differ only by the schema in the naming convention's label;
    # compare indexes by table and columns, everything else as is.
    indexes = {"add_index": set(), "remove_index": set()}
    others = []
    for difference in differences:
        if difference[0] in indexes:
            index = difference[1]
            indexes[difference[0]].add(
                (index.table.name, tuple(c.name for c in index.columns), index.unique)
            )
        else:
            others.append(difference)

    print(f"differences between migration and models: {len(others)}")
    assert others == []
    assert indexes["add_index"] == indexes["remove_index"]
