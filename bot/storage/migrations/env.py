"""Alembic environment: runs on the connection handed over by ``bot.storage.Database``."""

from __future__ import annotations

from alembic import context

from bot.storage.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we always migrate through Database.migrate()
    raise RuntimeError("run migrations with `relocbot` (Database.migrate), not the alembic CLI")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
