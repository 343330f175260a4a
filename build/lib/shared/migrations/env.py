"""Alembic environment shared by every chain; see shared/db/migrate.py."""

from alembic import context

config = context.config
connection = config.attributes["connection"]
schema = config.attributes.get("schema")

context.configure(
    connection=connection,
    target_metadata=None,
    version_table=config.attributes["version_table"],
    version_table_schema=schema,
)

with context.begin_transaction():
    context.run_migrations()
