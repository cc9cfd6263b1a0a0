"""The report on a mass email's page: stat cards, sub-cards and the contact table, swapped in place; its CSV export."""
from flask import Response, abort, current_app, make_response, redirect, render_template, request, stream_with_context, url_for
from markupsafe import Markup

from webapp.common.pages import STOP_POLLING, render
from webapp.compose.service import message_settings
from webapp.compose.tokens import TrackingUrls
from webapp.extensions import db
from webapp.reports import bp, detail
from webapp.reports.detail_charts import engagement_chart, link_chart
from webapp.reports.export import export_lines
from webapp.sending.models import MassEmail
from webapp.settings.service import get_settings
from webapp.tracking.hits import signer


def _selection(args):
    try:
        return detail.Selection.parse(args)
    except detail.BadParameter as error:
        abort(400, str(error))


def _report_context(mass_email):
    selection = _selection(request.args)
    try:
        page = detail.contact_page(mass_email.id, selection, after=request.args.get("after"), before=request.args.get("before"))
    except detail.BadParameter as error:
        abort(400, str(error))
    urls = TrackingUrls(signer(), message_settings(get_settings(), current_app.config).site_url)
    return dict(mass_email=mass_email, selection=selection, page=page, view_url=urls.view_url,
                cards=detail.stat_cards(mass_email, selection), sub_cards=detail.sub_cards(mass_email, selection),
                drop_reasons=detail.drop_reasons(mass_email.id) if selection.card == "dropped" else [])


def report_section(mass_email, _args):
    """The header and report below a started mass email's progress (sending's PAGE_SECTIONS hook)."""
    lists, excluding = detail.target_lists(mass_email.id)
    return Markup(render_template("reports/_detail_section.html", lists=lists, excluding=excluding,
                                  inactive=detail.inactive_count(mass_email.id),
                                  sample_recipient_id=detail.first_sent_recipient_id(mass_email.id),
                                  **_report_context(mass_email)))


def _started(mass_email_id):
    mass_email = db.session.get(MassEmail, mass_email_id)
    if mass_email is None or mass_email.state == "draft":
        abort(404)
    return mass_email


@bp.get("/mass-emails/<int:mass_email_id>/report")
def report(mass_email_id):
    """The cards and table as an htmx fragment; the pushed URL is the page's, so a reload shows the whole page."""
    mass_email = _started(mass_email_id)
    if not request.htmx:
        return redirect(url_for("sending.mass_email", mass_email_id=mass_email_id, **request.args), 303)
    response = make_response(render_template("reports/_detail_report.html", **_report_context(mass_email)))
    # The address bar shows the page with this selection, so back, forward and reload keep it.
    response.headers["HX-Push-Url"] = url_for("sending.mass_email", mass_email_id=mass_email_id, **request.args)
    response.vary.add("HX-Request")
    return response


@bp.get("/mass-emails/<int:mass_email_id>/charts")
def charts(mass_email_id):
    """The charts, loaded after the page: they count every open and click, which the page need not wait for.
    Without script the page links here, and they come as a page of their own."""
    mass_email = _started(mass_email_id)
    return render("reports/charts.html", "reports/_detail_charts.html", mass_email=mass_email,
                           charts={kind: engagement_chart(mass_email.id, kind) for kind in ("open", "click")},
                           links=link_chart(mass_email.id))


@bp.get("/mass-emails/<int:mass_email_id>/export.csv")
def export(mass_email_id):
    mass_email = _started(mass_email_id)
    selection = _selection(request.args)
    filename = f"mass-email-{mass_email.id}-{selection.card}{'-' + selection.sub if selection.sub != 'all' else ''}.csv"
    return Response(stream_with_context(export_lines(mass_email.id, selection)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/mass-emails/<int:mass_email_id>/recipients/<int:recipient_id>")
def recipient_panel(mass_email_id, recipient_id):
    """The side panel of one row: its event history. It polls while open; 286 stops it once the status is final
    or the panel is closed (?closed=1 answers the empty panel)."""
    found = detail.recipient_history(mass_email_id, recipient_id)
    if found is None:
        abort(404)
    recipient, events = found
    closed = request.args.get("closed") == "1"
    final = closed or recipient.status in detail.FINAL_STATUSES
    return render_template("reports/_detail_panel.html", mass_email_id=mass_email_id, recipient=recipient, events=events,
                           final=final, closed=closed), STOP_POLLING if final and request.htmx else 200
