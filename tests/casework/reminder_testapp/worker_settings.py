"""Settings for the Celery worker the reminder tests start: the project's settings plus the
test channels, real mail written to files, and short timings (all from the environment)."""

import os

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.casework.reminder_testapp"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["REMINDER_TEST_OUTBOX"] + "/mail"
REMINDER_RETRY_BACKOFF = 1
REMINDER_RETRY_BACKOFF_MAX = 2
REMINDER_MAX_ATTEMPTS = int(os.environ.get("REMINDER_MAX_ATTEMPTS", "3"))
REMINDER_CLAIM_TIMEOUT = float(os.environ.get("REMINDER_CLAIM_TIMEOUT", "600"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
