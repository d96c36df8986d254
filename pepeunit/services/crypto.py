"""Secrets at rest (AES-GCM) and password hashing (argon2id)."""
from __future__ import annotations

import base64
import os
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import CipherError, JSONDecodeError_

_hasher = PasswordHasher()
_CODE_ALPHABET = string.ascii_letters + string.digits


def encrypt(plaintext: str, key_b64: str, max_length: int) -> str:
    """``base64(nonce).base64(ciphertext||tag)``: Pepeunit v1.2's at-rest format."""
    if len(plaintext) > max_length:
        raise CipherError(
            f"The encryption content is {len(plaintext)} long, although only <= {max_length} is allowed"
        )
    nonce = os.urandom(12)
    sealed = AESGCM(base64.b64decode(key_b64)).encrypt(nonce, plaintext.encode("utf-8"), None)
    return base64.b64encode(nonce).decode() + "." + base64.b64encode(sealed).decode()


def decrypt(token: str, key_b64: str, what: str = "Cipher") -> str:
    try:
        nonce_b64, sealed_b64 = token.split(".")
        nonce, sealed = base64.b64decode(nonce_b64), base64.b64decode(sealed_b64)
        return AESGCM(base64.b64decode(key_b64)).decrypt(nonce, sealed, None).decode("utf-8")
    except (ValueError, InvalidTag):
        raise JSONDecodeError_(f"Data {what} is invalid") from None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def random_code(length: int = 8) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def random_key_b64(size: int = 32) -> str:
    return base64.b64encode(os.urandom(size)).decode()
