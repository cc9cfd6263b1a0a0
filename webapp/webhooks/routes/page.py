"""The Webhooks settings page: each provider's URL to paste, and its secret."""
from flask import current_app

from webapp.common.access import admin_required
from webapp.common.pages import render
from webapp.settings.service import get_settings
from webapp.webhooks import bp
from webapp.webhooks.forms import WebhooksForm
from webapp.webhooks.secrets import from_environment, secrets, update_secrets


def _page(form, status=200, saved=False):
    settings = get_settings()
    return render("webhooks/index.html", "webhooks/_form.html", status=status, form=form, saved=saved, settings=settings,
                  site_url=settings.site_url.rstrip("/"), configured=secrets(settings, current_app.config).configured(),
                  from_env=from_environment(current_app.config))


@bp.route("/settings/webhooks", methods=["GET", "POST"])
@admin_required
def settings_page():
    form = WebhooksForm(obj=get_settings())
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, status=422)
    update_secrets(form.values(), clear=form.cleared())
    return _page(WebhooksForm(formdata=None, obj=get_settings()), saved=True)
