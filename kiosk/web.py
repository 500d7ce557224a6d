"""Request plumbing shared by every blueprint.

- htmx helpers (after django-htmx): is this an htmx request, ``Vary``, one
  page-or-fragment idiom, one answer helper (redirect, retarget, toast, client
  events) and refusals that htmx swaps where the user is looking;
- ``no-store`` for every blueprint that shows personal data (one declaration,
  one hook);
- access control: every view declares who may reach it (deny by default), the
  signed-in user is loaded once per request, and an idle kiosk locks itself;
- typed values of forms without a WTForms class read as meant (one reader,
  :mod:`kiosk.domain.typed`), record ids in URLs that the database can hold;
- error pages that speak the user's language instead of a bare 400/403/500.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
import unicodedata
from typing import Any, Callable, Mapping
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response as PlainResponse

from . import scope
from .database import why_not_saved
from .domain import roles as role_rules
from .domain import typed
from .extensions import db
from .i18n import now
from .models import OperatorSession, Property, User, utcnow
from .properties import services as properties

PUBLIC = "public"
ANY_USER = "any"

#: sign-ins, sign-outs, idle locks, wrong PINs, locks, unknown badges (never a PIN or a badge code)
auth_log = logging.getLogger("kiosk.auth")


# --- htmx helpers ---------------------------------------------------------

#: Where an htmx answer lands when it is not aimed at anything of the page's
#: own: the answer area of a station (a scan) or the toast slot in base.html.
SCAN_RESULT = "scan-result"
TOAST = "toast"


def page_arg() -> int:
    """The page of a long list the request asked for (``?page=``, kiosk.paging); 1 for anything
    that is not a page number."""
    return max(1, request.args.get("page", 1, type=typed.record_id) or 1)


def is_htmx() -> bool:
    """True for an htmx request, but not for a history restore (needs the full page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def htmx_answer(body: str = "", status: int = 200, *, retarget: str | None = None, reswap: str | None = None,
                replace_url: str | None = None, trigger: str | Mapping[str, Any] | None = None) -> Response:
    """An answer with its instructions for htmx, the one place those headers are written.

    ``retarget``/``reswap``: swap the body somewhere else than the element
    that asked (HX-Retarget, HX-Reswap); ``replace_url``: what a reload
    shows (HX-Replace-Url); ``trigger``: client events (HX-Trigger), a name
    or ``{name: detail}`` (sent as ASCII JSON: a header carries no Chinese).
    """
    response = Response(body, status)
    if retarget:
        response.headers["HX-Retarget"] = retarget
        response.headers["HX-Reswap"] = reswap or "outerHTML"
    elif reswap:
        response.headers["HX-Reswap"] = reswap
    if replace_url:
        response.headers["HX-Replace-Url"] = replace_url
    if trigger:
        response.headers["HX-Trigger"] = trigger if isinstance(trigger, str) else json.dumps(trigger)
    return response


def htmx_redirect(location: str) -> Response:
    """Redirect that works for both htmx (HX-Redirect) and plain requests."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location)


def toast(message: str, *, level: str = "error", status: int = 200,
          trigger: str | Mapping[str, Any] | None = None) -> Response:
    """A short notice in the page's toast slot (``#toast``), whatever the request aimed at."""
    html = render_template("errors/_toast.html", message=message, level=level)
    return htmx_answer(html, status, retarget=f"#{TOAST}", trigger=trigger)


def refuse(message: str, *, status: int, title: str | None = None,
           trigger: str | Mapping[str, Any] | None = None):
    """Nothing was done, and why, where the user is looking.

    htmx: a scan (aimed at ``#scan-result``) gets an error answer in the answer
    area, anything else a toast; either carries ``data-scan-result="error"``,
    so kiosk's scan.js swaps it although it is a 4xx and plays the error tone.
    A plain request gets the error page with the same status.
    """
    title = title or _("Not done")
    if is_htmx():
        if request.headers.get("HX-Target") == SCAN_RESULT:
            html = render_template("errors/_refusal.html", title=title, message=message)
            return htmx_answer(html, status, retarget=f"#{SCAN_RESULT}", trigger=trigger)
        return toast(message, status=status, trigger=trigger)
    return render_template("errors/message.html", title=title, message=message), status


def render_page_or_fragment(page: str | Callable[[str], Any], fragment: str | None = None, /, *,
                            html: str | None = None, oob: Callable[[], str] | None = None, **context):
    """One URL serves the full page or, for htmx, just the fragment the page shows.

    The usual case: ``page`` and ``fragment`` are templates rendered with the
    same ``context`` (the page includes the fragment). A scan station renders
    its answer first (``html``) and passes ``page`` as a function that builds
    the page around it, so the page's extras (the shift's log) are only read
    for a full page. ``oob``: pieces that only an htmx answer carries (panels
    swapped out of band next to the answer).
    """
    if fragment is not None:
        html = render_template(fragment, **context) if is_htmx() or callable(page) else None
    if is_htmx():
        return html + (oob() if oob is not None else "")
    if callable(page):
        return page(html)
    return render_template(page, **context)


# --- typed values without a WTForms form ------------------------------------

def typed_form(name: str, label: str, *, multiline: bool = False) -> str:
    """The text field ``name`` of this request's form, as meant (:func:`kiosk.domain.typed.text`).

    For the few fields a station posts without a form class (a defect's note,
    a spare's reason, the handover note). A refused value raises
    :class:`kiosk.domain.typed.FieldRefused` naming ``label`` (a msgid): the
    request is answered with the refusal where the user is looking, and
    nothing is saved.
    """
    try:
        return typed.text(request.form.get(name, ""), multiline=multiline)
    except typed.BadText as refused:
        raise typed.FieldRefused(label, refused) from None


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` in a URL: a record id the database can hold, else 404 (never an overflow)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", typed.MAX_INTEGER)
        super().__init__(map, *args, **kwargs)


# --- personal data ---------------------------------------------------------

def holds_personal_data(blueprint: Blueprint) -> Blueprint:
    """Declare that ``blueprint``'s answers show personal data: none is ever stored.

    The tablet is shared: names, phones, signatures and amounts must not stay
    in its cache or come back with the Back button (and a form served again
    gets a fresh request key). :func:`_no_store` applies it to every answer.
    """
    blueprint.holds_personal_data = True  # type: ignore[attr-defined]
    return blueprint


def _no_store(response: Response) -> Response:
    blueprint = current_app.blueprints.get(request.blueprint or "")
    if getattr(blueprint, "holds_personal_data", False):
        response.headers["Cache-Control"] = "no-store"
    return response


# --- security headers -----------------------------------------------------

#: Only this site's own files run or style a page: no inline script, handler or
#: style attribute, no eval (htmx runs with allowEval off, base.html), nothing
#: framed. ``data:``/``blob:`` images: the signature pad's drawing.
#: 'wasm-unsafe-eval': the camera's barcode decoder (zxing-wasm, vendored) compiles WebAssembly; no eval.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _security_headers(response: Response) -> Response:
    """Every answer (pages, fragments, error pages, static files, /healthz)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


# --- access control -------------------------------------------------------

def public(view: Callable) -> Callable:
    """Reachable without signing in (login page, health check)."""
    view._access = PUBLIC  # type: ignore[attr-defined]
    return view


def roles(*allowed: str) -> Callable[[Callable], Callable]:
    """Reachable by signed-in users with one of ``allowed`` roles ("any" = everyone).

    Pass a group of :mod:`kiosk.domain.roles` (``@roles(*COUNTER)``), so the route
    allows what the tile shows and the service accepts.
    """
    unknown = set(allowed) - set(role_rules.ROLES) - {ANY_USER}
    if unknown or not allowed:  # a typo would lock everyone out of the view, silently
        raise ValueError(f"unknown roles {sorted(unknown)}" if unknown else "roles() needs a role")

    def decorate(view: Callable) -> Callable:
        view._access = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def access_of(view: Callable | None):
    return getattr(view, "_access", None)


def current_user() -> User | None:
    return g.get("user")


def current_sign_in() -> int | None:
    """The id of this request's sign-in (``operator_sessions``): a shift's checks belong to it."""
    return g.get("sign_in_id")


def client_address() -> str:
    """The address a request came from: the direct peer (or, with KIOSK_TRUSTED_PROXIES, the
    address the trusted proxies name), for the sign-in throttle and the log."""
    return (request.remote_addr or "")[:64]


def safe_path(value: str | None, default: str | None) -> str | None:
    """``value`` when it is a path on this site, else ``default``: every ``next`` and return URL.

    Refused: anything not starting with one ``/`` (``//host`` is another
    site), a scheme or host, a backslash (browsers read it as ``/``), a
    control character (browsers drop a tab, so ``/\t/host`` is ``//host``),
    and the same once percent-decoded (``/%09/evil.example``).
    """
    if not value:
        return default
    root = request.script_root if has_request_context() else ""
    if root and value != root and not value.startswith(root + "/"):
        return default  # under KIOSK_URL_PREFIX: only a path under it is this kiosk's
    for candidate in (value, unquote(value)):
        if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
            return default
        if any(unicodedata.category(char).startswith("C") for char in candidate):
            return default
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return default
    return value


def here() -> str:
    """This request's path and query as the browser sees it (with ``KIOSK_URL_PREFIX`` in front):
    what a form's ``next`` carries, so coming back never leaves the kiosk's path."""
    return request.script_root + request.full_path.rstrip("?")


def _idle_limit_seconds() -> int:
    return int(current_app.config["KIOSK_IDLE_MINUTES"]) * 60


#: The person's last request is written into the session cookie ("seen") to within this many
#: seconds (a tenth of the idle limit when that is shorter): a cookie rewritten on every answer
#: is signed and sent again each time, for a lock counted in minutes. The server's lock may so
#: come that much before the limit after the last request; the screen's own lock (kiosk.js)
#: counts from the last touch, to the second.
SEEN_STEP_SECONDS = 30


def _note_seen(now: float) -> None:
    """The person is here: the idle limit counts from now (to within SEEN_STEP_SECONDS)."""
    if now - session.get("seen", 0) >= min(SEEN_STEP_SECONDS, _idle_limit_seconds() // 10):
        session["seen"] = int(now)


def return_path() -> str | None:
    """The page the person was on, for signing in again after a lock: never a blank page.

    A page's own GET is that page; an htmx request (a fragment, a scan, a
    form) comes from the page in the browser's address bar (HX-Current-URL);
    a plain POST has no page to come back to but home.
    """
    if is_htmx():
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        return safe_path(current.path + (f"?{current.query}" if current.query else ""), None)
    if request.method == "GET":
        return safe_path(here(), None)
    return None


def _lock_to_login(message: str) -> Response:
    _forget_session()
    flash(message, "warning")
    return htmx_redirect(url_for("auth.login", next=return_path()))


def enforce_access():
    """Before every request: deny by default, check the session and the role."""
    # A request shares ``g`` with an app context pushed around it (tests, CLI):
    # never let the previous request's user or CSRF token leak into this one.
    g.user = None
    g.sign_in_id = None
    g.property_name = None
    g.pop("csrf_token", None)
    scope.use(db.session, None)
    if request.endpoint is None:
        return None  # 404 follows
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    access = access_of(view)
    if access is None:
        current_app.logger.error("view %s declares no access rule", request.endpoint)
        return _forbidden()
    token = session.get(SESSION_TOKEN)
    if token is not None:
        now = time.time()
        if now - session.get("seen", 0) > _idle_limit_seconds():
            _end_session(token, "idle")
            return _lock_to_login(_("The kiosk locked itself after a period without use. Please sign in again."))
        user, began, sign_in_id, property_id = _session_user(token)
        if user is None:  # signed out, locked, or the PIN or role changed since: the cookie is spent
            return _lock_to_login(_("Please sign in."))
        if utcnow() - began > _session_lifetime():  # a shift at most, however busy: a copied cookie dies too
            _end_session(token, "expired")
            return _lock_to_login(_("You have been signed in for a whole shift. Please sign in again."))
        g.user, g.sign_in_id = user, sign_in_id
        scope.use(db.session, property_id)  # every query of this request: the sign-in's property
        # A background poll (htmx "every") must not keep an unattended kiosk open.
        if request.headers.get("X-Kiosk-Background") != "1":
            _note_seen(now)
    elif "user_id" in session:  # a cookie from before server-side sessions: not a sign-in any more
        return _lock_to_login(_("Please sign in."))
    else:
        scope.use(db.session, sign_in_property())
    if access == PUBLIC:
        return None
    if token is None:
        if request.endpoint == "main.home":
            return htmx_redirect(url_for("auth.login"))
        return _lock_to_login(_("Please sign in."))
    if g.user.must_change_pin:
        return _pin_change_due()
    if ANY_USER not in access and g.user.role not in access:
        return _forbidden()
    return None


#: what an operator whose PIN was set by someone else may still open (their new PIN, sign-out)
PIN_CHANGE_OPEN = frozenset({"operators.change_pin", "auth.logout"})


def _pin_change_due():
    """Every page leads to "choose your new PIN" until the operator has replaced a PIN
    someone else set (added, reset); the same after a badge sign-in."""
    if request.endpoint not in PIN_CHANGE_OPEN:
        return htmx_redirect(url_for("operators.change_pin"))
    return None


def _forbidden():
    return refuse(_("Your role may not open this screen. Ask a supervisor."), status=403, title=_("Not allowed"))


# --- sessions held on the server -------------------------------------------
#
# The cookie carries a random token, ``operator_sessions`` its SHA-256 (a copy
# of the database hands out no working cookie). A request finds its operator
# through the token in one query and writes nothing; sign-out, the idle lock
# and kiosk.auth.sessions.end_sessions (PIN, role or status changed) end the
# row, so a copied cookie stops working at once.

SESSION_TOKEN = "sid"

#: ``app.extensions`` key: what else happens when a sign-in ends here (sign-out, idle lock, a
#: shift's end), each ``hook(db_session, operator_session, reason)`` before the end is committed.
#: A blueprint adds its own (:func:`when_sign_in_ends`: the checklists record a closing check
#: not done), so this module imports none of them.
SIGN_IN_ENDS = "kiosk.sign_in_ends"


def when_sign_in_ends(app: Flask, hook: Callable[..., Any]) -> None:
    app.extensions.setdefault(SIGN_IN_ENDS, []).append(hook)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


#: The sign-in look-up every request makes, built once: building the select (and its cache key)
#: per request cost twice what running it does (~0.75 -> ~0.24 ms a request, SQLite).
_SESSION_USER = (
    select(User, OperatorSession.created_at, OperatorSession.id, OperatorSession.property_id, Property,
           select(func.count(Property.id)).scalar_subquery())
    .join(OperatorSession, OperatorSession.user_id == User.id)
    .join(Property, Property.id == OperatorSession.property_id)
    .where(OperatorSession.token_hash == bindparam("token_hash"), OperatorSession.ended_at.is_(None),
           User.active.is_(True)))


def _session_user(token: str) -> tuple[User | None, dt.datetime | None, int | None, int | None]:
    """The active operator this token signed in, while its session is open, when it began, its
    id and the property signed in to.

    The operator is the model (``current_user()``): views hand it to services, which record it
    on events and slips.
    """
    row = db.session.execute(_SESSION_USER, {"token_hash": _token_hash(str(token))}).first()
    if row is None:
        return None, None, None, None
    # The request's calendar, and the hotel's name in the top bar of a group's screens, without asking again.
    # (The property is now in the session: its own settings are read without asking again.)
    properties.remember(db.session, row[4])
    g.property_name = properties.label(row[4]) if row[5] > 1 else None
    return row[0], row[1], row[2], row[3]


def _session_lifetime() -> dt.timedelta:
    """The longest a sign-in lasts, idle or not (``KIOSK_SESSION_HOURS``, a shift)."""
    return dt.timedelta(hours=float(current_app.config["KIOSK_SESSION_HOURS"]))


def _end_session(token: str, reason: str) -> None:
    """End the token's session row (sign-out, idle lock) and log it, with the operator and address."""
    row = db.session.scalar(select(OperatorSession).where(
        OperatorSession.token_hash == _token_hash(str(token)), OperatorSession.ended_at.is_(None)))
    if row is None:
        return
    row.ended_at, row.ended_reason, user_id = utcnow(), reason, row.user_id
    db.session.flush()
    for hook in current_app.extensions.get(SIGN_IN_ENDS, ()):
        hook(db.session, row, reason)
    db.session.commit()
    what = "idle lock" if reason == "idle" else "sign-out"
    auth_log.info("%s: operator %s (client %s)", what, user_id, client_address() or "-")


def _forget_session() -> None:
    """A fresh cookie that keeps only the language and the property chosen at this kiosk."""
    kept = {key: session[key] for key in ("lang", CHOSEN_PROPERTY) if key in session}
    session.clear()
    session.update(kept)


def sign_in(user: User, *, method: str = "PIN") -> None:
    """Open a session on the server for ``user`` (committed) at the sign-in screen's property
    (:func:`sign_in_property`; the caller checked that they work there) and give this browser
    its token."""
    token = secrets.token_urlsafe(32)
    db.session.add(OperatorSession(token_hash=_token_hash(token), user_id=user.id, client=client_address(),
                                   property_id=scope.required(db.session), created_at=utcnow()))
    db.session.commit()
    _forget_session()  # nothing of the previous operator carries over
    session[SESSION_TOKEN] = token
    session["seen"] = int(time.time())
    session.permanent = False
    auth_log.info("sign-in by %s: operator %s (%s) (client %s)", method, user.id, user.name, client_address() or "-")


def hotel_setting(name: str):
    """This request's hotel's value of the KIOSK_* setting ``name`` (its own, else the server's):
    :func:`kiosk.properties.services.setting`."""
    return properties.setting(db.session, current_app.config, name)


#: the browser session's key: the property a sign-in screen with no named tablet was set to
CHOSEN_PROPERTY = "property"
#: ``app.extensions`` key: how the request's named tablet says its property (kiosk.tablets adds it)
TABLET_PROPERTY = "kiosk.tablet_property"


def sign_in_property() -> int | None:
    """The property this browser signs in at: its tablet's (a named tablet belongs to one), else
    the one chosen on the sign-in screen, else (None) the only one there is, or none chosen yet."""
    for of_tablet in current_app.extensions.get(TABLET_PROPERTY, ()):
        property_id = of_tablet()
        if property_id is not None:
            return property_id
    chosen = session.get(CHOSEN_PROPERTY)
    return chosen if isinstance(chosen, int) else None


def sign_out(reason: str = "sign_out") -> None:
    """End this browser's session on the server (``idle``: the screen's idle lock), then forget it here."""
    token = session.get(SESSION_TOKEN)
    if token is not None:
        _end_session(token, reason)
    _forget_session()


def _csrf_error(_error: CSRFError):
    # htmx: the page gets a fresh token with the refusal (scan.js puts it in
    # place), so "try again" works without reloading the station.
    return refuse(_("This page had expired, so nothing was saved. Please try again."), status=400,
                  title=_("Please try again"), trigger={"kiosk:csrf-token": generate_csrf()} if is_htmx() else None)


def _bad_request(_error: BadRequest):
    return refuse(_("The kiosk could not read what was sent, so nothing was saved. Please try again."),
                  status=400, title=_("Please try again"))


def _not_found(_error: NotFound):
    return refuse(_("This page does not exist."), status=404, title=_("Not found"))


def _field_refused(error: typed.FieldRefused):
    db.session.rollback()
    return refuse(error.translated(_), status=400)


def _unstorable(error: DataError):
    # A value the database refused (too long, out of range, a NUL on PostgreSQL) that no
    # reader caught first: the user's input, so a 400 with the reason, not a 500.
    db.session.rollback()
    current_app.logger.warning("value refused by the database at %s: %s", request.path, error.orig)
    return refuse(_("A value sent cannot be saved as it is (too long, too large, or with a control "
                    "character), so nothing was saved. Check what was typed and try again."), status=400)


def _storage_error(error: OperationalError):
    # The database refused the write at the commit (a full disk, a read-only file, a lost
    # PostgreSQL, a lock not granted): nothing of this request was saved, and the person is
    # told why in their words; what was committed before is untouched.
    db.session.rollback()
    why = why_not_saved(error)
    current_app.logger.error("database refused a write at %s %s: %s", request.method, request.path,
                             str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error) else "?")
    return refuse(_(why), status=503, title=_("Not saved"))


def _server_error(_error):
    db.session.rollback()
    return refuse(_("Nothing was saved. Please try again; if it happens again, tell a supervisor."), status=500,
                  title=_("Something went wrong"))


def _vary_on_htmx(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def serve_logging(app: Flask) -> None:
    """Logging for ``kiosk serve``: one line per record, with its time (kiosk.logs)."""
    from .logs import configure

    configure(app)


def _log_sign_ins(app: Flask) -> None:
    """Sign-ins and sign-outs are INFO: let them through unless the host chose a level.

    Flask's handler on the app's logger (time, level, message) writes them when
    nothing else is configured (``flask run``); ``kiosk serve`` sets its own.
    """
    if auth_log.level == logging.NOTSET:
        auth_log.setLevel(logging.INFO)
    app.logger  # noqa: B018 -- creating it installs Flask's handler when logging has none


def _trust_proxies(app: Flask) -> None:
    """With KIOSK_TRUSTED_PROXIES=n, the client address, scheme and host are what the n proxies say
    (X-Forwarded-For, -Proto, -Host): logs and the sign-in delay see the tablet's address, and
    ``url_for``, redirects and the CSRF check's same-origin test see the address the tablet typed.

    Never by default: any client can send X-Forwarded-For, so trusting it
    without a proxy would let a guesser pick a fresh address for each try.
    """
    proxies = int(app.config.get("KIOSK_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies)


class UnderPrefix:
    """KIOSK_URL_PREFIX=/kiosk: the whole kiosk answers under that path (the proxy passes the path
    unchanged), as if mounted there (``SCRIPT_NAME``), so every ``url_for``, static file, redirect,
    htmx URL and cookie carries it. ``/`` leads to the kiosk; any other path outside is a 404."""

    def __init__(self, wsgi_app, prefix: str) -> None:
        self.wsgi_app = wsgi_app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith(self.prefix + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix):]
            return self.wsgi_app(environ, start_response)
        script = environ.get("SCRIPT_NAME", "").rstrip("/")
        if path in ("/", self.prefix):
            answer = PlainResponse(status=308, headers={"Location": script + self.prefix + "/"})
        else:
            answer = PlainResponse(f"Not found: the kiosk is at {script + self.prefix}/\n", status=404,
                                   content_type="text/plain; charset=utf-8")
        return answer(environ, start_response)


def _mount(app: Flask) -> None:
    """Serve under KIOSK_URL_PREFIX (inside the proxy fix, which names the host and scheme first)."""
    from .config import url_prefix

    prefix = url_prefix(app.config.get("KIOSK_URL_PREFIX") or "")
    if prefix:
        # The session cookie is this kiosk's alone, not another site's on the same host.
        # (Not APPLICATION_ROOT: a WSGI server that mounts nothing must see the full path.)
        app.config["SESSION_COOKIE_PATH"] = prefix
        app.wsgi_app = UnderPrefix(app.wsgi_app, prefix)  # type: ignore[method-assign]


class SessionCookie(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` with KIOSK_SECURE_COOKIES, and also whenever the request
    came over HTTPS (directly, or as trusted proxies say with X-Forwarded-Proto): a cookie handed
    out over HTTPS is never then sent over plain HTTP.

    A tablet sends the same cookie with every request until it changes (every ``SEEN_STEP_SECONDS``
    at most): a cookie whose signature was checked is kept (its text, what it holds and when it was
    signed, the newest :data:`KEPT_COOKIES`), so checking and decoding it again (~0.1 ms, a scan's
    3 %) is skipped. Only a cookie this process verified is kept, under its exact text: any other
    is checked as before, and a kept one still expires with its age, as a checked one would.
    """

    KEPT_COOKIES = 512

    def __init__(self) -> None:
        self._kept: OrderedDict[str, tuple[dict, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)

    def open_session(self, app: Flask, request):
        if not app.secret_key:
            return None
        text = request.cookies.get(self.get_cookie_name(app))
        if not text:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self._kept.get(text)
        if kept is not None and time.time() - kept[1] <= max_age:
            return self.session_class(_fresh(kept[0]))
        try:
            data, signed = self.get_signing_serializer(app).loads(text, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        with self._lock:
            self._kept[text] = (_fresh(data), signed.timestamp())
            while len(self._kept) > self.KEPT_COOKIES:
                self._kept.popitem(last=False)
        return self.session_class(data)


def _fresh(data: dict) -> dict:
    """A copy of a session's values that a request may change in place (the flashed messages'
    list) without changing the kept one."""
    return {key: copy.deepcopy(value) if isinstance(value, (list, dict)) else value for key, value in data.items()}


def init_app(app: Flask) -> None:
    _log_sign_ins(app)
    _mount(app)
    _trust_proxies(app)
    app.session_interface = SessionCookie()
    app.before_request(enforce_access)
    app.after_request(_vary_on_htmx)
    app.after_request(_no_store)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(BadRequest, _bad_request)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(500, _server_error)
    app.register_error_handler(typed.FieldRefused, _field_refused)
    app.register_error_handler(DataError, _unstorable)
    app.register_error_handler(OperationalError, _storage_error)
    app.url_map.converters["int"] = RecordIdConverter  # before the blueprints' rules are added
    from .domain.garment_states import STATUS_LABELS, Status
    from .request_keys import new_key
    from .signatures import PAD as signature_pad

    app.jinja_env.globals.update(
        current_user=current_user,
        # the hotel signed in to, on a group's screens (None for a single hotel's)
        property_name=lambda: g.get("property_name"),
        property_label=properties.label,
        # A fresh key in every form that changes data: sent twice, it lands once (kiosk.request_keys).
        new_request_key=new_key,
        now_utc=now,
        here=here,
        role_label=role_rules.label,
        # What the signed-in user (or ``user``) may do: the same groups the routes declare.
        is_manager=lambda user=None: role_rules.is_manager(user or current_user()),
        can_approve=lambda user=None: role_rules.can_approve(user or current_user()),
        works_counter=lambda user=None: role_rules.works_counter(user or current_user()),
        in_group=lambda user=None: role_rules.in_group(user or current_user()),
        status_label=lambda status: STATUS_LABELS[Status(status)],
        # The signature pad's canvas size: what kiosk.signatures accepts back.
        signature_pad=signature_pad,
    )
