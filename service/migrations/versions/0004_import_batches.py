"""import_batch: every import recorded (file, SHA-256, who, counts); response.batch_id points at it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'import_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('rows_stored', sa.Integer(), nullable=False),
        sa.Column('stored', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('replaced', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('who', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('undone_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_import_batch_survey_id'), 'import_batch', ['survey_id'], unique=False)
    op.create_index(op.f('ix_import_batch_sha256'), 'import_batch', ['sha256'], unique=False)
    with op.batch_alter_table('response') as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_response_batch_id_import_batch', 'import_batch', ['batch_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('response') as batch_op:
        batch_op.drop_constraint('fk_response_batch_id_import_batch', type_='foreignkey')
        batch_op.drop_column('batch_id')
    op.drop_index(op.f('ix_import_batch_sha256'), table_name='import_batch')
    op.drop_index(op.f('ix_import_batch_survey_id'), table_name='import_batch')
    op.drop_table('import_batch')
