"""Rendering: the Jinja2 environment, the security headers of every desk response, and
the one place refusals become pages."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec
from urllib.parse import quote
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.desk import text
from service.desk.sessions import CsrfRefused, DeskSession, SignedOut
from service.errors import NotFound, TesseraError

HERE = Path(__file__).resolve().parent

# No inline script or style anywhere: bars are SVG attributes, behaviour is desk.js.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.globals.update(
    written=text.written,
    names_of=text.names_of,
    birth_of=text.birth_of,
    place_of=text.place_of,
    bar=text.bar,
    bar_scale=text.bar_scale,
    bar_width=text.WIDTH,
)
env.filters["age"] = text.age
env.filters["compact_json"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)


def render(template: str, *, session: DeskSession | None = None, **values: Any) -> str:
    """A page; ``session`` fills in the header's user and sign-out form."""
    return env.get_template(template).render(
        user=(
            {"name": session.user_name, "role": session.role, "csrf": session.csrf}
            if session
            else None
        ),
        **values,
    )


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def redirect(url: str) -> RedirectResponse:
    """See other: after a POST the browser GETs the result, so reloading resends nothing."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a desk path of ours, never another site."""
    if value and value.startswith("/desk/") and "//" not in value and "\\" not in value:
        return value
    return "/desk/"


def error_page(status: int, title: str, detail: str, *, back: str | None = None) -> HTMLResponse:
    return html(render("error.html", status=status, title=title, detail=detail, back=back), status)


def csrf_refused() -> HTMLResponse:
    return error_page(
        403,
        "Form refused",
        "This form did not carry the security token of your session, so nothing was "
        "changed. Go back, reload the page and send the form again.",
    )


P = ParamSpec("P")


def page(handler: Callable[P, Response]) -> Callable[P, Response]:
    """Turn the desk's refusals into pages. The handler's transaction has already been
    rolled back when a refusal reaches this point, so a refused request changes nothing."""

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        request = kwargs.get("request")
        try:
            return handler(*args, **kwargs)
        except SignedOut as exc:
            if isinstance(request, Request) and request.method == "GET":
                target = "/desk/sign-in?next=" + quote(request.url.path, safe="/")
                return redirect(target + ("&expired=1" if exc.expired else ""))
            return error_page(
                401,
                "Not signed in",
                "Your session has ended or you are not signed in; nothing was changed. "
                "Sign in again and repeat the step.",
                back="/desk/sign-in",
            )
        except CsrfRefused:
            return csrf_refused()
        except TesseraError as exc:
            return error_page(exc.status, exc.title, exc.detail)

    return wrapper


def parse_id(value: str, what: str) -> UUID:
    """A path id; a malformed one is as absent as an unknown one."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(
            f"No {what} has that id.", code=f"{what.replace(' ', '_')}_not_found"
        ) from None
