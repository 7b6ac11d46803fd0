"""``python -m ringlog.viewer [--root DIR] [--host 127.0.0.1] [--port N]``."""

from __future__ import annotations

import argparse
import sys

from .serve import DEFAULT_HOST, DEFAULT_PORT, default_root, serve


def build_parser(prog: str = "python -m ringlog.viewer") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Serve the ringlog viewer (charts, tasks, media).")
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=None, help=f"store root folder (default: $RINGLOG_DIR or {default_root()})")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    serve(args.root, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
