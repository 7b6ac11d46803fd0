"""A training script for the object-store tests: logs ``x = i * 0.5`` at step i to ``argv[1]``
(an s3:// root), flushing every ``argv[3]`` steps and printing ``flushed <n>`` after each flush;
stops after ``argv[2]`` steps (or when killed). With ``argv[4] = "<task id>:<label>"`` it joins that
task in shared mode (W&B's) as ``label`` and logs ``<label>/x`` instead."""

import sys

import ringlog

url, steps, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
shared = sys.argv[4].split(":") if len(sys.argv) > 4 else None
key = f"{shared[1]}/x" if shared else "x"
extra = {"mode": "shared", "x_label": shared[1]} if shared else {}
run = ringlog.init(project="team", name="child", dir=url, id=shared[0] if shared else None,
                   settings=ringlog.Settings(flush_interval=0.05, capture=False, finish_timeout=60, **extra))
print("id", run.id, flush=True)
for i in range(steps):
    ringlog.log({key: i * 0.5}, step=i)
    if (i + 1) % every == 0:
        run.flush()
        print("flushed", i, flush=True)  # steps < i are durable (step i's row is still open)
ringlog.finish()
print("done", flush=True)
