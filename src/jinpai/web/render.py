"""What every page shares: the templates, how a figure shows, where a person lands."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from jinpai.display import format_value
from jinpai.metrics.base import Unit
from jinpai.metrics.catalogue import CATALOGUE
from jinpai.services.accounts import Principal
from jinpai.web.i18n import language, metric_name, translator
from jinpai.web.session import csrf_token

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
log = logging.getLogger("jinpai.web")


def fmt(
    value: Any, metric: str | None = None, *, unit: Unit | str | None = None, lang: str = "zh"
) -> str:
    """A figure for the screen, rounded by its unit: the metric's, else ``unit`` (JSON keeps
    exact values; only the page rounds)."""
    if unit is None and metric in CATALOGUE:
        unit = CATALOGUE[metric].unit
    return format_value(value, unit, lang=lang)


def unit_name(metric: str) -> str:
    """The unit of a metric as its declaration says (charts format rates as percent)."""
    return str(CATALOGUE[metric].unit) if metric in CATALOGUE else ""


def render(
    request: Request, name: str, user: Principal | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request)
    context.update(
        request=request,
        user=user,
        lang=lang,
        t=translator(lang),
        csrf=csrf_token(request),
        fmt=partial(fmt, lang=lang),
        munit=unit_name,
        mname=lambda m: metric_name(m, lang),
        q=lambda v: quote(str(v), safe=""),
        tojson=lambda v: json.dumps(v, ensure_ascii=False).replace("</", "<\\/"),
    )
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def home_for(user: Principal) -> str:
    if not user.shops:
        return "/no-shop"
    shop = quote(user.shops[0], safe="")
    if user.manages:
        return f"/shops/{shop}/dashboard"
    return f"/shops/{shop}/agents/{quote(user.agent_id or '', safe='')}"


def safe_next(target: str | None) -> str | None:
    """Only a path of this site: never an absolute or protocol-relative URL (open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None
