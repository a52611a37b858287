"""DCAT-AP in: a catalog from another portal (Turtle, JSON-LD, RDF/XML) read into our model.

What maps is kept (per dataset: code, title, description, keywords, dates, language, publisher
when it names an organ by its unified social credit code, themes that are our concepts,
accessRights -> open attribute when exactly one concept of the active open-attribute scheme
matches it, frequency -> update cycle, distributions with formats, public contact point,
coverage, data items); the rest is reported, one human-readable line each. A share or open
attribute (or grade) that does not map is left missing and reported, never defaulted (fail
closed, Measures Art. 9 para 2): validation then holds the entry back until its organ states it.

Nothing is fetched: a JSON-LD document whose ``@context`` refers to another document, and an
RDF/XML document with a DTD or entity declarations, are refused before parsing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, ORG, SKOS, XSD
from rdflib.term import Node

from . import resources, store
from .identifiers import is_valid_uscc
from .iris import Minter
from .mapping import OPENED, SHARED
from .namespaces import CODE, CSVW, DCAT3, GD, VCARD
from .settings import Settings

_EU = "http://publications.europa.eu/resource/authority/"
_COPIED = (DCTERMS.title, DCTERMS.description, DCAT.keyword, DCTERMS.language, GD.openCondition,
           GD.useRequirement, GD.shareCondition, GD.legalBasis, GD.sourceBusiness)
_DATES = (DCTERMS.issued, DCTERMS.modified)
_CONCEPTS = {  # our property -> the scheme its values come from
    GD.category: "category", GD.basicDatabase: "basic-database", GD.theme: "theme",
    GD.grade: "grade", GD.shareAttribute: "share-attribute", GD.shareMode: "share-mode",
}
_HANDLED = {
    RDF.type, DCTERMS.identifier, DCTERMS.publisher, DCAT.theme, DCTERMS.accessRights,
    DCTERMS.accrualPeriodicity, DCAT.distribution, DCAT.contactPoint, DCTERMS.temporal, GD.dataItem,
    DCTERMS.relation, DCTERMS.spatial, GD.openAttribute, DCAT3.version, *_COPIED, *_DATES, *_CONCEPTS,
}
_DISTRIBUTION = (DCTERMS.title, DCTERMS.description, DCAT.accessURL, DCAT.downloadURL)
_CONTACT = (VCARD.fn, VCARD.hasEmail, VCARD.hasTelephone, VCARD.hasURL)
_ITEM = (RDF.type, CSVW.name, DCTERMS.description, GD.itemDataType, GD.order)


@dataclass(frozen=True, slots=True, kw_only=True)
class DcatApImport:
    """What a DCAT-AP file became in our model.

    Attributes:
        graph: entries (``gd:DataResource``) with what they own and their organ-catalog
            memberships, ready for :meth:`govdata_ld.Catalog.load`; organs are referenced, never
            described (they come from the organ registry).
        unmapped: one line per thing that did not map, for people.
    """

    graph: Graph
    unmapped: list[str] = field(default_factory=list)


def import_dcat_ap(path: Path, settings: Settings) -> DcatApImport:
    """Read a DCAT-AP catalog (Turtle, JSON-LD or RDF/XML; by extension) into our model.

    Raises:
        InputError: the file cannot be read or parsed, its JSON-LD context refers to another
            document, or its RDF/XML declares a DTD or entities.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "x.ttl").write_text('''@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
    ... <http://ex.org/d> a dcat:Dataset ; dct:identifier "101001/000001" ; dct:title "人口"@zh .''', encoding="utf-8") > 0
    True
    >>> result = import_dcat_ap(folder / "x.ttl", Settings())
    >>> len(result.graph) > 0, any("open attribute" in line for line in result.unmapped)
    (True, True)
    """
    source = str(path)
    data = store.read_source(source)
    fmt = store.format_for(source)
    graph = Graph()
    for s, p, o, _ in store.parse(data, fmt, source=source):  # the input gate refuses DTDs and remote contexts
        graph.add((s, p, o))
    return _Mapper(graph, settings).run()


class _Mapper:
    def __init__(self, source: Graph, settings: Settings) -> None:
        self.source = source
        self.minter = Minter(settings.base_iri)
        self.vocabulary = resources.ontology(overrides=settings.code_lists)
        self.open_scheme = URIRef(f"{CODE}{settings.open_attribute_scheme}")
        self.out = Graph()
        self.unmapped: list[str] = []

    def run(self) -> DcatApImport:
        datasets = sorted(set(self.source.subjects(RDF.type, DCAT.Dataset)), key=str)
        codes = {d: str(self.source.value(d, DCTERMS.identifier) or "") for d in datasets}
        self.entries = {d: self.minter.entry(c) for d, c in codes.items() if c}
        for dataset in datasets:
            if dataset not in self.entries:
                self.unmapped.append(f"dataset {dataset}: no dct:identifier (resource code); not imported")
                continue
            self._dataset(dataset, self.entries[dataset])
        described = {s for s in self.source.subjects() if s not in datasets}
        owned = {o for d in datasets for o in self.source.objects(d, None)}
        others = sorted(str(s) for s in described - owned if (s, RDF.type, DCAT.Catalog) in self.source)
        if others:
            self.unmapped.append(f"catalog(s) {', '.join(others)}: not imported (our catalogs come from the organ registry)")
        return DcatApImport(graph=self.out, unmapped=self.unmapped)

    def _dataset(self, dataset: Node, entry: URIRef) -> None:
        src, add, say = self.source, self.out.add, self._say(dataset)
        add((entry, RDF.type, GD.DataResource))
        add((entry, RDF.type, DCAT.Dataset))
        add((entry, DCTERMS.identifier, Literal(str(src.value(dataset, DCTERMS.identifier)))))
        for predicate in _COPIED:
            for value in src.objects(dataset, predicate):
                add((entry, predicate, value))
        for predicate in _DATES:
            for value in src.objects(dataset, predicate):
                add((entry, predicate, Literal(str(value)[:10], datatype=XSD.date)))
        organ = self._organ(dataset, say)
        if organ is not None:
            add((entry, DCTERMS.publisher, organ))
        attributes = self._concepts(dataset, entry, say)
        opened = self._open_attribute(dataset, say)
        if opened is not None:
            add((entry, GD.openAttribute, opened))
        for name, predicate in (("share attribute", GD.shareAttribute), ("grade", GD.grade)):
            if predicate not in attributes:
                say(f"{name}: not stated (DCAT-AP has none); left missing, never defaulted")
        self._cycle(dataset, entry, say)
        self._spatial(dataset, entry, say)
        self._distributions(dataset, entry, say)
        self._owned(dataset, entry, DCAT.contactPoint, "contact", _CONTACT, VCARD.Kind)
        self._owned(dataset, entry, DCTERMS.temporal, "temporal", (DCAT.startDate, DCAT.endDate), DCTERMS.PeriodOfTime)
        for n, item in enumerate(sorted(src.objects(dataset, GD.dataItem), key=str), start=1):
            self._copy(item, URIRef(f"{entry}/item/{n}"), _ITEM)
            add((entry, GD.dataItem, URIRef(f"{entry}/item/{n}")))
        for related in src.objects(dataset, DCTERMS.relation):
            if related in self.entries:
                add((entry, DCTERMS.relation, self.entries[related]))
            else:
                say(f"dct:relation {related}: not a dataset of this file with a resource code; dropped")
        if organ is not None and (uscc := self.minter.code_of_organ(organ)):
            add((self.minter.catalog(uscc, "resource"), DCAT.dataset, entry))
            if attributes.get(GD.shareAttribute) in SHARED:
                add((self.minter.catalog(uscc, "sharing"), DCAT.dataset, entry))
            if opened in OPENED:
                add((self.minter.catalog(uscc, "open"), DCAT.dataset, entry))
        for unmapped in sorted(set(src.predicates(dataset, None)) - _HANDLED, key=str):
            say(f"{unmapped}: not mapped ({len(list(src.objects(dataset, unmapped)))} value(s))")

    def _say(self, dataset: Node):  # type: ignore[no-untyped-def]
        code = self.source.value(dataset, DCTERMS.identifier)
        return lambda text: self.unmapped.append(f"dataset {code or dataset}: {text}")

    def _organ(self, dataset: Node, say) -> URIRef | None:  # type: ignore[no-untyped-def]
        publishers = list(self.source.objects(dataset, DCTERMS.publisher))
        if len(publishers) != 1:
            say(f"dct:publisher: {len(publishers)} value(s); the provider needs exactly one organ; left missing")
            return None
        agent = publishers[0]
        if isinstance(agent, URIRef) and self.minter.code_of_organ(str(agent)):
            return agent
        for predicate in (ORG.identifier, DCTERMS.identifier, SKOS.notation):
            for code in self.source.objects(agent, predicate):
                if is_valid_uscc(str(code)):
                    return self.minter.organ(str(code))
        say(f"dct:publisher {agent}: no unified social credit code names an organ; left missing")
        return None

    def _concepts(self, dataset: Node, entry: URIRef, say) -> dict[URIRef, URIRef]:  # type: ignore[no-untyped-def]
        """Our concepts, from our own properties or dcat:theme; two values for one property: none."""
        found: dict[URIRef, set[URIRef]] = {}
        values: list[tuple[URIRef | None, Node]] = [(p, v) for p in _CONCEPTS for v in self.source.objects(dataset, p)]
        values += [(None, v) for v in self.source.objects(dataset, DCAT.theme)]
        for predicate, value in values:
            target = next((p for p, s in _CONCEPTS.items() if (value, SKOS.inScheme, URIRef(CODE + s)) in self.vocabulary), None)
            if target is not None and predicate in (None, target):
                found.setdefault(target, set()).add(value)  # type: ignore[arg-type]
            elif str(value).startswith(_EU + "data-theme/"):
                if any((ours, SKOS.broadMatch, value) in self.vocabulary for _, ours in values):
                    continue  # the broader EU theme of one of our concepts: nothing is lost
                say(f"dcat:theme {value}: an EU data theme is broader than our categories and themes; dropped")
            else:
                say(f"{'dcat:theme' if predicate is None else predicate} {value}: not a concept of our code lists; dropped")
        kept = {}
        for target, concepts in found.items():
            if len(concepts) == 1:
                kept[target] = next(iter(concepts))
                self.out.add((entry, target, kept[target]))
            else:
                say(f"{target}: {len(concepts)} values ({', '.join(sorted(concepts))}); left missing")
        return kept

    def _open_attribute(self, dataset: Node, say) -> URIRef | None:  # type: ignore[no-untyped-def]
        stated = {v for v in self.source.objects(dataset, GD.openAttribute) if (v, SKOS.inScheme, self.open_scheme) in self.vocabulary}
        for rights in self.source.objects(dataset, DCTERMS.accessRights):
            matches = {c for c in self.vocabulary.subjects(SKOS.closeMatch, rights) if (c, SKOS.inScheme, self.open_scheme) in self.vocabulary}
            if len(matches) == 1:
                stated |= matches
            else:
                say(f"dct:accessRights {rights}: matches {len(matches)} open attribute(s) of the active scheme; not used")
        if len(stated) == 1:
            return URIRef(str(next(iter(stated))))
        say("open attribute: " + ("not stated or not mapped" if not stated else "conflicting values") + "; left missing, never defaulted")
        return None

    def _cycle(self, dataset: Node, entry: URIRef, say) -> None:  # type: ignore[no-untyped-def]
        for value in self.source.objects(dataset, DCTERMS.accrualPeriodicity):
            ours = value if (value, SKOS.inScheme, URIRef(CODE + "update-cycle")) in self.vocabulary else None
            matches = list(self.vocabulary.subjects(SKOS.exactMatch, value))
            ours = ours or (matches[0] if len(matches) == 1 else None)
            if ours is None:
                say(f"dct:accrualPeriodicity {value}: no update cycle matches it; dropped")
            else:
                self.out.add((entry, DCTERMS.accrualPeriodicity, ours))

    def _spatial(self, dataset: Node, entry: URIRef, say) -> None:  # type: ignore[no-untyped-def]
        for value in self.source.objects(dataset, DCTERMS.spatial):
            if (value, SKOS.inScheme, URIRef(CODE + "division")) in self.vocabulary:
                self.out.add((entry, DCTERMS.spatial, value))
            else:
                say(f"dct:spatial {value}: not a division of our code list; dropped")

    def _distributions(self, dataset: Node, entry: URIRef, say) -> None:  # type: ignore[no-untyped-def]
        formats = URIRef(CODE + "format")
        for n, dist in enumerate(sorted(self.source.objects(dataset, DCAT.distribution), key=str), start=1):
            ours = URIRef(f"{entry}/distribution/{n}")
            self._copy(dist, ours, _DISTRIBUTION)
            self.out.add((entry, DCAT.distribution, ours))
            self.out.add((ours, RDF.type, DCAT.Distribution))
            self.out.add((ours, GD.order, Literal(n)))
            for value in self.source.objects(dist, DCTERMS.format):
                candidates = [value] if (value, SKOS.inScheme, formats) in self.vocabulary else [
                    c for c in self.vocabulary.subjects(SKOS.exactMatch, value) if (c, SKOS.inScheme, formats) in self.vocabulary
                ]
                if len(candidates) == 1:
                    self.out.add((ours, DCTERMS.format, candidates[0]))
                else:
                    say(f"distribution {n}: dct:format {value} is not a file type of our format list; dropped")
            kind = self.source.value(dist, GD.distributionKind)
            if kind is None and (dist, DCAT.accessService, None) in self.source:
                kind = URIRef(CODE + "distribution-kind/api")
            elif kind is None and (dist, DCAT.downloadURL, None) in self.source:
                kind = URIRef(CODE + "distribution-kind/file")
            if kind is not None:
                self.out.add((ours, GD.distributionKind, kind))
            for rights in self.source.objects(dist, DCTERMS.rights):
                for label in self.source.objects(rights, RDFS.label):
                    if not any(self.source.objects(dataset, GD.useRequirement)):
                        self.out.add((entry, GD.useRequirement, label))
            for license_ in self.source.objects(dist, DCTERMS.license):
                self.out.add((entry, DCTERMS.license, license_))

    def _owned(self, dataset: Node, entry: URIRef, predicate: URIRef, name: str, copied: Iterable[URIRef], cls: URIRef) -> None:
        for value in list(self.source.objects(dataset, predicate))[:1]:
            ours = URIRef(f"{entry}/{name}")
            self.out.add((entry, predicate, ours))
            self.out.add((ours, RDF.type, cls))
            self._copy(value, ours, copied)

    def _copy(self, source: Node, target: URIRef, predicates: Iterable[URIRef]) -> None:
        for predicate in predicates:
            for value in self.source.objects(source, predicate):
                self.out.add((target, predicate, value))
