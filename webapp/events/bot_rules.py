"""The Bot rules page: the rules that judge opens and clicks, what each decides, and re-judging."""
from webapp.common.access import admin_required
from webapp.common.pages import STOP_POLLING, render, wants_fragment
from webapp.events import bp, recompute
from webapp.events.forms import BotRulesForm
from webapp.settings.service import get_settings, update_bot_rules


def _page(form, status=200, notice=None):
    return render("events/bot_rules.html", "events/_bot_rules.html", status=status, form=form, notice=notice,
                  flagged=recompute.flagged_by_rule(), rejudging=recompute.progress())


@bp.route("/settings/bot-rules", methods=["GET", "POST"])
@admin_required
def bot_rules():
    form = BotRulesForm(obj=get_settings())
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, status=422)
    if update_bot_rules(form.values()):
        recompute.start()
        return _page(form, notice="Saved. Stored opens and clicks are being judged again by the new rules.")
    return _page(form, notice="Saved. The rules are as they were.")


@bp.get("/settings/bot-rules/progress")
@admin_required
def rejudging():
    progress = recompute.progress()
    status = STOP_POLLING if wants_fragment() and (progress is None or progress["finished_at"]) else 200
    return render("events/bot_rules.html", "events/_rejudging.html", status=status, form=BotRulesForm(obj=get_settings()),
                  flagged=recompute.flagged_by_rule(), rejudging=progress)
