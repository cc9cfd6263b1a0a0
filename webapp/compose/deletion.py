"""Deleting a template: removed when no mass email used it, archived when one sent it.

A mass email points at the TemplateVersion it sent, and a drip stamps each recipient with the
version it got; the reports show that content, so those versions must stay. Deleting such a
template archives it instead: it leaves the template list and the mass email pickers, its name
is free again, and its versions stay readable. A mass email not finished yet would still send
the template's content: then the delete is refused, naming those mass emails.
"""
from sqlalchemy import exists, select

from webapp.compose.models import Template, TemplateVersion
from webapp.extensions import db
from webapp.sending.lifecycle import FINAL_STATES
from webapp.sending.models import MassEmail, Recipient


class TemplateInUse(Exception):
    """The template is on mass emails still to be sent; `names` are theirs."""

    def __init__(self, names):
        self.names = names
        listed = ", ".join(f"“{name}”" for name in names)
        one = len(names) == 1
        super().__init__(f"Not deleted: the mass email{'' if one else 's'} {listed} {'has' if one else 'have'} not finished "
                         f"and will still send this template. Delete it once {'that mass email is' if one else 'they are'} "
                         "sent or cancelled.")


def delete_template(template: Template, now):
    """Delete or archive `template`; returns "deleted" or "archived", or raises TemplateInUse."""
    versions = select(TemplateVersion.id).where(TemplateVersion.template_id == template.id)
    users = db.session.execute(
        select(MassEmail.name, MassEmail.state).where(MassEmail.template_version_id.in_(versions))
        .order_by(MassEmail.created_at, MassEmail.id)
    ).all()
    unfinished = [name for name, state in users if state not in FINAL_STATES]
    if unfinished:
        raise TemplateInUse(unfinished)
    # A drip switched to another template keeps the rows it sent stamped with this one's versions;
    # only drips stamp rows, so the claim index (mass_email_id first) finds them without a table scan.
    stamped = exists().where(Recipient.mass_email_id.in_(select(MassEmail.id).where(MassEmail.kind == "drip")),
                             Recipient.template_version_id.in_(versions))
    if users or db.session.scalar(select(stamped)):
        template.archived_at = now
        outcome = "archived"
    else:
        db.session.delete(template)
        outcome = "deleted"
    db.session.commit()
    return outcome
