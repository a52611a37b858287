"""Every store kind gives the same answers (issue 6): the remote store has the embedded store's
interface; the example city built through every Article 12 step gives the same general, sharing
and open catalogs on memory, disk, the Oxigraph server and Virtuoso; the city-catalog query tests
run on each of them (imported from tests/test_city_queries.py and parametrised here, not copied);
results past Virtuoso's 10,000-row cap are paged; credentials never reach messages or logs."""

from __future__ import annotations

import inspect
import logging
import re
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef

from govdata_ld import Catalog, Settings
from govdata_ld.build import build
from govdata_ld.codes import OrganKind
from govdata_ld.cli import cli
from govdata_ld.endpoint import RemoteConfig, RemoteStore
from govdata_ld.errors import ConfigurationError, StoreUnavailableError
from govdata_ld.settings import StoreSettings
from govdata_ld.store import EmbeddedStore

from .cities import build_city, carrier, entry_codes
from .conftest import CITY
from .servers import STARTERS, STORE_KINDS, ServerUnavailable, credentials, open_catalog, server_of, unavailable, wipe
from .test_city_queries import (  # noqa: F401 - collected here again, on every store kind
    rdflib_copy,
    test_organ_level_and_text_queries_agree_with_the_combined_query,
    test_pyoxigraph_and_rdflib_give_the_same_answer,
    test_the_fast_filter_agrees_with_the_combined_query,
    test_the_organ_filter_includes_the_organs_below,
)

AS_OF = date(2026, 11, 1)
AT = datetime(2026, 11, 2, tzinfo=timezone.utc)


def public_methods(cls: type) -> set[str]:
    return {n for n, v in inspect.getmembers(cls) if callable(v) and (not n.startswith("_") or n == "__len__")}


def test_the_remote_store_has_exactly_the_embedded_store_interface() -> None:
    assert public_methods(RemoteStore) == public_methods(EmbeddedStore)
    for name in public_methods(EmbeddedStore) - {"__init__"}:
        ours = inspect.signature(getattr(RemoteStore, name)).parameters
        theirs = inspect.signature(getattr(EmbeddedStore, name)).parameters
        assert list(ours) == list(theirs), name


def test_sparqlwrapper_is_imported_in_one_module_and_modules_stay_small() -> None:
    package = Path(RemoteStore.__module__.replace(".", "/")).parent
    root = Path(__file__).resolve().parent.parent / package
    importing = sorted(p.name for p in root.glob("*.py") if re.search(r"^\s*(from|import) SPARQLWrapper", p.read_text("utf-8"), re.M))
    assert importing == ["endpoint_http.py"]
    sizes = {p.name: len(p.read_text("utf-8").splitlines()) for p in root.glob("endpoint*.py")}
    assert all(n < 600 for n in sizes.values()), sizes


@pytest.fixture(scope="module", params=STORE_KINDS)
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """The example city built (every Article 12 step, then publication) on each store kind."""
    folder = tmp_path_factory.mktemp(f"city-{request.param}")
    with open_catalog(request, request.param, folder, Settings()) as catalog, tempfile.TemporaryDirectory() as out:
        build(catalog, CITY, out, as_of=AS_OF, at=AT)
        yield catalog


@pytest.fixture(scope="module")
def reference() -> Iterator[Catalog]:
    with Catalog.open("memory", settings=Settings()) as catalog, tempfile.TemporaryDirectory() as out:
        build(catalog, CITY, out, as_of=AS_OF, at=AT)
        yield catalog


@pytest.mark.parametrize("kind", ["general", "sharing", "open"])
def test_the_city_catalogs_are_the_same_on_every_store(published: Catalog, reference: Catalog, kind: str) -> None:
    graph = published.minter.city_catalog(kind)
    ours = {q[:3] for q in published._store.quads(graph)}
    theirs = {q[:3] for q in reference._store.quads(graph)}
    assert ours == theirs and len(ours) > 20
    assert published.select("totals").dicts() == reference.select("totals").dicts()


def test_the_workflow_trail_is_the_same_on_every_store(published: Catalog, reference: Catalog) -> None:
    ours = sorted(map(tuple, published.select("work_items").rows), key=str)
    theirs = sorted(map(tuple, reference.select("work_items").rows), key=str)
    assert ours == theirs and ours


@pytest.mark.server
@pytest.mark.parametrize("kind", ["oxigraph-server", "virtuoso"])
def test_results_past_the_row_cap_are_paged_and_counted(request: pytest.FixtureRequest, kind: str) -> None:
    server = server_of(request, kind)
    with credentials(server):
        store = RemoteStore(RemoteConfig.from_environment(
            server.query_url, update_url=server.update_url, graph_store_url=server.graph_store_url, page_size=4000))
    graph = URIRef("https://data.guiyang.example/graph/many")
    rows = [(graph, URIRef(f"https://data.guiyang.example/s/{i}"), URIRef("http://purl.org/dc/terms/title"), Literal(f"标题 {i}"))
            for i in range(12_500)]
    store.update("INSERT { GRAPH ?g { ?s ?p ?o } } WHERE { "
                 + __import__("govdata_ld.sparql_values", fromlist=["values_block"]).values_block(["g", "s", "p", "o"], rows) + " }")
    result = store.select("SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": graph})
    assert len(result) == 12_500 and len({r[0] for r in result.rows}) == 12_500
    assert len(list(store.quads(graph))) == 12_500
    store.update("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { VALUES ?g { <https://data.guiyang.example/graph/many> } GRAPH ?g { ?s ?p ?o } }")
    assert graph not in store.graph_names()


@pytest.mark.server
@pytest.mark.parametrize("kind", ["oxigraph-server", "virtuoso"])
def test_an_organ_with_600_entries_submits_its_catalog(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> None:
    """Stock Virtuoso priced ``organ_entries.rq`` (read by every submission) past its 400 s
    cost limit for one organ with 600 entries ("estimated execution time 554 (sec)") while the
    query led with the entry type; it leads with the organ now."""
    city = build_city([OrganKind.WORKING_DEPARTMENT], [])
    department = city.organs[2].uscc
    with open_catalog(request, kind, tmp_path, Settings()) as catalog:
        catalog.put(*city.organs)
        catalog.put(*(carrier(city, code, department) for code in entry_codes(city, department, 600)))
        assert len(catalog.select("organ_entries", organ=catalog.minter.organ(department))) == 600
        catalog.workflow.submit(department)
        assert len(catalog.workflow.items(organ=department)) == 600


def test_credentials_never_reach_messages_or_logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused login and a server that is gone: the messages and every log record hold the
    user's name at most, never the password (basic and digest)."""
    secret = "s3cret-Pa55word-never-shown"
    monkeypatch.setenv("GOVDATA_STORE_USER", "dba")
    monkeypatch.setenv("GOVDATA_STORE_PASSWORD", secret)
    caplog.set_level(logging.DEBUG)
    seen = []
    for auth in ("digest", "basic"):
        config = RemoteConfig.from_environment("http://127.0.0.1:9/sparql", auth=auth, retries=1, timeout=2)
        assert secret not in repr(config)
        with pytest.raises(StoreUnavailableError) as caught:
            RemoteStore(config)
        seen.append(str(caught.value))
    with pytest.raises(StoreUnavailableError) as caught:  # the password in the URL is taken out of it
        Catalog.open(f"http://dba:{secret}@127.0.0.1:9/sparql", settings=Settings())
    seen.append(str(caught.value))
    try:
        server = server_of(request, "virtuoso")
    except pytest.skip.Exception:
        server = None
    if server is not None:
        with credentials(server):  # the control graph exists (a fresh server: the first write makes it)
            RemoteStore(RemoteConfig.from_environment(server.query_url, update_url=server.update_url))
        config = RemoteConfig.from_environment(server.query_url, update_url=server.update_url, retries=0)
        store = RemoteStore(config)  # reads are anonymous on Virtuoso; the update is refused
        with pytest.raises(StoreUnavailableError, match="refused the credentials") as caught:
            store.update("INSERT DATA { GRAPH <https://data.guiyang.example/g> { <https://data.guiyang.example/s> "
                         "<https://data.guiyang.example/p> 1 } }")
        seen.append(str(caught.value))
    assert all(secret not in text for text in seen), seen
    assert secret not in caplog.text
    assert all(secret not in str(r.args) for r in caplog.records)


def test_a_remote_location_opens_a_remote_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$GOVDATA_STORE_CONFIG names a file holding a [store] table; the credentials come from the
    environment variables it names."""
    config = tmp_path / "store.toml"
    config.write_text('[store]\nauth = "basic"\ntimeout = 5\nuser_variable = "READER_USER"\n'
                      'password_variable = "READER_PASSWORD"\n', "utf-8")
    monkeypatch.setenv("GOVDATA_STORE_CONFIG", str(config))
    monkeypatch.setenv("READER_USER", "reader")
    monkeypatch.setenv("READER_PASSWORD", "reader-secret")
    made = RemoteConfig.from_environment("https://sparql.example.org/query", update_url="https://sparql.example.org/update")
    assert (made.auth, made.timeout, made.user, made.password, made.update_url) == (
        "basic", 5, "reader", "reader-secret", "https://sparql.example.org/update")
    assert "reader-secret" not in repr(made)
    config.write_text('[store]\nretry = 3\n', "utf-8")
    with pytest.raises(ConfigurationError, match="unknown store settings retry"):
        RemoteConfig.from_environment("https://sparql.example.org/query")


def test_the_settings_file_configures_the_remote_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The [store] table of the settings file: URLs, timeouts, paging, and the names of the
    environment variables holding the credentials (GOVDATA_STORE_USER/PASSWORD by default)."""
    monkeypatch.delenv("GOVDATA_STORE_CONFIG", raising=False)
    path = tmp_path / "govdata-ld.toml"
    path.write_text(
        'base_iri = "https://data.example.gov.cn/id/"\n\n[store]\n'
        'url = "http://127.0.0.1:8890/sparql"\nupdate_url = "http://127.0.0.1:8890/sparql-auth"\n'
        'graph_store_url = "http://127.0.0.1:8890/sparql-graph-crud-auth"\n'
        'timeout = 120\nretries = 1\nrow_cap = 5000\npage_size = 2000\ndialect = "virtuoso"\n'
        'password_variable = "VIRTUOSO_PASSWORD"\n', "utf-8")
    settings = Settings.load(path)
    assert settings.store == StoreSettings(
        url="http://127.0.0.1:8890/sparql", update_url="http://127.0.0.1:8890/sparql-auth",
        graph_store_url="http://127.0.0.1:8890/sparql-graph-crud-auth", timeout=120, retries=1, row_cap=5000,
        page_size=2000, dialect="virtuoso", password_variable="VIRTUOSO_PASSWORD", source=path)
    monkeypatch.setenv("GOVDATA_STORE_USER", "govdata")
    monkeypatch.setenv("VIRTUOSO_PASSWORD", "virtuoso-secret")
    made = RemoteConfig.from_environment(settings.store.url, store=settings.store)  # type: ignore[union-attr,arg-type]
    assert (made.query_url, made.update_url, made.graph_store_url, made.timeout, made.retries, made.row_cap,
            made.page_size, made.dialect, made.user, made.password) == (
        "http://127.0.0.1:8890/sparql", "http://127.0.0.1:8890/sparql-auth",
        "http://127.0.0.1:8890/sparql-graph-crud-auth", 120.0, 1, 5000, 2000, "virtuoso", "govdata", "virtuoso-secret")
    explicit = RemoteConfig.from_environment("http://h/q", update_url="http://h/u", store=settings.store, timeout=3)
    assert (explicit.update_url, explicit.timeout) == ("http://h/u", 3)
    monkeypatch.delenv("VIRTUOSO_PASSWORD")
    with pytest.raises(ConfigurationError, match=r"incomplete: \$VIRTUOSO_PASSWORD is not set"):
        RemoteConfig.from_environment(settings.store.url, store=settings.store)  # type: ignore[union-attr,arg-type]
    path.write_text('base_iri = "https://data.example.gov.cn/id/"\n', "utf-8")
    assert Settings.load(path).store is None


@pytest.mark.parametrize("table, message", [
    ('password = "hunter2-secret"', "may not hold credentials (password)"),
    ('user = "dba"\npassword = "hunter2-secret"', "may not hold credentials (password, user)"),
    ('password_variable = "hunter2-secret!"', "password_variable must name an environment variable"),
    ('url = "hunter2-secret"', "url must be an http(s) URL"),
    ('timeout = "hunter2-secret"', "timeout must be a number"),
    ('retries = -1', "retries 0 or more"),
    ('auth = "hunter2-secret"', "auth must be one of digest, basic"),
    ('dialect = "hunter2-secret"', "dialect must be one of virtuoso, oxigraph, generic"),
    ('hunter2 = 1', "unknown store settings hunter2"),
])
def test_store_settings_refuse_secrets_and_bad_values_without_quoting_them(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "govdata-ld.toml"
    path.write_text("[store]\n" + table + "\n", "utf-8")
    with pytest.raises(ConfigurationError) as caught:
        Settings.load(path)
    assert message in str(caught.value) and "hunter2-secret" not in str(caught.value)


@pytest.mark.server
def test_the_command_line_opens_the_store_the_settings_file_names(request: pytest.FixtureRequest, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No --store: the [store] url of the settings file, with its update and Graph Store URLs."""
    server = server_of(request, "oxigraph-server")
    wipe(server)
    monkeypatch.delenv("GOVDATA_STORE", raising=False)
    monkeypatch.delenv("GOVDATA_STORE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "govdata-ld.toml"
    path.write_text(f'[store]\nurl = "{server.query_url}"\nupdate_url = "{server.update_url}"\n'
                    f'graph_store_url = "{server.graph_store_url}"\n', "utf-8")
    runner = CliRunner()
    loaded = runner.invoke(cli, ["--config", str(path), "load", str(CITY / "organs.ttl")])
    assert loaded.exit_code == 0, loaded.output
    assert not (tmp_path / ".govdata").exists()
    with Catalog.open(server.query_url, settings=Settings.load(path)) as catalog:  # update URL from [store]
        assert catalog.select("organs").rows


@pytest.mark.server
def test_the_open_catalog_is_pushed_to_a_public_store_holding_nothing_else(reference: Catalog, tmp_path: Path) -> None:
    try:
        server = STARTERS["oxigraph-server"](tmp_path / "public")
    except ServerUnavailable as exc:
        unavailable(str(exc))
    server.start()
    request_cleanup = server.stop
    try:
        _push_and_check(server, reference)
    finally:
        request_cleanup()


def _push_and_check(server: object, reference: Catalog) -> None:
    with credentials(server):  # type: ignore[arg-type]
        public = RemoteStore(RemoteConfig.from_environment(server.query_url, update_url=server.update_url))
        public.update("INSERT DATA { GRAPH <https://data.guiyang.example/graph/stale> { <https://data.guiyang.example/s> "
                      "<https://data.guiyang.example/p> 1 } }")
        pushed = reference.push_open_catalog(server.query_url, update_url=server.update_url,
                                             graph_store_url=server.graph_store_url)
    open_iri = reference.minter.city_catalog("open")
    exported = reference.run("open_catalog", catalog=open_iri)
    assert public.graph_names() == {open_iri}
    assert {q[:3] for q in public.quads(open_iri)} == set(exported) and pushed == len(exported) > 20
