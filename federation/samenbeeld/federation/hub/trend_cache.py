"""The trend API's answers: strong ETags, JSON and CSV bodies, and a per-app LRU cache.

An answer is keyed by the release generation (:func:`samenbeeld.federation.hub.trends.
release_generation`) and the query: its ETag is a hash of both, its rendered body is kept
per ETag and the computed result per (scope, generation), so a repeated request touches no
database. The cache's clock is injected (``time.monotonic`` in the app) so that tests move
time instead of waiting for it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CACHE_ENTRIES = 1024
CSV = "text/csv"
Clock = Callable[[], float]
"""Seconds on a monotonic scale."""
Dump = Callable[[Any], Any]
"""Turns a result into JSON-ready data (the API passes its response schema's ``dump``)."""


@dataclass(frozen=True)
class Body:
    """A rendered answer: its bytes, media type and extra headers."""

    content: bytes
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A trend GET's answer: its ETag, and its body unless the caller's copy is current."""

    etag: str
    body: Body | None


class TrendCache:
    """A small thread-safe LRU of computed results and rendered bodies, per app."""

    def __init__(self, size: int = CACHE_ENTRIES, clock: Clock = time.monotonic) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.clock = clock

    def get(self, key: tuple[str, ...]) -> Any:
        """The cached item, or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: tuple[str, ...], item: Any) -> Any:
        """Keep item under key (dropping the least recently used) and return it."""
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return item


def etag_of(*parts: object) -> str:
    """A strong ETag from the parts (data version, indicator, normalised query)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def cached_answer(
    cache: TrendCache,
    etag: str,
    current: Container[str],
    result: Callable[[], Any],
    render: Callable[[Any], Body],
) -> Answer:
    """No body when current holds etag; else the body kept under etag, rendered on a miss."""
    if etag in current:
        return Answer(etag, None)
    body: Body | None = cache.get(("body", etag))
    if body is None:
        body = cache.put(("body", etag), render(result()))
    return Answer(etag, body)


def as_json(dump: Dump, data: Any, headers: Mapping[str, str] | None = None) -> Body:
    """A compact JSON body of ``dump(data)``."""
    text = json.dumps(dump(data), separators=(",", ":"), allow_nan=False)
    return Body(text.encode(), "application/json", headers or {})


def as_csv(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    headers: Mapping[str, str] | None = None,
) -> Body:
    """A CSV body with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return Body(out.getvalue().encode(), CSV, headers or {})


def _csv_cell(value: object) -> object:
    """None is empty, booleans are true/false, dates ISO, the rest as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
