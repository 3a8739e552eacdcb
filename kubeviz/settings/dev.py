"""Settings for ``make run``: the embedded default on one machine."""
from .base import *  # noqa: F401,F403
from .base import VAR_DIR

VAR_DIR.mkdir(exist_ok=True)
