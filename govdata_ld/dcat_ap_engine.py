"""The DCAT-AP export inside the embedded store's engine: no RDF term per statement.

On the embedded store, :mod:`govdata_ld.dcat_ap` runs the mapping queries here: pyoxigraph
evaluates each CONSTRUCT and hands its statements as N-Triples to a memory store (each statement
once), which writes Turtle, N-Triples and RDF/XML itself, and N-Triples that
:func:`govdata_ld.dcat_ap_jsonld.from_ntriples` compacts into JSON-LD. Building an rdflib graph of the
same statements cost three quarters of the export's time (``docs/dcat-ap.md``, Performance). A
remote store gets None here and takes the generic path through rdflib terms.

The allow-list checks of an open export (:func:`leaks`) run as queries on the memory store, so
they cost little even when the full re-check (re-parse and DCAT-AP shapes) is skipped.

>>> from rdflib import URIRef
>>> restricted_query([URIRef("http://ex.org/p")]).split("WHERE")[1].split()[:2]
['{', 'VALUES']
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from rdflib import URIRef
from rdflib.term import Node

from . import queries, store
from .dcat_ap_jsonld import from_ntriples
from .sparql_values import fill

if TYPE_CHECKING:
    from .catalog import Catalog

_RESTRICTED = "SELECT DISTINCT ?s ?p WHERE { {values} ?s ?p ?o }"
_INTERNAL = re.compile(rb"^<([^>]*/internal-contact)> |<([^>]*/internal-contact)> \.$", re.MULTILINE)
"""A subject or object IRI ending in ``/internal-contact``, in N-Triples."""
_DATASETS = "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> }"
_MEMBERS = "SELECT ?catalog ?entry WHERE { GRAPH ?catalog { ?catalog <http://www.w3.org/ns/dcat#dataset> ?entry } }"
_SHOWN = 20
"""How many problems of one kind a failed check lists."""


def run(catalog: Catalog, name: str, catalogs: Sequence[URIRef]) -> store.EmbeddedStore | None:
    """Run the mapping query ``name`` on each published city catalog, all into one memory store;
    None when the catalog is not on the embedded store.

    Raises:
        QueryError: the query fails.
    """
    backend = catalog._store  # noqa: SLF001 - the engine path needs the engine itself
    if not isinstance(backend, store.EmbeddedStore):
        return None
    named = queries.named(name)
    scratch: store.EmbeddedStore | None = None
    for city_catalog in catalogs:
        bindings = named.bind({
            "catalog": city_catalog,
            "vocabulary": catalog.minter.vocabulary_graph(),
            "registry": catalog.minter.registry_graph(),
        })
        scratch = backend.construct_into(named.text, bindings, into=scratch, name=name)
    return scratch if scratch is not None else store.EmbeddedStore()


def write(
    scratch: store.EmbeddedStore, format: str, *, prefixes: Mapping[str, str], context_ref: str | None = None
) -> bytes:
    """The statements of a memory store in one of :data:`govdata_ld.store.FORMATS`; JSON-LD
    compacted against the shipped context (referenced by ``context_ref``, inlined when None)."""
    if format == "json-ld":
        return from_ntriples(scratch.dump_default("nt"), context_ref=context_ref)
    return scratch.dump_default(format, prefixes=prefixes)


def restricted_query(restricted: Collection[Node]) -> str:
    """The query listing statements whose predicate is one of ``restricted`` (a ``VALUES``
    block, so the engine looks each predicate up instead of reading every statement)."""
    return fill(_RESTRICTED, ["p"], [(p,) for p in restricted])


def leaks(catalog: Catalog, scratch: store.EmbeddedStore, *, restricted: Collection[Node], members_of: URIRef) -> list[str]:
    """What an open export must not hold, found by queries on its memory store: restricted
    fields, internal contact points, datasets that are not members of the published catalog
    ``members_of`` (the same checks as the generic path's, on the statements about to be written)."""
    problems = [f"restricted field {p} of {s}" for s, p in scratch.select(restricted_query(restricted), {}).rows[:_SHOWN]]
    lines = scratch.dump_default("nt")  # an IRI ending in /internal-contact, subject or object
    problems += [f"internal contact point {(m.group(1) or m.group(2)).decode()}" for m in itertools.islice(_INTERNAL.finditer(lines), _SHOWN)]
    members = set(catalog._store.select(_MEMBERS, {"catalog": members_of}).column("entry"))  # noqa: SLF001
    strangers = [s for (s,) in scratch.select(_DATASETS, {}).rows if s not in members]
    problems += [f"dataset {s} is not in the published open catalog" for s in strangers[:_SHOWN]]
    return problems
