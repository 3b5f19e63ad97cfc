"""Short random codes people read aloud or type: order, request and breach references."""

import secrets

# No look-alikes (0/O, 1/I/L): read over the phone, typed from paper.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def random_code(length: int = 8) -> str:
    """Random, so a reference tells nothing about volume or order of creation."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
