"""Settings for the test suite: the environment defaults of a test run, then the real settings."""

import os
from pathlib import Path

os.environ.setdefault("JINGZHI_ENV", "test")
os.environ.setdefault("JINGZHI_DATA_DIR", str(Path.cwd() / "var" / "test"))
os.environ.setdefault("JINGZHI_QUIET_DEV_KEYS", "1")

from jingzhi.settings import *  # noqa: F403

# Tests create many users; argon2 stays the production hasher, a fast one keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
