"""Where and how to reach a remote SPARQL store: URLs, credentials, timeouts, paging.

A :class:`RemoteConfig` is built from explicit arguments, the environment and the ``[store]``
table of the settings file (:class:`~govdata_ld.settings.StoreSettings`). Credentials come from
environment variables (or the userinfo of a URL, which is taken out of it) and never from a
file; the password is never shown in a ``repr``, a message or a log record.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError
from .settings import AUTH_SCHEMES, DIALECTS, StoreSettings

CONFIG_VARIABLE = "GOVDATA_STORE_CONFIG"
"""Names a file whose ``[store]`` table is used instead of the settings file's."""

@dataclass(frozen=True)
class RemoteConfig:
    """Where and how to reach a remote store.

    Attributes:
        query_url: the SPARQL query endpoint (Protocol §2.1).
        update_url: the update endpoint (§2.2); the query URL when the server takes both there.
        graph_store_url: the Graph Store endpoint; None stages writes through updates instead.
        user: the account for basic or digest authentication.
        password: its password; never shown.
        auth: "basic" or "digest".
        timeout: seconds one request may take.
        retries: how often a read is tried again after a network error, timeout or 502–504.
        row_cap: a result of this many rows is cross-checked with COUNT(*) and paged.
        page_size: rows per page when paging.
        dialect: "virtuoso", "oxigraph" or "generic"; told by the server's ``Server`` header when None.

    >>> RemoteConfig("http://127.0.0.1:8890/sparql", user="dba", password="dba")
    RemoteConfig(query_url='http://127.0.0.1:8890/sparql', update_url=None, graph_store_url=None, user='dba', auth='digest', timeout=60.0, retries=3, row_cap=10000, page_size=5000, dialect=None)
    """

    query_url: str
    update_url: str | None = None
    graph_store_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "digest"
    timeout: float = 60.0
    retries: int = 3
    row_cap: int = 10_000
    page_size: int = 5_000
    dialect: str | None = None

    def __post_init__(self) -> None:
        if self.auth not in AUTH_SCHEMES:
            raise ConfigurationError(f"auth must be one of {', '.join(AUTH_SCHEMES)}, not {self.auth!r}")
        if self.dialect is not None and self.dialect not in DIALECTS:
            raise ConfigurationError(f"dialect must be one of {', '.join(DIALECTS)}, not {self.dialect!r}")

    @classmethod
    def from_environment(
        cls,
        query_url: str,
        *,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        store: StoreSettings | None = None,
        config_file: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> RemoteConfig:
        """Build a configuration: explicit arguments first, then the credentials in the
        environment variables the store settings name (``$GOVDATA_STORE_USER`` and
        ``$GOVDATA_STORE_PASSWORD`` by default) or in the URL, then the store settings: those of
        the file named by ``config_file`` or ``$GOVDATA_STORE_CONFIG`` when there is one, else
        ``store`` (the ``[store]`` table of the settings file).

        Args:
            query_url: the query endpoint; credentials written in it are taken out of it.
            update_url: the update endpoint.
            graph_store_url: the Graph Store endpoint.
            store: the store settings of the deployment.
            config_file: a file holding only store settings.
            options: any other attribute of this class (``timeout=5``).

        Raises:
            ConfigurationError: the file cannot be read, holds credentials, an unknown key or a
                bad value; the credentials in the environment are incomplete.
        """
        path = config_file or os.environ.get(CONFIG_VARIABLE)
        table = StoreSettings.load(path) if path else store or StoreSettings()
        values: dict[str, Any] = {
            "update_url": table.update_url,
            "graph_store_url": table.graph_store_url,
            "auth": table.auth,
            "timeout": float(table.timeout),
            "retries": table.retries,
            "row_cap": table.row_cap,
            "page_size": table.page_size,
            "dialect": table.dialect,
        }
        parsed = urllib.parse.urlsplit(query_url)
        if parsed.username or parsed.password:  # credentials in the URL: take them out of it
            values["user"] = urllib.parse.unquote(parsed.username or "")
            values["password"] = urllib.parse.unquote(parsed.password or "")
            query_url = without_userinfo(query_url)
        user, password = table.credentials()
        if user is not None:
            values["user"], values["password"] = user, password
        values.update({k: v for k, v in options.items() if v is not None})
        if update_url:
            values["update_url"] = update_url
        if graph_store_url:
            values["graph_store_url"] = graph_store_url
        return cls(query_url=query_url, **values)


def without_userinfo(url: str) -> str:
    """A URL without the user name and password it may hold (for messages).

    >>> without_userinfo("http://dba:secret@127.0.0.1:8890/sparql")
    'http://127.0.0.1:8890/sparql'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def is_url(location: object) -> bool:
    """Whether a store location names a remote store (``http://`` or ``https://``).

    >>> is_url("http://127.0.0.1:7878/query"), is_url("./.govdata")
    (True, False)
    """
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))
