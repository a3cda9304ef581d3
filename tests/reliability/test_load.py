"""Load: wrk against a real gunicorn (2 workers) with the demo data, mixed traffic, no errors.

Three kinds of users at once, as on a working day: caseworkers paging the admin case list
(session cookie), an API client reading applications (token), applicants looking up their
case on the status page (CSRF cookie and form). ``LOAD_SECONDS`` (default 10) bounds the run,
``LOAD_SCALE`` the demo data (default 0.1 of the source figures, about 3,800 cases; 1 for
the full set). Error rate must be 0; latency percentiles are printed for docs/reliability.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from casework.models import Application

from .conftest import gunicorn, status_form

pytestmark = [pytest.mark.fault, pytest.mark.services("postgres")]

SECONDS = int(os.environ.get("LOAD_SECONDS", "10"))
SCALE = os.environ.get("LOAD_SCALE", "0.1")


def _wrk() -> str:
    """wrk from Debian; installed on first use where apt-get may (CI runs as root)."""
    path = shutil.which("wrk")
    if path is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, timeout=300)
        path = shutil.which("wrk")
    if path is None:
        pytest.fail("wrk is not installed (Debian package wrk: apt-get install -y wrk)")
    return path


LUA = """
local kinds = {}
kinds[1] = {method = "GET", path = "/admin/casework/application/",
            headers = {["Cookie"] = "sessionid=%(sessionid)s"}}
kinds[2] = {method = "GET", path = "/api/v1/applications/?page_size=50",
            headers = {["Authorization"] = "Token %(token)s"}}
kinds[3] = {method = "POST", path = "/status/",
            headers = {["Cookie"] = "csrftoken=%(csrf)s",
                       ["Content-Type"] = "application/x-www-form-urlencoded",
                       ["Referer"] = "%(base)s/status/"},
            body = "%(status_body)s"}
kinds[4] = {method = "GET", path = "/api/v1/applications/%(app_id)s/",
            headers = {["Authorization"] = "Token %(token)s"}}
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
non200 = 0
local n = 0
request = function()
  n = n + 1
  local k = kinds[(n %% 4) + 1]
  return wrk.format(k.method, k.path, k.headers, k.body)
end
response = function(status, headers, body)
  -- 200 only: a 302 would be the admin sending us to its login page
  if status ~= 200 then non200 = non200 + 1 end
end
done = function(summary, latency, requests)
  for _, p in pairs({50, 90, 99}) do
    io.write(string.format("P%%d %%.1f ms\\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("MAX %%.1f ms\\n", latency.max / 1000))
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  io.write(string.format("NON200 %%d\\n", bad))
end
"""


@pytest.mark.django_db(transaction=True)
def test_mixed_load_on_gunicorn_has_no_errors(tmp_path):
    wrk = _wrk()
    call_command("seed_demo", scale=float(SCALE), verbosity=0)
    cases = Application.objects.count()
    assert cases > 100
    users = get_user_model().objects
    caseworker = users.get(username="caseworker")
    client = Client()
    client.force_login(caseworker)
    sessionid = client.cookies["sessionid"].value
    token = Token.objects.get_or_create(user=caseworker)[0].key
    app = Application.objects.select_related("person").filter(person__isnull=False).first()

    with gunicorn(tmp_path, WORKERS="2", THREADS="1", DB_CONN_MAX_AGE="600") as web:
        http = requests.Session()
        http.get(f"{web.base}/status/", timeout=10)
        csrf = http.cookies["csrftoken"]
        body = "&".join(f"{k}={v}" for k, v in status_form(app).items())
        script = tmp_path / "mixed.lua"
        script.write_text(
            textwrap.dedent(
                LUA
                % {
                    "sessionid": sessionid,
                    "token": token,
                    "csrf": csrf,
                    "base": web.base,
                    "status_body": f"{body}&csrfmiddlewaretoken={csrf}",
                    "app_id": app.pk,
                }
            )
        )
        # Warm up each kind once, and check it is the real page (not a login or error page).
        assert (
            http.get(
                f"{web.base}/admin/casework/application/",
                cookies={"sessionid": sessionid},
                allow_redirects=False,
                timeout=30,
            ).status_code
            == 200
        )
        done = subprocess.run(
            [
                wrk,
                "-t2",
                "-c8",
                f"-d{SECONDS}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                str(script),
                web.base,
            ],
            capture_output=True,
            text=True,
            timeout=SECONDS + 60,
        )
    out = done.stdout
    print(f"\nwrk, {SECONDS}s, 2 gunicorn workers, {cases} demo cases:\n{out}")
    assert done.returncode == 0, done.stderr
    total = int(re.search(r"(\d+) requests in", out).group(1))
    assert total > 4 * 10  # every kind many times
    assert "Non-2xx or 3xx responses" not in out, out
    assert "Socket errors" not in out, out
    assert re.search(r"P99 [\d.]+ ms", out)
    assert re.search(r"NON200 (\d+)", out).group(1) == "0", out
