"""Authorization-matrix rows of core: the dashboard, the health check, the language switch.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from tests.matrix import NA, NOT_TENANT, Case

ROWS: dict[str, Case] = {
    "": Case(right=("owner", 302), other=NOT_TENANT),
    "healthz": Case(right=("owner", 200), anon=200, other=NA("not tenant data")),
    "i18n/setlang/": Case(
        method="post", data=lambda w: {"language": "nl"}, right=("owner", 302), anon=302
    ),
}
