"""Templates: the list, the editor with its live check and preview, duplicate, delete, send test."""
import secrets

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.common.clock import utcnow
from webapp.common.pages import render, wants_fragment
from webapp.common.headers import SANDBOXED_HTML
from webapp.common.params import database_id
from webapp.compose import bp, deletion, service
from webapp.compose.forms import NewTemplateForm, SendTestForm, TemplateForm
from webapp.compose.models import Template
from webapp.compose.rendering import RenderError, TemplateProblems
from webapp.compose.send_test import parse_addresses, send_test
from webapp.extensions import db, talisman
from webapp.mail.smtp import smtp_config
from webapp.settings.service import get_settings

VIEWS = ("desktop", "mobile", "text")


def _template(template_id):
    """A template in use; an archived one is deleted as far as these pages go."""
    template = db.session.get(Template, template_id)
    return template if template is not None and template.archived_at is None else abort(404)


def _list(form=None, status=200):
    return render("compose/templates.html", "compose/_new_template.html", status=status,
                  rows=service.templates_page(), form=form or NewTemplateForm(formdata=None))


@bp.get("/templates")
def templates():
    return _list()


@bp.post("/templates")
def create_template():
    form = NewTemplateForm()
    if not form.validate():
        return _list(form, status=422)
    template = service.create_template(form.name.data, current_user.id)
    return redirect(url_for("compose.edit_template", template_id=template.id), 303)


def _preview_context(template, values, draft, contact_query="", contact_id=None, view="desktop"):
    """What the preview pane shows. The iframe loads the preview by URL (see render_draft)."""
    contact = service.preview_contact(contact_query, contact_id)
    preview = service.render_preview(values, contact, get_settings())
    src = url_for("compose.preview", template_id=template.id, contact=contact.id if contact else None,
                  draft=1 if draft else None, v=secrets.token_hex(4))  # a new URL, so the iframe reloads
    return dict(preview=preview, contact=contact, contact_query=contact_query, view=view if view in VIEWS else "desktop",
                suggestions=service.contact_suggestions(contact_query),
                preview_src=src, sample_email=service.SAMPLE_EMAIL)


def _editor(template, form, fragment="compose/_template_form.html", status=200, problems=None, **extra):
    values = form.values()
    context = dict(
        template=template, form=form, test_form=extra.pop("test_form", None) or SendTestForm(formdata=None),
        problems=service.template_problems(values) if problems is None else problems,
        tracking_urls=service.tracking_urls(), placeholders=service.placeholder_menu(),
        **_preview_context(template, values, draft=False), **extra,
    )
    return render("compose/editor.html", fragment, status=status, **context)


@bp.get("/templates/<int:template_id>")
def edit_template(template_id):
    template = _template(template_id)
    return _editor(template, TemplateForm(formdata=None, data=service.template_values(template), template_id=template.id))


@bp.post("/templates/<int:template_id>")
def save_template(template_id):
    """Save; refused (422) while the form or the template has problems, so what is saved can be sent."""
    template = _template(template_id)
    form = TemplateForm(template_id=template.id)
    valid = form.validate()
    problems = service.template_problems(form.values())
    if not valid or problems:
        return _editor(template, form, status=422, problems=problems, save_refused=True)
    changed = service.save_template(template, form.values())
    notice = f"Saved as version {template.version}." if changed else f"Saved. Content unchanged: still version {template.version}."
    if wants_fragment():
        return _editor(template, form, problems=[], notice=notice)
    flash(notice, "success")
    return redirect(url_for("compose.edit_template", template_id=template.id), 303)


@bp.post("/templates/<int:template_id>/render")
def render_draft(template_id):
    """The live check and preview of the unsaved editor, on each pause in typing.

    The draft goes to Redis and the iframe reloads from the preview URL, rather than an
    iframe `srcdoc`: a srcdoc document inherits our page's policy, while a URL gets its own
    strict CSP header (sandbox, no script), and the HTML never passes through an attribute.
    """
    template = _template(template_id)
    form = TemplateForm(template_id=template.id)
    values = form.values()
    service.store_draft(current_user.id, template.id, values)  # the iframe shows a too-big draft's problems too
    too_big = service.oversized(values)
    context = _preview_context(template, values, draft=True, contact_query=request.form.get("contact_q", ""),
                               view=request.form.get("view", "desktop"))
    return render("compose/_preview.html", "compose/_preview.html", status=422 if too_big else 200, template=template,
                  problems=too_big or service.template_problems(values), live=True, **context)


@bp.get("/templates/<int:template_id>/preview")
@talisman(content_security_policy=SANDBOXED_HTML)  # no script even when opened outside the (sandboxed) iframe
def preview(template_id):
    """The rendered HTML alone, for the sandboxed iframe; `draft=1` shows the unsaved editor."""
    template = _template(template_id)
    values = request.args.get("draft") and service.load_draft(current_user.id, template.id) or service.template_values(template)
    contact = service.preview_contact(contact_id=request.args.get("contact", type=database_id))
    result = service.render_preview(values, contact, get_settings())
    html = result.html if not result.problems else render_template("compose/preview_problems.html", problems=result.problems)
    response = make_response(html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/templates/<int:template_id>/duplicate")
def duplicate_template(template_id):
    copy = service.duplicate_template(_template(template_id), current_user.id)
    flash(f"Duplicated as “{copy.name}”.", "success")
    return redirect(url_for("compose.edit_template", template_id=copy.id), 303)


@bp.delete("/templates/<int:template_id>")
def delete_template(template_id):
    template = _template(template_id)
    try:
        outcome = deletion.delete_template(template, utcnow())
    except deletion.TemplateInUse as refused:
        # Shown in the editor, which stays as it is (unsaved edits included).
        return render_template("compose/_delete_refused.html", message=str(refused))
    kept = " Mass emails that sent it still show it in their reports." if outcome == "archived" else ""
    flash(f"Template “{template.name}” deleted.{kept}", "success")
    # The editor is gone: a whole-page visit to the list, not a swap into the editor.
    response = make_response("", 204)
    response.headers["HX-Redirect"] = url_for("compose.templates")
    return response


@bp.post("/templates/<int:template_id>/send-test")
def send_test_email(template_id):
    """Send the editor's current content (included from the editor form) to a few addresses."""
    template = _template(template_id)
    test_form = SendTestForm()
    values = TemplateForm(template_id=template.id).values()
    context = dict(template=template, test_form=test_form)
    addresses, address_errors = parse_addresses(test_form.addresses.data)
    if address_errors:
        return render("compose/_send_test.html", "compose/_send_test.html", status=422, address_errors=address_errors, **context)
    settings = get_settings()
    contact = service.preview_contact(contact_id=request.form.get("contact", type=database_id))
    build_settings = service.with_template_identity(service.message_settings(settings, current_app.config), values)
    try:
        results = send_test(values, service.placeholder_contact(contact), addresses, build_settings, settings,
                            service.tracking_url_map(), smtp_config(settings, current_app.config))
    except TemplateProblems as error:
        return render("compose/_send_test.html", "compose/_send_test.html", status=422, problems=error.problems, **context)
    except RenderError as error:
        return render("compose/_send_test.html", "compose/_send_test.html", status=422, problems=[error.problem], **context)
    for result in results:
        if not result.accepted:
            current_app.logger.warning("Test of template %s to %s failed: %s", template.id, result.address, result.message)
    return render("compose/_send_test.html", "compose/_send_test.html", results=results, contact=contact, **context)
