"""mqtt deliveries: the packet ids and digests of each batch a shared-mode consumer committed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 01:15:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mqtt_deliveries',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('packet_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
    sa.Column('digests', postgresql.ARRAY(sa.BigInteger()), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_mqtt_deliveries_client_id_id', 'mqtt_deliveries', ['client_id', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_mqtt_deliveries_client_id_id', table_name='mqtt_deliveries')
    op.drop_table('mqtt_deliveries')
