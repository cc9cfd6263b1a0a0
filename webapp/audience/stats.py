"""Counts for the dashboard."""
from sqlalchemy import func, select

from webapp.audience.models import Contact, Suppression, TargetList
from webapp.extensions import db


def audience_overview():
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {
        "contacts": count(Contact),
        "active": db.session.scalar(select(func.count()).where(Contact.status == "active")),
        "lists": count(TargetList),
        "suppressions": count(Suppression),
    }
