"""grafana dashboards, panels and panel unit nodes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 01:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dashboards',
    sa.Column('uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('grafana_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('create_datetime', sa.DateTime(), nullable=False),
    sa.Column('dashboard_url', sa.Text(), nullable=True),
    sa.Column('inc_last_version', sa.Integer(), nullable=True),
    sa.Column('sync_status', sa.Enum('Success', 'Processing', 'Error', name='dashboardstatus',
                                     native_enum=False, length=32), nullable=True),
    sa.Column('sync_error', sa.Text(), nullable=True),
    sa.Column('sync_last_datetime', sa.DateTime(), nullable=True),
    sa.Column('creator_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.ForeignKeyConstraint(['creator_uuid'], ['users.uuid'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uuid'),
    sa.UniqueConstraint('grafana_uuid')
    )
    op.create_index(op.f('ix_dashboards_creator_uuid'), 'dashboards', ['creator_uuid'], unique=False)
    op.create_table('dashboard_panels',
    sa.Column('uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('type', sa.Enum('timeseries', 'barchart', 'stat', 'gauge', 'bargauge', 'table', 'piechart',
                              'state-timeline', 'heatmap', 'status-history', 'histogram', 'text', 'alertlist',
                              'dashlist', 'news', 'annolist', 'candlestick', 'canvas', 'flamegraph', 'geomap',
                              'logs', 'marcusolsson-hourly-heatmap-panel', 'nodeGraph', 'traces', 'trend',
                              'xychart', name='dashboardpaneltypeenum', native_enum=False, length=64),
              nullable=False),
    sa.Column('title', sa.String(length=20), nullable=False),
    sa.Column('create_datetime', sa.DateTime(), nullable=False),
    sa.Column('creator_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('dashboard_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.ForeignKeyConstraint(['creator_uuid'], ['users.uuid'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dashboard_uuid'], ['dashboards.uuid'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uuid')
    )
    op.create_index(op.f('ix_dashboard_panels_creator_uuid'), 'dashboard_panels', ['creator_uuid'], unique=False)
    op.create_index(op.f('ix_dashboard_panels_dashboard_uuid'), 'dashboard_panels', ['dashboard_uuid'], unique=False)
    op.create_table('panels_unit_nodes',
    sa.Column('uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('is_last_data', sa.Boolean(), nullable=False),
    sa.Column('is_forced_to_json', sa.Boolean(), nullable=False),
    sa.Column('create_datetime', sa.DateTime(), nullable=False),
    sa.Column('unit_node_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.Column('dashboard_panels_uuid', postgresql.UUID(as_uuid=True), nullable=False),
    sa.ForeignKeyConstraint(['dashboard_panels_uuid'], ['dashboard_panels.uuid'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_node_uuid'], ['units_nodes.uuid'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uuid'),
    sa.UniqueConstraint('unit_node_uuid', 'dashboard_panels_uuid', name='uq_panels_unit_nodes_node_panel')
    )
    op.create_index(op.f('ix_panels_unit_nodes_dashboard_panels_uuid'), 'panels_unit_nodes',
                    ['dashboard_panels_uuid'], unique=False)
    op.create_index(op.f('ix_panels_unit_nodes_unit_node_uuid'), 'panels_unit_nodes', ['unit_node_uuid'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_panels_unit_nodes_unit_node_uuid'), table_name='panels_unit_nodes')
    op.drop_index(op.f('ix_panels_unit_nodes_dashboard_panels_uuid'), table_name='panels_unit_nodes')
    op.drop_table('panels_unit_nodes')
    op.drop_index(op.f('ix_dashboard_panels_dashboard_uuid'), table_name='dashboard_panels')
    op.drop_index(op.f('ix_dashboard_panels_creator_uuid'), table_name='dashboard_panels')
    op.drop_table('dashboard_panels')
    op.drop_index(op.f('ix_dashboards_creator_uuid'), table_name='dashboards')
    op.drop_table('dashboards')
