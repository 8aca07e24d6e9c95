"""Versions behind Dagster's view of what is stale: code versions computed from the source of the pure
packages, and the one data version a run gets when it materializes several months at once. No Dagster here."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

PACKAGE = Path(__file__).parent.parent
# `from sacnn_dagster.x.y import a, b` (names possibly in parentheses over lines), `import sacnn_dagster.x.y`,
# at any indentation (imports inside functions count). A regex, not `ast`: definitions load in every run process.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+sacnn_dagster\.([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)"
    r"|import[ \t]+sacnn_dagster\.([\w.]+))",
    re.MULTILINE,
)


def _module_files(name: str) -> list[Path]:
    """The source files of a module ("features.cleaning") or of a whole package ("models") of sacnn_dagster."""
    path = PACKAGE.joinpath(*name.split("."))
    if path.is_dir():
        return sorted(path.glob("*.py"))
    file = path.with_suffix(".py")
    if not file.is_file():
        raise ValueError(f"{name!r} is not a module of sacnn_dagster ({file} does not exist)")
    return [file]


@functools.cache
def _imports(file: Path) -> frozenset[str]:
    """Modules of sacnn_dagster that `file` imports, at top level or inside functions."""
    found = set()
    for module, names, imported in _IMPORT.findall(file.read_text(encoding="utf-8")):
        if imported:
            found.add(imported)
            continue
        found.add(module)
        # `from sacnn_dagster.models import suite` names a submodule
        for name in re.findall(r"\w+", names.split("#")[0]):
            if (PACKAGE / module.replace(".", "/") / f"{name}.py").is_file():
                found.add(f"{module}.{name}")
    return frozenset(found)


@functools.cache
def code_digest(*modules: str) -> str:
    """A digest of the source of `modules` (names under sacnn_dagster: "features.cleaning", "models") and of
    every module they import, directly or not. Editing the code that decides an asset's content gives the
    asset a new code version, so the UI marks what the old code built as stale; nobody has to remember to
    bump a number (the same rule as the model version, see models/suite.py)."""
    files: set[Path] = set()
    pending = list(modules)
    while pending:
        for file in _module_files(pending.pop()):
            if file not in files:
                files.add(file)
                pending.extend(_imports(file))
    digest = hashlib.sha256()
    for file in sorted(files):
        digest.update(file.relative_to(PACKAGE).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def content_digest(path: Path) -> str:
    """sha256 of a file's content: the data version of an input read whole (statistics, a POI snapshot)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def range_data_version(months: list[str], versions: list[str]) -> str:
    """The data version of a run that materialized `months`, whose own data versions are `versions`.
    Dagster 1.13 records one data version for every partition of a range run (dagster-io/dagster#18649,
    #34013), so: the months' version when they all share it (a single month, or one POI snapshot in force),
    otherwise a digest of every month's version, which changes when any of them does."""
    if len(months) != len(versions) or not months:
        raise ValueError(f"{len(months)} month(s) and {len(versions)} version(s): need one version per month")
    if len(set(versions)) == 1:
        return versions[0]
    text = json.dumps(sorted(zip(months, versions)))
    return f"{min(months)}..{max(months)}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
