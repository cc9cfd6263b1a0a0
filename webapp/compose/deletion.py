"""Deleting a template: removed when nothing sent it, archived when something did.

A mass email points at the TemplateVersion it sent, and a drip stamps each recipient with the
version it got; the reports show that content, so those versions must stay. Deleting such a
template archives it instead: it leaves the template list and the mass email pickers, its name
is free again, and its versions stay readable. A send not finished yet would still send the
template's content: then the delete is refused, naming those sends.

Compose cannot import sending (sending is built on compose), so sending says how it uses a
template through TEMPLATE_USES.
"""
from dataclasses import dataclass

from sqlalchemy import select

from webapp.common.hooks import Hooks
from webapp.compose.models import Template, TemplateVersion
from webapp.extensions import db


@dataclass(frozen=True)
class TemplateUse:
    unfinished: list  # names of sends not finished yet that will still send these versions
    used: bool  # anything sent, or will send, these versions: they must be kept


# Each hook takes a SELECT of a template's version ids and returns a TemplateUse.
TEMPLATE_USES = Hooks()


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
    uses = [use(versions) for use in TEMPLATE_USES]
    unfinished = [name for use in uses for name in use.unfinished]
    if unfinished:
        raise TemplateInUse(unfinished)
    if any(use.used for use in uses):
        template.archived_at = now
        outcome = "archived"
    else:
        db.session.delete(template)
        outcome = "deleted"
    db.session.commit()
    return outcome
