"""The wire of a remote store: SPARQL 1.1 Protocol requests over HTTP, the only module that
imports SPARQLWrapper.

:class:`Connection` sends queries and updates as URL-encoded ``POST`` requests (Protocol §2.1.3,
§2.2.1) built by SPARQLWrapper and sent by an opener that answers basic or digest challenges
itself, uploads N-Triples through the Graph Store protocol (§5.5 ``POST``), retries reads with
backoff, and turns every HTTP failure into a typed error that names the endpoint without its
credentials. An HTTP 206 or an ``X-SQL-State`` header (Virtuoso's "anytime" partial results) is an
error, never a result. SPARQL JSON results become rdflib terms here (with Virtuoso's numbers for
durations and booleans written back in their canonical forms).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .endpoint_config import RemoteConfig, without_userinfo
from .errors import QueryError, StoreTimeoutError, StoreUnavailableError, TruncatedResultError
from .results import SelectResult

log = logging.getLogger(__name__)

T = TypeVar("T")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DURATIONS = {_XSD + "duration", _XSD + "dayTimeDuration", _XSD + "yearMonthDuration"}


class Connection:
    """Requests to one SPARQL server (query, update and Graph Store endpoints).

    Attributes:
        config: the endpoints, credentials, timeout and retries.
        dialect: "virtuoso", "oxigraph" or "generic": the configured one, else told by the
            server's ``Server`` header on the first request.

    Raises:
        StoreUnavailableError: the server cannot be reached (on creation, when the dialect is
            asked of it).
        StoreTimeoutError: it did not answer within the timeout.
    """

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self._opener = self._build_opener()
        self.dialect = config.dialect or self._server_dialect()
        self.default_graph: str | None = None
        """Sent as ``default-graph-uri`` with every query (Protocol §2.1.4) when set."""

    def query(self, text: str, *, name: str | None, turtle: bool = False) -> bytes:
        """Send a query and return the body of the answer (SPARQL JSON results, or Turtle);
        retried after a network error, a timeout or HTTP 502–504."""
        request = self._request(self.config.query_url, text, TURTLE if turtle else JSON)
        return self.retrying(lambda: self._read(request, name=name), what=name or "query")

    def query_json(self, text: str, *, name: str | None) -> dict[str, Any]:
        """Send a query and return its SPARQL JSON results (see :meth:`query`).

        Raises:
            QueryError: the server refused the query, or its answer is not SPARQL JSON.
        """
        data = self.query(text, name=name)
        try:
            return json.loads(data)  # type: ignore[no-any-return]
        except ValueError as exc:
            raise QueryError(f"the server's answer is not SPARQL JSON results: {data[:200]!r}", name=name) from exc

    def update(self, text: str) -> None:
        """Send an update (Protocol §2.2.1, URL-encoded POST); never retried."""
        self._read(self._request(self.config.update_url or self.config.query_url, text, None), name="update")

    def upload(self, graph: URIRef, body: bytes) -> None:
        """Add N-Triples to a graph through the Graph Store protocol (§5.5 ``POST``); never retried."""
        if not self.config.graph_store_url:
            raise QueryError("no Graph Store URL is configured")
        param = "graph-uri" if self.dialect == "virtuoso" else "graph"
        url = self.config.graph_store_url + "?" + urllib.parse.urlencode({param: str(graph)})
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/n-triples"})
        self._read(request, name="staging upload")

    def retrying(self, call: Callable[[], T], *, what: str) -> T:
        """Run a read, again after a network error, a timeout or HTTP 502–504 (backoff with
        jitter); errors that say something about the request itself are not retried."""
        attempt = 0
        while True:
            try:
                return call()
            except (StoreTimeoutError, StoreUnavailableError) as exc:
                status = getattr(exc, "status", None)
                if attempt >= self.config.retries or (status is not None and status not in (502, 503, 504)):
                    raise
                delay = min(5.0, 0.2 * 2**attempt) * (0.5 + random.random())
                log.info("%s: %s; trying again in %.1f s", what, exc, delay)
                time.sleep(delay)
                attempt += 1

    def close(self) -> None:
        """Forget the opener (and the credentials it holds)."""
        self._opener = None  # type: ignore[assignment]

    # -- HTTP ------------------------------------------------------------------------------

    def _build_opener(self) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = []
        if self.config.user is not None and self.config.password is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in {self.config.query_url, self.config.update_url, self.config.graph_store_url} - {None}:
                manager.add_password(None, url, self.config.user, self.config.password)  # type: ignore[arg-type]
            handlers.append(
                urllib.request.HTTPDigestAuthHandler(manager) if self.config.auth == "digest"
                else urllib.request.HTTPBasicAuthHandler(manager)
            )
        return urllib.request.build_opener(*handlers)

    def _request(self, url: str, text: str, result_format: str | None) -> urllib.request.Request:
        """The POST request of a query or an update, built by SPARQLWrapper (which sends a
        query to a URL and an update as ``update=``); our opener answers the challenges."""
        wrapper = SPARQLWrapper(url)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setTimeout(int(max(1, self.config.timeout)))
        if result_format is not None:
            wrapper.setReturnFormat(result_format)
            if self.default_graph is not None:
                wrapper.addDefaultGraph(self.default_graph)
        wrapper.setQuery(text)
        request = wrapper._createRequest()  # noqa: SLF001 - SPARQLWrapper's own request, sent by our opener
        if request.has_header("Authorization"):
            request.remove_header("Authorization")
        return request

    def _read(self, request: urllib.request.Request, *, name: str | None) -> bytes:
        """Send one request and return the body; HTTP errors become typed errors that name the
        endpoint (without credentials) and quote the server briefly."""
        where = without_userinfo(request.full_url.split("?", 1)[0])
        try:
            with self._opener.open(request, timeout=self.config.timeout) as response:
                if response.status == 206 or response.headers.get("X-SQL-State"):
                    raise TruncatedResultError(
                        f"{where} returned a partial result (HTTP {response.status}, "
                        f"{response.headers.get('X-SQL-Message', 'no message')})", name=name
                    )
                return response.read()  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            detail = brief(exc.read() if exc.fp else b"")
            if exc.code == 400:
                raise QueryError(f"{where} refused the request (HTTP {exc.code}): {detail}", name=name) from None
            if exc.code in (401, 403):
                raise StoreUnavailableError(f"{where} refused the credentials (HTTP {exc.code})") from None
            raise StoreUnavailableError(f"{where} answered HTTP {exc.code} {exc.reason}: {detail}", status=exc.code) from None
        except (TimeoutError, socket.timeout) as exc:
            raise StoreTimeoutError(f"{where} did not answer within {self.config.timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise StoreTimeoutError(f"{where} did not answer within {self.config.timeout:g} s") from None
            raise StoreUnavailableError(f"cannot reach {where}: {exc.reason}") from None
        except (ConnectionError, OSError, SPARQLWrapperException) as exc:
            raise StoreUnavailableError(f"cannot reach {where}: {type(exc).__name__}") from None

    def _server_dialect(self) -> str:
        """Tell the dialect from the ``Server`` header of an ``ASK {}``."""
        where = without_userinfo(self.config.query_url)
        request = urllib.request.Request(
            self.config.query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"}),
            headers={"Accept": "application/sparql-results+json"},
        )
        try:
            with self._opener.open(request, timeout=self.config.timeout) as response:
                server = response.headers.get("Server", "")
        except urllib.error.HTTPError as exc:
            server = exc.headers.get("Server", "") if exc.headers else ""
        except (TimeoutError, socket.timeout) as exc:
            raise StoreTimeoutError(f"{where} did not answer within {self.config.timeout:g} s") from exc
        except (urllib.error.URLError, OSError) as exc:
            if isinstance(getattr(exc, "reason", None), (TimeoutError, socket.timeout)):
                raise StoreTimeoutError(f"{where} did not answer within {self.config.timeout:g} s") from None
            raise StoreUnavailableError(f"cannot reach {where}: {getattr(exc, 'reason', exc)}") from None
        lowered = server.lower()
        return "virtuoso" if "virtuoso" in lowered else "oxigraph" if "oxigraph" in lowered else "generic"


# -- results ---------------------------------------------------------------------------------


def solutions(data: Mapping[str, Any]) -> SelectResult:
    """The rows of SPARQL JSON results as rdflib terms (None for an unbound variable)."""
    variables = tuple(data.get("head", {}).get("vars", ()))
    cache: dict[tuple[Any, ...], Node] = {}
    rows = []
    for binding in data.get("results", {}).get("bindings", ()):
        rows.append(tuple(_term(binding.get(v), cache) for v in variables))
    return SelectResult(variables, tuple(rows))


def _term(value: Mapping[str, str] | None, cache: dict[tuple[Any, ...], Node]) -> Node | None:
    if value is None:
        return None
    key = (value.get("type"), value.get("value"), value.get("xml:lang"), value.get("datatype"))
    found = cache.get(key)
    if found is None:
        kind, text = value["type"], value["value"]
        datatype = value.get("datatype")
        if kind == "uri":
            found = URIRef(text)
        elif kind == "bnode":
            found = BNode(text)
        elif value.get("xml:lang"):
            found = Literal(text, lang=value["xml:lang"])
        elif datatype in _DURATIONS:
            found = Literal(iso_duration(text), datatype=URIRef(datatype))
        elif datatype == _XSD + "boolean" and text in ("1", "0"):  # Virtuoso: booleans as 1 and 0
            found = Literal(text == "1")
        elif datatype and datatype != _XSD + "string":
            found = Literal(text, datatype=URIRef(datatype))
        else:
            found = Literal(text)
        cache[key] = found
    return found


def iso_duration(text: str) -> str:
    """A duration in its canonical ISO 8601 form (XML Schema 1.1 §3.3.6.2).

    Virtuoso 7.2 stores a duration as a number and answers with it: months for a year-month
    duration (``"P1Y"`` comes back as ``"12"``), seconds for a day-time one (``"P7D"`` as
    ``"604800.0"``). Those numbers are written back in the canonical form, which is the form
    the shipped code lists use; a form that is already ISO 8601 is kept as it is.

    >>> iso_duration("12"), iso_duration("3"), iso_duration("604800.0"), iso_duration("P1Y")
    ('P1Y', 'P3M', 'P7D', 'P1Y')
    >>> iso_duration("90061.5"), iso_duration("-14"), iso_duration("0")
    ('P1DT1H1M1.5S', '-P1Y2M', 'P0M')
    """
    stripped = text.strip()
    if stripped.lstrip("+-").startswith("P"):
        return text
    try:
        number = Decimal(stripped)
    except InvalidOperation:
        return text
    sign = "-" if number < 0 else ""
    number = abs(number)
    if "." not in stripped and "e" not in stripped.lower():  # whole months
        years, months = divmod(int(number), 12)
        body = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return sign + "P" + body
    days, rest = divmod(number, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time_part = (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "")
    if seconds:
        time_part += format(seconds.normalize(), "f") + "S"
    if not days and not time_part:
        return "PT0S"
    return sign + "P" + (f"{int(days)}D" if days else "") + ("T" + time_part if time_part else "")


def brief(body: bytes) -> str:
    """A server's error message, on one line and at most 300 characters."""
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text[:300] + ("…" if len(text) > 300 else "")
