"""WSGI entry point for the benchmark's gunicorn (bench settings, bench URLconf)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
application = get_wsgi_application()
