"""Security headers on every answer, by flask-talisman.

The policy fits htmx without any inline script (htmx.config.allowEval is off; behaviour beyond
htmx lives in static/*.js), allows inline style attributes (templates and emails use them),
frames only from our own origin (the template preview and the Outbox iframes), and no framing
of our pages by others. Pages that show marketer-written HTML (the preview, the Outbox message,
"view in browser") set a stricter sandboxed policy of their own with @talisman(...).
HSTS only in production, where HTTPS ends at the proxy or the app.
"""
from webapp.extensions import talisman

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "frame-src": "'self'",
    "frame-ancestors": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}
# For marketer-written HTML served from our origin: an opaque origin, no script, images from anywhere.
SANDBOXED_HTML = {"default-src": "'none'", "img-src": "* data:", "style-src": "'unsafe-inline'", "frame-ancestors": "'self'",
                  "sandbox": ""}
# The same for a recipient reading the message at its own URL, whose links must work.
SANDBOXED_MESSAGE = SANDBOXED_HTML | {"sandbox": "allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"}


def init_app(app):
    production = app.config.get("ENV_NAME") == "prod"
    talisman.init_app(
        app, content_security_policy=POLICY, force_https=False,  # a proxy in front redirects; ProxyFix reads its scheme
        strict_transport_security=production, session_cookie_secure=production, frame_options="SAMEORIGIN",
        referrer_policy="strict-origin-when-cross-origin", x_xss_protection=False,
    )
