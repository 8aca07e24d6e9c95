"""The catalogue code location as the webserver serves it (issue 14), for benchmarks/regions.py.

- `location_load`: the code location's load in a fresh process, as a code server does it: importing
  `sacnn_dagster.definitions` with SACNN_REGIONS set, resolving every repository the module holds (Dagster's own
  module autodiscovery, then `load_all_definitions`) and serializing each to the snapshot the webserver reads
  (`RepositorySnap.from_def`). Dagster and the package's modules are imported before the clock starts.
- `Webserver`: `dagster-webserver -m sacnn_dagster.definitions` on a free port, DAGSTER_HOME a fresh instance
  (telemetry off). Its load time is from the process start until the asset graph query first answers with the
  code location loaded (the UI's start-to-ready, the code server's load included).
- `asset_graph`: the query the UI's asset graph is drawn from in Dagster 1.13: `LocationWorkspaceAssetsQuery`
  (ui-core workspace/WorkspaceContext/WorkspaceQueries.tsx), per repository `assetNodes` with the fields of
  `RepositoryAsset` (`AssetBaseNodeFragment`: key, group, op and job names, kinds, owners, tags, partitions,
  automation condition, freshness policy, description, permissions; plus graphName and dependencyKeys) and
  `assetGroups`, copied as the UI sends it; the answer's asset nodes by repository.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEBSERVER = Path(sys.executable).parent / "dagster-webserver"

LOAD_SCRIPT = """
import importlib, json, time
import dagster, sacnn_dagster.defs.code_location
for warm in ("sacnn_dagster.defs.catalogue.location", "sacnn_dagster.defs.catalogue_location"):
    try:
        importlib.import_module(warm)
    except ImportError:
        pass
from dagster._core.workspace.autodiscovery import loadable_targets_from_python_module
from dagster._core.definitions.reconstruct import repository_def_from_target_def
from dagster._core.remote_representation.external_data import RepositorySnap
started = time.perf_counter()
targets = loadable_targets_from_python_module("sacnn_dagster.definitions", None)
repos = [repository_def_from_target_def(t.target_definition) for t in targets]
repos = list({r.name: r for r in repos}.values())
for repo in repos:
    repo.load_all_definitions()
built = time.perf_counter()
for repo in repos:
    RepositorySnap.from_def(repo)
done = time.perf_counter()
print(json.dumps({"built": built - started, "snapshot": done - built, "repositories": [r.name for r in repos]}))
"""

ASSET_GRAPH_QUERY = """
query LocationWorkspaceAssetsQuery($name: String!) {
  workspaceLocationEntryOrError(name: $name) {
    ... on WorkspaceLocationEntry {
      id name loadStatus updatedTimestamp versionKey
      locationOrLoadError {
        ... on RepositoryLocation {
          id name
          repositories {
            id name
            assetNodes { id ...RepositoryAsset }
            assetGroups { id groupName }
          }
        }
        ... on PythonError { message stack }
      }
    }
    ... on PythonError { message stack }
  }
}
fragment RepositoryAsset on AssetNode {
  id changedReasons groupName opNames isMaterializable isObservable isExecutable isPartitioned isAutoCreatedStub
  hasAssetChecks computeKind hasMaterializePermission hasWipePermission hasReportRunlessAssetEventPermission
  assetKey { path }
  internalFreshnessPolicy {
    ... on TimeWindowFreshnessPolicy { failWindowSeconds warnWindowSeconds }
    ... on CronFreshnessPolicy { deadlineCron lowerBoundDeltaSeconds timezone }
  }
  partitionDefinition { dimensionTypes { type dynamicPartitionsDefinitionName } }
  automationCondition { __typename }
  description(characterLimit: 240)
  owners { ... on UserAssetOwner { email } ... on TeamAssetOwner { team } }
  tags { key value }
  storageAddress { storageKind tableName }
  jobNames kinds graphName
  dependencyKeys { path }
}
"""

LOCATIONS_QUERY = "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"


def catalogue_env(catalogue: Path, storage: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SACNN_REGION", "SACNN_REGIONS", "SACNN_STORAGE")}
    return env | {"SACNN_REGIONS": str(catalogue), "SACNN_STORAGE": str(storage)}


def location_load(catalogue: Path, storage: Path) -> dict:
    """{built, snapshot (seconds), repositories (names)}: the code location loaded in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT],
        env=catalogue_env(catalogue, storage),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"code location load failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Webserver:
    """`dagster-webserver -m sacnn_dagster.definitions` over a catalogue; `load_s` once `start` returns."""

    def __init__(self, catalogue: Path, storage: Path, home: Path, timeout: float = 900.0):
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.port = free_port()
        self.env = catalogue_env(catalogue, storage) | {"DAGSTER_HOME": str(home)}
        self.log = home / "webserver.log"
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        self.location = ""
        self.load_s = 0.0

    def post(self, query: str, variables: dict | None = None, timeout: float = 600.0) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors: {answer['errors'][:2]}")
        return answer["data"]

    def start(self) -> Webserver:
        command = [str(WEBSERVER), "-m", "sacnn_dagster.definitions", "-h", "127.0.0.1", "-p", str(self.port)]
        started = time.perf_counter()
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"webserver exited {self.process.returncode}: {self.log.read_text()[-2000:]}")
            if time.perf_counter() - started > self.timeout:
                raise TimeoutError(f"webserver not ready after {self.timeout:.0f} s: {self.log.read_text()[-2000:]}")
            try:
                if not self.location:
                    entries = self.post(LOCATIONS_QUERY, timeout=5)["workspaceOrError"]["locationEntries"]
                    self.location = entries[0]["name"]
                entry = self.asset_graph_raw(timeout=60)
                if entry.get("loadStatus") == "LOADED" and entry.get("locationOrLoadError"):
                    break
            except (OSError, KeyError, IndexError, TypeError):
                pass
            time.sleep(0.2)
        self.load_s = time.perf_counter() - started
        location = self.asset_graph_raw()["locationOrLoadError"]
        if "repositories" not in location:
            raise RuntimeError(f"code location failed to load: {location.get('message', location)[:2000]}")
        return self

    def asset_graph_raw(self, timeout: float = 600.0) -> dict:
        return self.post(ASSET_GRAPH_QUERY, {"name": self.location}, timeout)["workspaceLocationEntryOrError"]

    def asset_graph(self) -> tuple[float, dict[str, list[dict]]]:
        """(seconds, the asset nodes by repository name) of one asset graph query."""
        started = time.perf_counter()
        location = self.asset_graph_raw()["locationOrLoadError"]
        seconds = time.perf_counter() - started
        names = [repo["name"] for repo in location["repositories"]]
        assert len(set(names)) == len(names), f"a repository served twice: {sorted(names)}"
        return seconds, {repo["name"]: repo["assetNodes"] for repo in location["repositories"]}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Webserver:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def repository_name(region: str) -> str:
    return re.sub(r"\W", "_", region)


def check_nodes(nodes: dict[str, list[dict]], regions: list[str], per_region: int) -> str:
    """That every region's assets are in the answer, each in its own repository with its keys prefixed by the
    region's name, and nothing else but the `catalogue` repository; an `AssertionError` saying what is missing.
    Returns the count line (stub nodes, drawn for dependencies defined elsewhere, not counted as assets)."""
    real = {repo: [n for n in ns if not n["isAutoCreatedStub"]] for repo, ns in nodes.items()}
    for region in regions:
        mine = real.get(repository_name(region))
        assert mine is not None, f"no repository {repository_name(region)} for region {region}: {sorted(real)}"
        assert len(mine) == per_region, f"{region}: {len(mine)} asset nodes, {per_region} expected"
        wrong = [n["assetKey"]["path"] for n in mine if n["assetKey"]["path"][0] != region]
        assert not wrong, f"{region}: keys not prefixed by the region: {wrong[:3]}"
    others = set(real) - {repository_name(r) for r in regions} - {"catalogue"}
    assert not others, f"repositories that are neither a region nor the catalogue: {sorted(others)}"
    catalogue = len(real.get("catalogue", []))
    total = sum(len(ns) for ns in real.values())
    assert total == len(regions) * per_region + catalogue, f"{total} asset nodes"
    stubs = sum(len(ns) for ns in nodes.values()) - total
    return f"{total} = {len(regions)} x {per_region} + {catalogue} catalogue; {stubs} stub nodes"
