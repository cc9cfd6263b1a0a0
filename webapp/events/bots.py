"""Likely Human or Likely Bot: the verdict on each open and click, and the rule that gave it.

Security scanners (Microsoft Defender, Mimecast, Barracuda...) fetch every image and follow
every link of a message the moment it arrives; privacy proxies (Gmail's and Yahoo's image
proxies) fetch images for the reader. Counting those as people makes every campaign look
engaged. The rules, in the order they are tried (the first that applies decides):

| rule                  | verdict | applies to                                                             |
| --------------------- | ------- | ---------------------------------------------------------------------- |
| machine_open          | bot     | an open the provider itself flags as machine-made (SendGrid sg_machine_open) |
| hidden_link           | bot     | a click on the link no person can see                                  |
| privacy_proxy         | proxy   | an open fetched by a mail provider's image proxy: counted, never human |
| scanner_user_agent    | bot     | a user agent crawlerdetect knows as a bot, scanner or prefetcher       |
| fast_open             | bot     | an open within N seconds of delivery (of sending, when delivery is unknown) |
| simultaneous_clicks   | bot     | clicks on different links of one message within N seconds of each other |
| (none)                | human   |                                                                        |

An admin adjusts them on the Bot rules page (AppSettings.bot_*); a change re-judges the stored
events (recompute.py). A recipient is Likely Human once any of its opens or clicks is human.
"""
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from crawlerdetect import CrawlerDetect

# Mail providers' image proxies, by the marker their user agent carries. Apple Mail Privacy
# Protection fetches through Apple's servers with a bare "Mozilla/5.0".
PROXY_MARKERS = ("GoogleImageProxy", "YahooMailProxy", "ggpht.com")
APPLE_PROXY_AGENT = "Mozilla/5.0"
# Mail clients crawlerdetect lists because the same programs also prefetch links: when they
# fetch the pixel, a person has the message open.
MAIL_CLIENT_OPENS = ("Microsoft Outlook", "Thunderbird")


@dataclass(frozen=True)
class Rules:
    open_seconds: int | None = 2
    click_seconds: int | None = 2
    scanner_agents: bool = True
    hidden_link: bool = True
    machine_opens: bool = True

    @classmethod
    def from_settings(cls, settings):
        return cls(settings.bot_open_seconds, settings.bot_click_seconds, settings.bot_scanner_agents,
                   settings.bot_hidden_link, settings.bot_machine_opens)


@dataclass(frozen=True)
class Judged:
    verdict: str  # human, bot or proxy
    rule: str | None = None


HUMAN = Judged("human")


@lru_cache(maxsize=4096)
def _known_bot(user_agent):
    return CrawlerDetect().isCrawler(user_agent)


def is_proxy(user_agent):
    agent = (user_agent or "").strip()
    return agent == APPLE_PROXY_AGENT or any(marker in agent for marker in PROXY_MARKERS)


def is_scanner(user_agent, kind):
    agent = (user_agent or "").strip()
    if not agent:
        return False
    if kind == "open" and any(client in agent for client in MAIL_CLIENT_OPENS):
        return False
    return _known_bot(agent)


def judge_open(event, received_at, rules):
    """`event` has occurred_at, user_agent and detail; `received_at` is delivery (or sending) time or None."""
    if rules.machine_opens and event.detail.get("machine_open"):
        return Judged("bot", "machine_open")
    if is_proxy(event.user_agent):
        return Judged("proxy", "privacy_proxy")
    if rules.scanner_agents and is_scanner(event.user_agent, "open"):
        return Judged("bot", "scanner_user_agent")
    if rules.open_seconds is not None and received_at is not None \
            and event.occurred_at - received_at <= timedelta(seconds=rules.open_seconds):
        return Judged("bot", "fast_open")
    return HUMAN


def judge_clicks(clicks, rules):
    """The verdicts of all of one recipient's clicks (any order), in their order."""
    window = timedelta(seconds=rules.click_seconds) if rules.click_seconds is not None else None
    return [_judge_click(click, clicks, window, rules) for click in clicks]


def _judge_click(click, clicks, window, rules):
    if rules.hidden_link and click.detail.get("hidden_link"):
        return Judged("bot", "hidden_link")
    if rules.scanner_agents and is_scanner(click.user_agent, "click"):
        return Judged("bot", "scanner_user_agent")
    if window is not None and any(other.link_index != click.link_index and abs(other.occurred_at - click.occurred_at) <= window
                                  for other in clicks):
        return Judged("bot", "simultaneous_clicks")
    return HUMAN
