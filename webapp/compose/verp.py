"""VERP: the envelope sender names the recipient, so a bounce says whom it is about.

`bounces+<recipient id>-<mac>@domain`: the MAC (80 bits of keyed BLAKE2b, base32) makes a
forged bounce, one that would mark someone else's address as bounced, fail to verify.
Lower-case base32 because mail systems may change the case of a local part.
"""
import base64
import hashlib
import hmac
import re

from webapp.compose.tokens import derive_key

MAC_BYTES = 10  # 16 base32 characters; with the id, far below the 64-octet local part limit
MAX_LOCAL_PART = 64


class Verp:
    def __init__(self, secret_key, bounce_address):
        """`bounce_address` is the mailbox that receives bounces, e.g. bounces@mail.example.com."""
        local, _, self.domain = bounce_address.rpartition("@")
        if not local or not self.domain:
            raise ValueError(f"the bounce address {bounce_address!r} needs a local part and a domain")
        self.local = local
        self._mac = hashlib.blake2b(key=derive_key(secret_key, "verp"), digest_size=MAC_BYTES)
        self._pattern = re.compile(re.escape(local) + r"\+(\d{1,19})-([a-z2-7]{16})@" + re.escape(self.domain), re.I)

    def _sign(self, recipient_id):
        state = self._mac.copy()
        state.update(str(recipient_id).encode())
        return base64.b32encode(state.digest()).decode().lower()

    def envelope_sender(self, recipient_id):
        local = f"{self.local}+{recipient_id}-{self._sign(recipient_id)}"
        if len(local) > MAX_LOCAL_PART:
            raise ValueError(f"the bounce address local part {self.local!r} is too long for VERP")
        return f"{local}@{self.domain}"

    def recipient_id(self, address):
        """The recipient id in a bounce's To/envelope address, or None when it is not ours or forged."""
        match = self._pattern.fullmatch((address or "").strip().strip("<>"))
        if not match:
            return None
        recipient_id = int(match.group(1))
        return recipient_id if hmac.compare_digest(match.group(2).lower(), self._sign(recipient_id)) else None
