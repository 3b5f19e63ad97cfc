"""A refused action shown as a message on the page a view redirects to.

Some pages (a button on a request, a hold on a patient's page) still answer a service's refusal
this way instead of letting it reach the one error path of pages (docs/contributors.md, "Errors on
pages"); new code lets the error through.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages

from dentalbridge.core.errors import DomainError


@contextmanager
def refusal_as_message(request, *errors: type[DomainError]) -> Iterator[None]:
    """Run the block; one of ``errors`` it raises becomes an error message instead. Put the
    success message last in the block: a refused action does not reach it."""
    try:
        yield
    except errors as error:
        messages.error(request, error.message)
