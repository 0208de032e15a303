"""asyncssh, for the modules that speak SFTP (and only those import it).

Importing asyncssh makes `cryptography` warn that DSA is deprecated, because asyncssh still
offers DSA host keys. Nobody running payercert can act on that, so the import hides exactly that
warning class and nothing else.
"""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    import asyncssh

__all__ = ["asyncssh"]
