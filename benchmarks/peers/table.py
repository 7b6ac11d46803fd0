"""The peer table: medians of the processes, the side-by-side Markdown table, issue 18's ratios.

Pure functions over the JSON lines the peer scripts print, so a unit test can check them
(tests/test_peers_driver.py) without venvs or network.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

# issue 18, item 6: ringlog against the best peer, in one run
PER_CALL_TARGET = {100_000: 20.0, 1_000_000: 50.0}  # x the fastest peer's per-call rate incl. finish
BYTES_TARGET = 4.0  # the smallest peer's bytes per point / ringlog's
READ_TARGET = 10.0  # ringlog's read-back rate / the fastest peer's


@dataclass
class Row:
    """One line of the table: a tool and one call form, or why it has no figures."""
    tool: str
    label: str  # the call form, as the user writes it
    versions: str = ""
    one: list[dict] = field(default_factory=list)  # outputs of the ``one`` processes
    keys10: list[dict] = field(default_factory=list)
    read: list[dict] = field(default_factory=list)
    points: int = 0  # points per process (a capped peer logs fewer)
    bulk: bool = False  # a batch API: not a per-call form, kept out of the per-call comparison
    error: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.one)

    def med(self, form: str, key: str) -> float:
        outs = getattr(self, form)
        return statistics.median(o[key] for o in outs) if outs else float("nan")

    def rate(self, form: str, key: str = "total") -> float:
        """Median over processes of points / seconds (each process's own rate)."""
        outs = getattr(self, form)
        return statistics.median(o["points"] / o[key] for o in outs) if outs else float("nan")

    def bytes_per_point(self) -> float:
        return self.med("one", "bytes") / self.points if self.one else float("nan")

    def cpu_per_point(self) -> float:
        """Median CPU microseconds per point of the logging process (all its threads) over loop +
        finish: steadier than wall rates on a loaded machine; a helper process's CPU is not in it."""
        outs = [o for o in self.one if "cpu_total" in o]
        return statistics.median(o["cpu_total"] / o["points"] * 1e6 for o in outs) if outs else float("nan")

    def read_rate(self) -> float:
        return self.rate("read", "read")


def per_call_target(points: int) -> float:
    """20x at 100k points, 50x at 1M (the nearer of the two sizes the issue names)."""
    return PER_CALL_TARGET[1_000_000] if points >= 1_000_000 else PER_CALL_TARGET[100_000]


def _fmt(x: float, digits: int = 0) -> str:
    if x != x:  # NaN
        return "-"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def _sig(x: float) -> str:
    """Seconds or sizes of any scale with ~3 significant figures."""
    if x != x:
        return "-"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"


def markdown(rows: list[Row]) -> str:
    head = ("| tool, call form | points | per-call points/s incl. finish | loop only | 10 keys per step "
            "(points/s incl. finish) | finish s | bytes/pt | read-back s | read-back points/s | "
            "peak RSS MB (+ helper processes) | CPU us/pt, loop + finish (this process) |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in rows:
        name = f"{r.tool} {r.versions.split(',')[0].split(' ', 1)[-1] if r.versions else ''}".strip()
        name = f"{name}, `{r.label}`" if r.label else name
        if not r.ok:
            lines.append(f"| {name} | | {r.error or 'no figures'} | | | | | | | | |")
            continue
        helpers = r.med("one", "helpers_rss") if all("helpers_rss" in o for o in r.one) else 0.0
        rss = _fmt(r.med("one", "rss")) + (f" (+{_fmt(helpers)})" if helpers >= 1 else "")
        lines.append("| " + " | ".join([
            name + (" (bulk API)" if r.bulk else ""), _fmt(r.points), _fmt(r.rate("one")),
            _fmt(r.rate("one", "loop")), _fmt(r.rate("keys10")) if r.keys10 else "-",
            _sig(r.med("one", "finish")), _sig(r.bytes_per_point()),
            _sig(r.med("read", "read")) if r.read else "-", _fmt(r.read_rate()) if r.read else "-", rss,
            _sig(r.cpu_per_point())]) + " |")
    return "\n".join(lines)


@dataclass
class Ratio:
    what: str
    value: float
    target: float
    against: str

    @property
    def met(self) -> bool:
        return self.value == self.value and self.value >= self.target

    def line(self) -> str:
        v = "-" if self.value != self.value else f"{self.value:,.2f}x"
        return f"- {self.what}: {v} (target >= {self.target:g}x, against {self.against}): " + (
            "**met**" if self.met else "**not met**")


def ratios(rows: list[Row], points: int) -> list[Ratio]:
    """ringlog's rows against the best peer row of each measure (bulk rows only for bytes and
    read-back: a batch of 1,000 points per call is not a per-call form)."""
    ours = [r for r in rows if r.tool == "ringlog" and r.ok]
    peers = [r for r in rows if r.tool != "ringlog" and r.ok]
    out: list[Ratio] = []
    if not ours or not peers:
        return out
    per_call = [r for r in peers if not r.bulk]
    target = per_call_target(points)
    if per_call:
        best = max(per_call, key=lambda r: r.rate("one"))
        for r in ours:
            out.append(Ratio(f"per-call incl. finish, ringlog `{r.label}`", r.rate("one") / best.rate("one"),
                             target, f"{best.tool} `{best.label}`, {_fmt(best.rate('one'))} points/s"))
        cpu = [r for r in per_call if r.cpu_per_point() == r.cpu_per_point()]
        if cpu:  # secondary: CPU time holds on a loaded machine, wall time does not
            lean = min(cpu, key=lambda r: r.cpu_per_point())
            for r in ours:
                out.append(Ratio(f"(secondary) per-call CPU per point of the logging process, ringlog `{r.label}`",
                                 lean.cpu_per_point() / r.cpu_per_point(), target,
                                 f"{lean.tool} `{lean.label}`, {_sig(lean.cpu_per_point())} us/pt; a helper "
                                 "process's CPU is not counted"))
    small = min(peers, key=lambda r: r.bytes_per_point())
    for r in ours:
        out.append(Ratio(f"bytes per point, ringlog `{r.label}` ({_sig(r.bytes_per_point())})",
                         small.bytes_per_point() / r.bytes_per_point(), BYTES_TARGET,
                         f"{small.tool} `{small.label}`, {_sig(small.bytes_per_point())} B/pt"))
    readers = [r for r in peers if r.read]
    if readers:
        fast = max(readers, key=lambda r: r.read_rate())
        for r in ours:
            if r.read:
                out.append(Ratio(f"read-back rate, ringlog `{r.label}`", r.read_rate() / fast.read_rate(),
                                 READ_TARGET, f"{fast.tool} `{fast.label}`, {_fmt(fast.read_rate())} points/s"))
    return out


def fastest_peer(rows: list[Row]) -> str | None:
    """The peer (tool name) with the best per-call rate incl. finish, bulk rows left out."""
    cand = [r for r in rows if r.tool != "ringlog" and r.ok and not r.bulk]
    return max(cand, key=lambda r: r.rate("one")).tool if cand else None


BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"


def replace_section(doc: str, section: str) -> str:
    """``doc`` with the text between the peer markers replaced by ``section`` (appended, markers
    and all, when the markers are not there yet)."""
    block = f"{BEGIN}\n{section.rstrip()}\n{END}"
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return doc.rstrip("\n") + "\n\n" + block + "\n"
