"""The main job: from the organs' draft catalogs to the city's published catalogs (Art. 9-12).

``build(catalog, source, out)`` loads a source folder, validates it, runs every step of Article 12
with the rightful organ (applying a decisions file where one is given, "accepted" elsewhere, and
saying so in the trail), publishes, and writes the results into ``out``.

Source folder layout (``docs/workflow.md``)::

    SOURCE/organs.ttl           the organ tree, information systems, lead assignments (every RDF
                                file at the top level is read)
    SOURCE/drafts/<organ>/      one folder per organ: its draft catalog files; every entry in a
                                folder must have the same provider (dct:publisher)
    SOURCE/decisions.toml       optional: the decisions that are not "accepted"

``decisions.toml``::

    [[decision]]
    step = "audit"              # audit, approve, review or ratify
    entry = "302143/000001"     # or organ = "<credit code>" for all its entries at that step
    reason = "数据项描述不完整"   # the entry is returned with this reason

Output folder: ``general-catalog.ttl``, ``sharing-catalog.ttl``, ``open-catalog.ttl`` (the
exports of the published graphs), ``validation.txt`` and ``validation.json``, ``steps.csv``
(every step taken), ``withheld.csv`` (entries kept back, and why), ``assessment.csv`` and
``assessment.ttl`` (the work assessment, as a table and as W3C DQV), ``summary.json``.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from rdflib.namespace import DCTERMS, RDF

from . import city_catalogs, store
from .assessment import assess
from .catalog import Catalog
from .city_catalogs import Changes
from .dcat_ap import write_open_platform
from .errors import InputError, WorkflowError
from .files import write_atomically
from .graphs import WriteSummary
from .iris import CITY_CATALOG_KINDS
from .namespaces import GD, PREFIXES
from .routes import DECIDING, STEP_NAMES
from .validation import ValidationReport
from .workflow import StepResult

DECISIONS_FILE = "decisions.toml"
DRAFTS_DIR = "drafts"
DEFAULT_REASON = "按默认通过：未提供决定文件 / accepted by default: no decisions file"
DEFAULT_REASON_WITH_FILE = "按默认通过：决定文件未列此项 / accepted by default: not listed in the decisions file"
_ORDER = (GD.Audit, GD.Approval, GD.Reporting, GD.Review, GD.Summarisation, GD.Ratification, GD.Publication)
_DECIDING_VERBS = {STEP_NAMES[s] for s in DECIDING}

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """A decision that differs from "accepted": return an entry (or all of an organ's entries)
    at one step, with a reason."""

    step: str
    reason: str
    entry: str | None = None
    organ: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSummary:
    """What a build did.

    Attributes:
        loaded: what loading the source wrote.
        steps: every step taken, in order.
        withheld: (resource code, why) of entries kept out of publication.
        returned: (resource code, step, reason) of entries returned.
        changes: per city catalog, what the publication added, changed and withdrew.
        members: per city catalog, how many entries it holds.
        files: the files written.
        decisions_file: the decisions file used, if any.
        unused_decisions: decisions that matched nothing awaiting their step.
    """

    loaded: WriteSummary
    steps: tuple[StepResult, ...]
    withheld: tuple[tuple[str, str], ...]
    returned: tuple[tuple[str, str, str], ...]
    changes: Mapping[str, Changes]
    members: Mapping[str, int]
    files: tuple[Path, ...]
    decisions_file: Path | None
    unused_decisions: tuple[Decision, ...] = field(default=())

    def text(self) -> str:
        """A summary for people."""
        lines = [
            f"loaded: {len(self.loaded.added)} entries added, {len(self.loaded.revised)} revised, "
            f"{len(self.loaded.unchanged)} unchanged",
            f"steps taken: {len(self.steps)} "
            + ("(decisions from " + str(self.decisions_file) + "; every other step accepted by default)"
               if self.decisions_file else "(no decisions file: every step accepted by its rightful organ)"),
        ]
        for kind in CITY_CATALOG_KINDS:
            c = self.changes.get(kind)
            delta = f" (+{len(c.added)} added, {len(c.changed)} changed, {len(c.withdrawn)} withdrawn)" if c else ""
            lines.append(f"{kind} catalog: {self.members.get(kind, 0)} entries{delta}")
        lines.append(f"withheld: {len(self.withheld)}")
        lines += [f"  {code}: {why}" for code, why in self.withheld]
        lines.append(f"returned: {len(self.returned)}")
        lines += [f"  {code} at {step}: {reason}" for code, step, reason in self.returned]
        for d in self.unused_decisions:
            lines.append(f"decision not applied (nothing awaited it): {d.step} {d.entry or d.organ}")
        lines.append(f"wrote {len(self.files)} files")
        return "\n".join(lines) + "\n"


def read_decisions(path: Path) -> list[Decision]:
    """Read a decisions file.

    Raises:
        InputError: the file is not TOML, or a decision lacks a step, a reason or its target.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read decisions: {exc}", source=str(path)) from exc
    out = []
    for i, item in enumerate(data.get("decision", []), start=1):
        where = f"{path} [[decision]] #{i}"
        if not isinstance(item, dict) or set(item) - {"step", "reason", "entry", "organ"}:
            raise InputError("a decision has the keys step, reason and entry or organ", source=where)
        if item.get("step") not in _DECIDING_VERBS:
            raise InputError(f"step must be one of {', '.join(sorted(_DECIDING_VERBS))}; got {item.get('step')!r}", source=where)
        if not str(item.get("reason", "")).strip():
            raise InputError("a returned entry needs a reason", source=where)
        if ("entry" in item) == ("organ" in item):
            raise InputError("name exactly one of entry or organ", source=where)
        out.append(Decision(step=item["step"], reason=item["reason"], entry=item.get("entry"), organ=item.get("organ")))
    return out


def source_files(source: Path) -> tuple[list[Path], dict[str, list[Path]]]:
    """The registry files and, per organ folder, the draft files of a source folder.

    Raises:
        InputError: the folder is missing, has no registry file, or a drafts folder is empty.
    """
    if not source.is_dir():
        raise InputError("not a folder", source=str(source))
    registry = sorted(p for p in source.iterdir() if p.is_file() and _is_rdf(p))
    if not registry:
        raise InputError("no organ file (organs.ttl) at the top of the source folder", source=str(source))
    drafts: dict[str, list[Path]] = {}
    root = source / DRAFTS_DIR
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            files = sorted(p for p in folder.rglob("*") if p.is_file() and _is_rdf(p))
            if not files:
                raise InputError("an organ's drafts folder holds no RDF file", source=str(folder))
            drafts[folder.name] = files
    return registry, drafts


def build(
    catalog: Catalog,
    source: str | Path,
    out: str | Path,
    *,
    as_of: date | None = None,
    at: datetime | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Load, validate, take every Article 12 step, publish, and write the results.

    Args:
        catalog: the store (a previous build's store is brought up to date).
        source: the source folder.
        out: the output folder (created; files in it are replaced).
        as_of: the day the update duty is judged on (today when None).
        at: the time recorded for every step (now when None).
        progress: called with the name of each stage as it starts.

    Raises:
        InputError: the source cannot be read (file and line named), a drafts folder holds
            another organ's entries, or the decisions file is malformed; nothing is written.
        WorkflowError: the organ tree lacks an organ a route needs.
    """
    source, out = Path(source), Path(out)
    say = progress or (lambda _: None)
    registry, drafts = source_files(source)
    decisions_path = source / DECISIONS_FILE
    decisions = read_decisions(decisions_path) if decisions_path.is_file() else None
    say("checking drafts folders")
    _check_folders(drafts)
    say("loading")
    loaded = catalog.load(*registry, *(f for files in drafts.values() for f in files))
    say("validating")
    report = catalog.validate(as_of=as_of)
    tree = catalog.workflow.tree()
    steps: list[StepResult] = []
    withheld: dict[str, str] = {}
    default = DEFAULT_REASON if decisions is None else DEFAULT_REASON_WITH_FILE
    used: set[Decision] = set()
    for organ in sorted(tree.organs.values(), key=lambda o: o.uscc):
        say(f"submitting {organ.name}")
        try:
            result = catalog.workflow.submit(organ.uscc, report=report, withhold_invalid=True, allow_empty=True, at=at)
        except WorkflowError as exc:  # the organ itself fails validation: all its entries wait
            for code in catalog.select("organ_entries", organ=organ.iri).column("code"):
                withheld[str(code)] = f"its organ {organ.uscc} fails validation: " + "; ".join(exc.problems)
            continue
        withheld.update({c: w for c, w in result.skipped if w.startswith("fails validation")})
        if result.accepted:
            steps.append(result)
    for step in _ORDER:
        verb = STEP_NAMES[step]
        actors = sorted({i.waiting_for for i in catalog.workflow.items() if i.step == step and i.waiting_for})
        for actor in actors:
            say(f"{verb}: {tree.name(actor)}")
            actor_code = tree.organs[actor].uscc
            waiting = [i for i in catalog.workflow.items(awaits=actor_code) if i.step == step]
            returns = {}
            if step in DECIDING and decisions:
                for d in decisions:
                    if d.step != verb:
                        continue
                    hits = [i.code for i in waiting if i.code == d.entry or (d.organ and tree.organs[i.organ].uscc == d.organ)]
                    if hits:
                        used.add(d)
                        returns.update({c: d.reason for c in hits})
            decision = {"returns": returns, "reason": default} if step in DECIDING else {}
            steps.append(getattr(catalog.workflow, verb)(actor_code, at=at, **decision))
    publication = next((s for s in reversed(steps) if s.step == "publish"), None)
    changes = dict(publication.changes or {}) if publication else {}
    members = {k: len(city_catalogs.published_versions(catalog, catalog.minter.city_catalog(k))) for k in CITY_CATALOG_KINDS}
    returned = tuple((c, s.step, r) for s in steps for c, r in s.returned)
    say("assessing")  # on the day the steps were taken, so that the waits they ended count
    assessment = assess(catalog, as_of=(at or datetime.now(timezone.utc)).date(), report=report)
    say("writing")
    files = write_outputs(catalog, out, report=report, steps=steps, withheld=withheld)
    files.append(write_atomically(out / "assessment.csv", assessment.to_csv().encode("utf-8")))
    files.append(write_atomically(out / "assessment.ttl", assessment.graph().serialize(format="turtle").encode("utf-8")))
    summary = BuildSummary(
        loaded=loaded,
        steps=tuple(steps),
        withheld=tuple(sorted(withheld.items())),
        returned=returned,
        changes=changes,
        members=members,
        files=tuple(files),
        decisions_file=decisions_path if decisions is not None else None,
        unused_decisions=tuple(d for d in (decisions or []) if d not in used),
    )
    write_atomically(out / "summary.json", json.dumps(_summary_json(summary), ensure_ascii=False, indent=1).encode())
    return summary


def export_city_catalog(catalog: Catalog, kind: str, format: str = "turtle") -> bytes:
    """Serialize a published city catalog: the general and sharing catalogs with full
    descriptions (query ``city_catalog``), the open one allow-listed (query ``open_catalog``)."""
    iri = catalog.minter.city_catalog(kind)
    graph = catalog.run("open_catalog" if kind == "open" else "city_catalog", catalog=iri)
    return store.serialize(((s, p, o, None) for s, p, o in graph), format, PREFIXES)  # type: ignore[union-attr]


def write_city_catalogs(catalog: Catalog, out: Path) -> list[Path]:
    """Write the three published city catalogs into ``out`` (created), and the open platform's DCAT-AP
    files, each file whole or not at all."""
    out.mkdir(parents=True, exist_ok=True)
    return [
        write_atomically(out / f"{kind}-catalog.ttl", export_city_catalog(catalog, kind))
        for kind in CITY_CATALOG_KINDS
    ] + write_open_platform(catalog, out)  # the open platform's DCAT-AP 3 files (Art. 12 para 3)


def write_outputs(
    catalog: Catalog,
    out: Path,
    *,
    report: ValidationReport,
    steps: Sequence[StepResult],
    withheld: Mapping[str, str],
) -> list[Path]:
    """Write the city catalogs, the validation report, the steps and what was withheld."""
    written = write_city_catalogs(catalog, out)
    written.append(write_atomically(out / "validation.txt", report.text("zh").encode()))
    written.append(write_atomically(out / "validation.json", report.to_json("zh").encode()))
    rows = [("step", "actor", "accepted", "returned", "activities")]
    rows += [(s.step, s.actor, str(len(s.accepted)), str(len(s.returned)), " ".join(s.activities)) for s in steps]
    written.append(write_atomically(out / "steps.csv", _csv(rows)))
    written.append(write_atomically(out / "withheld.csv", _csv([("code", "why"), *sorted(withheld.items())])))
    return written


def _check_folders(drafts: Mapping[str, list[Path]]) -> None:
    """Every entry of an organ's folder names the same provider."""
    for folder, files in drafts.items():
        providers: dict[object, str] = {}
        for path in files:
            quads = store.parse(store.read_source(str(path)), store.format_for(str(path)), source=str(path))
            entries = {s for s, p, o, _ in quads if p == RDF.type and o == GD.DataResource}
            for s, p, o, _ in quads:
                if p == DCTERMS.publisher and s in entries:
                    providers.setdefault(o, str(path))
        if len(providers) > 1:
            named = ", ".join(f"{o} (in {f})" for o, f in providers.items())
            raise InputError(
                f"the drafts folder {folder!r} holds entries of several providers: {named}; "
                "keep one folder per organ", source=str(next(iter(files))),
            )


def _is_rdf(path: Path) -> bool:
    try:
        store.format_for(str(path))
    except InputError:
        return False
    return True


def _csv(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _summary_json(summary: BuildSummary) -> dict[str, object]:
    return {
        "members": dict(summary.members),
        "changes": {k: asdict(v) for k, v in summary.changes.items()},
        "withheld": [{"code": c, "why": w} for c, w in summary.withheld],
        "returned": [{"code": c, "step": s, "reason": r} for c, s, r in summary.returned],
        "steps": len(summary.steps),
        "decisions_file": str(summary.decisions_file) if summary.decisions_file else None,
        "files": [p.name for p in summary.files],
    }

