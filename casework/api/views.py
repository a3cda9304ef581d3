"""Casework endpoints of the REST API."""

from rest_framework.authtoken.views import ObtainAuthToken


class ObtainTokenView(ObtainAuthToken):
    """``POST username, password`` -> ``{"token": "…"}``; send it as ``Authorization: Token …``."""
