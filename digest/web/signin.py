"""The sign-in form's protections: a CSRF token tied to a sign-in cookie (a page elsewhere cannot post a sign-in), and
a plain-http page of an https site told why signing in cannot work there (its Secure session cookie would be dropped).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from digest.review.signing import csrf_token
from digest.web.context import WebContext, context_of, render

log = logging.getLogger("digest.web.review")  # the sign-in's lines, beside the rest of review's

# The sign-in form's own CSRF cookie: a random value its token is tied to, so that a page elsewhere cannot post a
# sign-in (the maintainer signed in with its author's token, or locked out by wrong ones counted against their address).
SIGNIN_COOKIE = "digest_signin"
# The whole site: the form is rendered on /review, /history and the 403 pages of a POST, not on /review/signin alone,
# and a cookie those pages were never sent made each of them set a new one, so a second tab spoiled the first's form.
SIGNIN_COOKIE_PATH = "/"
_SIGNIN_NONCE = re.compile(r"[A-Za-z0-9_-]{22}")
FOREIGN_SIGNIN = (
    "Not signed in: this sign-in did not come from this site's own form (or the form is older than your browser's "
    "cookie for it), so the token was not even checked. Enter the admin token here again."
)


# web.base_url is https, so the cookies are Secure, and a browser keeps them only over https.
HTTP_SIGNIN = (
    "Not signed in: this page was opened over plain http, and this site signs in only over https (its address is "
    "{review}): a browser keeps the session cookie only there. Open {review} and sign in there."
)
HTTPS_ONLY = "If this page's address starts with http://, open {review} instead: signing in works only over https."


def _plain_http_origin(request: web.Request) -> str | None:
    """The page's origin when the browser says (its Origin header) the form was on a plain http page while web.base_url
    is https; else None (behind a proxy that ends TLS, the service itself is reached over http either way). Browsers
    keep Secure cookies on http://localhost, so a page there is let be."""
    origin = request.headers.get("Origin", "")
    if not context_of(request).secure_cookies or not origin.lower().startswith("http://"):
        return None
    try:
        host = urlsplit(origin).hostname or ""
    except ValueError:
        return origin
    return None if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost") else origin


def _signin_csrf(context: WebContext, nonce: str) -> str:
    return csrf_token(context.secret_key, "signin|" + nonce)  # "|" is in no session cookie: the tokens never match


def signin_page(request: web.Request, *, status: int = 200, error: str | None = None, **values: Any) -> web.Response:
    """The sign-in form, its CSRF token tied to the sign-in cookie: the browser's own when it has one (a second tab's
    form does not spoil the first's), else a new one set here."""
    context = context_of(request)
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    fresh = not _SIGNIN_NONCE.fullmatch(nonce)
    if fresh:
        nonce = secrets.token_urlsafe(16)
    response = render(request, "signin.html", status=status, error=error, csrf=_signin_csrf(context, nonce), **values)
    if fresh:
        response.set_cookie(
            SIGNIN_COOKIE, nonce, path=SIGNIN_COOKIE_PATH, httponly=True, samesite="Lax", secure=context.secure_cookies
        )
    return response


def _signin_genuine(request: web.Request, form: dict[str, str]) -> bool:
    """Whether the sign-in was posted by this site's form in this browser: its token matches the sign-in cookie."""
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    if not _SIGNIN_NONCE.fullmatch(nonce):
        return False
    expected = _signin_csrf(context_of(request), nonce)
    return hmac.compare_digest(expected.encode("ascii"), form.get("csrf", "").encode("utf-8"))


def refused_signin(request: web.Request, form: dict[str, str], address: str) -> str | None:
    """Why a posted sign-in is refused before its token is read (nor counted toward the lock-out), or None."""
    context = context_of(request)
    opened_at = _plain_http_origin(request)
    if opened_at is not None:
        # The session cookie would be Secure: a browser on http:// drops it, and the maintainer stays signed out.
        log.warning(
            "review: refused a sign-in from %s on a page opened at %s, over plain http, while web.base_url is %s: "
            "browsers keep the session cookie only over https; open the site at its https address, or set "
            "web.base_url to the address in use",
            address,
            opened_at,
            context.settings.web.base_url,
        )
        return HTTP_SIGNIN.format(review=context.url("/review"))
    if not _signin_genuine(request, form):
        # Refused before the throttle counts anything: a page elsewhere must not lock the maintainer out.
        log.info("review: refused a sign-in from %s that did not come from this site's form", address)
        if context.secure_cookies and SIGNIN_COOKIE not in request.cookies:  # as a browser on http:// drops it
            return FOREIGN_SIGNIN + " " + HTTPS_ONLY.format(review=context.url("/review"))
        return FOREIGN_SIGNIN
    return None
