"""ringlog.artifacts: the SDK side of artifacts and models, shared by both flavours.

``access`` opens the store's :class:`~ringlog.store.artifacts.ArtifactStore` (deferred: the store
imports numba) and reports failures the SDK way (strict raises, else one warning); ``serialize``
turns Python objects into files and back (ClearML's ``upload_artifact`` rules); ``wandb_artifact``
is W&B's ``Artifact``. The ClearML views (``task.artifacts``, ``OutputModel`` and the other model
classes in ``ringlog.clearml.models``) live in ``ringlog.clearml``, W&B's run methods in
``ringlog.wandb``; both import this room, never each other.
"""
