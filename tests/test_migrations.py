"""The migration history and the models describe the same schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pepeunit.extensions import db


def test_autogenerate_finds_no_difference(app):
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_model_table_exists(app):
    with app.app_context():
        names = set(db.inspect(db.engine).get_table_names())
    assert {
        "users", "repository_registry", "repository_registry_credentials", "repos", "units",
        "units_nodes", "units_nodes_edges", "permissions", "unit_logs", "alembic_version",
    } <= names
