"""The Makefile's stages: a line as each starts, one with its time as it ends, and `make test`'s summary.

    python3 .ci/stage.py run [--record DIR] NAME -- COMMAND...
        runs COMMAND (its output passes straight through, so pip's progress bar and pytest's dots show) between
        "==> NAME" and "==> NAME: done in 12.3 s (1 min 04 s since make started)". With --record, the stage's
        name, time and exit status are written to DIR and the exit status is 0, so `make test` runs every check
        and its summary says which failed.
    python3 .ci/stage.py summary DIR
        `make test`'s last lines: each recorded stage with its time, the tests, browser tests and notebooks
        counted from the pytest JUnit reports in DIR (tests.xml, browser.xml, notebooks.xml), the total time;
        exits 1 if any stage failed.

It runs on the system's python3 before the venv exists: standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

START = "DELTAGRAD_MAKE_START"  # seconds since the epoch when make started (the Makefile exports it)
REPORTS = {"tests": "unit tests and doctests", "browser": "browser tests", "notebooks": "notebooks"}


def duration(seconds: float) -> str:
    """12.3 s, or 4 min 05 s."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def since_make_started() -> str:
    start = os.environ.get(START)
    return f" ({duration(time.time() - float(start))} since make started)" if start else ""


def run(name: str, command: list[str], record: Path | None) -> int:
    print(f"==> {name}", flush=True)
    began = time.monotonic()
    try:
        status = subprocess.call(command)
    except OSError as error:  # the command itself is missing
        print(f"{command[0]}: {error.strerror}", file=sys.stderr)
        status = 127
    seconds = time.monotonic() - began
    verdict = "done" if status == 0 else f"FAILED (exit status {status})"
    print(f"==> {name}: {verdict} in {duration(seconds)}{since_make_started()}", flush=True)
    if record is None:
        return status
    record.mkdir(parents=True, exist_ok=True)
    index = len(list(record.glob("stage-*.json")))
    entry = {"name": name, "seconds": seconds, "status": status}
    (record / f"stage-{index:02d}.json").write_text(json.dumps(entry), encoding="utf-8")
    return 0


def counts(report: Path) -> str:
    """'1234 passed, 3 skipped' from a pytest JUnit XML report."""
    suites = ET.parse(report).getroot()
    suite = suites if suites.tag == "testsuite" else suites.find("testsuite")
    if suite is None:
        return "no results"
    total, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
    failed, errors = int(suite.get("failures", 0)), int(suite.get("errors", 0))
    parts = [f"{total - skipped - failed - errors} passed"]
    parts += [f"{n} {what}" for n, what in ((failed, "failed"), (errors, "errors"), (skipped, "skipped")) if n]
    return ", ".join(parts)


def summary(folder: Path) -> int:
    stages = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("stage-*.json"))]
    failed = [s["name"] for s in stages if s["status"] != 0]
    start = os.environ.get(START)
    total = f" in {duration(time.time() - float(start))}" if start else ""
    print(f"==> make test {'FAILED' if failed else 'passed'}{total}")
    width = max([len(s["name"]) for s in stages] + [len(v) for v in REPORTS.values()])
    for stage in stages:
        verdict = "ok" if stage["status"] == 0 else f"FAILED (exit status {stage['status']})"
        print(f"    {stage['name']:<{width}}  {duration(stage['seconds']):>12}  {verdict}")
    for report, what in REPORTS.items():
        path = folder / f"{report}.xml"
        print(f"    {what:<{width}}  {counts(path) if path.is_file() else 'not run'}")
    if failed:
        print(f"    failed: {', '.join(failed)}")
    return 1 if failed or not stages else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=".ci/stage.py", description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run one named stage")
    run_parser.add_argument("--record", type=Path, help="write the stage's result here and exit 0")
    run_parser.add_argument("name")
    run_parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the command")
    summary_parser = commands.add_parser("summary", help="make test's summary")
    summary_parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "summary":
        return summary(args.folder)
    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not command:
        parser.error("run: give the command after --")
    return run(args.name, command, args.record)


if __name__ == "__main__":
    sys.exit(main())
