"""tensorboardX ``SummaryWriter.add_scalar`` (crc32c installed, as its docs advise); read back with
TensorBoard's own ``EventAccumulator`` (every scalar kept: ``size_guidance`` 0)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import KEYS10, Workload  # noqa: E402

w = Workload()
if w.form == "read":
    from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator
    w.mark("import")
    acc = EventAccumulator(w.root, size_guidance={SCALARS: 0})
    acc.Reload()
    events = acc.Scalars("loss")
    vals = [e.value for e in events]
    w.mark("read")
    w.emit(len(vals), float(sum(vals)))
else:
    from tensorboardX import SummaryWriter
    w.mark("import")
    writer = SummaryWriter(logdir=w.root)
    add = writer.add_scalar
    w.mark("init")
    if w.form == "one":
        for i, v in enumerate(w.vals):
            add("loss", v, i)
    else:
        for i, v in enumerate(w.vals):
            for k in KEYS10:
                add(k, v, i)
    w.mark("loop")
    writer.close()
    w.mark("finish")
    w.emit(w.steps * (1 if w.form == "one" else 10))
