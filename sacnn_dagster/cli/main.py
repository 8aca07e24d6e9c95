"""The `sacnn-dagster` command: build the demo region, run a region through Dagster."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from sacnn_dagster.config.catalogue import REGIONS_ENV
from sacnn_dagster.config.months import parse_month
from sacnn_dagster.defs.code_location import DEFAULT_REGION
from sacnn_dagster.io.download import AuthenticationError, DownloadError
from sacnn_dagster.io.local_faults import local_fault

STORAGE_HELP = (
    "output root: a folder, or s3://bucket/prefix (an S3-compatible endpoint in $SACNN_S3_ENDPOINT_URL, "
    "AWS keys in $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY) (default ./sacnn-output/<region name>/)"
)


REGIONS_HELP = (
    "a catalogue: a folder (or s3://bucket/prefix, mirrored under the cache) whose subfolders are region folders, "
    "each run on its own (outputs under <storage>/<region name>/, asset keys under <region name>/ in the instance "
    "at $DAGSTER_HOME, as the catalogue's code location serves them; README: Many regions) "
    "(default: $SACNN_REGIONS when no --region is given)"
)


def _month(text: str) -> str:
    try:
        parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _make_demo(directory: Path, small: bool, seed: int | None) -> None:
    from sacnn_dagster.demo import DemoSpec, make_demo_region

    spec = DemoSpec.small() if small else DemoSpec()
    if seed is not None:
        spec = dataclasses.replace(spec, seed=seed)
    started = time.perf_counter()
    make_demo_region(directory, spec)
    print(f"Demo region written to {directory} in {time.perf_counter() - started:.1f} s")


def _run(region: Path, start: str | None, end: str | None, storage: str | None) -> int:
    from sacnn_dagster.cli.evaluation import EVALUATION_HEADING, evaluation_table
    from sacnn_dagster.cli.run import ensure_dagster_home, run_region

    home = ensure_dagster_home()
    print(f"Dagster instance: {home}")
    started = time.perf_counter()
    try:
        report = run_region(region, start=start, end=end, storage_root=storage)  # failures: one line each
    except KeyboardInterrupt as exc:
        return _stopped(exc, region, start, end, storage)
    elapsed = time.perf_counter() - started
    print(
        f"Done in {elapsed:.0f} s: {len(report.months_materialized)} month(s) of features, "
        f"{len(report.months_estimated)} estimated and mapped, "
        f"{len(report.months_without_composite)} without a composite, {len(report.failures)} failure(s)"
    )
    print(f"Per-month details: the logs of its {len(report.run_ids)} Dagster run(s), in the UI (`dagster dev`)")
    if report.evaluation is not None:
        print(f"\n{EVALUATION_HEADING}")
        print(evaluation_table(report.evaluation))
    return 0 if report.ok else 1


def _over_catalogue(command, stopped: str, summarize) -> int:
    """Run `command` over a catalogue (it returns a CatalogueReport), then `summarize` its report."""
    started = time.perf_counter()
    try:
        report = command()
    except KeyboardInterrupt:
        from sacnn_dagster.cli.stopping import exit_status

        print(stopped, file=sys.stderr)
        return exit_status()
    print(f"Done in {time.perf_counter() - started:.0f} s")
    summarize(report)
    return 0 if report.ok else 1


def _run_regions(
    catalogue: str, only: list[str] | None, start: str | None, end: str | None, storage: str | None
) -> int:
    from sacnn_dagster.cli.regions import print_regions_summary, run_regions

    return _over_catalogue(
        lambda: run_regions(catalogue, only, start, end, storage),
        "Stopped; every file written is complete. To carry on, run the same command again",
        print_regions_summary,
    )


def _backfill_regions(
    catalogue: str, only: list[str] | None, start: str | None, end: str | None, storage: str | None
) -> int:
    from sacnn_dagster.cli.regions_backfill import backfill_regions

    return _over_catalogue(
        lambda: backfill_regions(catalogue, only, start, end, storage),
        "Stopped: the backfill is canceled and its runs stopped; run the same command again",
        lambda report: print("\n".join(report.lines())),
    )


def _stopped(exc: KeyboardInterrupt, region: Path, start: str | None, end: str | None, storage: str | None) -> int:
    """What a stopped `run` tells: which run was marked failed, and the command that carries on."""
    from sacnn_dagster.cli.stopping import Stopped, exit_status

    where = f" during Dagster run {exc.run_id}" if isinstance(exc, Stopped) else ""
    again = " ".join(
        ["sacnn-dagster run --region", str(region)]
        + [f"{flag} {value}" for flag, value in (("--start", start), ("--end", end), ("--storage", storage)) if value]
    )
    print(f"Stopped{where}; every file written is complete. To carry on: {again}", file=sys.stderr)
    return exit_status()


def _backfill(region: Path, start: str | None, end: str | None, storage: str | None) -> int:
    from sacnn_dagster.cli.backfill import DaemonStopped, backfill_region
    from sacnn_dagster.cli.run import ensure_dagster_home

    home = ensure_dagster_home()
    print(f"Dagster instance: {home}")
    started = time.perf_counter()
    try:
        report = backfill_region(region, start, end, storage)
    except KeyboardInterrupt:
        from sacnn_dagster.cli.stopping import exit_status

        print(
            "Stopped: the backfill is canceled and its runs stopped; every file written is complete. To carry on, "
            "run the same command again",
            file=sys.stderr,
        )
        return exit_status()
    except DaemonStopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    failed = report.failed_months
    print(
        f"Done in {time.perf_counter() - started:.0f} s: {len(report.months_done)} month(s) backfilled, "
        f"{len(failed)} failed, {len(report.months_without_composite)} without a composite, "
        f"{len(report.backfills)} backfill(s): {', '.join(b.backfill_id for b in report.backfills)}"
    )
    for month, cause in sorted(failed.items()):
        print(f"FAILED {month} {cause}", file=sys.stderr)
    for error in report.errors:
        print(f"FAILED {error}", file=sys.stderr)
    if failed:
        first = min(failed)
        print(
            f"Once the input is fixed, run a month again alone: sacnn-dagster backfill --region {region} "
            f"--start {first} --end {first}" + (f" --storage {storage}" if storage else ""),
            file=sys.stderr,
        )
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sacnn-dagster", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("make-demo", help="write the synthetic demo region only")
    p.add_argument("directory", type=Path)
    p.add_argument("--small", action="store_true", help="a small region for quick tries and tests")
    p.add_argument("--seed", type=int, default=None)

    p = sub.add_parser("demo", help="build the demo region if missing, then run every month through Dagster")
    p.add_argument("--region", type=Path, default=Path(DEFAULT_REGION))
    p.add_argument("--storage", default=None, help=STORAGE_HELP)
    p.add_argument("--small", action="store_true", help="build the small demo region")

    p = sub.add_parser("run", help="materialize every asset of a region (or of every region) for a range of months")
    where = p.add_mutually_exclusive_group()  # one of them, or $SACNN_REGIONS: checked after parsing
    where.add_argument("--region", type=Path, help="region folder (see README: inputs contract)")
    where.add_argument("--regions", help=REGIONS_HELP)  # a str: s3:// keeps its //
    p.add_argument("--only", nargs="+", default=None, metavar="NAME", help="with --regions: only these regions")
    p.add_argument("--start", type=_month, default=None, help="first month YYYY-MM (default: region start)")
    p.add_argument("--end", type=_month, default=None, help="last month YYYY-MM (default: last month)")
    p.add_argument("--storage", default=None, help=STORAGE_HELP)

    p = sub.add_parser(
        "backfill",
        help="launch a Dagster asset backfill of every asset for a range of months (shown in the UI's backfills "
        "page) and follow it to the end; a dagster-daemon is started for it when none runs",
    )
    where = p.add_mutually_exclusive_group()  # one of them, or $SACNN_REGIONS: checked after parsing
    where.add_argument("--region", type=Path, help="region folder (see README: inputs contract)")
    where.add_argument("--regions", help=REGIONS_HELP)  # a str: s3:// keeps its //
    p.add_argument("--only", nargs="+", default=None, metavar="NAME", help="with --regions: only these regions")
    p.add_argument("--start", type=_month, default=None, help="first month YYYY-MM (default: region start)")
    p.add_argument("--end", type=_month, default=None, help="last month YYYY-MM (default: last month)")
    p.add_argument("--storage", default=None, help=STORAGE_HELP)

    from sacnn_dagster.cli.status import add_status_parser  # the health summary (monitoring, cli/status.py)

    add_status_parser(sub)
    args = parser.parse_args(argv)
    if args.command in ("run", "backfill", "status") and args.region is None and args.regions is None:
        if not os.environ.get(REGIONS_ENV):
            parser.error(f"{args.command}: one of --region DIR or --regions DIR (or ${REGIONS_ENV}) is required")
        args.regions = os.environ[REGIONS_ENV]
    if argv is None:  # the console script: SIGTERM stops it as Ctrl-C does (cli/stopping.py)
        from sacnn_dagster.cli.stopping import HARD_STOP_AFTER_S, install

        # `run` executes Dagster runs in this process: ended by the watcher if it does not stop by itself;
        # `backfill` stops its daemon itself, which takes longer
        install(hard_stop_after=HARD_STOP_AFTER_S if args.command in ("run", "demo") else None)
    try:
        if args.command == "make-demo":
            _make_demo(args.directory, args.small, args.seed)
            return 0
        if args.command == "demo":
            if not (args.region / "region.yaml").is_file():
                _make_demo(args.region, args.small, None)
            else:
                print(f"Using the existing demo region {args.region}")
            return _run(args.region, None, None, args.storage)
        if args.command == "status":
            return args.handler(args)
        if args.command in ("run", "backfill") and args.regions is None and args.only:
            parser.error("--only goes with --regions")
        if args.command == "backfill" and args.regions is not None:
            return _backfill_regions(args.regions, args.only, args.start, args.end, args.storage)
        if args.command == "backfill":
            return _backfill(args.region, args.start, args.end, args.storage)
        if args.regions is not None:
            return _run_regions(args.regions, args.only, args.start, args.end, args.storage)
        return _run(args.region, args.start, args.end, args.storage)
    except (FileNotFoundError, ValueError, AuthenticationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DownloadError as exc:  # the source kept failing (network, server errors) after every retry
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # this machine cannot write (an unwritable --storage root): the OS's words and path
        print(f"error: {local_fault(exc) or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
