"""What the compose tests share besides data (tests/factories.py): the editor's form and a template's versions."""
from webapp.compose.models import TemplateVersion
from webapp.extensions import db


def editor_form(**overrides):
    """The template editor's fields as a browser posts them, matching a_template()'s defaults unless overridden."""
    values = dict(name="Spring news", subject="Hello {{ contact.first_name }}", from_name="", from_email="",
                  reply_to="", html="<p>Hello</p>", text="")
    values.update(overrides)
    return values


def versions(app, template_id):
    """[(version number, html)] of the template's saved versions, oldest first."""
    with app.app_context():
        return [(v.version, v.html) for v in db.session.scalars(
            db.select(TemplateVersion).where(TemplateVersion.template_id == template_id).order_by(TemplateVersion.version))]
