"""Minting IRIs: the same code always names the same thing.

Entries are named from their resource code, organs from their unified social credit code, so
importing a known code again reaches the same entry. Everything a record owns (data items,
distributions, contact points, its temporal coverage) is named under its IRI, so no blank nodes
are written and descriptions compare as plain sets.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from rdflib import URIRef

from .errors import InputError
from .namespaces import code_namespace

CATALOG_KINDS = ("resource", "sharing", "open")
CITY_CATALOG_KINDS = ("general", "sharing", "open")


class Minter:
    """Mints the IRIs of one deployment from its base IRI.

    >>> m = Minter("https://data.guiyang.example/")
    >>> m.entry("101001/000001")
    rdflib.term.URIRef('https://data.guiyang.example/resource/101001%2F000001')
    >>> m.code_of_entry(m.entry("101001/000001"))
    '101001/000001'
    """

    def __init__(self, base_iri: str) -> None:
        self.base = base_iri

    def entry(self, code: str) -> URIRef:
        return URIRef(f"{self.entry_space}{_segment(code)}")

    def code_of_entry(self, iri: str) -> str | None:
        """The resource code an entry IRI was minted from, or None."""
        return _code_under(self.entry_space, iri)

    @property
    def entry_space(self) -> str:
        """The prefix of every entry IRI and of every node an entry owns (``{base}resource/``)."""
        return f"{self.base}resource/"

    def entry_of(self, iri: str) -> URIRef | None:
        """The entry an IRI in the entry space names or belongs to (its first path segment), or
        None outside that space.

        >>> m = Minter("https://data.guiyang.example/")
        >>> m.entry_of(m.child(m.entry("101001/000001"), "distribution", 1)) == m.entry("101001/000001")
        True
        >>> m.entry_of("https://data.guiyang.example/organ/11520100000393844U") is None
        True
        """
        text = str(iri)
        if not text.startswith(self.entry_space):
            return None
        return URIRef(self.entry_space + text[len(self.entry_space):].split("/", 1)[0])

    def code_of_organ(self, iri: str) -> str | None:
        """The unified social credit code an organ IRI was minted from, or None."""
        return _code_under(f"{self.base}organ/", iri)

    def code_of_system(self, iri: str) -> str | None:
        """The code an information-system IRI was minted from, or None."""
        return _code_under(f"{self.base}system/", iri)

    def organ(self, uscc: str) -> URIRef:
        return URIRef(f"{self.base}organ/{_segment(uscc)}")

    def catalog(self, uscc: str, kind: str) -> URIRef:
        if kind not in CATALOG_KINDS:
            raise ValueError(f"catalog kind must be one of {CATALOG_KINDS}, got {kind!r}")
        return URIRef(f"{self.base}catalog/{_segment(uscc)}/{kind}")

    def system(self, code: str) -> URIRef:
        return URIRef(f"{self.base}system/{_segment(code)}")

    def registry_graph(self) -> URIRef:
        """The graph of organs, their catalogs, information systems and lead assignments."""
        return URIRef(f"{self.base}graph/registry")

    def workflow_graph(self) -> URIRef:
        """The graph of work items and workflow steps (the Article 12 trail)."""
        return URIRef(f"{self.base}graph/workflow")

    def work_item(self, code: str, version: int, *, withdrawal: bool = False) -> URIRef:
        """A version of an entry on its way along the Article 12 path (or a request to withdraw it)."""
        item = f"{self.base}work/{_segment(code)}/{version}"
        return URIRef(item + "/withdrawal" if withdrawal else item)

    def activity(self, sequence: int) -> URIRef:
        """The ``sequence``-th workflow step taken in this store."""
        return URIRef(f"{self.base}activity/{sequence}")

    def city_catalog(self, kind: str) -> URIRef:
        """The city's general, sharing or open catalog; also the name of its published graph."""
        if kind not in CITY_CATALOG_KINDS:
            raise ValueError(f"city catalog kind must be one of {CITY_CATALOG_KINDS}, got {kind!r}")
        return URIRef(f"{self.base}catalog/city/{kind}")

    def vocabulary_graph(self) -> URIRef:
        """The graph holding the ontology, the code lists and the provisions of the Measures."""
        return URIRef(f"{self.base}graph/vocabulary")

    def rendering_graph(self, kind: str) -> URIRef:
        """The graph keeping the members of a published city catalog rendered for its DCAT-AP
        export (:mod:`govdata_ld.dcat_ap_view`): a cache, rebuilt from the published versions."""
        if kind not in CITY_CATALOG_KINDS:
            raise ValueError(f"city catalog kind must be one of {CITY_CATALOG_KINDS}, got {kind!r}")
        return URIRef(f"{self.base}graph/rendered/{kind}")

    @staticmethod
    def entry_graph(entry: URIRef) -> URIRef:
        """The graph holding the current version of an entry is named by the entry's IRI."""
        return entry

    @staticmethod
    def version_graph(entry: URIRef, version: int) -> URIRef:
        """The graph keeping an earlier version of an entry."""
        return URIRef(f"{entry}/version/{version}")

    @staticmethod
    def child(parent: URIRef, *path: str | int) -> URIRef:
        """A node owned by ``parent``: a data item, distribution, contact point or period."""
        return URIRef("/".join([str(parent), *(_segment(str(p)) for p in path)]))


def division_concept(code: str) -> URIRef:
    """The concept of a GB/T 2260 division code.

    >>> division_concept("520102")
    rdflib.term.URIRef('https://w3id.org/govdata-ld/code/division/520102')
    """
    return code_namespace("division")[_segment(code)]


def code_of_division(iri: str) -> str | None:
    """The GB/T 2260 code of a division concept, or None."""
    return _code_under(str(code_namespace("division")), iri)


def _code_under(prefix: str, iri: str) -> str | None:
    rest = str(iri)[len(prefix) :]
    if not str(iri).startswith(prefix) or not rest or "/" in rest:
        return None
    return unquote(rest)


def _segment(text: str) -> str:
    if not isinstance(text, str) or not text:
        raise InputError(f"a code must be non-empty text, not {text!r}", code="param.invalid", parameter="code")
    return quote(text, safe="-._~")
