"""Settings for the test suite."""
from .base import *  # noqa: F401,F403
from .base import VAR_DIR

VAR_DIR.mkdir(exist_ok=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
