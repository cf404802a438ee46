"""Lead states (issue #15): the statuses of the state machine (``bot.leads.states``) and the
columns of the reminder schedule (``bot.leads.schedule``).

Old statuses are mapped: ``claimed`` and ``contacted`` -> ``taken`` (a ``contacted`` lead keeps
that fact as an audit event ``contacted``, actor ``migration``, at its last update),
``not_relevant`` -> ``refused``. ``routed_at`` starts as ``created_at``; a lead the old SLA
timer already escalated (reminder to its desk, escalation to the region) is at step 2.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_UP = (("claimed", "taken"), ("contacted", "taken"), ("not_relevant", "refused"))
_DOWN = (("taken", "claimed"), ("refused", "not_relevant"), ("closed_helped", "contacted"),
         ("closed_no_help", "not_relevant"), ("closed_unreachable", "contacted"),
         ("abandoned", "new"))

_leads = sa.table("leads", sa.column("id", sa.Integer), sa.column("status", sa.String),
                  sa.column("updated_at", sa.DateTime(timezone=True)))
_events = sa.table("lead_events", sa.column("lead_id", sa.Integer),
                   sa.column("action", sa.String), sa.column("actor", sa.String),
                   sa.column("detail", sa.JSON), sa.column("at", sa.DateTime(timezone=True)))


def _rename(pairs: tuple[tuple[str, str], ...]) -> None:
    for old, new in pairs:
        op.execute(_leads.update().where(_leads.c.status == old).values(status=new))


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reminder_step", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.execute("UPDATE leads SET routed_at = created_at")
    op.execute("UPDATE leads SET reminder_step = 2 WHERE escalated_at IS NOT NULL")
    contacted = op.get_bind().execute(
        sa.select(_leads.c.id, _leads.c.updated_at).where(_leads.c.status == "contacted")).all()
    if contacted:
        op.bulk_insert(_events, [
            {"lead_id": row.id, "action": "contacted", "actor": "migration",
             "detail": {"status": "contacted"}, "at": row.updated_at} for row in contacted])
    _rename(_UP)
    op.create_index("ix_leads_status_routed_at", "leads", ["status", "routed_at"])


def downgrade() -> None:
    op.drop_index("ix_leads_status_routed_at", "leads")
    _rename(_DOWN)
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("reminder_step")
        batch.drop_column("routed_at")
