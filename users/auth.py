"""Who is calling: the client address behind trusted proxies, password sign-in for people only,
API tokens that expire and whose failures are throttled."""

import copy
import datetime
import ipaddress
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.throttling import SimpleRateThrottle

from core.cache import count_hit
from core.response_cache import read_with_generation, request_generation
from core.response_cache import seconds as response_cache_seconds


def client_ip(request) -> str:
    """The client's address. Behind `TRUSTED_PROXIES` proxies (env DJANGO_TRUSTED_PROXIES), it is
    the entry that many places from the right of X-Forwarded-For: the address the outermost trusted
    proxy saw (what a client writes into the header itself lies further left and is ignored).
    Without trusted proxies, or when the header is short or not an address, REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXIES
    if count <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(chain) < count:
        return remote
    candidate = chain[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def axes_client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: the sign-in lockout is keyed on the real client, not the proxy."""
    return client_ip(request)


class PersonBackend(ModelBackend):
    """Password sign-in (pages and admin) for people only: a service account signs in to the API
    with a token and nowhere else, and a session it might hold no longer counts."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not getattr(user, "is_service_account", False)

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and not user.is_service_account else None


class FailedAuthThrottle(SimpleRateThrottle):
    """Counts failed token authentications per client address (DEFAULT_THROTTLE_RATES["failed_auth"])."""

    scope = "failed_auth"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}

    def over_limit(self, request) -> bool:
        self.key = self.get_cache_key(request)
        # with the data generation in the same round trip (core.response_cache): the token
        # lookup below and the kept list answer use it
        self.history = read_with_generation(request, [self.key]).get(self.key) or []
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self) -> None:
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (per user for browser sessions), DEFAULT_THROTTLE_RATES["token"].

    A counter per token over a window that opens with the token's first request (DRF's own
    throttle keeps, reads and writes back the time of every request in the window: 1,200
    timestamps a request at 1,200/min). A client may so send up to twice the rate across the
    end of one window and the start of the next."""

    scope = "token"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        count = count_hit(key, self.duration)
        return count is None or count <= self.num_requests  # None: the cache is down, let it pass

    def wait(self):
        return self.duration  # at most: the window opened at most this long ago

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None  # anonymous requests are refused before they cost anything
        ident = getattr(request.auth, "key", None) or f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


# token -> (data generation, monotonic time, user, token): a token's lookup, remembered while no
# write has happened anywhere (core.response_cache) and for at most RESPONSE_CACHE_SECONDS (a
# change made outside the application, in psql). Each request gets copies: one request's
# attributes on the user (its cached roles) never reach another's.
_TOKEN_MEMO: dict = {}
TOKEN_MEMO_SIZE = 1000


def _remembered_token(key: str, generation: str | None):
    if generation is None:
        return None
    entry = _TOKEN_MEMO.get(key)
    if entry is None or entry[0] != generation or time.monotonic() - entry[1] > response_cache_seconds():
        return None
    user, token = copy.copy(entry[2]), copy.copy(entry[3])
    token.user = user
    return user, token


def _remember_token(key: str, generation: str | None, user, token) -> None:
    if generation is None:
        return
    if len(_TOKEN_MEMO) >= TOKEN_MEMO_SIZE:
        _TOKEN_MEMO.clear()
    _TOKEN_MEMO[key] = (generation, time.monotonic(), copy.copy(user), copy.copy(token))


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`. A token expires TOKEN_TTL_DAYS after it was made (or last
    rotated in admin); a client that keeps sending bad tokens is throttled (429)."""

    def authenticate(self, request):
        self._generation_of = lambda: request_generation(request)
        if not request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token"):
            return None
        throttle = FailedAuthThrottle()
        if throttle.over_limit(request):
            raise exceptions.Throttled(wait=throttle.duration)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure()
            raise

    def authenticate_credentials(self, key):
        generation = self._generation_of() if hasattr(self, "_generation_of") else None
        remembered = _remembered_token(key, generation)
        if remembered is None:
            user, token = super().authenticate_credentials(key)
            _remember_token(key, generation, user, token)
        else:
            user, token = remembered
        if token.created < timezone.now() - datetime.timedelta(days=settings.TOKEN_TTL_DAYS):
            raise exceptions.AuthenticationFailed(_("Token has expired; ask an administrator for a new one."))
        return user, token
