"""Preflight lint: the checklist shown before any send, for the editor's draft or a saved template."""
from flask import abort, current_app, request

from webapp.common.pages import render
from webapp.compose import bp, service
from webapp.compose.models import Template
from webapp.compose.preflight import SEVERITIES, preflight
from webapp.extensions import db
from webapp.settings.service import get_settings

LINTED_FIELDS = ("subject", "html", "text", "from_email", "reply_to")


def _render(values, template=None):
    findings = preflight(
        values["subject"], values["html"], values["text"], settings=get_settings(),
        known_fields=service.known_fields(), tracking_names=service.tracking_url_map(),
        from_email=values["from_email"], reply_to=values["reply_to"],
        reached_at=request.host_url, production=current_app.config.get("ENV_NAME") == "prod",
    )
    grouped = {severity: [f for f in findings if f.severity == severity] for severity in SEVERITIES}
    status = 422 if service.oversized(values) else 200
    return render("compose/preflight.html", "compose/_preflight.html", status=status, findings=findings, grouped=grouped,
                  template=template)


@bp.post("/templates/preflight")
def preflight_draft():
    """The editor posts its fields as they are typed, saved or not."""
    return _render({name: request.form.get(name, "") for name in LINTED_FIELDS})


@bp.get("/templates/<int:template_id>/preflight")
def preflight_template(template_id):
    template = db.session.get(Template, template_id) or abort(404)
    return _render(service.template_values(template), template)
