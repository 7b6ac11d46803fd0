"""ringlog.store: the on-disk format (see FORMAT.md beside this file).

``Store(root)`` creates tasks (:class:`TaskWriter`) and opens them
(:class:`TaskReader`); ``Store.catalog`` lists and sorts them.
"""

from .errors import (CorruptStoreError, SeriesNotFoundError, StoreError, StoreTypeError, StoreValueError,
                     TaskClosedError, TaskNotFoundError)
from .query import Decimated
from .reader import Scalar, TaskReader
from .store import Store
from .writer import TaskWriter

__all__ = ["Store", "TaskReader", "TaskWriter", "Scalar", "Decimated", "StoreError", "TaskNotFoundError",
           "SeriesNotFoundError", "StoreValueError", "StoreTypeError", "CorruptStoreError", "TaskClosedError"]
