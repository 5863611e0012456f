"""What every benchmark measures with: a real subprocess timed (wall clock and CPU), contenders
run interleaved with their baseline, medians with their spread, and the goal rows printed at
the end. Shared by bench/run.py and the benchmark modules beside it.

CPU time is the user + system time of the child processes (``RUSAGE_CHILDREN``), so a
command's worker processes count too, as long as it waits for them (netapps does).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The tests' helpers: the apps (from netapps.toml), the config and the subprocess environment.
sys.path.insert(0, str(REPO / "tests"))
try:
    from support import BIN, subprocess_env, write_config
    from support import run as run_subprocess
except ImportError as exc:
    sys.exit(f"error: {exc}; run `.venv/bin/python bench/run.py` (`make install` creates .venv)")


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Timing:
    """One run of one command: wall-clock and CPU seconds (its own and its children's)."""

    wall: float
    cpu: float


@dataclass
class Sample:
    """Several repetitions of one thing: wall-clock seconds (``values``) and CPU seconds."""

    values: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, timing: Timing) -> Timing:
        self.values.append(timing.wall)
        self.cpu.append(timing.cpu)
        return timing

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    def text(self) -> str:
        if not self.values:
            return "-"
        cpu = f", cpu {fmt(self.cpu_median)}" if self.cpu else ""
        if len(self.values) == 1:
            return f"{fmt(self.values[0])} (n=1{cpu})"
        lo, hi = min(self.values), max(self.values)
        return f"{fmt(self.median)} ({fmt(lo)}-{fmt(hi)}, n={len(self.values)}{cpu})"


def fmt(seconds: float) -> str:
    if seconds != seconds:  # NaN: not measured
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 100:
        return f"{seconds:.2f} s"
    return f"{seconds:.0f} s"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    cmd: Sequence[str | Path], env: dict[str, str], cwd: Path | None = None, check: bool = True
) -> tuple[Timing, subprocess.CompletedProcess[str]]:
    """Run ``cmd`` to completion; its wall-clock and CPU time, and its result."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = run_subprocess(cmd, env=env, cwd=cwd, timeout=None)
    elapsed = time.perf_counter() - start
    timing = Timing(elapsed, _children_cpu() - cpu_before)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BenchError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{tail}")
    return timing, proc


def timed(cmd: Sequence[str | Path], env: dict[str, str], cwd: Path | None = None) -> Timing:
    return run(cmd, env, cwd)[0]


def interleaved(contenders: dict[str, Callable[[], Timing]], reps: int) -> dict[str, Sample]:
    """Each contender ``reps`` times, in rotating order (A B, B A, ...), so drift in the
    machine's load hits all of them alike."""
    samples = {name: Sample() for name in contenders}
    names = list(contenders)
    for rep in range(reps):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            samples[name].add(contenders[name]())
    return samples


# --------------------------------------------------------------------------------------------
# configuration and environment


def clean_env(config: Path, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of every subprocess: the tests' (no inherited database overrides, our
    config, the virtual environment first on PATH), with the bytecode cache in the temporary
    directory (nothing written into the repository)."""
    env = subprocess_env(
        config,
        venv_on_path=True,
        PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
        VIRTUAL_ENV=str(BIN.parent),
        **extra,
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_config(
    path: Path,
    backups: Path,
    apps: dict[str, str],
    *,
    tenants_file: Path | None = None,
    schema: str | None = None,
) -> Path:
    """A netapps.toml naming ``apps`` (name -> URL, or URL template with tenants), backups in
    the temporary directory."""
    database = {"schema": schema} if schema else {}
    return write_config(
        path,
        list(apps),
        backups=backups,
        urls={name: {"url": url, **database} for name, url in apps.items()},
        app_settings={name: {"tenants_file": str(tenants_file)} for name in apps}
        if tenants_file is not None
        else None,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"  # path is absolute: four slashes in all


# --------------------------------------------------------------------------------------------
# results


@dataclass
class Row:
    benchmark: str
    figures: str
    ratio: str
    goal: str
    met: bool | None  # None: no goal, or not measured

    @property
    def verdict(self) -> str:
        return {True: "met", False: "NOT MET", None: "-"}[self.met]


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, object] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  -> {row.benchmark}: {row.ratio}  goal {row.goal}: {row.verdict}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")


def heading(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)
