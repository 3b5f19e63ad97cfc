"""Authorization-matrix rows of accounts: our account pages, allauth's (sign-in, e-mail, password,
2FA, sessions) and me/.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from dentalbridge.accounts.services import api_token_create
from dentalbridge.organizations.models import Membership
from dentalbridge.privacy.principal import Principal
from tests.matrix import NA, Case, own, public


def own_token(w):
    owner = Principal(user=w.owner, membership=Membership.objects.get(user=w.owner))
    issued = api_token_create(actor=owner, name="matrix", valid_days=30)
    return {"token_id": issued.token.public_id}


ROWS: dict[str, Case] = {
    "accounts/profile/": own(),
    "accounts/photo/<uuid:user_id>/": Case(
        kwargs=lambda w: {"user_id": w.assistant.public_id},
        right=("owner", 404),  # same organization, but the assistant has no photo
        other=("other_owner", 404),
    ),
    "accounts/tokens/": Case(right=("owner", 200), wrong=NA("every member may hold tokens")),
    "accounts/tokens/<uuid:token_id>/revoke/": Case(
        method="post", kwargs=own_token, right=("owner", 302), other=("other_owner", 404)
    ),
    "accounts/login/": public(200, signed_in=302),
    "accounts/logout/": Case(right=("owner", 200), anon=302),
    "accounts/inactive/": public(),
    "accounts/signup/": public(200, signed_in=302),
    "accounts/reauthenticate/": own(),
    "accounts/email/": own(),
    "accounts/confirm-email/": public(),
    "accounts/password/change/": own(),
    "accounts/password/set/": own(302),
    "accounts/password/reset/": public(200, signed_in=200),
    "accounts/login/code/confirm/": public(302, signed_in=302),
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": Case(
        path=lambda w: "/accounts/confirm-email/not-a-real-key/", right=("owner", 200), anon=200
    ),
    "accounts/password/reset/key/done/": public(),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": Case(
        path=lambda w: "/accounts/password/reset/key/zz-not-a-key/",
        right=("owner", 200),
        anon=200,
    ),
    "accounts/password/reset/done/": public(),
    "accounts/2fa/": own(),
    "accounts/2fa/authenticate/": public(302, signed_in=302),
    "accounts/2fa/reauthenticate/": own(),
    "accounts/2fa/totp/activate/": own(302),
    "accounts/2fa/totp/deactivate/": own(302),
    "accounts/2fa/recovery-codes/": own(302),
    "accounts/2fa/recovery-codes/generate/": own(302),
    "accounts/2fa/recovery-codes/download/": own(302),
    "accounts/2fa/webauthn/": own(),
    "accounts/2fa/webauthn/add/": own(302),
    "accounts/2fa/webauthn/reauthenticate/": own(302),
    "accounts/2fa/webauthn/keys/<int:pk>/remove/": Case(
        kwargs=lambda w: {"pk": 999999}, right=("owner", 302)
    ),
    "accounts/2fa/webauthn/keys/<int:pk>/edit/": Case(
        kwargs=lambda w: {"pk": 999999}, right=("owner", 302)
    ),
    "accounts/sessions/": own(),
    "accounts/3rdparty/login/cancelled/": public(),
    "accounts/3rdparty/login/error/": public(401, signed_in=401),
    "accounts/3rdparty/signup/": public(302, signed_in=302),
    "accounts/3rdparty/": own(),
    # Legacy addresses: permanent redirects to accounts/3rdparty/…
    "accounts/social/login/cancelled/": public(301, signed_in=301),
    "accounts/social/login/error/": public(301, signed_in=301),
    "accounts/social/signup/": public(301, signed_in=301),
    "accounts/social/connections/": public(301, signed_in=301),
    "api/v1/me/": Case(api=True, right=("owner", 200), anon=401),
}
