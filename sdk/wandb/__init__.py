"""The W&B flavour: ``ringlog.init`` / ``log`` / ``finish`` and ``Run`` with its config, summary
and history. Never imports the ClearML flavour.
"""
