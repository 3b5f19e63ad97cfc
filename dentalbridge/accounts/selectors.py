from dentalbridge.accounts.models import User


def visible_user(*, viewer, user_id) -> User | None:
    """The user ``user_id`` if ``viewer`` is that user or shares an organization with them."""
    if str(viewer.public_id) == str(user_id):
        return viewer
    shared = viewer.memberships.values("organization_id")
    return (
        User.objects.filter(public_id=user_id, memberships__organization_id__in=shared)
        .distinct()
        .first()
    )
