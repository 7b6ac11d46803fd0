"""The ``series.json`` entry of a series writer (FORMAT.md, "Series index"), as a dict and as JSON
text. A mixin of :class:`ringlog.store.series_writer.SeriesWriter`, which owns the state; the
TaskWriter joins the texts into the index at each sync that changed something.
"""

from __future__ import annotations

import json

from .layout import CHUNK

_ENC = json.JSONEncoder(separators=(",", ":"), allow_nan=True, default=str)  # as _fs.write_json_atomic
_INF = float("inf")
_SORTED = {(a, b): f'{{"step":{"true" if a else "false"},"time":{"true" if b else "false"}}}'
           for a in (False, True) for b in (False, True)}


def _jnum(x) -> str:
    """A number (or None) as json.dumps(allow_nan=True) writes it."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if x != x:
            return "NaN"
        if x == _INF or x == -_INF:
            return "Infinity" if x > 0 else "-Infinity"
        return repr(x)
    return str(int(x))



class IndexMixin:
    """The series' entry in series.json."""

    def entry_json(self) -> str:
        """:meth:`entry` as JSON text (the same value ``json.dumps(entry(), allow_nan=True)`` gives),
        kept while nothing in it changed (``meta_dirty`` false) and written by hand otherwise: a
        sync of a task with 100,000 series re-encodes only the series that changed, at a few us
        each (measured: the dict + json.dumps index cost ~25 us per series per sync)."""
        if self._entry_json is not None and not self.meta_dirty:
            return self._entry_json
        if self._names_json is None:
            self._names_json = f'"title":{json.dumps(self.title)},"series":{json.dumps(self.series)}'
        sealed = ""
        if self.sealed:
            sealed = f'"count":{self.count},"tail":true,' if self.in_tail else f'"count":{self.count},'
        chunks = -(-self.count // CHUNK) if self.sealed and not self.in_tail else self.n_chunks
        open_ = ""
        if not self.sealed and self.n_chunks % self.shard:
            open_ = '"open":' + _ENC.encode({f.name: sw.open_sizes(self.n_chunks)
                                             for f, sw in self.shard_writers.items()}) + ","
        st = self.stats  # SeriesStats.entry(), written out: this runs for every changed series at every sync
        if st.count:
            stats = (f'"last":{_jnum(st.last)},"min":{_jnum(st.min) if st.finite else "null"},'
                     f'"max":{_jnum(st.max) if st.finite else "null"},"count":{_jnum(st.count)},'
                     f'"last_step":{_jnum(st.last_step)}')
        else:
            stats = '"last":null,"min":null,"max":null,"count":0,"last_step":null'
        srt = self.sorted
        levels = ",".join([str(lv.persisted) for lv in self.levels]) if self.levels else ""
        self._entry_json = (f'{{"sid":{self.sid},{self._names_json},"dtype":"{self.dtype}","chunks":{chunks},'
                            f'{sealed}"shard":{self.shard},{open_}"levels":[{levels}],'
                            f'"stats":{{{stats}}},"sorted":{_SORTED[srt["step"], srt["time"]]}}}')
        return self._entry_json

    def entry(self) -> dict:
        """This series' record in series.json."""
        sealed = ({"count": self.count, "tail": True} if self.in_tail else {"count": self.count}) if self.sealed else {}
        open_ = {}
        if not self.sealed and self.n_chunks % self.shard:
            open_ = {"open": {f.name: sw.open_sizes(self.n_chunks) for f, sw in self.shard_writers.items()}}
        return {"sid": self.sid, "title": self.title, "series": self.series, "dtype": self.dtype,
                "chunks": -(-self.count // CHUNK) if self.sealed and not self.in_tail else self.n_chunks, **sealed,
                "shard": self.shard, **open_, "levels": [lv.persisted for lv in self.levels],
                "stats": self.stats.entry(), "sorted": dict(self.sorted)}
