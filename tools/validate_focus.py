"""Run the FinOps Foundation's focus-validator 2.2.1 on a FOCUS 1.2 file, offline, and report
the result as JSON.

    python tools/validate_focus.py FILE.parquet [--criteria ALL|NONE|A,B,...] [--json]
        [--focus-version 1.2|1.3 ...] [--model-dir DIR]

`--focus-version` other than 1.2 needs the FinOps Foundation's requirements model for it, as a file
`model-<version>….json` in `--model-dir` (default tools/focus-models/): no released validator bundles
one, and this script never downloads (docs/formats/conformance.md, "FOCUS 1.3 export").

The validator needs Python 3.12, so it lives in its own virtualenv, `.venv-validator`
(`.ci/run` builds it from requirements-validator.txt). Run with any Python: the script re-runs
itself with `.venv-validator/bin/python`. Downloads are blocked twice: the validator's own
`--block-download` (the 1.2 rules are bundled) and a socket guard that turns any connection
attempt into an error. Exit status: 0 no failure, 1 failures, 2 the validator could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("FOCUS_VALIDATOR_VENV", ROOT / ".venv-validator"))
VENV_PYTHON = VENV / "bin" / "python"
FOCUS_VERSION = "1.2"  # the version whose model the validator bundles
MODEL_DIR = ROOT / "tools" / "focus-models"  # where official models of other versions are dropped in
HOW_TO_BUILD = "python3.12 -m venv .venv-validator && .venv-validator/bin/pip install -r requirements-validator.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_file", type=Path, help="a FOCUS 1.2 Parquet (or CSV) file")
    parser.add_argument(
        "--criteria",
        default="ALL",
        help="applicability criteria the data's provider supports: ALL, NONE or a comma-separated list",
    )
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--focus-version", default=FOCUS_VERSION, help="the FOCUS version to judge the file by")
    parser.add_argument(
        "--model-dir", type=Path, default=None, help=f"folder of model-<version>.json files ({MODEL_DIR})"
    )
    args = parser.parse_args(argv)
    if not _in_validator_venv():
        return _reexec_in_venv()
    if not args.data_file.is_file():
        print(f"error: {args.data_file}: no such file", file=sys.stderr)
        return 2
    model_dir = args.model_dir or (None if args.focus_version == FOCUS_VERSION else MODEL_DIR)
    if model_dir is not None and not _models(model_dir, args.focus_version):
        print(
            f"error: {model_dir}: no model-{args.focus_version}*.json (FOCUS {args.focus_version} model)",
            file=sys.stderr,
        )
        return 2
    result = validate(args.data_file.resolve(), args.criteria, args.focus_version, model_dir)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        s = result["summary"]
        print(f"{result['file']}: {result['rows']:,} rows, FOCUS {result['focus_version']} (model {result['model']})")
        print(f"rules {s['rules']}: passed {s['passed']}, failed {s['failed']}, skipped {s['skipped']}")
        for failure in result["failures"]:
            if failure["rule_id"] in result["root_failures"]:
                print(f"  FAIL {failure['rule_id']} ({failure['violations']} rows): {failure['must_satisfy']}")
    return 1 if result["failures"] else 0


def _in_validator_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _reexec_in_venv() -> int:
    if not VENV_PYTHON.exists():
        print(f"error: no validator virtualenv at {VENV}; build it with: {HOW_TO_BUILD}", file=sys.stderr)
        return 2
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])
    return 2  # not reached


def _models(folder: Path, version: str) -> list[Path]:
    """The validator's own naming: model-<version>.json or model-<version>.<patch…>.json."""
    return [p for p in folder.glob("model-*.json") if p.stem[len("model-") :].split(".")[:2] == version.split(".")]


def _block_network() -> None:
    """Any connection attempt fails: the run must not depend on (or leak to) the internet."""
    import socket

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access is blocked while validating FOCUS data")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]


def validate(
    data_file: Path, criteria: str, version: str = FOCUS_VERSION, model_dir: Path | None = None
) -> dict[str, Any]:
    """Validate `data_file` against the FOCUS `version` model (bundled for 1.2, else from
    `model_dir`); a JSON-ready result."""
    import logging

    _block_network()
    logging.disable(logging.WARNING)
    import focus_validator
    from focus_validator.validator import Validator

    wanted = None if criteria.strip().upper() == "NONE" else criteria
    package_rules = Path(focus_validator.__file__).parent / "rules"
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="focus-validator-") as work:
        # The currency-code check opens the relative path focus_validator/rules/currency_codes.csv.
        (Path(work) / "focus_validator" / "rules").mkdir(parents=True)
        shutil.copy(package_rules / "currency_codes.csv", Path(work) / "focus_validator" / "rules")
        os.chdir(work)
        try:
            validator = Validator(
                data_filename=str(data_file),
                output_destination=os.devnull,
                output_type="unittest",
                rules_version=version,
                rule_set_path=str(model_dir.resolve() if model_dir else package_rules),
                rules_block_remote_download=True,
                focus_dataset="CostAndUsage",
                applicability_criteria=wanted,
            )
            results = validator.validate()
        finally:
            os.chdir(cwd)
    return _summarise(data_file, results, validator.applicability_criteria_list or [], version)


def _summarise(data_file: Path, results: Any, criteria: list[str], version: str) -> dict[str, Any]:
    failures = []
    passed = skipped = 0
    for rule_id, entry in sorted(results.by_rule_id.items()):
        details = entry.get("details", {})
        if details.get("skipped"):
            skipped += 1
        elif entry.get("ok"):
            passed += 1
        else:
            rule = results.rules.get(rule_id)
            failures.append(
                {
                    "rule_id": rule_id,
                    "composite": details.get("check_type") == "composite",
                    "violations": int(details.get("violations") or 0),
                    "message": str(details.get("message", "")),
                    "must_satisfy": _must_satisfy(rule),
                    "failed_children": sorted(
                        {
                            str(child["referenced_rule_id"])
                            for child in details.get("children", [])
                            if not child.get("ok") and child.get("referenced_rule_id")
                        }
                    ),
                }
            )
    return {
        "file": str(data_file),
        "rows": int(results.data_row_count),
        "focus_version": version,
        "model": str(results.model_version),
        "dataset": "CostAndUsage",
        "applicability_criteria": sorted(criteria),
        "summary": {
            "rules": len(results.by_rule_id),
            "passed": passed,
            "failed": len(failures),
            "skipped": skipped,
        },
        "failures": failures,
        # What to act on: every failing check, and composites that fail without a failing child.
        # (Composites that fail because a child fails add nothing; the validator's own roll-up
        # through OR/AND parents is not relied on, so a failing check is never hidden.)
        "root_failures": [f["rule_id"] for f in failures if not f["composite"] or not f["failed_children"]],
    }


def _must_satisfy(rule: Any) -> str:
    criteria = getattr(rule, "validation_criteria", None)
    text = getattr(criteria, "must_satisfy", None) if criteria is not None else None
    if text is None and isinstance(criteria, dict):
        text = criteria.get("MustSatisfy")
    return str(text or "")


if __name__ == "__main__":
    sys.exit(main())
