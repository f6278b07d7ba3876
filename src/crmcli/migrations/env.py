"""Alembic environment: crmcli hands in an open connection; migrations never connect.

``target_metadata`` is the one schema definition, so ``alembic check`` (and
``tests/test_migrations.py``) compare a migrated database against it."""

from alembic import context

from crmcli.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
