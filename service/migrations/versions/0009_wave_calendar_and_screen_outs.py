"""survey_wave: the live wave calendar (dates changeable without a new version); screen_out: quota screen-outs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'survey_wave',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('wave_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('label_json', sa.Text(), nullable=False),
        sa.Column('opens', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('closes', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('survey_id', 'wave_id', name='uq_survey_wave'),
    )
    op.create_index(op.f('ix_survey_wave_survey_id'), 'survey_wave', ['survey_id'], unique=False)
    op.create_table(
        'screen_out',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('wave', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('option', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_screen_out_survey_wave', 'screen_out', ['survey_id', 'wave'], unique=False)
    op.create_index('uq_screen_out_key', 'screen_out', ['survey_id', 'key'], unique=True,
                    sqlite_where=sa.text('key IS NOT NULL'), postgresql_where=sa.text('key IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('uq_screen_out_key', table_name='screen_out')
    op.drop_index('ix_screen_out_survey_wave', table_name='screen_out')
    op.drop_table('screen_out')
    op.drop_index(op.f('ix_survey_wave_survey_id'), table_name='survey_wave')
    op.drop_table('survey_wave')
