"""Authorization-matrix rows of api: the OpenAPI document and its docs page.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from tests.matrix import NOT_TENANT, Case

ROWS: dict[str, Case] = {
    "api/v1/openapi.json": Case(api=True, right=("owner", 200), anon=200, other=NOT_TENANT),
    "api/v1/docs/": Case(right=("owner", 200), anon=200, other=NOT_TENANT),
}
