"""ringlog.store: the on-disk format (see FORMAT.md beside this file).

``Store(root)`` creates tasks (:class:`TaskWriter`) and opens them (:class:`TaskReader`);
``Store.catalog`` lists and sorts them. Readers hand out typed results: :class:`Scalar` (every
point of a range), :class:`Decimated` (a chart's worth, envelope exact) and :class:`MediaRecord`
(a kept debug sample with a stable ``id``; ``TaskReader.media_file(id)`` resolves it to a file
inside the task's media folder). ``STATUSES`` are the task statuses the store accepts.
``default_root()`` is where data goes when no folder is given. A root may be an object-store URL
(``s3://bucket/prefix``, see objstore/).
``ringlog.store.testing`` builds real stores for tests. ``__all__`` is pinned by a test.
"""

from .errors import (CorruptStoreError, MediaNotFoundError, SeriesNotFoundError, StoreError, StoreTypeError,
                     StoreValueError, TaskClosedError, TaskNotFoundError)
from .media import MediaRecord
from .query import Decimated
from .reader import Scalar, TaskReader
from .roots import default_root
from .store import Store
from .writer import STATUSES, TaskWriter
from .objstore.remote import RemoteStore as _RemoteStore

Store.url_store = _RemoteStore  # Store("s3://bucket/prefix") reads and writes a bucket (objstore/)

__all__ = ["Store", "TaskReader", "TaskWriter", "Scalar", "Decimated", "MediaRecord", "STATUSES", "StoreError",
           "TaskNotFoundError", "SeriesNotFoundError", "MediaNotFoundError", "StoreValueError", "StoreTypeError",
           "CorruptStoreError", "TaskClosedError", "default_root"]
