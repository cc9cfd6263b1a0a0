from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from webapp.audience import bp
from webapp.audience.contacts import (
    DEFAULT_DIRECTION, DEFAULT_SORT, SORTS, contact_page, contact_timeline, delete_contact, get_contact,
    suppressions_for, update_contact,
)
from webapp.audience.activity import inactivity
from webapp.audience.export import export_rows
from webapp.audience.filters import ContactFilter
from webapp.audience.forms import ContactFilterForm, ContactForm
from webapp.audience.list_forms import SegmentForm
from webapp.audience.segments import create_segment
from webapp.audience.models import CONTACT_STATUSES
from webapp.common.clock import utcnow
from webapp.common.pages import render, wants_fragment
from webapp.settings.service import get_settings


def _listing_args():
    """The search, filter and order from the query string, as the table links pass them on."""
    form = ContactFilterForm(formdata=request.args)
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else DEFAULT_SORT
    direction = request.args.get("dir") if request.args.get("dir") in ("asc", "desc") else DEFAULT_DIRECTION
    status = form.status.data if form.status.data in CONTACT_STATUSES else ""
    args = {"q": (form.q.data or "").strip(), "status": status, "sort": sort, "dir": direction}
    return form, {key: value for key, value in args.items() if value}


def _contact_or_404(contact_id):
    return get_contact(contact_id) or abort(404)


def _contacts_page(segment_form=None, status=200):
    form, args = _listing_args()
    listing = contact_page(args.get("q"), args.get("status"), args.get("sort", DEFAULT_SORT), args.get("dir", DEFAULT_DIRECTION),
                        after=request.args.get("after"), before=request.args.get("before"))
    return render("audience/contacts.html", "audience/_contacts_table.html", status=status, form=form, args=args, listing=listing,
                  sort=args.get("sort", DEFAULT_SORT), direction=args.get("dir", DEFAULT_DIRECTION),
                  segment_form=segment_form or SegmentForm(formdata=None))


@bp.get("/contacts")
def contacts():
    return _contacts_page()


@bp.post("/contacts/segment")
def save_segment():
    """“Save as segment”: the table's search and status become a segment's filter (it stays live)."""
    form = SegmentForm()
    if not form.validate():
        return _contacts_page(form, 422)
    contact_filter = ContactFilter.from_contact_table(form.q.data, form.status.data)
    problems = contact_filter.problems()
    if problems:
        abort(400, "The search cannot be saved as a segment: " + "; ".join(problems.values()))
    segment = create_segment(form.name.data, form.description.data, contact_filter, created_by_id=current_user.id)
    flash(f"Segment “{segment.name}” saved: its members are whoever matches the filter when you look or send.", "success")
    return redirect(url_for("audience.list_detail", list_id=segment.id), 303)


@bp.get("/contacts/export.csv")
def contacts_export():
    _, args = _listing_args()
    response = Response(stream_with_context(export_rows(args.get("q"), args.get("status"))), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=contacts.csv"
    return response


@bp.get("/contacts/<int:contact_id>")
def contact(contact_id):
    contact = _contact_or_404(contact_id)
    return render_template("audience/contact.html", contact=contact, timeline=contact_timeline(contact),
                           suppressions=suppressions_for(contact),
                           inactive=inactivity(contact, utcnow(), get_settings().inactivity_days))


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(contact_id):
    contact = _contact_or_404(contact_id)
    form = ContactForm(contact_id=contact.id) if request.method == "POST" else ContactForm.for_contact(contact)
    if form.validate_on_submit():
        update_contact(contact, email=form.email.data, first_name=form.first_name.data.strip(),
                       last_name=form.last_name.data.strip(), company=form.company.data.strip(),
                       status=form.status.data, custom_fields=form.custom_field_values())
        flash(f"Saved {contact.email}.", "success")
        return redirect(url_for("audience.contact", contact_id=contact.id), 303)
    status = 422 if form.errors else 200
    return render_template("audience/contact_edit.html", contact=contact, form=form), status


@bp.route("/contacts/<int:contact_id>/delete", methods=["POST", "DELETE"])
def contact_delete(contact_id):
    contact = _contact_or_404(contact_id)
    email = contact.email
    delete_contact(contact.id)
    flash(f"Deleted {email}.", "success")
    if wants_fragment():
        # htmx would follow a 303 inside the XHR and swap the list into this page; send the browser instead.
        return Response(status=204, headers={"HX-Redirect": url_for("audience.contacts")})
    return redirect(url_for("audience.contacts"), 303)
