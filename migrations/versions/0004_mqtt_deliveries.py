"""mqtt deliveries: keys of committed MQTT messages, so a DUP redelivery is not stored twice

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 01:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mqtt_deliveries',
    sa.Column('key', sa.LargeBinary(length=16), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index(op.f('ix_mqtt_deliveries_committed_at'), 'mqtt_deliveries', ['committed_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_mqtt_deliveries_committed_at'), table_name='mqtt_deliveries')
    op.drop_table('mqtt_deliveries')
