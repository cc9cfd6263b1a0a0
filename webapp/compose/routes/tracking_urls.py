"""Tracking URLs: named links (EspoCRM's model) that templates insert with {{ tracking_url("Name") }}."""
from flask import abort, flash, redirect, url_for

from webapp.common.pages import render
from webapp.compose import bp, service
from webapp.compose.forms import TrackingUrlForm
from webapp.compose.models import TrackingUrl
from webapp.extensions import db


def _tracking_url(tracking_url_id):
    return db.session.get(TrackingUrl, tracking_url_id) or abort(404)


def _page(form=None, fragment="compose/_tracking_urls.html", status=200, editing=None):
    return render("compose/tracking_urls.html", fragment, status=status, rows=service.tracking_urls(),
                  form=form or TrackingUrlForm(formdata=None), editing=editing)


@bp.get("/tracking-urls")
def tracking_urls():
    return _page()


@bp.post("/tracking-urls")
def create_tracking_url():
    form = TrackingUrlForm()
    if not form.validate():
        return _page(form, "compose/_tracking_url_form.html", status=422)
    tracking_url = service.save_tracking_url(None, form.name.data, form.url.data)
    flash(f"Tracking URL “{tracking_url.name}” added. Paste its placeholder into a template.", "success")
    return redirect(url_for("compose.tracking_urls"), 303)


@bp.get("/tracking-urls/<int:tracking_url_id>")
def edit_tracking_url(tracking_url_id):
    tracking_url = _tracking_url(tracking_url_id)
    form = TrackingUrlForm(formdata=None, obj=tracking_url, tracking_url_id=tracking_url.id)
    return _page(form, "compose/_tracking_url_form.html", editing=tracking_url)


@bp.post("/tracking-urls/<int:tracking_url_id>")
def update_tracking_url(tracking_url_id):
    tracking_url = _tracking_url(tracking_url_id)
    form = TrackingUrlForm(tracking_url_id=tracking_url.id)
    if not form.validate():
        return _page(form, "compose/_tracking_url_form.html", status=422, editing=tracking_url)
    service.save_tracking_url(tracking_url, form.name.data, form.url.data)
    flash(f"Tracking URL “{tracking_url.name}” saved.", "success")
    return redirect(url_for("compose.tracking_urls"), 303)


@bp.delete("/tracking-urls/<int:tracking_url_id>")
def delete_tracking_url(tracking_url_id):
    service.delete_tracking_url(_tracking_url(tracking_url_id))
    return redirect(url_for("compose.tracking_urls"), 303)
