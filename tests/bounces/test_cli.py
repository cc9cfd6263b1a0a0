"""`flask bounces parse FILE` reads and prints JSON, changing nothing; `flask bounces ingest FILE` applies."""
import json

from tests.bounces.helpers import a_sent_recipient, sample, use_bounce_address
from webapp.extensions import db
from webapp.sending.models import Recipient


def test_parse_prints_the_report_and_changes_nothing(ctx, runner, tmp_path):
    use_bounce_address()
    recipient = a_sent_recipient()
    path = tmp_path / "bounce.eml"
    path.write_bytes(sample("postfix.eml", recipient))
    result = runner.invoke(args=["bounces", "parse", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"kind": "dsn", "complaint": False, "bounces": [{
        "address": "gone@example.org", "kind": "hard", "status": "5.1.1", "action": "failed",
        "diagnostic": "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
        "recipient_id": recipient.id}]}
    db.session.expire_all()
    assert db.session.get(Recipient, recipient.id).status == "sent"


def test_ingest_applies_the_report(ctx, runner, tmp_path):
    use_bounce_address()
    recipient = a_sent_recipient("ann@yahoo.com")
    path = tmp_path / "complaint.eml"
    path.write_bytes(sample("arf.eml", recipient))
    result = runner.invoke(args=["bounces", "ingest", str(path)])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert (output["kind"], output["complaint"], output["stored"]) == ("arf", True, 1)
    db.session.expire_all()
    assert db.session.get(Recipient, recipient.id).complained_at is not None
