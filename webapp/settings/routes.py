from flask import current_app, flash, redirect, url_for

from webapp.common.access import admin_required
from webapp.common.pages import render, wants_fragment
from webapp.mail.imap import ImapFailure, check_connection, imap_config
from webapp.mail.smtp import SmtpFailure, send_test_email, smtp_config
from webapp.settings import bp
from webapp.settings.forms import SettingsForm, SmtpTestForm
from webapp.settings.service import dkim_dns_records, get_settings, update_settings


def _render(fragment, form=None, test_form=None, status=200, **context):
    """The settings page, or one of its fragments (the form, or the SMTP test result) for htmx."""
    settings = get_settings()
    return render(
        "settings/index.html", fragment, status=status,
        form=form or SettingsForm(formdata=None, obj=settings),
        test_form=test_form or SmtpTestForm(formdata=None),
        settings=settings, smtp=smtp_config(settings, current_app.config), dkim_records=dkim_dns_records(settings), **context,
    )


@bp.route("/", methods=["GET", "POST"])
@admin_required
def index():
    form = SettingsForm(obj=get_settings())
    if not form.is_submitted():
        return _render("settings/_form.html", form)
    if not form.validate():
        return _render("settings/_form.html", form, status=422)
    update_settings(form.values(), smtp_password=form.smtp_password.data, clear_smtp_password=form.clear_smtp_password.data,
                    dkim_private_key=form.dkim_key.data, clear_dkim_private_key=form.clear_dkim_key.data,
                    dkim_ed25519_private_key=form.dkim_ed25519_key.data,
                    clear_dkim_ed25519_private_key=form.clear_dkim_ed25519_key.data,
                    imap_password=form.imap_password.data, clear_imap_password=form.clear_imap_password.data)
    if wants_fragment():
        # Swapped in place, so the admin keeps their scroll position; the fragment shows the notice.
        return _render("settings/_form.html", saved=True)
    flash("Settings saved.", "success")
    return redirect(url_for("settings.index"), 303)


@bp.post("/smtp-test")
@admin_required
def smtp_test():
    """Send a test email through the saved SMTP settings and say what the server answered."""
    test_form = SmtpTestForm()
    if not test_form.validate():
        return _render("settings/_smtp_test.html", test_form=test_form, status=422)
    config = smtp_config(get_settings(), current_app.config)
    try:
        result, ok = send_test_email(config, test_form.recipient.data), True
    except SmtpFailure as failure:
        current_app.logger.warning("SMTP test to %s failed: %s", test_form.recipient.data, failure)
        result, ok = str(failure), False
    return _render("settings/_smtp_test.html", test_form=test_form, result=result, ok=ok)


@bp.post("/imap-test")
@admin_required
def imap_test():
    """Log in to the saved bounce mailbox and say what its folder holds, or why it could not."""
    config = imap_config(get_settings(), current_app.config.get("ALLOW_PRIVATE_SMTP", False))
    if config is None:
        return _render("settings/_imap_test.html", result="Enter the IMAP host and save first.", ok=False)
    try:
        result, ok = check_connection(config), True
    except ImapFailure as failure:
        current_app.logger.warning("IMAP test of %s failed: %s", config.address, failure)
        result, ok = str(failure), False
    return _render("settings/_imap_test.html", result=result, ok=ok)
