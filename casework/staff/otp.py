"""Optional two-factor sign-in for staff (TOTP with django-otp), required per group.

An administrator lists groups in ``OTP_REQUIRED_GROUPS`` (e.g. ``Decision-maker,Auditor``).
After the password, a member of such a group reaches no admin page until they have set up an
authenticator app (``/admin/otp/setup/``, a QR code) and typed its current code
(``/admin/otp/verify/``). Anyone who has set up a device is asked for a code too, required or
not (noted in the session at sign-in, so a page costs no extra query). A session that has not
given its code reaches no staff page at all (the admin, the API, the API's documentation, a
document download): only the sign-in, verify and setup pages and the public ones (the status
pages, the health check, static files). Session-authenticated API calls get 403 until
verified, and an API token for such a user is issued only with a current code in the token
request (``otp``, ``token_second_factor_error``): a password alone never gives a token that
can decide cases.

Backup codes (django-otp's static device, ``backup_codes``): a verified user generates ten,
each usable once instead of the app's code, shown once; generating a new set discards the old.
The admin's own login form stays the one Django ships, so django-axes still counts failures.
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from casework.staff.roles import role_names
from casework.staff.users import AnyUser, StaffRequest

EXEMPT_NAMES = frozenset(
    {"admin:login", "admin:logout", "admin:jsi18n", "otp-verify", "otp-setup"}
    # the public pages, which show nothing a session could add to
    | {"status", "healthz", "metrics", "set_language"}
)


def otp_required(user: AnyUser) -> bool:
    """Whether ``user`` must use a second factor: a member of a required group."""
    required = set(getattr(settings, "OTP_REQUIRED_GROUPS", []) or [])
    return bool(required & set(role_names(user)))


HAS_DEVICE_SESSION_KEY = "casework_otp_has_device"


@receiver(user_logged_in, dispatch_uid="casework.staff.otp.remember_device")
def _remember_device(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """Note at sign-in whether the user set up a device: one query per login, not per page."""
    if request is not None and hasattr(request, "session"):
        request.session[HAS_DEVICE_SESSION_KEY] = django_otp.user_has_device(user)


def _needs_verification(request: HttpRequest) -> str | None:
    """``"verify"``, ``"setup"`` or None for a signed-in staff user on a protected page."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return None
    if user.is_verified():  # type: ignore[attr-defined]  # added by django-otp's OTPMiddleware
        return None
    if not (request.session.get(HAS_DEVICE_SESSION_KEY) or otp_required(user)):
        return None
    return "verify" if django_otp.user_has_device(user) else "setup"


class StaffTwoFactorMiddleware:
    """Send staff who need a second factor to the verify (or setup) page before any page but
    the sign-in pages and the public ones.

    Installed after ``django_otp.middleware.OTPMiddleware``, which tells whether the session
    was verified with a device.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = _needs_verification(request)
        if step is not None and not self._exempt(request.path_info):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Two-factor verification required: sign in to the admin."},
                    status=403,
                )
            url = reverse(f"otp-{step}")
            return HttpResponseRedirect(f"{url}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _exempt(path_info: str) -> bool:
        """Whether the page is one an unverified session may see (resolved only for such a
        session, so other requests pay nothing)."""
        try:
            match = resolve(path_info)
        except Resolver404:
            return False
        return match.view_name in EXEMPT_NAMES


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_otp_token(self) -> str:
        return "".join(self.cleaned_data["otp_token"].split())


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("admin:index")


@never_cache
@staff_member_required
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current code of one of the user's devices."""
    if not django_otp.user_has_device(request.user):
        return HttpResponseRedirect(f"{reverse('otp-setup')}?next={_next(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = django_otp.match_token(request.user, form.cleaned_data["otp_token"])
        if device is not None:
            django_otp.login(request, device)
            return HttpResponseRedirect(_next(request))
        form.add_error("otp_token", _("That code is not valid. Codes change every 30 seconds."))
    return render(
        request,
        "casework/otp/verify.html",
        {"form": form, "next": _next(request), "title": _("Two-factor verification")},
    )


@never_cache
@staff_member_required
def setup(request: StaffRequest) -> HttpResponse:
    """Set up an authenticator app: a QR code (and the key to type), then a first code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if django_otp.user_has_device(request.user):
        return HttpResponseRedirect(f"{reverse('otp-verify')}?next={_next(request)}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            request.session[HAS_DEVICE_SESSION_KEY] = True
            return HttpResponseRedirect(_next(request))
        form.add_error("otp_token", _("That code is not valid. Check the time on your phone."))
    return render(
        request,
        "casework/otp/setup.html",
        {
            "form": form,
            "next": _next(request),
            "qr_svg": _qr_svg(device.config_url),
            "secret": b32encode(device.bin_key).decode(),
            "title": _("Set up two-factor sign-in"),
        },
    )


def _qr_svg(data: str) -> str:
    """An inline SVG QR code: no image request, no script, nothing for the CSP to allow."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


BACKUP_CODE_COUNT = 10


def user_has_app(user: User) -> bool:
    """Whether ``user`` has confirmed an authenticator app (a TOTP device)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_generate(user: User) -> list[str]:
    """A new set of ``BACKUP_CODE_COUNT`` one-time codes for ``user``, replacing any old set.

    django-otp's static device: each code is accepted once (wherever the app's code is
    asked: the verify page, the API's token request) and deleted when used. The codes are
    returned to be shown once; they cannot be displayed again, only replaced.
    """
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name="backup codes", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def backup_codes_left(user: User) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user).count()


@never_cache
@staff_member_required
def backup_codes(request: StaffRequest) -> HttpResponse:
    """Generate backup codes (POST) and show them this once; GET says how many are left.

    Only a session verified with the authenticator app (or a backup code) gets here: the
    middleware asks anyone with a device for a code before any page.
    """
    if not user_has_app(request.user):
        return HttpResponseRedirect(f"{reverse('otp-setup')}?next={reverse('otp-backup-codes')}")
    codes = backup_codes_generate(request.user) if request.method == "POST" else None
    return render(
        request,
        "casework/otp/backup_codes.html",
        {
            "codes": codes,
            "left": backup_codes_left(request.user),
            "title": _("Backup codes for two-factor sign-in"),
        },
    )


def token_second_factor_error(user: AnyUser, code: str) -> str | None:
    """Why an API token may not be issued to ``user`` with this ``code``, or None.

    A user who must use a second factor (a required group, or anyone who set up a device,
    as for the admin) gets a token only with a current code of one of their devices: the
    authenticator app's, or an unused backup code.
    """
    has_device = django_otp.user_has_device(user)
    if not (has_device or otp_required(user)):
        return None
    if not has_device:
        return str(
            _(
                "This account must use two-factor sign-in: set up an authenticator app in "
                "the admin first, then send its current code as otp."
            )
        )
    code = "".join(str(code or "").split())
    if not code:
        return str(
            _(
                "This account uses two-factor sign-in: send the current code from the "
                "authenticator app (or a backup code) as otp."
            )
        )
    if django_otp.match_token(user, code) is None:
        return str(_("That code is not valid. Codes change every 30 seconds."))
    return None
