"""DKIM signatures (dkimpy) over the headers receivers and RFC 8058 care about."""
from dataclasses import dataclass

import dkim

# RFC 8058 requires List-Unsubscribe and List-Unsubscribe-Post to be signed for one-click.
# Headers a message lacks (Reply-To) are signed too: "oversigning" stops anyone adding them later.
SIGNED_HEADERS = (
    b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Unsubscribe", b"List-Unsubscribe-Post",
    b"MIME-Version", b"Content-Type", b"Reply-To", b"List-Id",
)


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    private_key_pem: bytes

    def sign(self, message):
        """The DKIM-Signature header line (with CRLF) for the message bytes; prepend it."""
        return dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        )
