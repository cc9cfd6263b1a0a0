"""The Bot rules page's form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import NumberRange, Optional

from webapp.settings.service import BOT_RULE_FIELDS

_SECONDS = [Optional(), NumberRange(min=1, max=3600, message="Enter 1 to 3,600 seconds, or leave it empty to turn the rule off.")]


class BotRulesForm(FlaskForm):
    bot_open_seconds = IntegerField("An open this soon after delivery is a machine (seconds)", validators=_SECONDS)
    bot_click_seconds = IntegerField("Clicks on different links this close together are a machine (seconds)", validators=_SECONDS)
    bot_scanner_agents = BooleanField("Known scanners and prefetchers, by their user agent, are machines")
    bot_hidden_link = BooleanField("A click on the hidden link is a machine")
    bot_machine_opens = BooleanField("Opens the email provider flags as machine opens are machines")

    def values(self):
        return {name: getattr(self, name).data for name in BOT_RULE_FIELDS}
