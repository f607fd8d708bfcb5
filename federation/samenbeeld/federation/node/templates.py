"""A node's side of pilot templates: adopting a published version, all or nothing.

Adopting fetches the version from the hub (with the node's service token), opts the node in
to every indicator the version defines (:func:`node_service.set_opt_in`), records the
adoption locally, and reports it to the hub. The local rows are flushed before the report,
in the caller's transaction, so a constraint fails before the hub hears of it; when the hub
refuses or does not answer, the error propagates, the caller rolls back, and nothing on the
node has changed.

The hub's refusals keep their meaning: 403 becomes PermissionDeniedError, 404 NotFoundError,
409 ConflictError (for example a deprecated version), 422 InvalidInputError. A hub that does
not answer, or answers anything else (its own 401 or 5xx), is a :class:`UpstreamFailedError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from samenbeeld.federation.node import rounds as node_service
from samenbeeld.platform import templates as rules
from samenbeeld.platform.catalog import Catalog
from samenbeeld.platform.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    SamenbeeldError,
    UpstreamFailedError,
)
from samenbeeld.platform.models.node import TemplateAdoption
from samenbeeld.platform.settings import NodeSettings, audience_for
from samenbeeld.platform.tokens import Signer

VERSION_PATH = "/api/v1/templates/{slug}/versions/{version}"
ADOPTIONS_PATH = "/api/v1/templates/{slug}/adoptions"
REFUSALS: dict[int, type[SamenbeeldError]] = {
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidInputError,
}


def adopt_template(
    session: Session,
    settings: NodeSettings,
    signer: Signer,
    client: httpx.Client,
    slug: str,
    version: str,
    *,
    catalog: Catalog | None = None,
    now: dt.datetime | None = None,
) -> TemplateAdoption:
    """Adopt version of template slug on this node: opt-ins, local record, the hub's record."""
    rules.check_slug(slug)
    rules.parse_version(version)
    path = VERSION_PATH.format(slug=slug, version=version)
    fetched = _call_hub(client, settings, signer, "GET", path)
    indicators = _indicators(fetched)
    for code in indicators:
        node_service.set_opt_in(session, code, True, catalog=catalog)
    row = session.get(TemplateAdoption, (slug, version))
    if row is None:
        adopted_at = now or dt.datetime.now(dt.UTC)
        joined = ",".join(indicators)
        row = TemplateAdoption(
            template=slug, version=version, indicators=joined, adopted_at=adopted_at
        )
        session.add(row)
    session.flush()
    body = {"version": version}
    _call_hub(client, settings, signer, "POST", ADOPTIONS_PATH.format(slug=slug), json=body)
    return row


def _indicators(fetched: dict[str, Any]) -> list[str]:
    """The indicator codes of a fetched version; UpstreamFailedError when malformed."""
    codes = fetched.get("indicators")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise UpstreamFailedError("the hub sent a template version without indicators")
    return codes


def _call_hub(
    client: httpx.Client,
    settings: NodeSettings,
    signer: Signer,
    method: str,
    path: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """One request to the hub with a fresh node token; its JSON body, or the mapped error."""
    headers = signer.headers(audience_for("hub", "hub"))
    url = settings.hub_url.rstrip("/") + path
    try:
        response = client.request(method, url, headers=headers, **kwargs)
    except httpx.HTTPError as error:
        raise UpstreamFailedError(f"the hub did not answer ({type(error).__name__})") from None
    if response.is_success:
        body = response.json()
        return body if isinstance(body, dict) else {}
    detail = _detail(response)
    refusal = REFUSALS.get(response.status_code)
    if refusal is None:
        raise UpstreamFailedError(f"the hub answered {response.status_code}: {detail}")
    raise refusal(f"the hub refused: {detail}")


def _detail(response: httpx.Response) -> str:
    """The detail of a problem response, or its reason phrase."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else response.reason_phrase


def list_adoptions(session: Session) -> Sequence[TemplateAdoption]:
    """The template versions this node adopted, oldest first."""
    query = select(TemplateAdoption).order_by(TemplateAdoption.adopted_at)
    return session.scalars(query).all()
