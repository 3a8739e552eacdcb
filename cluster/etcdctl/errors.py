"""etcdctl's exit codes and the one error type the CLI raises.

The codes are etcdctl's (``ctlv3/command/error.go``): a server error exits 1,
a malformed command line 128, bad txn input 3, an unknown output format 4,
a watch the server cancelled 5.
"""
from __future__ import annotations

EXIT_SUCCESS = 0
EXIT_ERROR = 1
EXIT_BAD_CONNECTION = 2
EXIT_INVALID_INPUT = 3
EXIT_BAD_FEATURE = 4
EXIT_INTERRUPTED = 5
EXIT_IO = 6
EXIT_BAD_ARGS = 128


class CtlError(Exception):
    """Printed as ``Error: <message>`` on stderr; the process exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
