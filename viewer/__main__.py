"""``python -m ringlog.viewer [--root DIR] [--host 127.0.0.1] [--port N] [--allow-host NAME] [--token T] [--no-auth]``."""

from __future__ import annotations

import argparse
import sys

from ringlog.store import default_root

from .serve import DEFAULT_HOST, DEFAULT_PORT, serve


def build_parser(prog: str = "python -m ringlog.viewer") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Serve the ringlog viewer (charts, tasks, media).")
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=None, help=f"store root folder (default: $RINGLOG_DIR or {default_root()})")
    p.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests for this host name (repeatable; localhost, 127.0.0.1 and [::1] always)")
    p.add_argument("--token", default=None, help="require this token (default: $RINGLOG_TOKEN; generated and "
                   "printed when --host is not loopback)")
    p.add_argument("--no-auth", action="store_true", help="serve WITHOUT a token even off loopback: anyone who "
                   "can reach the address reads every task and edits reports")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    serve(args.root, host=args.host, port=args.port, allow_hosts=args.allow_host, token=args.token,
          no_auth=args.no_auth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
