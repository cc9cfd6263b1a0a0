"""The migrations build exactly the schema the models describe, on the backend under test, in one line of history."""
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.audience.search import is_search_index_object
from webapp.extensions import db


def _modelled(name, type_, parent_names):
    return not is_search_index_object(name or "")


def test_models_match_the_migrated_database(ctx):
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes (the contact sort indexes), so those are not compared there.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _modelled})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_have_a_single_head(app):
    from alembic.script import ScriptDirectory
    from flask import current_app

    with app.app_context():
        config = current_app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1
