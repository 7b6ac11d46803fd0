"""Auto-capture: console tee, TensorBoard ``SummaryWriter`` mirroring, matplotlib figures, system
metrics, ``watch`` for torch models. Each capture is opt-out, reversible and imported only when
its switch is on.

Imports media and the engine, never the W&B or ClearML facades.
"""
