"""Namespaces: our closed ``GD`` namespace, the code-list namespaces, and the output prefix map.

``GD`` mirrors ``ontology/govdata.ttl`` term for term (``tests/test_resources.py`` keeps the two in
step); a misspelt term is an ``AttributeError``. Standard vocabularies come from rdflib.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    XSD,
    DefinedNamespace,
)

__all__ = ["ADMS", "CODE", "CSVW", "DCAT3", "DQV", "GD", "GDM", "PREFIXES", "VCARD", "code_namespace", "curie"]


class GD(DefinedNamespace):
    """The govdata-ld ontology, ``https://w3id.org/govdata-ld/ontology#``."""

    _fail = True
    _NS = Namespace("https://w3id.org/govdata-ld/ontology#")

    AdministrativeOrgan: URIRef
    Approval: URIRef
    Audit: URIRef
    Compilation: URIRef
    DataItem: URIRef
    DataResource: URIRef
    InformationSystem: URIRef
    LegalProvision: URIRef
    MemberCount: URIRef
    OpenCatalog: URIRef
    Publication: URIRef
    Ratification: URIRef
    Reporting: URIRef
    ResourceCatalog: URIRef
    Review: URIRef
    SharingCatalog: URIRef
    Submission: URIRef
    Summarisation: URIRef
    SummaryCatalog: URIRef
    Withdrawal: URIRef
    WorkAssessment: URIRef
    WorkItem: URIRef
    WorkflowStep: URIRef

    added: URIRef
    addressedTo: URIRef
    adminLevel: URIRef
    assessedOrgan: URIRef
    awaits: URIRef
    awaitsStep: URIRef
    basicDatabase: URIRef
    category: URIRef
    changed: URIRef
    countedProperty: URIRef
    countedValue: URIRef
    dataItem: URIRef
    derivedWith: URIRef
    decision: URIRef
    distributionKind: URIRef
    division: URIRef
    fundingKind: URIRef
    grade: URIRef
    internalContactPoint: URIRef
    itemDataType: URIRef
    leadConstructionAuthority: URIRef
    leadOrgan: URIRef
    legalBasis: URIRef
    maximumInterval: URIRef
    members: URIRef
    openAttribute: URIRef
    openCondition: URIRef
    order: URIRef
    organKind: URIRef
    owner: URIRef
    permitsOpenAttribute: URIRef
    permitsShareAttribute: URIRef
    publishedOn: URIRef
    reason: URIRef
    renderedJsonld: URIRef
    renderedNTriples: URIRef
    renderedTurtle: URIRef
    renderingOf: URIRef
    resourceFormat: URIRef
    searchText: URIRef
    sequence: URIRef
    shareAttribute: URIRef
    shareCondition: URIRef
    shareMode: URIRef
    sourceBusiness: URIRef
    sourceSystem: URIRef
    supportsBusiness: URIRef
    theme: URIRef
    useRequirement: URIRef
    waitingSince: URIRef
    withdrawal: URIRef
    withdrawn: URIRef


GDM = Namespace("https://w3id.org/govdata-ld/measures/")
"""The Measures and their provisions, one IRI each (``gdm:art-12-para-1``)."""

CODE = Namespace("https://w3id.org/govdata-ld/code/")
"""Root of the code lists: scheme ``CODE["grade"]``, concept ``CODE["grade/sensitive"]``."""

DCAT3 = Namespace("http://www.w3.org/ns/dcat#")
"""DCAT 3 terms missing from rdflib's closed (DCAT 2) ``DCAT`` namespace, such as ``version``."""

ADMS = Namespace("http://www.w3.org/ns/adms#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")


def code_namespace(scheme: str) -> Namespace:
    """Return the namespace of the concepts of one code-list scheme.

    >>> code_namespace("grade")["sensitive"]
    rdflib.term.URIRef('https://w3id.org/govdata-ld/code/grade/sensitive')
    """
    return Namespace(f"{CODE}{scheme}/")


PREFIXES: dict[str, str] = {
    "gd": str(GD._NS),
    "gdm": str(GDM),
    "adms": str(ADMS),
    "csvw": str(CSVW),
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "dqv": str(DQV),
    "foaf": str(FOAF),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}
"""Prefixes used when writing Turtle, TriG and JSON-LD."""

_READING_PREFIXES = {
    **PREFIXES,
    "gds": "https://w3id.org/govdata-ld/shapes#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def curie(term: object) -> str:
    """Write an IRI as a prefixed name when a known prefix covers it, for people to read.

    >>> curie(GD.grade), curie(URIRef("http://example.org/x"))
    ('gd:grade', 'http://example.org/x')
    """
    text = str(term)
    if isinstance(term, URIRef):
        for prefix, namespace in _READING_PREFIXES.items():
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
    return text
