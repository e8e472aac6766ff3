"""Password hashing: argon2id via argon2-cffi. Only the PHC hash string is ever stored."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8

# The library's defaults follow RFC 9106's second recommendation (64 MiB, 3 passes); the hash
# string records the parameters, so raising them later still verifies old hashes.
_hasher = PasswordHasher()


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Replace the hasher (tests use cheap parameters); returns the previous one."""
    global _hasher
    previous, _hasher = _hasher, hasher
    dummy_hash.cache_clear()
    return previous


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for a wrong or unreadable hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """Verified against when the username does not exist, so a failed sign-in takes the same
    time whether or not the account exists (no username probing by timing). Made on first use:
    a hash costs about half a second, too much for every CLI start."""
    return _hasher.hash("jinpai-no-such-user")
