from dentalbridge.privacy.policy import ROLE_PERMISSIONS


def principal(request):
    """The acting principal, the user's memberships (for the switcher) and ``can``: the names of
    the permissions the active role holds, so templates show only what the role may use."""
    if not hasattr(request, "principal"):
        return {}
    principal = request.principal
    role = principal.role if principal.is_authenticated else None
    can = {str(perm) for perm in ROLE_PERMISSIONS.get(role, ())}
    unread = 0
    if principal.is_authenticated:
        from dentalbridge.messaging.notifications import unread_count

        unread = unread_count(principal.user)
    return {
        "principal": principal,
        "my_memberships": request.memberships,
        "can": can,
        "unread_notifications": unread,
    }
