"""Templates keep every sent version; tracking URLs have unique names."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.compose.models import Template, TemplateVersion, TrackingUrl
from webapp.extensions import db


def make_template(user_id=None, **fields):
    """A template with no version yet (unlike tests.factories.a_template): these tests take the snapshots."""
    values = dict(name="Winter sale", subject="Hi {{ contact.first_name }}", html="<p>Sale</p>",
                  from_name="Shop", from_email="shop@example.com", created_by_id=user_id)
    values.update(fields)
    template = Template(**values)
    db.session.add(template)
    db.session.flush()
    return template


def test_a_snapshot_records_what_the_template_said(ctx, marketer):
    template = make_template(marketer)
    first = template.snapshot()
    db.session.commit()
    assert (template.version, first.version, first.subject, first.text) == (1, 1, "Hi {{ contact.first_name }}", None)


def test_editing_after_a_send_keeps_the_sent_version_unchanged(ctx, marketer):
    template = make_template(marketer)
    sent = template.snapshot()
    db.session.commit()
    template.html = "<p>Bigger sale</p>"
    newer = template.snapshot()
    db.session.commit()
    assert (sent.version, newer.version, template.version) == (1, 2, 2)
    stored = db.session.scalars(select(TemplateVersion).order_by(TemplateVersion.version)).all()
    assert [version.html for version in stored] == ["<p>Sale</p>", "<p>Bigger sale</p>"]


def test_an_unchanged_template_reuses_its_latest_version(ctx):
    template = make_template()
    assert template.snapshot() is template.snapshot()
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(TemplateVersion)) == 1


def test_deleting_the_author_keeps_the_template(ctx, marketer):
    from webapp.auth.models import User

    template = make_template(marketer)
    db.session.commit()
    db.session.delete(db.session.get(User, marketer))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Template, template.id).created_by_id is None


def test_deleting_a_template_deletes_its_versions(ctx):
    template = make_template()
    template.snapshot()
    db.session.commit()
    db.session.delete(template)
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(TemplateVersion)) == 0


def test_tracking_url_names_are_unique(ctx):
    db.session.add(TrackingUrl(name="Pricing", url="https://example.com/pricing"))
    db.session.commit()
    db.session.add(TrackingUrl(name="Pricing", url="https://example.com/other"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
