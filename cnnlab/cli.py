"""The ``cnnlab`` command: ``cnnlab release`` (more commands for instructors follow)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import release as release_mod


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cnnlab", description="Tools for the cnnlab course.")
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="regenerate the student notebooks from solutions/ with nbgrader")
    rel.add_argument("ids", nargs="*", help="assignments to release, e.g. 01_knn (default: all)")
    rel.add_argument("--solutions", type=Path, default=Path("solutions"),
                     help="folder of nbgrader source notebooks (default: ./solutions)")
    rel.add_argument("--notebooks", type=Path, default=Path("notebooks"),
                     help="where the student notebooks go (default: ./notebooks)")
    args = parser.parse_args(argv)

    if args.command == "release":
        for path in release_mod.release(args.solutions, args.notebooks, args.ids or None):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
