"""Production settings seen from outside: HTTPS only, HSTS, secure cookies, the strict policy.

``manage.py check --deploy`` itself runs in tests/test_foundation.py; here a fresh interpreter
with ``DJANGO_ENV=production`` answers real requests through Django's test client, so the
test sees the headers and cookies a browser would get behind the TLS-terminating proxy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings, setup_test_environment

setup_test_environment()
client = Client(HTTP_HOST="casework.example.org")
https = {"HTTP_X_FORWARDED_PROTO": "https"}
result = {}
plain = client.get("/status/")
result["http"] = [plain.status_code, plain.get("Location")]
# No collectstatic has run here, so the static manifest is empty: the error pages must not
# depend on it (they link their stylesheet by its plain name).
missing = client.get("/no-such-page/", **https)
result["missing"] = [missing.status_code, "Page not found" in missing.content.decode()]
result["hsts"] = missing.get("Strict-Transport-Security")
result["csp"] = missing.get("Content-Security-Policy")
# The pages that use the manifest need collectstatic, which a deployment runs; here the
# plain storage stands in for it, so the sign-in page can set its cookies.
plain_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain_storage}).enable()
page = client.get("/admin/login/", **https)
cookie = page.cookies["csrftoken"]
result["login"] = page.status_code
result["csrf_cookie"] = {"secure": bool(cookie["secure"]), "samesite": cookie["samesite"]}
result["session_cookie"] = {
    "secure": settings.SESSION_COOKIE_SECURE,
    "httponly": settings.SESSION_COOKIE_HTTPONLY,
}
result["debug"] = settings.DEBUG
print(json.dumps(result))
"""


def test_production_serves_https_only_with_hsts_secure_cookies_and_the_strict_policy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20 + "production-secret-key-for-the-probe-0123456789",
        "ALLOWED_HOSTS": "casework.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["http"] == [301, "https://casework.example.org/status/"]
    assert seen["missing"] == [404, True]
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "style-src 'self'" in seen["csp"] and "unsafe-inline" not in seen["csp"]
    assert seen["login"] == 200
    assert seen["csrf_cookie"] == {"secure": True, "samesite": "Lax"}
    assert seen["session_cookie"] == {"secure": True, "httponly": True}
    assert seen["debug"] is False
