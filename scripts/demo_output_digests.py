"""sha256 of every output file of the small demo, to show that a change of code leaves the outputs' bytes alone.

    python scripts/demo_output_digests.py record FILE     run the small demo, write the digests to FILE
    python scripts/demo_output_digests.py check FILE      run it again, compare with FILE, exit 1 on a difference

scripts/small_demo_digests.json is the record of the code as it is: a change meant to leave every output
alone checks against it (a change meant to alter outputs records it again, saying which files and why).

Nothing differs between two runs of the same code (the timings are in the runs' metadata, not in the files).
One thing differs between two versions of the code on purpose: the model version (gvio_model/<version>/) is
a digest of the models' source files and of the code they import (`MODEL_CODE`), so any edit of them names a
new folder. The check pins both digests to the recorded ones for its run, so that every path and every byte
can be compared as they are.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import dagster as dg


def digests(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run_small_demo(work: Path, pinned: dict[str, str] | None) -> tuple[dict[str, str], dict[str, str]]:
    from sacnn_dagster.cli.run import INSTANCE_YAML, run_region
    from sacnn_dagster.defs.model import gvio_model
    from sacnn_dagster.demo import DemoSpec, make_demo_region
    from sacnn_dagster.models import suite

    if pinned is not None:
        suite.models_code_digest = lambda: pinned["models_code_digest"]
        gvio_model.MODEL_CODE = pinned["model_code"]
    region, storage, home = work / "region", work / "out", work / "home"
    make_demo_region(region, DemoSpec.small())
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        report = run_region(region, storage_root=str(storage), instance=instance, echo=lambda _: None)
    if not report.ok:
        raise SystemExit(f"the small demo failed: {report.failures}")
    return digests(storage), {"models_code_digest": suite.models_code_digest(), "model_code": gvio_model.MODEL_CODE}


def main(argv: list[str]) -> int:
    command, file = argv[0], Path(argv[1])
    with tempfile.TemporaryDirectory() as work:
        if command == "record":
            files, pins = run_small_demo(Path(work), None)
            file.write_text(json.dumps({**pins, "files": files}, indent=1) + "\n")
            print(f"{len(files)} files recorded in {file}")
            return 0
        recorded = json.loads(file.read_text())
        files, _ = run_small_demo(Path(work), recorded)
    want = recorded["files"]
    differ = sorted(k for k in want.keys() & files.keys() if want[k] != files[k])
    missing, extra = sorted(want.keys() - files.keys()), sorted(files.keys() - want.keys())
    for label, keys in (("differs", differ), ("missing", missing), ("new", extra)):
        for key in keys:
            print(f"{label}: {key}")
    same = not (differ or missing or extra)
    print(f"{len(files)} files, {'all the same bytes' if same else 'NOT the same'} as {file}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
