"""The facade lists exactly its public names, sorted, and the version comes from the metadata."""

from __future__ import annotations

from importlib.metadata import version

import govdata_ld


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(govdata_ld).items()
        if not name.startswith("_") and not isinstance(value, type(govdata_ld))
    }
    assert set(govdata_ld.__all__) == public
    assert govdata_ld.__all__ == sorted(govdata_ld.__all__)


def test_version_comes_from_the_installed_metadata() -> None:
    assert govdata_ld.__version__ == version("govdata-ld")


def test_every_error_derives_from_one_root() -> None:
    errors = [getattr(govdata_ld, n) for n in govdata_ld.__all__ if n.endswith("Error")]
    assert errors and all(issubclass(e, govdata_ld.GovDataError) for e in errors)
