"""How an app talks to other services: one HTTP client per app, and the app's own signer.

The client is ``app.extensions["samenbeeld.http"]``, created on first use; that extension is
the seam tests use (an ``httpx.Client`` over a ``MockTransport``, or over a ``WSGITransport``
to another real app). The signer signs this service's outbound tokens with its role's key
file, as its role and member (``hub``, a municipality code, a party index).
"""

from __future__ import annotations

import threading

import httpx
from flask import current_app

from samenbeeld.api.config import current_settings
from samenbeeld.platform.keys import read_private_key
from samenbeeld.platform.tokens import Signer

EXTENSION = "samenbeeld.http"
TIMEOUT_S = 30.0
RETRIES = 2
"""Connection attempts retried (a request that reached the other side is never resent)."""
_lock = threading.Lock()


def http_client() -> httpx.Client:
    """This app's client for other services (created on first use unless one was injected)."""
    with _lock:
        client: httpx.Client | None = current_app.extensions.get(EXTENSION)
        if client is None:
            transport = httpx.HTTPTransport(retries=RETRIES)
            client = current_app.extensions[EXTENSION] = httpx.Client(
                timeout=TIMEOUT_S, transport=transport
            )
    return client


def own_signer() -> Signer:
    """Signs this service's outbound tokens with its key file, as its role and member."""
    settings = current_settings()
    key = read_private_key(settings.effective_key_file)
    return Signer(key, role=settings.role, member=settings.member)
