"""The ``ringlog`` command line.

* ``ringlog view [--root DIR] [--host 127.0.0.1] [--port N] [--allow-host NAME] [--token T] [--no-auth]``
  serves the viewer (waitress, loopback by default; a token is required off loopback);
* ``ringlog import-tensorboard LOGDIR [--root DIR] [--project NAME]`` turns existing
  TensorBoard event files into tasks (the capture area's ``ringlog.capture.tb_import.import_logdir``);
* ``ringlog fsck [ROOT] [--repair]`` checks every file of a store and reports each problem per task
  and file; ``--repair`` cuts torn tails, rewrites unreadable metadata and logs, records crashed
  runs, rebuilds the catalog and lists what was lost (``ringlog.store.fsck``). Exit status 0: no
  problem, 1: every problem repaired, 4: problems left. For ``s3://...`` it checks this machine's
  spool against the bucket and ``--repair`` re-uploads from the spool (``ringlog.store.objstore.check``).
* ``ringlog gc [ROOT] [--dry-run] [--grace SECONDS]`` removes artifact blobs no manifest references
  (and the artifacts of deleted tasks); a blob another task's manifest names is never removed
  (``ringlog.store.artifacts_gc``). An ``s3://`` root is refused (its blobs are shared by every
  machine's manifests).

Heavy modules (flask, waitress, tensorboard) are imported only by the subcommand that needs
them, so ``ringlog --help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ringlog", description="ringlog: local-first metrics for ML experiments")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    view = sub.add_parser("view", help="serve the web viewer", description="Serve the ringlog viewer.")
    view.add_argument("--root", default=None, help="store root folder (default: $RINGLOG_DIR or ./ringlog_data)")
    view.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    view.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    add_access_arguments(view)

    tb = sub.add_parser("import-tensorboard", help="import TensorBoard event files as tasks",
                        description="Read TensorBoard event files under LOGDIR into ringlog tasks.")
    tb.add_argument("logdir", help="folder holding event files (searched recursively)")
    tb.add_argument("--root", default=None, help="store root folder (default: $RINGLOG_DIR or ./ringlog_data)")
    tb.add_argument("--project", default=None, help="project for the imported tasks")

    fk = sub.add_parser("fsck", help="check a store's files and repair what can be repaired",
                        description="Check every file of a ringlog store (catalog, task metadata, series, "
                                    "chunks, tails, media logs, reports) and report each problem.")
    fk.add_argument("root", nargs="?", default=None, help="store root folder (default: $RINGLOG_DIR or ./ringlog_data)")
    fk.add_argument("--repair", action="store_true", help="cut torn tails, rewrite unreadable metadata and logs, "
                    "record crashed runs, rebuild the catalog (tasks open for writing are left alone)")

    gc = sub.add_parser("gc", help="remove artifact files nothing references",
                        description="Remove artifact blobs no manifest references, the artifacts of deleted "
                                    "tasks, and temp files of interrupted uploads older than --grace.")
    gc.add_argument("root", nargs="?", default=None, help="store root folder (default: $RINGLOG_DIR or ./ringlog_data)")
    gc.add_argument("--dry-run", action="store_true", help="count what would be removed, remove nothing")
    gc.add_argument("--grace", type=float, default=3600.0, metavar="SECONDS",
                    help="spare unreferenced blobs younger than this (an upload may be committing them; default 3600)")
    sy = sub.add_parser("sync", help="copy tasks between a local store and a bucket (resumable)",
                        description="Copy every task of a local store root (or an s3:// spool) to a bucket, or a "
                                    "bucket to a local root. Resumable and idempotent: only what changed moves.")
    sy.add_argument("src", help="local store root or s3://bucket/prefix")
    sy.add_argument("dst", nargs="?", default=None,
                    help="s3://bucket/prefix or local folder (default: the URL recorded in SRC's spool)")
    return p


def add_access_arguments(p: argparse.ArgumentParser) -> None:
    """Who may connect to the viewer (enforced by ringlog.viewer.guard; see viewer/SECURITY.md)."""
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests for this host name (repeatable; localhost, 127.0.0.1 and [::1] always)")
    p.add_argument("--token", default=None, help="require this token (default: $RINGLOG_TOKEN; generated and "
                   "printed when --host is not loopback)")
    p.add_argument("--no-auth", action="store_true", help="serve WITHOUT a token even off loopback: anyone who "
                   "can reach the address reads every task and edits reports")


def _root(arg: str | None) -> str | Path:
    """``--root``, else :func:`ringlog.store.default_root` (the one default the SDK and viewer share)."""
    if arg is not None:
        return arg
    from ringlog.store import default_root  # deferred: ringlog.store imports numba; --help stays instant

    return default_root()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "view":
        from ringlog.viewer.serve import serve  # deferred: flask and the viewer only for this command

        try:
            serve(_root(args.root), host=args.host, port=args.port, allow_hosts=args.allow_host, token=args.token,
                  no_auth=args.no_auth)
        except KeyboardInterrupt:
            return 0
        except (OSError, ValueError) as e:
            print(f"ringlog view: {e}", file=sys.stderr)
            return 2
        return 0
    if args.command in ("fsck", "gc") and "://" in str(_root(args.root)):
        from ringlog.store.objstore import check  # deferred: the object-store client only here

        if args.command == "gc":
            print(check.gc_refusal(str(_root(args.root))), file=sys.stderr)
            return 2
        try:
            report = check.fsck_url(str(_root(args.root)), repair=args.repair)
        except (OSError, ValueError) as e:
            print(f"ringlog fsck: {e}", file=sys.stderr)
            return 2
        print(report.text())
        return report.exit_code()
    if args.command == "fsck":
        from ringlog.store.fsck import fsck  # deferred: ringlog.store imports numba; --help stays instant

        replayed = []
        if args.repair:  # a killed writer's crash ring first: its points go back into the store (FORMAT.md)
            from ringlog.store.crashring_recover import recover

            replayed = recover(_root(args.root))
            for line in replayed:
                print(f"replayed: {line}")
        report = fsck(_root(args.root), repair=args.repair)
        print(report.text())
        return max(report.exit_code(), 1 if replayed else 0)
    if args.command == "gc":
        from ringlog.store.artifacts import ArtifactStore  # deferred: ringlog.store imports numba; --help stays instant

        try:
            stats = ArtifactStore(_root(args.root)).gc(grace=args.grace, dry_run=args.dry_run)
        except (OSError, ValueError) as e:
            print(f"ringlog gc: {e}", file=sys.stderr)
            return 2
        verb = "would remove" if args.dry_run else "removed"
        print(f"{verb} {stats['blobs']} blob(s), {stats['bytes']:,} bytes; {stats['manifests']} manifest(s) of "
              f"deleted tasks; {stats['tmp']} temp file(s); kept {stats['kept']} referenced blob(s) and "
              f"{stats['young']} younger than {args.grace:g} s")
        return 0
    if args.command == "sync":
        from ringlog.store.objstore.sync import sync  # deferred: the object-store client only here

        from ringlog.store.objstore.spool import remote_of

        dst = args.dst or remote_of(args.src)
        try:
            if dst is None:
                raise ValueError(f"DST: missing, and {args.src} is not a spool that names its bucket")
            st = sync(args.src, dst)
        except (OSError, ValueError) as e:
            print(f"ringlog sync: {e}", file=sys.stderr)
            return 2
        print(f"synced {st['tasks']} task(s) {args.src} -> {dst}: {st['objects']} object(s), {st['bytes']:,} bytes, "
              f"{st['deleted']} deleted")
        return 0
    if args.command == "import-tensorboard":
        from ringlog.capture.tb_import import import_logdir  # deferred: the TensorBoard reader only here

        kwargs = {k: v for k, v in (("root", _root(args.root)), ("project", args.project)) if v is not None}
        result = import_logdir(args.logdir, **kwargs)
        if isinstance(result, (list, tuple)):
            print(f"imported {len(result)} task(s) from {args.logdir}")
            for r in result:
                print(f"  {r}")
        elif result is not None:
            print(result)
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
