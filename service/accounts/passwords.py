"""Password hashing with argon2id (argon2-cffi, RFC 9106 parameters).

Why argon2id: memory-hard, so a stolen ``staff_user`` table is expensive to attack on GPUs; the parameters
live in each PHC string, and ``needs_rehash`` upgrades old hashes at the next sign-in.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy() -> str:
    return _HASHER.hash("not a password: compared when the email is unknown")


def verify(stored: str | None, password: str) -> bool:
    """True if ``password`` matches; with ``stored`` None it still spends one verification, so an unknown
    email takes as long as a wrong password and timing does not tell which accounts exist."""
    try:
        return _HASHER.verify(stored or _dummy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
