import base64
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.webhooks.helpers import CERT_URL, SendGridKey
from webapp.webhooks.sns import string_to_sign


@pytest.fixture(scope="session")
def sendgrid_key():
    return SendGridKey()


class SnsSigner:
    """Signs SNS messages with a certificate of our own, served by a local HTTP server that stands in
    for sns.<region>.amazonaws.com; `fetched` lists the paths asked of it."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
                .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                .sign(self.key, hashes.SHA256()))
        self.pem = cert.public_bytes(serialization.Encoding.PEM)
        self.fetched = []

    def sign(self, message, version="2"):
        message = {**message, "SignatureVersion": version, "SigningCertURL": message.get("SigningCertURL", CERT_URL)}
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        message["Signature"] = base64.b64encode(self.key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)).decode()
        return message


@pytest.fixture(scope="session")
def sns_signer():
    signer = SnsSigner()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            signer.fetched.append(self.path)
            body = signer.pem if self.path.endswith(".pem") else b"<ConfirmSubscriptionResponse/>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    signer.base = f"http://127.0.0.1:{server.server_port}"
    yield signer
    server.shutdown()


@pytest.fixture
def sns(app, sns_signer, monkeypatch):
    """The app fetches Amazon's URLs (already checked) from the local stand-in."""
    def fetch(url):
        parts = urlsplit(url)
        with urllib.request.urlopen(sns_signer.base + parts.path + (f"?{parts.query}" if parts.query else ""), timeout=5) as answer:
            return answer.read()

    monkeypatch.setitem(app.config, "SNS_FETCH", fetch)
    app.extensions.pop("sns_certs", None)
    sns_signer.fetched.clear()
    return sns_signer
