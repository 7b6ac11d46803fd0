"""The ClearML flavour: ``Task``, ``Logger`` and its ``report_*`` methods, and the read-back API
(``Task.get_task``). Never imports the W&B flavour.
"""
