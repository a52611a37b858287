"""The built wheel carries the data folders and resolves every name from an installed copy."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from govdata_ld import resources

from .conftest import ROOT

PROBE = """
import json, govdata_ld
from govdata_ld import resources
names = {k: resources.names(k) for k in ("ontology", "shapes", "queries")}
for kind, found in names.items():
    for name in found:
        resources.read(kind, name)
print(json.dumps({"file": govdata_ld.__file__, "names": names,
                  "data": str(resources._folder("queries")), "triples": len(resources.ontology())}))
"""


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_resolves_every_data_file(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("govdata_ld-*.whl"))
    env = tmp_path / "venv"
    # the dependencies come from this interpreter's site-packages; the package itself from the wheel
    venv.create(env, with_pip=True, system_site_packages=True)
    python = env / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True)
    out = subprocess.run([python, "-c", PROBE], check=True, capture_output=True, text=True, cwd=tmp_path)
    report = json.loads(out.stdout)
    assert report["file"].startswith(str(env)), report["file"]
    assert "/govdata_ld/_data/queries" in report["data"]
    assert report["names"] == {k: resources.names(k) for k in ("ontology", "shapes", "queries")}
    assert report["triples"] > 1000
