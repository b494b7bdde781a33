"""fieldwork: invitation contacts, every send recorded, opened/unsubscribed/stratum/wave on invitations

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invitation') as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('stratum', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('wave', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('unsubscribed_at', sa.Float(), nullable=True))
    op.create_table(
        'invitation_contact',
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id']),
        sa.PrimaryKeyConstraint('invitation_id'),
    )
    op.create_table(
        'invitation_send',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('queued_at', sa.Float(), nullable=False),
        sa.Column('attempted_at', sa.Float(), nullable=True),
        sa.Column('finished_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id']),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_invitation_send_invitation_id'), 'invitation_send', ['invitation_id'], unique=False)
    op.create_index('ix_invitation_send_survey_status', 'invitation_send', ['survey_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_invitation_send_survey_status', table_name='invitation_send')
    op.drop_index(op.f('ix_invitation_send_invitation_id'), table_name='invitation_send')
    op.drop_table('invitation_send')
    op.drop_table('invitation_contact')
    with op.batch_alter_table('invitation') as batch_op:
        batch_op.drop_column('unsubscribed_at')
        batch_op.drop_column('wave')
        batch_op.drop_column('stratum')
        batch_op.drop_column('opened_at')
