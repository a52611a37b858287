"""Docs match behaviour: generated pages are current, examples run, the README's commands hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from govdata_ld import reference, resources
from govdata_ld.cli import cli

from .conftest import ROOT

DOCS = ROOT / "docs"


@pytest.mark.parametrize("page", sorted(reference.PAGES))
def test_generated_page_is_current(page: str) -> None:
    expected = reference.PAGES[page]()
    actual = (DOCS / page).read_text("utf-8")
    assert actual == expected, f"docs/{page} is stale: run `python -m govdata_ld.reference docs`"


def test_every_command_and_query_is_documented() -> None:
    cli_page = (DOCS / "cli.md").read_text("utf-8")
    for name in cli.commands:
        assert f"## `govdata-ld {name}`" in cli_page
        assert "Example:" in cli.commands[name].help, name
    queries_page = (DOCS / "queries.md").read_text("utf-8")
    for name in resources.names("queries"):
        assert f"## `{name}`" in queries_page


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text("utf-8"), flags=re.S)


@pytest.mark.parametrize("page", ["index.md", "getting-started.md", "validation.md"])
def test_python_examples_in_the_docs_run(page: str) -> None:
    blocks = python_blocks(DOCS / page)
    assert blocks
    for block in blocks:
        result = subprocess.run([sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_index_example_is_about_ten_lines() -> None:
    (block,) = python_blocks(DOCS / "index.md")
    assert len(block.strip().splitlines()) <= 12


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    commands = re.findall(r"```sh\n(.*?)\n```", readme)
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert commands[1] in ci


def test_model_page_lists_every_gd_term() -> None:
    from govdata_ld.namespaces import GD

    page = (DOCS / "model.md").read_text("utf-8")
    for term in GD.__annotations__:
        assert f"`gd:{term}`" in page, term


def test_readme_main_job_publishes_the_example_city(tmp_path: Path) -> None:
    import shutil

    readme = (ROOT / "README.md").read_text("utf-8")
    main_job = re.findall(r"```sh\n(.*?)\n```", readme)[0]
    install, _, rest = main_job.partition(" && ")
    assert install == "python3 -m pip install ."  # the package itself is installed by the test run
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    bindir = Path(sys.executable).parent
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(["bash", "-c", rest], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "79 entries added" in result.stdout
    assert "open catalog: 52 entries" in result.stdout
    assert (tmp_path / "published" / "open-catalog.ttl").is_file()
    assert (tmp_path / ".govdata").is_dir()
