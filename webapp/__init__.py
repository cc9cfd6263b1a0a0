"""Mailroom: the application factory."""
import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config as config_module
from webapp import extensions


def create_app(config=None):
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR))
    app.config.from_object(config or config_module.config_for())
    # An empty SECRET_KEY= in the environment is as unsafe as none: both would sign sessions with a known key.
    if app.config.get("ENV_NAME") == "prod" and app.config.get("SECRET_KEY") in (None, "", "dev-only-not-secret"):
        raise RuntimeError("SECRET_KEY must be set in production")
    app.config["INSTANCE_DIR"].mkdir(parents=True, exist_ok=True)
    app.config["UPLOAD_DIR"].mkdir(parents=True, exist_ok=True)

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(config_module.BASE_DIR / "migrations"))
    # By module: the name `mail` in this package is the webapp.mail layer, not Flask-Mail.
    for extension in (extensions.login_manager, extensions.csrf, extensions.mail, extensions.htmx):
        extension.init_app(app)

    from webapp import audience, auth, common, compose, errors, events, outbox, sending, settings, system, tracking

    for package in (common, auth, audience, compose, sending, events, tracking, settings, outbox, system, errors):
        package.init_app(app)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets the web process read while a worker writes; the busy timeout waits instead of failing.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
