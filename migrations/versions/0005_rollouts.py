"""staged firmware rollouts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:20:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rollout_policies',
    sa.Column('repo_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('failure_threshold', sa.Float(), nullable=False),
    sa.Column('stage_timeout_seconds', sa.Integer(), nullable=False),
    sa.Column('auto_rollback', sa.Boolean(), nullable=False),
    sa.Column('baseline_commit', sa.String(length=64), nullable=True),
    sa.Column('baseline_tag', sa.String(length=255), nullable=True),
    sa.Column('last_update_datetime', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['repo_uuid'], ['repos.uuid'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('repo_uuid')
    )
    op.create_table('rollouts',
    sa.Column('uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('repo_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('status', sa.Enum('Running', 'Paused', 'Halted', 'Completed', 'Aborted', 'Superseded',
                                name='rolloutstatus', native_enum=False, length=32), nullable=False),
    sa.Column('from_commit', sa.String(length=64), nullable=True),
    sa.Column('from_tag', sa.String(length=255), nullable=True),
    sa.Column('target_commit', sa.String(length=64), nullable=False),
    sa.Column('target_tag', sa.String(length=255), nullable=True),
    sa.Column('current_stage', sa.Integer(), nullable=False),
    sa.Column('failure_threshold', sa.Float(), nullable=False),
    sa.Column('stage_timeout_seconds', sa.Integer(), nullable=False),
    sa.Column('auto_rollback', sa.Boolean(), nullable=False),
    sa.Column('rolled_back', sa.Boolean(), nullable=False),
    sa.Column('halt_reason', sa.Text(), nullable=True),
    sa.Column('paused_at', sa.DateTime(), nullable=True),
    sa.Column('create_datetime', sa.DateTime(), nullable=False),
    sa.Column('finish_datetime', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['repo_uuid'], ['repos.uuid'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uuid')
    )
    op.create_index(op.f('ix_rollouts_repo_uuid'), 'rollouts', ['repo_uuid'], unique=False)
    op.create_table('rollout_stages',
    sa.Column('rollout_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('Waiting', 'Running', 'Passed', 'Failed',
                                name='rolloutstagestatus', native_enum=False, length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('deadline_at', sa.DateTime(), nullable=True),
    sa.Column('finish_datetime', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['rollout_uuid'], ['rollouts.uuid'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rollout_uuid', 'index')
    )
    op.create_table('rollout_units',
    sa.Column('rollout_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('unit_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('stage_index', sa.Integer(), nullable=False),
    sa.Column('previous_commit', sa.String(length=64), nullable=True),
    sa.Column('previous_tag', sa.String(length=255), nullable=True),
    sa.Column('status', sa.Enum('Waiting', 'Updating', 'Success', 'Error', 'RollingBack', 'RolledBack',
                                name='rolloutunitstatus', native_enum=False, length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('rollback_sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['rollout_uuid'], ['rollouts.uuid'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_uuid'], ['units.uuid'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rollout_uuid', 'unit_uuid')
    )
    op.create_index(op.f('ix_rollout_units_unit_uuid'), 'rollout_units', ['unit_uuid'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_rollout_units_unit_uuid'), table_name='rollout_units')
    op.drop_table('rollout_units')
    op.drop_table('rollout_stages')
    op.drop_index(op.f('ix_rollouts_repo_uuid'), table_name='rollouts')
    op.drop_table('rollouts')
    op.drop_table('rollout_policies')
