"""How mass emails use a template's versions, for compose's delete (compose.deletion.TEMPLATE_USES)."""
from sqlalchemy import exists, select

from webapp.compose.deletion import TemplateUse
from webapp.extensions import db
from webapp.sending.lifecycle import FINAL_STATES
from webapp.sending.models import MassEmail, Recipient


def template_use(versions):
    """The mass emails that sent or will send any of `versions` (a SELECT of version ids)."""
    users = db.session.execute(
        select(MassEmail.name, MassEmail.state).where(MassEmail.template_version_id.in_(versions))
        .order_by(MassEmail.created_at, MassEmail.id)
    ).all()
    # A drip switched to another template keeps the rows it sent stamped with these versions;
    # only drips stamp rows, so the claim index (mass_email_id first) finds them without a table scan.
    stamped = exists().where(Recipient.mass_email_id.in_(select(MassEmail.id).where(MassEmail.kind == "drip")),
                             Recipient.template_version_id.in_(versions))
    return TemplateUse(unfinished=[name for name, state in users if state not in FINAL_STATES],
                       used=bool(users) or bool(db.session.scalar(select(stamped))))
