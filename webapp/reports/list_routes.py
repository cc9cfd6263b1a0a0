"""The Mass Emails list: scopes, sorting, filters and keyset pages swapped in place; hiding a row.
Pausing and resuming a drip from a row are sending's routes, which redirect back to the row."""
from flask import abort, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.common.pages import render, safe_next, wants_fragment
from webapp.extensions import db
from webapp.reports import bp, listing
from webapp.reports.keyset import BadParameter
from webapp.sending.models import MassEmail


@bp.get("/mass-emails")
def mass_emails():
    try:
        query = listing.ListQuery.parse(request.args)
        results = listing.list_page(current_user.id, current_user.is_admin, query,
                                 after=request.args.get("after"), before=request.args.get("before"))
    except BadParameter as error:
        abort(400, str(error))
    cursor = {key: request.args[key] for key in ("after", "before") if request.args.get(key)}
    list_url = url_for("reports.mass_emails", **query.args(**cursor))
    response = render("reports/mass_emails.html", "reports/_mass_emails.html", query=query, results=results, list_url=list_url,
                      campaigns=listing.campaigns(), scopes=listing.SCOPES,
                      hid_all=not results.rows and listing.hid_all(current_user.id, query.scope))
    if wants_fragment():  # the address bar gets the tidy URL of what is shown, not the form's every empty field
        response.headers["HX-Push-Url"] = list_url
    return response


def _list_url():
    """Where a row's plain (no script) forms come back to: the list page it was on."""
    return safe_next(request.values.get("next")) or url_for("reports.mass_emails")


def _row(mass_email_id, notices=()):
    row = listing.list_row(current_user.id, current_user.is_admin, mass_email_id)
    if row is None:
        abort(404)
    return render_template("reports/_mass_email_row.html", row=row, list_url=_list_url(), notices=notices)


@bp.get("/mass-emails/<int:mass_email_id>/list-row")
def list_row(mass_email_id):
    """One row again, with what was flashed about it (a drip paused from the list lands here)."""
    if not wants_fragment():
        return redirect(_list_url(), 303)
    return _row(mass_email_id, get_flashed_messages(with_categories=True))


def _hide_or_unhide(mass_email_id, change, done):
    mass_email = db.session.get(MassEmail, mass_email_id) or abort(404)
    change(current_user.id, mass_email_id)
    if not wants_fragment():
        flash(done.format(name=mass_email.name), "success")
        return redirect(_list_url(), 303)
    if request.form.get("answer") == "row":  # Undo: the row comes back where it was
        return _row(mass_email_id)
    return render_template("reports/_mass_email_hidden.html", mass_email=mass_email, list_url=_list_url(),
                           hidden=change is listing.hide)


@bp.post("/mass-emails/<int:mass_email_id>/hide")
def hide(mass_email_id):
    return _hide_or_unhide(mass_email_id, listing.hide, "Hid “{name}”: it is under My Hidden Mass Emails now.")


@bp.post("/mass-emails/<int:mass_email_id>/unhide")
def unhide(mass_email_id):
    return _hide_or_unhide(mass_email_id, listing.unhide, "“{name}” is back in your lists.")
