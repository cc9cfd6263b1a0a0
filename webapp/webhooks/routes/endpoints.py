"""The endpoints: raw body and headers to one service call; a refusal is a logged 4xx, never a page."""
import logging

from flask import current_app, jsonify, make_response, request

from webapp.common.access import public
from webapp.extensions import csrf
from webapp.settings.service import get_settings
from webapp.webhooks import bp, mailgun, postmark, sendgrid, ses
from webapp.webhooks.receive import Refused
from webapp.webhooks.secrets import secrets

log = logging.getLogger(__name__)


def _answer(provider, handle):
    try:
        result = handle(secrets(get_settings(), current_app.config))
    except Refused as refused:
        log.warning("%s webhook refused from %s: %s", provider, request.remote_addr, refused)
        response = make_response(f"{refused}\n", refused.status, {"Content-Type": "text/plain; charset=utf-8"})
        if refused.status == 401 and provider == "postmark":
            response.headers["WWW-Authenticate"] = 'Basic realm="webhooks"'
        return response
    if result is None:
        return jsonify(ok=True)
    return jsonify(stored=result.stored, repeats=result.repeats, unmatched=len(result.unmatched), waiting=len(result.waiting))


@bp.post("/webhooks/sendgrid")
@public
@csrf.exempt  # the signature is the authority
def sendgrid_events():
    return _answer("sendgrid", lambda keys: sendgrid.handle(
        keys.sendgrid_public_key, request.headers.get("X-Twilio-Email-Event-Webhook-Signature"),
        request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp"), request.get_data()))


@bp.post("/webhooks/mailgun")
@public
@csrf.exempt
def mailgun_events():
    return _answer("mailgun", lambda keys: mailgun.handle(keys.mailgun_signing_key, request.get_data()))


@bp.post("/webhooks/ses")
@public
@csrf.exempt
def ses_events():
    return _answer("ses", lambda keys: ses.handle(keys.ses_topic_arn, request.get_data()))


@bp.post("/webhooks/postmark")
@public
@csrf.exempt
def postmark_events():
    auth = request.authorization
    username, password = (auth.username, auth.password) if auth and auth.type == "basic" else (None, None)
    return _answer("postmark", lambda keys: postmark.handle(keys.postmark_webhook_token, username, password, request.get_data()))
