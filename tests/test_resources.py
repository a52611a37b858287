"""The data files: every one parses, every term is labelled and traced, code and data agree."""

from __future__ import annotations

import re

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from govdata_ld import resources
from govdata_ld.codes import SCHEMES, CodeEnum, OpenAttribute
from govdata_ld.errors import ResourceNotFoundError
from govdata_ld.namespaces import CODE, GD, GDM
from govdata_ld.queries import named

ONTOLOGY = resources.ontology()
GD_NS = str(GD._NS)


def terms() -> list[URIRef]:
    """Every class, property, concept scheme, concept and provision the ontology files define."""
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, SKOS.ConceptScheme, SKOS.Concept,
             GD.LegalProvision, DCTERMS.Standard)
    found = {s for k in kinds for s in ONTOLOGY.subjects(RDF.type, k) if isinstance(s, URIRef)}
    return sorted(t for t in found if t.startswith(("https://w3id.org/govdata-ld/")))


@pytest.mark.parametrize("name", resources.names("ontology"))
def test_every_ontology_file_parses_and_has_a_header(name: str) -> None:
    graph = Graph().parse(data=resources.read("ontology", name), format="turtle")
    headers = list(graph.subjects(RDF.type, OWL.Ontology))
    assert len(headers) == 1, name
    for predicate in (DCTERMS.title, DCTERMS.description, OWL.versionInfo, DCTERMS.license):
        assert graph.value(headers[0], predicate) is not None, (name, predicate)


def test_the_ontology_defines_many_terms() -> None:
    assert len(terms()) > 150


@pytest.mark.parametrize("term", terms(), ids=str)
def test_every_term_has_zh_and_en_labels_and_a_definition(term: URIRef) -> None:
    labels = set(ONTOLOGY.objects(term, RDFS.label)) | set(ONTOLOGY.objects(term, SKOS.prefLabel))
    languages = {label.language for label in labels if isinstance(label, Literal)}
    assert {"zh", "en"} <= languages, term
    assert any(True for _ in ONTOLOGY.objects(term, SKOS.definition)), term


@pytest.mark.parametrize("term", [t for t in terms() if not t.startswith(str(GDM))], ids=str)
def test_every_term_points_at_a_provision_of_the_measures(term: URIRef) -> None:
    targets = list(ONTOLOGY.objects(term, RDFS.seeAlso))
    assert targets, term
    for target in targets:
        assert (target, RDF.type, GD.LegalProvision) in ONTOLOGY, (term, target)


def test_provisions_are_numbered_as_in_the_seed() -> None:
    provisions = {str(p)[len(str(GDM)) :] for p in ONTOLOGY.subjects(RDF.type, GD.LegalProvision)}
    assert {f"art-{n}" for n in range(1, 13)} <= provisions
    assert {"art-12-para-1", "art-12-para-2", "art-12-para-3", "art-4-item-4", "art-5-item-3"} <= provisions


def test_gd_namespace_matches_the_ontology() -> None:
    defined = {str(s)[len(GD_NS) :] for s in ONTOLOGY.subjects() if str(s).startswith(GD_NS)}
    in_code = set(GD.__annotations__)
    assert in_code == defined
    with pytest.raises(AttributeError):
        GD.NotATerm  # noqa: B018


def concepts_of(scheme: URIRef) -> set[URIRef]:
    return set(ONTOLOGY.subjects(SKOS.inScheme, scheme))


@pytest.mark.parametrize("enum", list(SCHEMES), ids=lambda e: e.__name__)
def test_every_enum_lists_exactly_its_schemes_concepts(enum: type[CodeEnum]) -> None:
    members = {m.iri for m in enum}
    expected = concepts_of(enum.scheme())
    if enum is OpenAttribute:  # the Guizhou scheme plus the Guiyang variant's 依申请开放
        expected |= concepts_of(URIRef(f"{CODE}open-attribute-guiyang"))
    assert members == expected


def test_every_concept_has_one_notation_unique_in_its_scheme() -> None:
    for scheme in ONTOLOGY.subjects(RDF.type, SKOS.ConceptScheme):
        notations = [ONTOLOGY.value(c, SKOS.notation) for c in concepts_of(scheme)]
        assert None not in notations, scheme
        assert len(set(notations)) == len(notations), scheme


def test_grades_permit_only_share_and_open_concepts() -> None:
    share = concepts_of(URIRef(f"{CODE}share-attribute"))
    opened = concepts_of(URIRef(f"{CODE}open-attribute"))
    for grade in concepts_of(URIRef(f"{CODE}grade")):
        assert set(ONTOLOGY.objects(grade, GD.permitsShareAttribute)) <= share
        assert set(ONTOLOGY.objects(grade, GD.permitsOpenAttribute)) <= opened


def test_update_cycles_map_to_the_eu_frequency_table() -> None:
    eu = "http://publications.europa.eu/resource/authority/frequency/"
    for cycle in concepts_of(URIRef(f"{CODE}update-cycle")):
        matches = [m for m in ONTOLOGY.objects(cycle, SKOS.exactMatch) if str(m).startswith(eu)]
        assert len(matches) == 1, cycle


@pytest.mark.parametrize("kind", ["ontology", "shapes", "queries"])
def test_every_name_resolves(kind: str) -> None:
    for name in resources.names(kind):
        assert resources.read(kind, name)


def test_an_unknown_name_lists_the_names_that_exist() -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        resources.query("no_such")
    assert "available: " in str(caught.value) and ", count_entries_by, " in str(caught.value)


@pytest.mark.parametrize("name", resources.names("queries"))
def test_every_query_has_a_summary_prefixes_and_declared_parameters(name: str) -> None:
    query = named(name)
    assert query.summary, name
    text = query.text
    used_prefixes = set(re.findall(r"\b([a-z][a-z0-9]*):[A-Za-z]", re.sub(r"<[^>]*>|#.*", "", text)))
    declared_prefixes = set(re.findall(r"PREFIX\s+([a-z0-9]*):", text))
    assert used_prefixes <= declared_prefixes, (name, used_prefixes - declared_prefixes)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    select_clause = body[body.find("SELECT") : body.find("WHERE")]
    for parameter in query.parameters:
        assert f"?{parameter}" in body, (name, parameter)
        if query.form == "SELECT":
            # a trailing VALUES block (remote stores) joins after the projection, and pyoxigraph
            # substitutes only projected variables: bindable variables must be projected
            assert f"?{parameter}" in select_clause, (name, parameter)


SHAPES = resources.shapes()
SH_NS = "http://www.w3.org/ns/shacl#"


def shape_nodes() -> list:
    from rdflib.namespace import SH

    found = set(SHAPES.subjects(RDF.type, SH.NodeShape)) | set(SHAPES.subjects(RDF.type, SH.PropertyShape))
    found |= set(SHAPES.objects(None, SH.property)) | set(SHAPES.objects(None, SH.node))
    return sorted(found, key=str)


def test_shapes_files_use_the_right_shacl_namespace() -> None:
    for name in resources.names("shapes"):
        text = resources.read("shapes", name)
        assert "https://www.w3.org/ns/shacl" not in text, name  # the misspelt namespace passes everything
        if name != "prefixes":
            assert text.startswith("#"), f"{name}.ttl opens with a comment saying what it covers"


@pytest.mark.parametrize("shape", shape_nodes(), ids=str)
def test_every_shape_is_named_explained_and_traced(shape) -> None:
    from rdflib.namespace import SH

    assert isinstance(shape, URIRef), "no blank-node shapes"
    assert SHAPES.value(shape, SH.severity) in (SH.Violation, SH.Warning), shape
    for predicate in (SH.name, SH.message):
        languages = {o.language for o in SHAPES.objects(shape, predicate) if isinstance(o, Literal)}
        assert {"zh", "en"} <= languages, (shape, predicate)
    targets = list(SHAPES.objects(shape, RDFS.seeAlso))
    assert targets, shape
    for target in targets:
        assert (target, RDF.type, GD.LegalProvision) in ONTOLOGY or (target, RDF.type, DCTERMS.Standard) in ONTOLOGY, (shape, target)
