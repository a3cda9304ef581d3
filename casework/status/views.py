"""Applicant status pages: case reference plus date of birth, nothing in the URL.

The form is POSTed (CSRF-protected) and the answer rendered in the response: no case data
ever appears in a URL, a redirect target or the browser history, and the response is
``no-store`` so the back button on a shared phone shows nothing. Works without JavaScript.

Probing other people's cases is made useless four ways: a wrong reference and a wrong birth
date give the same page in the same time (``selectors.application_for_applicant``); lookups
are rate-limited per client address in the shared cache (Redis in production; fixed windows
counted with ``add`` and ``incr``); every try is logged (``StatusLookup``) without the birth
date; and one reference can be tried only slowly, in a way that cannot be turned against the
applicant:

- Someone holding a reference (a lost receipt, a photographed letter) and any number of
  addresses gets ``STATUS_REFERENCE_RATE_LIMIT`` tries at it (10 a year by default) from
  devices that have not opened the case before. A birth date known to the year (365
  possibilities) then takes them about 17 years on average, one in the whole range of a
  hundred years (36,500) some 1,800 years; figures in ``docs/reliability.md``.
- The applicant is never locked out by those tries: a device that has once opened the case
  (with the right birth date) keeps a signed cookie for it (``TRUSTED_DEVICE_COOKIE``, a keyed
  tag of the reference, nothing readable) and is not counted against the reference's budget,
  so their lookups go on working while the guesser's are refused. A right answer from a new
  device gives its try back. When the budget is spent the page says that lookups from new
  devices are paused for this case, says it is not the applicant's doing, and points to the
  reception centre's staff; the pause ends with the window.
- The caseworker sees it: the case page counts the unsuccessful lookups of the case's
  reference and says when new devices are paused, and the first refusal of a window writes a
  ``status_lookups_paused`` audit event on the case (``casework.status.alerts``).
"""

# i18n: applicant

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import time
from functools import lru_cache
from typing import Any

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_urlconf, translate_url
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_from_path, get_language_from_request
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from casework.core.cache import counter_cache, decr_counter, incr_counters
from casework.core.metrics import STATUS_LOOKUPS
from casework.core.replica import stale_reads
from casework.people.identity import parse_reference
from casework.status.alerts import reference_paused
from casework.status.languages import RTL_LANGUAGES, is_reviewed
from casework.status.models import QueueDay, StatusLookup, WaitingFigure
from casework.status.page import status_page_for
from casework.status.selectors import application_for_applicant

log = logging.getLogger(__name__)

# The status pages need no script at all, and no inline style: the strictest policy.
STATUS_CSP = {
    "default-src": ["'none'"],
    "script-src": ["'none'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'none'"],
    "connect-src": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

_DIGITS = {"inputmode": "numeric", "pattern": "[0-9]*"}


class LookupForm(forms.Form):
    """Reference and birth date. Day, month and year are three boxes: easier on a phone than
    a date picker, and readable by screen readers (GOV.UK "memorable date" pattern)."""

    reference = forms.CharField(
        label=_("Case reference"),
        max_length=40,
        error_messages={"required": _("Enter the case reference.")},
    )
    day = forms.CharField(label=_("Day"), max_length=2, required=False)
    month = forms.CharField(label=_("Month"), max_length=2, required=False)
    year = forms.CharField(label=_("Year"), max_length=4, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        parts = [str(data.get(name) or "").strip() for name in ("day", "month", "year")]
        if not all(parts):
            self.add_error(None, forms.ValidationError(_("Enter your date of birth.")))
            return data
        try:
            day, month, year = (int(p) for p in parts)
            data["date_of_birth"] = dt.date(year, month, day)
        except ValueError:
            self.add_error(
                None,
                forms.ValidationError(
                    _("This date does not exist. Check the day, month and year.")
                ),
            )
        return data


def client_ip(request: HttpRequest) -> str:
    """The client address as django-ratelimit sees it (``RATELIMIT_IP_META_KEY`` behind a
    proxy), so the log and the limit agree on who the client is."""
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    if callable(meta_key):
        return str(meta_key(request))
    return str(request.META.get(meta_key or "REMOTE_ADDR", "") or "")


def client_network(ip: str) -> str:
    """The address truncated to its network (/24 for IPv4, /48 for IPv6): enough to see
    abuse from one place, not enough to identify a household."""
    try:
        address = ipaddress.ip_address(ip.split(",")[0].strip())
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _keyed_hash(value: str, purpose: str) -> str:
    return salted_hmac(f"casework.status.{purpose}", value, algorithm="sha256").hexdigest()


def reference_hash(reference: str) -> str:
    """The keyed hash the lookup log stores instead of the reference."""
    return _keyed_hash(reference, "reference")


def reference_key(raw: str) -> str:
    """The reference as typed, canonicalised so 'abcd-efgh-jk' and 'ABCDEFGHJK' share a limit."""
    return parse_reference(raw) or "".join(raw.split()).upper()[:40]


ADDRESS = "casework.status.ip"
REFERENCE = "casework.status.reference"


def _limited(request: HttpRequest, reference: str) -> dict[str, int]:
    """Count this try against the client's budget and, when ``reference`` is given, the
    reference's; the budgets spent, each with its count (empty when the try may go on).

    If the shared cache (Redis) is unreachable, the page keeps working and the tries are
    counted in this process's memory instead (``_local_over``): applicants are not turned
    away because a counter store is down, and guessing stays limited (per process, so by at
    most the number of web processes). ``RATELIMIT_FAIL_OPEN = True`` stops counting instead.
    """
    checks = [(ADDRESS, settings.STATUS_RATE_LIMIT, client_ip(request) or "-")]
    if reference:
        checks.append((REFERENCE, settings.STATUS_REFERENCE_RATE_LIMIT, reference))
    try:
        return _counted_over(request, checks)
    except Exception:  # the cache (Redis) is down: never a 500 for the applicant
        log.warning(
            "status rate-limit cache unavailable; counting %s",
            "nothing (fail open)" if _fail_open() else "in this process",
        )
        return {} if _fail_open() else _local_over(checks)


def _give_back(reference: str) -> None:
    """Return a new device's try at ``reference`` after it found the case: the budget is
    for failures, and the applicant's own right answers must not spend it."""
    _limit, period = parse_rate(settings.STATUS_REFERENCE_RATE_LIMIT)
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    key = counter_key(REFERENCE, reference, period)
    redis = counter_cache(cache)
    try:
        if redis is not None:
            decr_counter(redis, key)  # one round trip; Django's decr takes two
        else:
            cache.decr(key)
    except Exception:  # expired, or the cache is down: the try stays counted, no harm
        log.info("status reference try not given back")


def _window_left(rate: str) -> int:
    """Seconds until the current window of ``rate`` ends (when a spent budget is renewed)."""
    _limit, period = parse_rate(rate)
    return max(1, int(period - time.time() % period))


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """A rate as the settings give it (django-ratelimit's notation): ``"5/m"``, ``"100/h"``,
    ``"10/5m"`` -> (tries allowed, window in seconds)."""
    count, per = rate.split("/")
    return int(count), int(per[:-1] or 1) * _UNITS[per[-1].lower()]


def counter_key(group: str, value: str, period: int, now: float | None = None) -> str:
    """The counter of ``value`` (an address, a reference) in ``group`` for the current fixed
    window of ``period`` seconds; hashed, so no reference or address is a key in the cache."""
    window = int((time.time() if now is None else now) // period)
    digest = hashlib.sha256(f"{group}:{value}".encode()).hexdigest()
    return f"casework.status.limit:{window}:{digest}"


def _counted_over(request: HttpRequest, checks: list[tuple[str, str, str]]) -> dict[str, int]:
    """Count the try in the shared cache; the groups whose budget is spent, with their count.

    Our own fixed-window counters on Django's cache: ``add`` (zero, with the window's
    timeout) then ``incr``. On Redis both counters go in one round trip
    (``casework.core.cache.incr_counters``, the same two steps in a pipeline, on the keys
    Django's own ``get``/``incr`` read); other caches take them one by one.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return {}
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    limits, counters = [], []
    for group, rate, value in checks:
        limit, period = parse_rate(rate)
        counters.append((counter_key(group, value, period), period + 1))
        limits.append(limit)
    redis = counter_cache(cache)
    if redis is not None:
        counts = incr_counters(redis, counters)
    else:
        counts = []
        for key, timeout in counters:
            cache.add(key, 0, timeout=timeout)
            try:
                counts.append(cache.incr(key))
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=timeout)
                counts.append(1)
    return {
        group: count
        for (group, _rate, _value), count, limit in zip(checks, counts, limits, strict=True)
        if count > limit
    }


def usage(group: str, rate: str, value: str) -> int:
    """How many tries ``value`` has made in ``group`` in the current window (0 if none)."""
    _limit, period = parse_rate(rate)
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    return int(cache.get(counter_key(group, value, period)) or 0)


_local_counts = LocMemCache("casework-status-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})


def _local_over(checks: list[tuple[str, str, str]]) -> dict[str, int]:
    """The same limits, counted in this process while the shared cache is down."""
    over = {}
    for group, rate, value in checks:
        limit, period = parse_rate(rate)
        key = counter_key(group, value, period)
        _local_counts.add(key, 0, timeout=period)
        try:
            count = _local_counts.incr(key)
        except ValueError:  # expired between add and incr
            _local_counts.set(key, 1, timeout=period)
            count = 1
        if count > limit:
            over[group] = count
    return over


def _fail_open() -> bool:
    return bool(getattr(settings, "RATELIMIT_FAIL_OPEN", False))


def _lookup_row(
    request: HttpRequest, *, outcome: str = "", reference: str = "", date_of_birth: Any = None
) -> StatusLookup:
    """The log row of this try (unsaved): nothing in it identifies the visitor or the case."""
    return StatusLookup(
        client_network=client_network(client_ip(request)),
        reference_hash=reference_hash(reference) if reference else "",
        birth_date_hmac=(
            _keyed_hash(date_of_birth.isoformat(), "birth_date") if date_of_birth else ""
        ),
        outcome=outcome,
        language=get_language() or "",
    )


def _log(request: HttpRequest, *, outcome: str, reference: str = "") -> None:
    _lookup_row(request, outcome=outcome, reference=reference).save(force_insert=True)
    STATUS_LOOKUPS.labels(outcome=outcome).inc()


@lru_cache(maxsize=64)
def _in_default_language(path: str, urlconf: Any) -> str:
    """``path`` in the default language. Resolving and reversing it took 165 µs on every
    lookup, for a handful of paths (one per language) that never change;
    ``urlconf`` is only part of the cache key (a request may set its own URLconf)."""
    return translate_url(path, settings.LANGUAGE_CODE)


@lru_cache(maxsize=64)
def _language_buttons(current: str, languages: tuple[tuple[str, str], ...]) -> SafeString:
    """The picker's buttons, each language named in itself, built once per current language:
    they are the same for every applicant, and as a template loop they were half of the
    variables rendered on every lookup."""
    return format_html_join(
        "\n",
        '<li><button type="submit" name="language" value="{0}" lang="{0}" dir="{1}"{2}>'
        "{3}</button></li>",
        (
            (
                code,
                "rtl" if code in RTL_LANGUAGES else "ltr",
                mark_safe(' aria-current="true"') if code == current else "",  # nosec B308 B703
                name,
            )
            for code, name in languages
        ),
    )


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    language = get_language()
    return {
        "translation_reviewed": is_reviewed(language),
        "language_buttons": _language_buttons(language, tuple(settings.LANGUAGES)),
        "status_path": request.path,
        # The picker's "next": the page in the default language, which Django's set_language
        # can translate into any other (it resolves "next" in the default language).
        "picker_next": _in_default_language(request.path, get_urlconf()),
        **extra,
    }


def _unprefixed_redirect(request: HttpRequest) -> HttpResponse | None:
    """On /status/ (no language prefix) send a visitor to their language's page, chosen by
    the language cookie (the picker) or else the first supported ``Accept-Language``."""
    if get_language_from_path(request.path_info):
        return None
    preferred = get_language_from_request(request, check_path=False)
    if preferred and preferred != settings.LANGUAGE_CODE:
        return HttpResponseRedirect(translate_url(request.path, preferred))
    return None


@never_cache
@vary_on_headers("Accept-Language", "Cookie")
@csp_replace(STATUS_CSP)
@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    """Show an applicant where their case stands, after they prove who they are."""
    if request.method == "GET":
        redirect = _unprefixed_redirect(request)
        if redirect is not None:
            return redirect
        return render(request, "casework/status/lookup.html", _context(request, form=LookupForm()))

    reference = reference_key(str(request.POST.get("reference", "")))
    form = LookupForm(request.POST)
    valid = form.is_valid()
    # Only a well-formed try from a device that has not opened this case spends the
    # reference's budget: the applicant's own devices are never paused by others' guesses.
    counted = reference if valid and parse_reference(reference) else ""
    if counted and device_trusted(request, counted):
        counted = ""
    over = _limited(request, counted)
    if over:
        _log(request, outcome=StatusLookup.Outcome.LIMITED, reference=reference)
        if ADDRESS in over:
            response = render(
                request, "casework/status/limited.html", _context(request), status=429
            )
            response["Retry-After"] = str(_window_left(settings.STATUS_RATE_LIMIT))
            return response
        return _paused(request, reference, over[REFERENCE])

    if not valid:
        _log(request, outcome=StatusLookup.Outcome.INVALID, reference=reference)
        return render(request, "casework/status/lookup.html", _context(request, form=form))

    date_of_birth = form.cleaned_data["date_of_birth"]
    now = timezone.now()
    # The selector writes the log row (found or not) with the same statement.
    application = application_for_applicant(
        reference=form.cleaned_data["reference"],
        date_of_birth=date_of_birth,
        now=now,
        log=_lookup_row(request, reference=reference, date_of_birth=date_of_birth),
    )
    found = StatusLookup.Outcome.FOUND if application else StatusLookup.Outcome.NOT_FOUND
    STATUS_LOOKUPS.labels(outcome=found).inc()
    if application is None:
        return render(
            request,
            "casework/status/lookup.html",
            _context(
                request,
                form=LookupForm(initial={"reference": form.cleaned_data["reference"]}),
                not_found=True,
            ),
        )
    if counted:
        _give_back(counted)
    # On PostgreSQL the lookup's statement above also read the shared figures (on the
    # primary, with the case and the try's log row); elsewhere they are read here, and may
    # come from a replica.
    with stale_reads(WaitingFigure, QueueDay):
        page = status_page_for(application=application, now=now)
    response = render(request, "casework/status/result.html", _context(request, page=page))
    trust_device(request, response, reference)
    return response


def _paused(request: HttpRequest, reference: str, count: int) -> HttpResponse:
    """The answer while a reference's budget for new devices is spent: what is paused, until
    when, that it is not the applicant's doing, and where to get help. The first refusal of
    a window tells the caseworker (an audit event on the case)."""
    limit, _period = parse_rate(settings.STATUS_REFERENCE_RATE_LIMIT)
    if count == limit + 1:
        reference_paused(reference=reference, tries=limit)
    seconds = _window_left(settings.STATUS_REFERENCE_RATE_LIMIT)
    resume = timezone.localdate(timezone.now() + dt.timedelta(seconds=seconds))
    response = render(
        request, "casework/status/paused.html", _context(request, resume=resume), status=429
    )
    response["Retry-After"] = str(seconds)
    return response


# --- Devices that have opened a case -----------------------------------------------------

TRUSTED_DEVICE_COOKIE = "casework_status_device"
TRUSTED_DEVICE_DAYS = 400  # the longest a browser keeps a cookie (Chrome's cap)
_TRUSTED_DEVICE_CASES = 12  # a family's phone may open each member's case
_TRUSTED_SALT = "casework.status.device"


def _device_tag(reference: str) -> str:
    """A keyed tag of the reference: the cookie says "this device opened case X" only to
    someone holding the secret key."""
    return _keyed_hash(reference, "device")[:24]


def _trusted_tags(request: HttpRequest) -> list[str]:
    raw = request.COOKIES.get(TRUSTED_DEVICE_COOKIE)
    if not raw:
        return []
    try:
        tags = signing.loads(raw, salt=_TRUSTED_SALT, max_age=TRUSTED_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def device_trusted(request: HttpRequest, reference: str) -> bool:
    """Whether this device has opened the case of ``reference`` (right birth date) before."""
    return _device_tag(reference) in _trusted_tags(request)


def trust_device(request: HttpRequest, response: HttpResponse, reference: str) -> None:
    """Remember on the device that it opened this case: a signed, HttpOnly cookie holding
    keyed tags of the last few references it opened, renewed with every success."""
    tag = _device_tag(reference)
    tags = [tag, *(t for t in _trusted_tags(request) if t != tag)][:_TRUSTED_DEVICE_CASES]
    response.set_cookie(
        TRUSTED_DEVICE_COOKIE,
        signing.dumps(tags, salt=_TRUSTED_SALT),
        max_age=TRUSTED_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
