"""wandb, offline mode (``wandb.init(mode="offline", dir=ROOT)``), ``wandb.log({"loss": v}, step=i)``.

Read back: wandb 0.31 has no Python reader of an offline run (its public ``wandb.Api`` asks a
server; the Python ``datastore`` module of older releases is gone and ``wandb sync`` reads the file
in the Go core). So this reads the run's ``.wandb`` file the way that module did: the LevelDB log
format (32 KiB blocks, 7-byte record headers, FULL/FIRST/MIDDLE/LAST fragments) framing wandb's
own protobuf ``Record`` messages, and takes every ``history`` record's ``loss`` item.
"""
import glob
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KEYS10, Workload  # noqa: E402

BLOCK, HEADER = 32768, 7


def records(path):
    """The payload of every record of a LevelDB-log file with wandb's 7-byte file header."""
    data = open(path, "rb").read()
    if data[:4] != b":W&B":
        raise ValueError(f"{path}: not a .wandb file (header {data[:7]!r})")
    pos, parts = HEADER, []
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # a block's trailer: the next record starts in the next block
            pos += left
            continue
        _crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if kind == 0 and length == 0:  # zero padding at the end of a block
            pos += left
            continue
        body = data[pos + HEADER:pos + HEADER + length]
        pos += HEADER + length
        if kind == 1:
            yield body
        elif kind == 2:
            parts = [body]
        elif kind == 3:
            parts.append(body)
        elif kind == 4:
            parts.append(body)
            yield b"".join(parts)
            parts = []


w = Workload()
if w.form == "read":
    from wandb.proto import wandb_internal_pb2
    w.mark("import")
    vals = []
    (path,) = glob.glob(os.path.join(w.root, "wandb", "offline-run-*", "*.wandb"))
    rec = wandb_internal_pb2.Record()
    for body in records(path):
        rec.ParseFromString(body)
        if rec.WhichOneof("record_type") == "history":
            for item in rec.history.item:
                if item.key == "loss" or list(item.nested_key) == ["loss"]:
                    vals.append(float(json.loads(item.value_json)))
    w.mark("read")
    w.emit(len(vals), float(sum(vals)))
else:
    import wandb
    w.mark("import")
    run = wandb.init(project="peers", name=w.form, mode="offline", dir=w.root)
    log = wandb.log
    w.mark("init")
    if w.form == "one":
        for i, v in enumerate(w.vals):
            log({"loss": v}, step=i)
    else:
        for i, v in enumerate(w.vals):
            log({k: v for k in KEYS10}, step=i)
    w.mark("loop")
    run.finish()
    w.mark("finish")
    w.emit(w.steps * (1 if w.form == "one" else 10))
