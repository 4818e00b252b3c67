"""Whose CPU a benchmark run used: every process on the machine, grouped, from /proc.

    before = snapshot(layout.pids())
    ... drive the load ...
    used = spent(before, snapshot(layout.pids()))   # {"rasa": s, "actions": s, "postgres": s, ...}

Groups: the layout's own services (rasa0, rasa1 → "rasa"; actions0 → "actions"; casestore; nginx),
PostgreSQL and Redis by process name, this process ("load generator"), everything else ("other"),
and the machine's busy, idle and steal time from /proc/stat (steal: the hypervisor ran someone else
while our vCPU wanted to run; it is not in any process's CPU time). A process that ends between the two
snapshots is not counted (the layouts keep their processes and connection pools for the run).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _group_of_service(name: str) -> str:
    return re.sub(r"\d+$", "", name)


def _cpu_seconds(pid: int) -> tuple[str, float] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1: raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    # fields[11], [12] = utime, stime (the 14th and 15th of stat, counted after pid and comm)
    return comm, (int(fields[11]) + int(fields[12])) / TICK


def _machine() -> tuple[float, float, float]:
    """(busy, idle, steal) seconds of all CPUs since boot."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in first[:8]]  # user nice system idle iowait irq softirq steal
    idle, steal = ticks[3] + ticks[4], ticks[7]
    return (sum(ticks) - idle - steal) / TICK, idle / TICK, steal / TICK


def snapshot(services: dict[str, list[int]]) -> dict:
    owner = {pid: _group_of_service(name) for name, pids in services.items() for pid in pids}
    me = os.getpid()
    per_pid: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        found = _cpu_seconds(pid)
        if found is None:
            continue
        comm, seconds = found
        if pid in owner:
            group = owner[pid]
        elif pid == me:
            group = "load generator"
        elif comm.startswith("postgres"):
            group = "postgres"
        elif comm.startswith("redis-server"):
            group = "redis"
        else:
            group = "other"
        per_pid[pid] = (group, seconds)
    busy, idle, steal = _machine()
    return {"pids": per_pid, "busy": busy, "idle": idle, "steal": steal}


def spent(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per group between two snapshots, plus "machine busy", "machine idle" and
    "machine steal"."""
    out: dict[str, float] = {}
    for pid, (group, seconds) in after["pids"].items():
        start = before["pids"].get(pid)
        used = seconds - (start[1] if start and start[0] == group else 0.0)
        out[group] = out.get(group, 0.0) + max(used, 0.0)
    out["machine busy"] = after["busy"] - before["busy"]
    out["machine idle"] = after["idle"] - before["idle"]
    out["machine steal"] = after.get("steal", 0.0) - before.get("steal", 0.0)
    return out


def per_turn(used: dict[str, float], turns: int) -> dict[str, float]:
    """Milliseconds of CPU per turn, by group."""
    return {group: round(seconds * 1000 / max(turns, 1), 2) for group, seconds in used.items()}


def replica_ratio_bound(ms: dict[str, float], cores: int | None = None, exclude: tuple[str, ...] = ()) -> float | None:
    """The most that `cores` replicas can give over one process on this machine, if one process is held
    to one core by Rasa's CPU per turn and every process of the layout shares the same cores:
    one process ≤ 1000 / rasa ms turns/s; the machine ≤ cores × 1000 / (every group's ms) turns/s.
    `exclude`: groups that would not run on a serving machine (the load generator)."""
    cores = cores or os.cpu_count() or 1
    work = sum(v for k, v in ms.items() if not k.startswith("machine") and k not in exclude)
    rasa = ms.get("rasa", 0.0)
    if not work or not rasa:
        return None
    return round(min(cores, cores * rasa / work), 2)
