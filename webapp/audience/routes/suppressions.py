"""Suppressions: everyone sees who is never emailed and why, and may add one (an address that asked by
phone); only admins remove or import them, as removing one lets Mailroom email that address again."""
from flask import flash, redirect, request, url_for
from flask_login import current_user

from webapp.audience import bp
from webapp.audience import suppressions as service
from webapp.audience.list_forms import SuppressionForm, SuppressionImportForm
from webapp.audience.models import SUPPRESSION_REASONS
from webapp.common.access import admin_required
from webapp.common.pages import render
from webapp.common.params import page_number
from webapp.common.vocabulary import term


def _page(fragment="audience/_suppressions.html", status=200, **extra):
    reason = request.args.get("reason") if request.args.get("reason") in SUPPRESSION_REASONS else None
    args = dict(q=request.args.get("q", ""), reason=reason, page=request.args.get("page", 1, type=page_number))
    rows, total = service.suppressions_page(args["q"], reason, args["page"])
    context = dict(
        rows=rows, total=total, args=args, page_size=service.PAGE_SIZE, counts=service.counts_by_reason(),
        form=SuppressionForm(), import_form=SuppressionImportForm(),
    )
    context.update(extra)
    return render("audience/suppressions.html", fragment, status=status, **context)


@bp.get("/suppressions")
def suppressions():
    return _page()


@bp.post("/suppressions")
def add_suppression():
    form = SuppressionForm()
    if not form.validate():
        return _page("audience/_suppression_form.html", status=422, form=form)
    kind, value = form.parsed
    suppression, created = service.add_suppression(kind, value, form.reason.data, form.source.data, created_by_id=current_user.id)
    if created:
        flash(f"{value} is suppressed: Mailroom will never email {'it' if kind == 'email' else 'anyone at it'}.", "success")
    else:
        flash(f"{value} is already suppressed ({term('suppression_reason', suppression.reason).label.lower()}, since {suppression.created_at:%Y-%m-%d}).", "info")
    return redirect(url_for("audience.suppressions"), 303)


@bp.delete("/suppressions/<int:suppression_id>")
@admin_required
def remove_suppression(suppression_id):
    service.remove_suppression(suppression_id)
    return redirect(url_for("audience.suppressions", **request.args), 303)


@bp.post("/suppressions/import")
@admin_required
def import_suppressions():
    form = SuppressionImportForm()
    if not form.validate():
        return _page("audience/_suppression_import.html", status=422, import_form=form)
    try:
        text = form.file.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors.append("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
        return _page("audience/_suppression_import.html", status=422, import_form=form)
    result = service.import_suppressions(text, form.reason.data, form.source.data, created_by_id=current_user.id)
    return _page("audience/_suppression_import.html", import_result=result)
