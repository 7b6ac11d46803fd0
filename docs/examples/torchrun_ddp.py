"""A tiny DDP job logged with ringlog, both ways W&B users log multi-process training.

Run on CPU (gloo; no GPU, no download: a linear model on synthetic data)::

    torchrun --nproc_per_node 2 docs/examples/torchrun_ddp.py --dir ringlog_data --id ddp-demo

1. ``--pattern group``: one task per rank, grouped with W&B's ``group=`` / ``job_type=`` (the
   viewer's task table groups them); task ids ``<id>-rank0``, ``<id>-rank1``.
2. ``--pattern shared``: one task ``<id>`` written by every rank (``mode="shared"``, a label per
   rank): each rank's ``loss`` goes into the one ``loss`` series (merged by step), ``rank<r>/loss``
   stays per rank, system metrics and console output are kept per rank (``system/rank<r>``).

``--pattern both`` (the default) trains twice, once per pattern. ``--echo`` prints what each rank
logged as one JSON line (the tests compare it with what the store reads back).
"""

from __future__ import annotations

import argparse
import json
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

import ringlog


def train(run, rank: int, steps: int, per_rank_key: bool) -> list:
    torch.manual_seed(0)  # the same initial weights on every rank (DDP also broadcasts them)
    model = DDP(torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own shard of synthetic data
    x = torch.randn(512, 8, generator=gen)
    y = x @ torch.linspace(-1, 1, 8).unsqueeze(1) + 0.05 * torch.randn(512, 1, generator=gen)
    logged = []
    for step in range(steps):
        i = torch.randint(0, 512, (32,), generator=gen)
        loss = torch.nn.functional.mse_loss(model(x[i]), y[i])
        opt.zero_grad()
        loss.backward()  # gloo all-reduces the gradients across ranks
        opt.step()
        row = {"loss": loss.item()}
        if per_rank_key:
            row[f"rank{rank}/loss"] = loss.item()
        run.log(row, step=step)
        logged.append(loss.item())
    return logged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=None, help="store root (default: $RINGLOG_DIR, else ./ringlog_data)")
    ap.add_argument("--id", default="ddp-demo", help="task id (shared) or id prefix (group)")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--pattern", choices=("group", "shared", "both"), default="both")
    ap.add_argument("--echo", action="store_true", help="print what this rank logged (JSON)")
    args = ap.parse_args()
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    out = {"rank": rank}
    if args.pattern in ("group", "both"):
        # W&B's one run per rank, grouped: log-all.py of wandb's DDP examples, group="DDP"
        run = ringlog.init(project="ddp-example", id=f"{args.id}-rank{rank}", name=f"rank{rank}", dir=args.dir,
                           group=args.id, job_type="train", config={"world_size": dist.get_world_size()},
                           resume="allow")  # a second launch continues the rank's task
        out["group"] = train(run, rank, args.steps, per_rank_key=False)
        run.finish()
    if args.pattern in ("shared", "both"):
        # one task for the whole job: every rank writes it under its own label
        run = ringlog.init(project="ddp-example", id=args.id, dir=args.dir, group=args.id,
                           settings=ringlog.Settings(mode="shared", x_label=f"rank{rank}"))
        print(f"rank {rank} of {dist.get_world_size()} logging into task {run.id}")
        out["shared"] = train(run, rank, args.steps, per_rank_key=True)
        run.finish()
    dist.destroy_process_group()
    if args.echo:
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
