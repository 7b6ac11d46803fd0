"""ringlog.artifacts: the SDK side of artifacts and models, shared by both flavours.

``access`` opens the store's :class:`~ringlog.store.artifacts.ArtifactStore` (deferred: the store
imports numba) and reports failures the SDK way (strict raises, else one warning); ``serialize``
turns Python objects into files and back (ClearML's ``upload_artifact`` rules); ``wandb_artifact``
is W&B's ``Artifact``; ``models`` holds what ClearML's model classes share. The ClearML views
(``task.artifacts``, ``OutputModel``) live in ``ringlog.clearml``, W&B's run methods in
``ringlog.wandb``; both import this room, never each other.
"""
