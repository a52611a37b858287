"""Shared fixtures: small Turtle files by name, catalogs in both store modes, the example city."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from govdata_ld import Catalog, Settings

from .servers import STORE_KINDS, open_catalog, running_servers  # noqa: F401 - fixtures

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
ROOT = TESTS.parent
CITY = ROOT / "examples" / "guiyang"


def city_files() -> list[Path]:
    """The example city's Turtle files: organs first, then one file per providing organ."""
    return [CITY / "organs.ttl", *sorted((CITY / "drafts").glob("*/catalog.ttl"))]


@pytest.fixture
def fixture_path() -> callable:
    """Return the path of a fixture file by name."""

    def path(name: str) -> Path:
        found = FIXTURES / name
        assert found.is_file(), f"no fixture {name}"
        return found

    return path


@pytest.fixture(params=STORE_KINDS)
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    """An empty catalog on every kind of store: in memory, on disk, on an Oxigraph server and on
    Virtuoso (the servers are started once per session; see tests/servers.py)."""
    with open_catalog(request, request.param, tmp_path, Settings()) as opened:
        yield opened


@pytest.fixture
def memory_catalog() -> Iterator[Catalog]:
    with Catalog.open("memory", settings=Settings()) as opened:
        yield opened


@pytest.fixture(scope="session")
def city() -> Graph:
    """The example city's files parsed by rdflib alone (read-only: copy before changing)."""
    graph = Graph()
    for path in city_files():
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="session")
def city_catalog() -> Catalog:
    """The example city loaded into a memory store (read-only use)."""
    catalog = Catalog.open("memory", settings=Settings())
    catalog.load(*city_files())
    return catalog


# Hypothesis profiles (tests/test_invariants.py): "ci" is the default, with a fixed seed; choose
# "long" with HYPOTHESIS_PROFILE=long or pytest's --hypothesis-profile=long.
import os

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile(
    "ci",
    max_examples=500,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
