"""The RSA key the local simulators sign their tokens with: one per process, made when first asked for.

A 2048-bit key takes 50 to 500 ms to generate, and a certification starts a simulator per feed (the
fault matrix, hundreds). A simulator's key has only to be kept from its clients, which fetch its
public half (a JWKS) or are handed it; the forged tokens the suites send are signed with keys of
their own making.
"""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives.asymmetric import rsa


@cache
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
