"""Who may change a mass email: everyone sees them all (the Account scope), but only its owner
or an admin starts, pauses, resumes, cancels, edits or resends it."""

NOT_YOURS = "Only the person who created this mass email, or an admin, can change it."


def may_change(mass_email, user_id, is_admin):
    return is_admin or (mass_email.owner_id is not None and mass_email.owner_id == user_id)
