"""Run every benchmark: ``python -m benchmarks.run [--quick] [name ...]``.

Full sizes take minutes and need several GB of disk under ``bench_data/``;
``--quick`` uses small sizes (CI runs that so the benchmarks cannot rot).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all), e.g. bench_ingest")
    args = parser.parse_args(argv)
    here = Path(__file__).parent
    names = args.names or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    failures = []
    for name in names:
        mod = importlib.import_module(f"benchmarks.{name}")
        t0 = time.perf_counter()
        try:
            mod.run(quick=args.quick)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
            print(f"FAILED {name}: {exc}", file=sys.stderr)
        except Exception as exc:  # a broken benchmark fails the run but does not hide the ones after it
            traceback.print_exc()
            failures.append(f"{name}: raised {exc!r}")
        print(f"\n({name} took {time.perf_counter() - t0:.1f} s)")
    if failures:
        print("\nbenchmark assertions failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print(f"\nall {len(names)} benchmarks passed their assertions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
