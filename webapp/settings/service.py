"""The single settings row, read by every part that sends, tracks or filters."""
from webapp.extensions import db
from webapp.settings.models import AppSettings


def get_settings():
    settings = db.session.get(AppSettings, 1)
    if settings is None:
        settings = AppSettings(id=1)
        db.session.add(settings)
        db.session.flush()
    return settings
