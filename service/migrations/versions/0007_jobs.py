"""job: background jobs (reports) with parameters, status, progress, heartbeat, attempts and artifact

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-20 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'job',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('worker_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('heartbeat_at', sa.Float(), nullable=True),
        sa.Column('enqueued_at', sa.Float(), nullable=False),
        sa.Column('artifact', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column('artifact_bytes', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=True),
        sa.Column('finished_at', sa.Float(), nullable=True),
        sa.Column('expired_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_job_survey_id'), 'job', ['survey_id'], unique=False)
    op.create_index(op.f('ix_job_status'), 'job', ['status'], unique=False)
    op.create_index(op.f('ix_job_created_at'), 'job', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_job_created_at'), table_name='job')
    op.drop_index(op.f('ix_job_status'), table_name='job')
    op.drop_index(op.f('ix_job_survey_id'), table_name='job')
    op.drop_table('job')
