"""staff console: staff_user, staff_session, login_failure, audit_log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'staff_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('lang', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('disabled_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
    )
    op.create_table(
        'staff_session',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('csrf', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('last_seen', sa.Float(), nullable=False),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_staff_session_user_id'), 'staff_session', ['user_id'], unique=False)
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_login_failure_email'), 'login_failure', ['email'], unique=False)
    op.create_index(op.f('ix_login_failure_ip'), 'login_failure', ['ip'], unique=False)
    op.create_index(op.f('ix_login_failure_at'), 'login_failure', ['at'], unique=False)
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('details', sa.Text(), nullable=True),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_actor_id'), 'audit_log', ['actor_id'], unique=False)
    op.create_index(op.f('ix_audit_log_action'), 'audit_log', ['action'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_audit_log_action'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_actor_id'), table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_login_failure_at'), table_name='login_failure')
    op.drop_index(op.f('ix_login_failure_ip'), table_name='login_failure')
    op.drop_index(op.f('ix_login_failure_email'), table_name='login_failure')
    op.drop_table('login_failure')
    op.drop_index(op.f('ix_staff_session_user_id'), table_name='staff_session')
    op.drop_table('staff_session')
    op.drop_table('staff_user')
