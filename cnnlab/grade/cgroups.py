"""One control group per sandboxed kernel: a bound on the memory and the processes of all it starts.

``setrlimit`` limits each process on its own: four forked children may each use the
whole memory limit. A cgroup bounds their sum (``memory.max``) and their number
(``pids.max``), and records the peak (``memory.peak``), which the grader reports.

cgroup v2 is used where this process can create a child group with the ``memory``
and ``pids`` controllers (as root on a systemd host or in a container with its own
cgroup namespace); a cgroup v1 hierarchy with those controllers is used otherwise
(older hosts, hybrid layouts). Groups are created below this process's own group,
never elsewhere. Where neither works, :func:`available` says why and the sandbox
falls back to per-process limits (see :mod:`cnnlab.grade.sandbox`).
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
_COUNTER = itertools.count()


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, super options) of every cgroup mount."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fstype, _, options = right.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                found.append((left.split()[4], fstype, set(options.split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """controller (or "" for v2) → this process's cgroup path, from /proc/self/cgroup."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                paths[c] = path
    return paths


def _writable_parent(folder: Path) -> bool:
    probe = folder / f"cnnlab-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
        return True
    except OSError:
        return False


def _v2_parent() -> Path | None:
    mounts = [m for m, t, _ in _mounts() if t == "cgroup2"]
    own = _own_paths().get("")
    if not mounts or own is None:
        return None
    base = Path(mounts[0])
    for parent in (base / own.lstrip("/"), base):
        try:
            enabled = set((parent / "cgroup.subtree_control").read_text().split())
            if not {"memory", "pids"} <= enabled:
                (parent / "cgroup.subtree_control").write_text("+memory +pids")  # EBUSY if it holds processes
                enabled = set((parent / "cgroup.subtree_control").read_text().split())
        except OSError:
            continue
        if {"memory", "pids"} <= enabled and _writable_parent(parent):
            return parent
    return None


def _v1_parents() -> dict[str, Path] | None:
    own = _own_paths()
    parents = {}
    for controller in ("memory", "pids"):
        mount = next((m for m, t, opts in _mounts() if t == "cgroup" and controller in opts), None)
        if mount is None or controller not in own:
            return None
        parent = Path(mount) / own[controller].lstrip("/")
        if not _writable_parent(parent):
            return None
        parents[controller] = parent
    return parents


@functools.lru_cache(maxsize=None)
def backend() -> tuple[str, object] | tuple[None, str]:
    """("v2", parent folder) or ("v1", {controller: parent}) where groups can be made; else (None, why)."""
    try:
        parent = _v2_parent()
        if parent is not None:
            return "v2", parent
        parents = _v1_parents()
        if parents is not None:
            return "v1", parents
    except OSError as exc:
        return None, f"cgroups unreadable ({exc})"
    return None, ("this process cannot create a cgroup with the memory and pids controllers "
                  "(run the grader as root, on cgroup v2 with those controllers delegated)")


def available() -> str:
    """"" if per-sandbox cgroups work here, else why not."""
    kind, detail = backend()
    return "" if kind else str(detail)


@dataclass
class Group:
    """A created control group; ``procs`` are the ``cgroup.procs`` files a process joins by writing its pid."""

    kind: str
    dirs: list[Path]

    @property
    def procs(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def peak_mb(self) -> float | None:
        """The most memory the group used (MiB), where the kernel records it."""
        for d in self.dirs:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                try:
                    return int((d / name).read_text().split()[0]) / MB
                except (OSError, ValueError):
                    continue
        return None

    def oom_kills(self) -> int:
        """How many processes the kernel killed for exceeding the memory limit."""
        for d in self.dirs:
            for name in ("memory.events", "memory.oom_control"):
                try:
                    for line in (d / name).read_text().splitlines():
                        key, _, value = line.partition(" ")
                        if key == "oom_kill":
                            return int(value)
                except (OSError, ValueError):
                    continue
        return 0

    def pids(self) -> list[int]:
        """The processes in the group."""
        found = set()
        for procs in self.procs:
            try:
                found.update(int(p) for p in Path(procs).read_text().split())
            except (OSError, ValueError):
                pass
        return sorted(found)

    def kill(self, wait_s: float = 5.0) -> None:
        """Kill every process in the group and wait until none is left.

        cgroup v2 kills them at once (``cgroup.kill``); on v1 they are sent SIGKILL until the group
        is empty (a process forked meanwhile is caught by the next round; ``pids.max`` bounds them).
        """
        end = time.monotonic() + wait_s
        while time.monotonic() < end:
            pids = self.pids()
            if not pids:
                return
            kill = self.dirs[0] / "cgroup.kill"
            try:
                if kill.exists():
                    kill.write_text("1")
                else:
                    for pid in pids:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
            except OSError:
                return
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill whatever is left in the group and delete it."""
        self.kill()
        for d in self.dirs:
            for _ in range(50):  # the last processes may take a moment to exit
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def sweep() -> int:
    """Delete the empty groups left by grading processes that were killed (their pid is in the name)."""
    kind, where = backend()
    if kind is None:
        return 0
    parents = [Path(where)] if kind == "v2" else list(where.values())
    removed = 0
    for parent in parents:
        for d in parent.glob("cnnlab-*-*"):
            try:
                pid = int(d.name.split("-")[1])
            except ValueError:
                continue
            if not _alive(pid):
                try:
                    d.rmdir()  # fails (and stays) if a process still lives in it
                    removed += 1
                except OSError:
                    pass
    return removed


def create(memory_mb: int, pids: int) -> Group | None:
    """A new group limited to ``memory_mb`` MiB (RAM, no swap) and ``pids`` processes/threads; None if unavailable."""
    kind, where = backend()
    if kind is None:
        return None
    name = f"cnnlab-{os.getpid()}-{next(_COUNTER)}"
    limit = str(memory_mb * MB)
    if kind == "v2":
        d = Path(where) / name
        d.mkdir()
        (d / "memory.max").write_text(limit)
        if (d / "memory.swap.max").exists():
            (d / "memory.swap.max").write_text("0")
        (d / "pids.max").write_text(str(pids))
        return Group("v2", [d])
    mem, pid = Path(where["memory"]) / name, Path(where["pids"]) / name
    mem.mkdir()
    pid.mkdir()
    (mem / "memory.limit_in_bytes").write_text(limit)
    if (mem / "memory.memsw.limit_in_bytes").exists():
        try:
            (mem / "memory.memsw.limit_in_bytes").write_text(limit)
        except OSError:  # swap accounting off: RAM alone is limited
            pass
    (pid / "pids.max").write_text(str(pids))
    return Group("v1", [mem, pid])


def join_command(group: Group, cmd: list[str]) -> list[str]:
    """``cmd`` prefixed so that it runs inside ``group`` (a shell writes its pid, then execs ``cmd``)."""
    script = "; ".join(f'echo $$ > "${i + 1}" || exit 125' for i in range(len(group.procs)))
    script += f'; shift {len(group.procs)}; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *group.procs, *cmd]
