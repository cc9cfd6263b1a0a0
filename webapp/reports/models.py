from datetime import datetime

from sqlalchemy import ForeignKey, func
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class MassEmailHide(db.Model):
    """A mass email one user took off their lists (My and Account Mass Emails); it shows under
    My Hidden Mass Emails until they unhide it. Nobody else's lists change."""

    __tablename__ = "mass_email_hides"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mass_email_id: Mapped[int] = mapped_column(ForeignKey("mass_emails.id", ondelete="CASCADE"), primary_key=True, index=True)
    hidden_at: Mapped[datetime] = mapped_column(server_default=func.now())
