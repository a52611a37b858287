"""Real SPARQL servers on loopback for tests and benchmarks: the Oxigraph server (PyPI package
``oxigraph``) and OpenLink Virtuoso (Debian package ``virtuoso-opensource``).

Each server gets a free port and its own data folder (and, for Virtuoso, its own ini), is waited
for until it answers, and is stopped by its own process id. Recipes: ``docs/stores.md``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

STOCK_VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO_USER = ("dba", "dba")
"""The administrator of a fresh Virtuoso database (digest authentication on /sparql-auth)."""


class ServerUnavailable(RuntimeError):
    """The server's program is not installed (the message says which and how to install it)."""


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the process that started the server dies, so a test run
    that is killed (timeout, SIGKILL) leaves no server behind (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server: its endpoints, its process and its data folder."""

    kind: str
    folder: Path
    command: list[str]
    ready_url: str
    query_url: str
    update_url: str
    graph_store_url: str
    user: str | None = None
    password: str | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "server.log"

    @property
    def url(self) -> str:
        return self.query_url

    def start(self, timeout: float = 60.0) -> None:
        """Start the process and wait until it answers queries."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer within {timeout} s; log: {self.log}")

    def kill(self) -> None:
        """SIGKILL the server (a crash): no shutdown, no checkpoint."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server by its own process id (TERM, then KILL after 20 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> None:
        """Start again on the same data folder (after a kill or a stop)."""
        self.stop()
        self.start()


def oxigraph_server(folder: Path) -> Server:
    """An Oxigraph server on a free port with its data in ``folder/data`` (not yet started).

    Raises:
        ServerUnavailable: the ``oxigraph`` command is not installed.
    """
    program = shutil.which("oxigraph")
    if program is None:
        raise ServerUnavailable("the `oxigraph` command is missing: pip install oxigraph (the test extra has it)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    return Server(
        kind="oxigraph-server",
        folder=folder,
        command=[program, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"],
        ready_url=base + "/query?query=ASK%7B%7D",
        query_url=base + "/query",
        update_url=base + "/update",
        graph_store_url=base + "/store",
    )


def virtuoso_server(folder: Path, *, buffers: int = 10000, ini: dict[str, dict[str, str]] | None = None) -> Server:
    """A private Virtuoso instance on free ports with its own ini and database in ``folder``.

    The stock Debian ini is kept (ResultSetMaxRows = 10000 included: the library must page around
    it) except for file locations, ports, listening on loopback only, the buffer count and the
    entries given by section in ``ini`` (for a bulk load: ``{"Parameters":
    {"TransactionAfterImageLimit": "2000000000"}, "SPARQL": {"MaxQueryExecutionTime": "0"}}``,
    past the 50 MB one transaction may write and the 60 s one request may take).

    Raises:
        ServerUnavailable: ``virtuoso-t`` or the stock ini is not installed.
    """
    program = shutil.which("virtuoso-t")
    if program is None or not STOCK_VIRTUOSO_INI.is_file():
        raise ServerUnavailable(
            "Virtuoso is missing: apt-get install virtuoso-opensource (.ci/run installs it)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    text = STOCK_VIRTUOSO_INI.read_text("utf-8", errors="replace")
    files = {
        "DatabaseFile": "virtuoso.db", "ErrorLogFile": "virtuoso.log", "LockFile": "virtuoso.lck",
        "TransactionFile": "virtuoso.trx", "xa_persistent_file": "virtuoso.pxa",
    }
    out, section = [], ""
    extra = {name: dict(entries) for name, entries in (ini or {}).items()}
    for line in text.splitlines():
        header = re.match(r"\s*\[(\w+)\]", line)
        if header:
            section = header.group(1)
        key = re.match(r"\s*(\w+)\s*=", line)
        name = key.group(1) if key else None
        if section in ("Database", "TempDatabase") and name in files:
            stem = files[name] if section == "Database" else files[name].replace("virtuoso.", "virtuoso-temp.")
            line = f"{name} = {folder / stem}"
        elif section == "Parameters" and name == "ServerPort":
            line = f"ServerPort = 127.0.0.1:{sql_port}"
        elif section == "HTTPServer" and name == "ServerPort":
            line = f"ServerPort = 127.0.0.1:{http_port}"
        elif section == "Parameters" and name == "DirsAllowed":
            line = f"DirsAllowed = ., {folder}, /usr/share/virtuoso-opensource-7/vad"
        elif section == "Parameters" and name == "NumberOfBuffers":
            line = f"NumberOfBuffers = {buffers}"
        elif section == "Parameters" and name == "MaxDirtyBuffers":
            line = f"MaxDirtyBuffers = {buffers * 3 // 4}"
        elif name is not None and name in extra.get(section, {}):
            line = f"{name} = {extra[section][name]}"
        out.append(line)
        if header:
            present = {m.group(1) for m in re.finditer(r"^\s*(\w+)\s*=", _section_text(text, section), re.M)}
            out += [f"{key} = {value}" for key, value in sorted(extra.get(section, {}).items()) if key not in present]
    ini = folder / "virtuoso.ini"
    ini.write_text("\n".join(out) + "\n", "utf-8")
    base = f"http://127.0.0.1:{http_port}"
    user, password = VIRTUOSO_USER
    return Server(
        kind="virtuoso",
        folder=folder,
        command=[program, "+foreground", "+configfile", str(ini)],
        ready_url=base + "/sparql?query=ASK%7B%7D",
        query_url=base + "/sparql",
        update_url=base + "/sparql-auth",
        graph_store_url=base + "/sparql-graph-crud-auth",
        user=user,
        password=password,
    )


def _section_text(text: str, section: str) -> str:
    found = re.search(r"^\s*\[" + re.escape(section) + r"\]\s*$(.*?)(?=^\s*\[|\Z)", text, re.M | re.S)
    return found.group(1) if found else ""


STARTERS = {"oxigraph-server": oxigraph_server, "virtuoso": virtuoso_server}


# -- pytest fixtures (imported by conftest.py) ------------------------------------------------

import contextlib  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

SERVER_KINDS = ("oxigraph-server", "virtuoso")
STORE_KINDS = (
    "memory",
    "disk",
    pytest.param("oxigraph-server", marks=pytest.mark.server),
    pytest.param("virtuoso", marks=pytest.mark.server),
)
"""The store kinds a parametrised test runs on (``--store-kinds`` is not needed: -m 'not server'
leaves the servers out)."""


def unavailable(reason: str) -> None:
    """Skip loudly outside CI; fail in CI (``CI`` set by .ci/run), where the servers must run."""
    if os.environ.get("CI"):
        pytest.fail(f"CI needs this SPARQL server: {reason}", pytrace=False)
    pytest.skip(f"SPARQL SERVER NOT INSTALLED, test skipped: {reason}")


@pytest.fixture(scope="session")
def running_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """Servers started on first use, one of each kind per session, stopped at the end."""
    started: dict[str, Server] = {}
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


def server_of(request: pytest.FixtureRequest, kind: str) -> Server:
    """The session's server of a kind, started when first asked for."""
    started: dict[str, Server] = request.getfixturevalue("running_servers")
    if kind not in started:
        try:
            server = STARTERS[kind](request.getfixturevalue("tmp_path_factory").mktemp(kind))
        except ServerUnavailable as exc:
            unavailable(str(exc))
        server.start()
        started[kind] = server
    elif started[kind].process is None or started[kind].process.poll() is not None:
        started[kind].start()
    return started[kind]


def wipe(server: Server) -> None:
    """Remove every graph of the catalog (and the library's control graphs), keeping the
    server's own graphs (Virtuoso's system graphs)."""
    keep = ("http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#", "http://localhost:8890/")
    text = (
        "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } "
        + " ".join(f'FILTER(!STRSTARTS(STR(?g), "{k}"))' for k in keep)
        + " }"
    )
    post_update(server, text)


def post_update(server: Server, text: str) -> None:
    """Send an update with the server's credentials (test set-up only)."""
    import urllib.parse

    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    if server.user:
        manager.add_password(None, server.update_url, server.user, server.password)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))
    body = urllib.parse.urlencode({"update": text}).encode()
    request = urllib.request.Request(server.update_url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with opener.open(request, timeout=120) as response:
        response.read()


@contextlib.contextmanager
def credentials(server: Server) -> Iterator[None]:
    """The server's account in GOVDATA_STORE_USER/PASSWORD for the duration."""
    saved = {k: os.environ.get(k) for k in ("GOVDATA_STORE_USER", "GOVDATA_STORE_PASSWORD")}
    if server.user:
        os.environ["GOVDATA_STORE_USER"], os.environ["GOVDATA_STORE_PASSWORD"] = server.user, server.password or ""
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def open_catalog(request: pytest.FixtureRequest, kind: str, folder: Path, settings: object, *, clean: bool = True):  # noqa: ANN201
    """A Catalog on a store of this kind (an emptied server for server kinds)."""
    from govdata_ld import Catalog

    if kind == "memory":
        return Catalog.open("memory", settings=settings)
    if kind == "disk":
        return Catalog.open(folder / "store", settings=settings)
    server = server_of(request, kind)
    if clean:
        wipe(server)
    with credentials(server):
        return Catalog.open(server.query_url, settings=settings, update_url=server.update_url,
                            graph_store_url=server.graph_store_url)
