"""Mailroom: the application factory."""
import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config as config_module
from webapp import extensions
from webapp.common.params import DatabaseIdConverter


def create_app(config=None):
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR))
    app.config.from_object(config or config_module.config_for())
    # An empty SECRET_KEY= in the environment is as unsafe as none: both would sign sessions with a known key.
    # Before any blueprint adds its routes: every <int:...> takes only what a database id can be.
    app.url_map.converters["int"] = DatabaseIdConverter
    secret = app.config.get("SECRET_KEY") or ""
    if app.config.get("ENV_NAME") == "prod" and (secret == "dev-only-not-secret" or len(secret) < 32):
        raise RuntimeError("SECRET_KEY must be set in production, at least 32 characters, e.g. the output of: "
                           "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    app.config["INSTANCE_DIR"].mkdir(parents=True, exist_ok=True)
    app.config["UPLOAD_DIR"].mkdir(parents=True, exist_ok=True)

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(config_module.BASE_DIR / "migrations"))
    # By module: the name `mail` in this package is the webapp.mail layer, not Flask-Mail.
    for extension in (extensions.login_manager, extensions.csrf, extensions.mail, extensions.htmx):
        extension.init_app(app)

    from webapp import (audience, auth, bounces, common, compose, errors, events, outbox, reports, sending, settings, system,
                        tracking, webhooks)

    for package in (common, auth, audience, compose, sending, events, tracking, webhooks, bounces, reports, settings, outbox,
                    system, errors):
        package.init_app(app)

    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:  # outermost: every layer sees the client's address, scheme and host as the proxies in front saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
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
