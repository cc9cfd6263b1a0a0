"""What the public endpoints do, as plain functions: read a token, record the event, find the link."""
from dataclasses import dataclass

from flask import current_app
from webapp.common.queues import redis_connection
from webapp.compose.models import TemplateVersion
from webapp.compose.rendering import TemplateProblems
from webapp.compose.service import compile_version
from webapp.compose.tokens import TokenSigner, read_click_token, read_open_token
from webapp.events import stream
from webapp.events.ingest import Incoming
from webapp.extensions import db
from webapp.settings.service import get_settings

# The smallest transparent GIF.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
# A version's link table, kept in Redis so a click costs no template compile. Short-lived: a
# tracking URL's destination may be edited, and the next compile sees the edit.
LINKS_KEY = "mailroom:links:{}"
LINKS_SECONDS = 600


def signer():
    """One TokenSigner per app: its keys are derived once."""
    found = current_app.extensions.get("token_signer")
    if found is None:
        found = current_app.extensions["token_signer"] = TokenSigner(current_app.config["SECRET_KEY"])
    return found


@dataclass(frozen=True)
class Hit:
    at: object
    ip: str | None
    user_agent: str | None


def record_open(token, hit):
    """Queue the open of a valid pixel token; False for anything else. No database work."""
    recipient_id = read_open_token(signer(), token)
    if recipient_id is None:
        return False
    stream.publish(redis_connection(), Incoming("open", hit.at, "pixel", recipient_id, ip=hit.ip, user_agent=hit.user_agent))
    return True


@dataclass(frozen=True)
class Link:
    destination: str
    hidden: bool  # the trap no person can see: answered, never redirected


def record_click(token, hit):
    """The Link of a valid click token, its click queued; None for anything not ours."""
    ids = read_click_token(signer(), token)
    if ids is None:
        return None
    recipient_id, version_id, link_index = ids
    link = _link(version_id, link_index)
    if link is None:
        return None
    stream.publish(redis_connection(), Incoming("click", hit.at, "redirect", recipient_id, link_index=link_index,
                                                url=link.destination or None, ip=hit.ip, user_agent=hit.user_agent,
                                                detail={"hidden_link": True} if link.hidden else {}))
    return link


def _link(version_id, link_index):
    redis = redis_connection()
    key = LINKS_KEY.format(version_id)
    cached = redis.hget(key, str(link_index))
    if cached is None:
        table = _link_table(version_id)
        if table:
            redis.hset(key, mapping=table)
            redis.expire(key, LINKS_SECONDS)
        cached = table.get(str(link_index))
        if cached is None:
            return None
    cached = cached.decode() if isinstance(cached, bytes) else cached
    return Link(cached[1:], cached[0] == "h")


def _link_table(version_id):
    """{index: "h" or "v" + destination} of a version, as sending compiled it."""
    version = db.session.get(TemplateVersion, version_id)
    if version is None:
        return {}
    try:
        compiled = compile_version(version, get_settings(), click_tracking=True)
    except TemplateProblems:  # say, a tracking URL it names was deleted since: that link is gone
        return {}
    return {str(link.index): ("h" if link.hidden else "v") + link.destination for link in compiled.links}
