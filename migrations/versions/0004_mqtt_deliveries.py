"""mqtt deliveries: what shared-mode consumers committed, keyed by (client id, packet id)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 01:15:00.000000

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
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('packet_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('digest', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'packet_id')
    )


def downgrade():
    op.drop_table('mqtt_deliveries')
