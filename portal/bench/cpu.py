"""CPU time by process group, read from /proc: where a phase's CPU went (portal, sandbox, database,
cache, the benchmark's own clients)."""

from __future__ import annotations

import os
import resource
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds used by the process and its reaped children: a
    gunicorn worker that was replaced still counts, in its master)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return name, int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _table() -> dict[int, tuple[str, int, float]]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                table[int(entry)] = stat
    return table


def snapshot(groups: dict[str, list[int]], database: str = "") -> dict[str, float]:
    """CPU seconds so far of each group (its root pids and all their descendants), of the
    PostgreSQL backends serving `database`, of redis-server (shared: other users count too),
    and of this process (the benchmark's clients)."""
    table = _table()
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    result: dict[str, float] = {}
    for group, roots in groups.items():
        total, stack = 0.0, list(roots)
        while stack:
            pid = stack.pop()
            if pid in table:
                total += table[pid][2]
            stack.extend(children.get(pid, []))
        result[group] = total
    if database:
        result["postgresql"] = sum(
            t
            for pid, (name, _, t) in table.items()
            if name.startswith("postgres") and f" {database} " in _cmdline(pid)
        )
    result["redis"] = sum(t for name, _, t in table.values() if name.startswith("redis-server"))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["benchmark clients"] = usage.ru_utime + usage.ru_stime
    return result


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    # A PostgreSQL backend that closed during the run takes its CPU time with it: never below 0.
    return {k: round(max(0.0, after[k] - before.get(k, 0.0)), 3) for k in after}
