"""Mass email pages (the list is the reports' listing): a new mass email, the confirm step of a draft, and live progress."""
from flask import abort, flash, make_response, redirect, request, url_for
from flask_login import current_user

from webapp.common.clock import utcnow
from webapp.common.filters import label
from webapp.common.hooks import Hooks
from webapp.common.pages import STOP_POLLING, render, safe_next, wants_fragment
from webapp.extensions import db
from webapp.sending import bp, lifecycle
from webapp.sending.forms import ConfirmForm, DripEditForm, MassEmailForm, audience_from
from webapp.sending.models import MassEmail
from webapp.sending.ownership import NOT_YOURS, may_change
from webapp.sending.progress import progress
from webapp.sending.sample import sample_subject
from webapp.sending.step import LEASE_SECONDS
from webapp.settings.service import get_settings


# The page of a started mass email shows what higher layers add below its progress (the report):
# each hook takes the mass email and the query args and returns HTML.
PAGE_SECTIONS = Hooks()


def _mass_email(mass_email_id):
    return db.session.get(MassEmail, mass_email_id) or abort(404)


def _changeable(mass_email_id):
    """The mass email, if the current user may change it; 403 for a marketer who does not own it."""
    mass_email = _mass_email(mass_email_id)
    if not may_change(mass_email, current_user.id, current_user.is_admin):
        abort(403, NOT_YOURS)
    return mass_email


def _may_change(mass_email):
    return may_change(mass_email, current_user.id, current_user.is_admin)


@bp.get("/mass-emails/new")
def new_mass_email():
    return render("sending/new.html", "sending/_form.html", form=MassEmailForm())


@bp.post("/mass-emails")
def create_mass_email():
    form = MassEmailForm()
    if not form.validate():
        return render("sending/new.html", "sending/_form.html", status=422, form=form)
    mass_email = lifecycle.create_draft(current_user.id, **form.draft_values())
    return redirect(url_for("sending.mass_email", mass_email_id=mass_email.id), 303)


@bp.post("/mass-emails/estimate")
def estimate_recipients():
    """The form's live recipient estimate, as lists are ticked (it writes nothing)."""
    audience = audience_from(request.form)
    return render("sending/_estimate.html", "sending/_estimate.html", audience=audience,
                  summary=lifecycle.estimate(audience, utcnow()))


@bp.route("/mass-emails/<int:mass_email_id>/edit-draft", methods=["GET", "POST"])
def edit_draft(mass_email_id):
    """A draft's (or a scheduled send's, until it starts) every choice, on the new mass email form."""
    mass_email = _changeable(mass_email_id)
    if mass_email.state not in lifecycle.EDITABLE_STATES:
        return _not_editable(mass_email)
    form = MassEmailForm(editing_id=mass_email_id)
    if request.method == "GET":
        form.load(mass_email)
    elif form.validate():
        try:
            lifecycle.update_draft(mass_email_id, **form.draft_values())
        except lifecycle.LifecycleError as error:
            return _not_editable(mass_email, str(error))
        flash("Saved. Check the recipients and the preflight again, then confirm.", "success")
        return redirect(url_for("sending.mass_email", mass_email_id=mass_email_id), 303)
    return render("sending/edit_draft.html", "sending/_form.html", status=422 if form.errors else 200,
                  form=form, mass_email=mass_email)


def _not_editable(mass_email, message=None):
    """409 with the reason: sending has started (maybe just now, by the clock or someone else)."""
    mass_email = db.session.get(MassEmail, mass_email.id, populate_existing=True)
    message = message or f"This mass email is {label(mass_email.state, 'mass_email_state')} already and can no longer be edited."
    return _progress(mass_email, notice=("error", message), status=409)


def _confirm(mass_email, form, status=200):
    now = utcnow()
    return render("sending/confirm.html", "sending/_confirm.html", status=status, mass_email=mass_email, form=form,
                  may_change=_may_change(mass_email), inactivity_days=get_settings().inactivity_days,
                  summary=lifecycle.dry_run_summary(mass_email.id, now), sample=sample_subject(mass_email),
                  schedules=mass_email.scheduled_at is not None and mass_email.scheduled_at > now)


def _progress(mass_email, notice=None, status=200):
    mass_email = db.session.get(MassEmail, mass_email.id, populate_existing=True)
    shown = progress(mass_email, utcnow())
    if wants_fragment() and request.method == "GET" and request.args.get("seen", shown.state) != shown.state:
        # The poll of a page drawn in another state: what that page shows below the progress (the recipients
        # being prepared, a send under way) is out of date, so the browser draws the page anew, once.
        response = make_response("", 200)
        response.headers["HX-Refresh"] = "true"
        return response
    if shown.final and wants_fragment() and status == 200:
        status = STOP_POLLING
    sections = [] if wants_fragment() else [section(mass_email, request.args) for section in PAGE_SECTIONS]
    return render("sending/detail.html", "sending/_progress.html", status=status, mass_email=mass_email,
                  progress=shown, notice=notice, lease_minutes=LEASE_SECONDS // 60, may_change=_may_change(mass_email),
                  sections=sections)


@bp.get("/mass-emails/<int:mass_email_id>")
def mass_email(mass_email_id):
    """A draft shows its confirm step; a started one its live progress (the fragment polls this URL)."""
    mass_email = _mass_email(mass_email_id)
    if mass_email.state == "draft":
        return _confirm(mass_email, ConfirmForm())
    return _progress(mass_email)


@bp.post("/mass-emails/<int:mass_email_id>/send")
def send_mass_email(mass_email_id):
    mass_email = _changeable(mass_email_id)
    form = ConfirmForm()
    if not form.validate():
        return _confirm(mass_email, form, status=422)
    try:
        if mass_email.scheduled_at is not None and mass_email.scheduled_at > utcnow():
            lifecycle.schedule_mass_email(mass_email_id, mass_email.scheduled_at)
            flash(f"Scheduled for {mass_email.scheduled_at:%Y-%m-%d %H:%M} UTC.", "success")
        else:
            started = lifecycle.start_mass_email(mass_email_id, utcnow())
            flash(f"The drip starts once its recipients are ready: {started.drip_schedule.describe()}."
                  if started.kind == "drip" else "Preparing the recipients; sending starts as soon as they are ready.", "success")
    except lifecycle.LifecycleError as error:
        flash(str(error), "error")
    return redirect(url_for("sending.mass_email", mass_email_id=mass_email_id), 303)


def _act(mass_email_id, action, notice):
    """Pause, resume or cancel from the progress fragment's buttons; answers with the fragment. A
    button elsewhere (the mass email list's rows) sends `next`, a path of ours: the outcome is then
    flashed and the answer redirects there (the list, or with htmx the row again)."""
    mass_email = _changeable(mass_email_id)
    next_url = safe_next(request.form.get("next"))
    try:
        outcome = ("success", notice(action()))
    except lifecycle.LifecycleError as error:
        outcome = ("error", str(error))
    if next_url:
        flash(outcome[1], outcome[0])
        return redirect(next_url, 303)
    return _progress(mass_email, notice=outcome, status=422 if outcome[0] == "error" else 200)


@bp.post("/mass-emails/<int:mass_email_id>/retry-start")
def retry_start(mass_email_id):
    return _act(mass_email_id, lambda: lifecycle.retry_start(mass_email_id), lambda _: "Preparing the recipients again.")


@bp.post("/mass-emails/<int:mass_email_id>/pause")
def pause_mass_email(mass_email_id):
    return _act(mass_email_id, lambda: lifecycle.pause_mass_email(mass_email_id),
                lambda _: "Paused. Batches already running stop at their next check (every 100 messages); resume to carry on.")


@bp.post("/mass-emails/<int:mass_email_id>/resume")
def resume_mass_email(mass_email_id):
    return _act(mass_email_id, lambda: lifecycle.resume_mass_email(mass_email_id, utcnow()), lambda _: "Sending again.")


@bp.post("/mass-emails/<int:mass_email_id>/cancel")
def cancel_mass_email(mass_email_id):
    return _act(mass_email_id, lambda: lifecycle.cancel_mass_email(mass_email_id, utcnow()),
                lambda unsent: f"Cancelled. {unsent:,} recipient{'' if unsent == 1 else 's'} still waiting will not be sent.")


@bp.post("/mass-emails/<int:mass_email_id>/restart")
def restart_mass_email(mass_email_id):
    return _act(mass_email_id, lambda: lifecycle.restart_mass_email(mass_email_id, utcnow()),
                lambda waiting: f"Sending to the {waiting:,} recipient{'' if waiting == 1 else 's'} not reached yet.")


@bp.route("/mass-emails/<int:mass_email_id>/edit", methods=["GET", "POST"])
def edit_drip(mass_email_id):
    """A drip's schedule and content; the change applies to the recipients not sent yet."""
    mass_email = _changeable(mass_email_id)
    if mass_email.kind != "drip":
        abort(404)
    form = DripEditForm()
    if request.method == "GET":
        form.fill_from(mass_email.drip_schedule)
        form.template_id.data = mass_email.template_version.template_id
    elif form.validate():
        try:
            lifecycle.edit_drip(mass_email_id, form.schedule(), form.template_id.data, utcnow())
        except lifecycle.LifecycleError as error:
            flash(str(error), "error")
        else:
            flash("Saved. Recipients not sent yet get the new schedule and content; those already sent keep theirs.", "success")
        return redirect(url_for("sending.mass_email", mass_email_id=mass_email_id), 303)
    return render("sending/edit_drip.html", "sending/_drip_edit_form.html", status=422 if form.errors else 200,
                  mass_email=mass_email, form=form)


@bp.post("/mass-emails/<int:mass_email_id>/resend-unconfirmed")
def resend_unconfirmed(mass_email_id):
    return _act(mass_email_id, lambda: lifecycle.resend_unconfirmed(mass_email_id, utcnow()),
                lambda count: f"{count:,} unconfirmed recipient{'' if count == 1 else 's'} will be sent again.")
