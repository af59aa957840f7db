"""Alembic's entry point: runs the migrations on the connection `geo.store.migrate`
hands over, inside the transaction it holds (so the writers' lock covers them)."""

from alembic import context

_connection = context.config.attributes["connection"]
context.configure(connection=_connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
