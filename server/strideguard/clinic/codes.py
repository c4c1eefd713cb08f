"""Invitation codes (PURE): made, typed back, and hashed for storage.

A code is 12 characters of Crockford's base32 (60 random bits), shown as ``K7QX-M2PD-9FTB``
so a runner can read it out over the phone. Typing is forgiving: case, spaces and dashes
do not matter, and the letters people confuse with digits (O, I, L) count as 0 and 1.
Only ``code_hash`` — HMAC-SHA256 keyed with the server's secret — is stored, so a copy of
the database alone cannot be searched for codes, however short they are.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
GROUP = 4
_CONFUSED = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t")


def new_code() -> str:
    """A fresh random code in its canonical form (12 characters, no dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """``K7QXM2PD9FTB`` -> ``K7QX-M2PD-9FTB``."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def canonical(typed: str) -> str | None:
    """The canonical code for what someone typed, or ``None`` when it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 64:
        return None
    code = typed.upper().translate(_IGNORED).translate(_CONFUSED)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def code_hash(code: str, key: str | bytes) -> str:
    """The stored form of a canonical code: HMAC-SHA256 with the server's secret, hex."""
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, b"strideguard-invitation:" + code.encode(), hashlib.sha256).hexdigest()
