"""Authorization-matrix rows of messaging: notifications, their preferences, product news.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from tests.matrix import Case, Others, own


def a_newsletter(w):
    from dentalbridge.messaging.models import Newsletter

    return {"newsletter_id": Newsletter.objects.create(subject="News", text="Hi").public_id}


def _unsubscribe_token(w):
    from dentalbridge.messaging.newsletters import unsubscribe_token

    return unsubscribe_token(w.owner)


# The platform's support staff: to its DPO and a practice owner the pages do not exist.
SUPPORT_ONLY = Others(wrong=("dpo", 404), other=("owner", 404))

ROWS: dict[str, Case] = {
    "accounts/notifications/": own(),
    "notifications/": own(),
    "notifications/read/": own(302, "post"),
    "newsletters/": Case.page(("support", 200), SUPPORT_ONLY),
    "newsletters/<uuid:newsletter_id>/send/": Case.post(
        ("support", 302), SUPPORT_ONLY, kwargs=a_newsletter
    ),
    "unsubscribe/<str:token>/": Case(
        method="post",
        kwargs=lambda w: {"token": _unsubscribe_token(w)},
        right=("owner", 200),
        anon=200,
    ),
}
