"""The migration history and the models describe the same schema; new revisions are numbered."""
import re
import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import revision

from pepeunit.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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


def test_a_new_revision_is_numbered_after_the_last(app, tmp_path):
    """`flask db revision` names the next file NNNN_<slug>.py with id NNNN, after the last one."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory, ignore=shutil.ignore_patterns("__pycache__"))
    existing = sorted(p.name for p in (directory / "versions").glob("*.py"))
    last = existing[-1]
    assert [name[:4] for name in existing] == [f"{n:04d}" for n in range(1, len(existing) + 1)]
    with app.app_context():
        revision(directory=str(directory), message="add gadget table")
    number = f"{len(existing) + 1:04d}"
    created = sorted(p.name for p in (directory / "versions").glob("*.py"))
    assert created == existing + [f"{number}_add_gadget_table.py"]
    text = (directory / "versions" / f"{number}_add_gadget_table.py").read_text()
    last_id = re.search(r"^revision = '([^']+)'", (directory / "versions" / last).read_text(), re.M).group(1)
    assert f"revision = '{number}'" in text
    assert f"down_revision = '{last_id}'" in text
