"""The only module that knows where the data files live: ontology, shapes and queries, by name.

A file's stem is its name (``queries/entries.rq`` is ``"entries"``). In an installed wheel the
folders are ``govdata_ld/_data/{ontology,shapes,queries}``; in a source checkout they are the
top-level folders. Third parties' files kept as published (``ontology/vendor/``) are read by path
with :func:`vendored`. Nothing is fetched from the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from rdflib import Graph

from .errors import InputError, ResourceNotFoundError

KINDS = {"ontology": ".ttl", "shapes": ".ttl", "queries": ".rq"}


@cache
def _folder(kind: str) -> Traversable:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    packaged = files("govdata_ld") / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / kind


def names(kind: str) -> list[str]:
    """List the names of one kind of data file.

    Args:
        kind: "ontology", "shapes" or "queries".

    >>> "govdata" in names("ontology")
    True
    """
    folder = _folder(kind)
    if not folder.is_dir():
        return []
    suffix = KINDS[kind]
    return sorted(p.name[: -len(suffix)] for p in folder.iterdir() if p.name.endswith(suffix))


def read(kind: str, name: str) -> str:
    """Return the text of one named data file.

    Raises:
        ResourceNotFoundError: no file of that kind has that name; the message lists the names.
    """
    entry = _folder(kind) / f"{name}{KINDS[kind]}"
    if not entry.is_file():
        raise ResourceNotFoundError(kind, name, available=names(kind))
    return entry.read_text(encoding="utf-8")


def vendored(*path: str) -> str:
    """Return the text of a vendored file: a third party's data, kept as published under
    ``ontology/vendor/`` (``govdata_ld/_data/ontology/vendor/`` in a wheel), not an ontology file
    and not listed by :func:`names`.

    Args:
        path: the file's path below ``ontology/vendor/``, one segment per argument.

    Raises:
        ResourceNotFoundError: no vendored file has that path; the message lists the files.

    >>> vendored("piveau-dqv-vocabulary.ttl").startswith("@prefix")
    True
    >>> vendored("piveau.ttl")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govdata_ld.errors.ResourceNotFoundError: no vendored file named 'piveau.ttl'; available: README.md, ...
    """
    folder = _folder("ontology") / "vendor"
    entry = folder.joinpath(*path)
    if not entry.is_file():
        raise ResourceNotFoundError("vendored file", "/".join(path), available=_files_below(folder))
    return entry.read_text(encoding="utf-8")


def _files_below(folder: Traversable, prefix: str = "") -> list[str]:
    if not folder.is_dir():
        return []
    found = []
    for item in folder.iterdir():
        found += _files_below(item, f"{prefix}{item.name}/") if item.is_dir() else [prefix + item.name]
    return found


def ontology_texts(overrides: Mapping[str, Path] | None = None) -> dict[str, str]:
    """Return the Turtle text of every ontology file, by name, with a deployment's replacements.

    Args:
        overrides: name -> file; replaces the shipped file of that name or adds a new one.
    """
    texts = {name: read("ontology", name) for name in names("ontology")}
    for name, path in (overrides or {}).items():
        try:
            texts[name] = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(exc.strerror or "cannot read file", source=str(path)) from exc
    return texts


def ontology(*selected: str, overrides: Mapping[str, Path] | None = None) -> Graph:
    """Parse ontology files into one graph: the named ones, or all.

    Args:
        selected: names of files to read; all when empty.
        overrides: a deployment's replacement files (see :class:`govdata_ld.Settings`).

    Raises:
        ResourceNotFoundError: a selected name does not exist.

    >>> from govdata_ld.namespaces import GD
    >>> from rdflib import RDFS, Literal
    >>> Literal("政府数据资源", lang="zh") in ontology("govdata").objects(GD.DataResource, RDFS.label)
    True
    """
    texts = ontology_texts(overrides)
    for name in selected:
        if name not in texts:
            raise ResourceNotFoundError("ontology", name, available=texts)
    graph = Graph()
    for name in selected or sorted(texts):
        graph.parse(data=texts[name], format="turtle", publicID=f"urn:govdata-ld:ontology:{name}")
    return graph


def shapes(*selected: str) -> Graph:
    """Parse shapes files into one graph: the named ones, or all.

    Raises:
        ResourceNotFoundError: a selected name does not exist.
    """
    graph = Graph()
    for name in selected or names("shapes"):
        graph.parse(data=read("shapes", name), format="turtle")
    return graph


def dcat_ap_shapes(*selected: str) -> Graph:
    """Parse the official DCAT-AP 3.0.1 shapes shipped in ``shapes/dcat_ap/`` (third-party files,
    not listed by :func:`names`, so the validator of our catalogs never loads them).

    Args:
        selected: file stems ("shapes", "range", "mdr-vocabularies.shape"); all when empty.

    Raises:
        ResourceNotFoundError: no DCAT-AP shapes file has that name.

    >>> len(dcat_ap_shapes("range")) > 100
    True
    """
    folder = _folder("shapes") / "dcat_ap"
    available = sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".ttl")) if folder.is_dir() else []
    graph = Graph()
    for name in selected or available:
        if name not in available:
            raise ResourceNotFoundError("DCAT-AP shapes file", name, available=available)
        graph.parse(data=(folder / f"{name}.ttl").read_text(encoding="utf-8"), format="turtle")
    return graph


def jsonld_context(name: str) -> str:
    """Return the text of a JSON-LD context shipped in ``ontology/context/`` (``{name}.jsonld``).

    Raises:
        ResourceNotFoundError: no context has that name.

    >>> '"dcat"' in jsonld_context("dcat_ap")
    True
    """
    folder = _folder("ontology") / "context"
    entry = folder / f"{name}.jsonld"
    if not entry.is_file():
        available = [p.name[:-7] for p in folder.iterdir() if p.name.endswith(".jsonld")] if folder.is_dir() else []
        raise ResourceNotFoundError("JSON-LD context", name, available=available)
    return entry.read_text(encoding="utf-8")


def query(name: str) -> str:
    """Return the text of a named SPARQL query.

    Raises:
        ResourceNotFoundError: no query has that name; the message lists the names.
    """
    return read("queries", name)
