"""Bench-only settings: the product's settings plus the bare baseline views' URLconf.

Never used by the product. The rate limits of the status page and the API are lifted (a load
generator on loopback is one client), everything else is the product's configuration.
"""

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
DEBUG = False
STATUS_RATE_LIMIT = "100000000/s"
STATUS_REFERENCE_RATE_LIMIT = "100000000/s"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000000/s", "user": "100000000/s", "auth": "100000000/s"},
}
AXES_ENABLED = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
