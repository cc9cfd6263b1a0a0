"""A test client that behaves like our pages: it sends the CSRF token header htmx sends."""
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class MailroomClient(FlaskClient):
    def csrf_token(self, base_url="http://localhost/"):
        """A valid token for this client's session on that host, made the way Flask-WTF makes it."""
        raw = "test-csrf-raw-token"
        with self.session_transaction(base_url=base_url) as session:
            session["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def open(self, *args, csrf=True, htmx=False, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in SAFE_METHODS:
            headers.setdefault("X-CSRFToken", self.csrf_token(kwargs.get("base_url", "http://localhost/")))
        if htmx:
            headers["HX-Request"] = "true"
        return super().open(*args, headers=headers, **kwargs)

    def log_in(self, user_id):
        from webapp.auth.models import User
        from webapp.extensions import db

        from webapp.auth.sessions import open_session

        with self.application.app_context():
            user = db.session.get(User, user_id)
            open_session(user)
            session_id = user.get_id()
        with self.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
