"""HTTP throughput and latency: the product's API vs a bare FastAPI app, under wrk.

The product (`app-cli serve`) runs on a SQLite file seeded with 20,000 tasks by
`app-cli tasks import`; the baseline (`bench/bare_app.py`) answers the same routes
with the same Pydantic models and no database. `wrk -t2 -c64 -d10s` loads one of them
at a time, product and bare alternating, for:

- `GET /api/v1/tasks/{random id}`
- `GET /api/v1/tasks?limit=50`
- `POST /api/v1/tasks`

with 1 worker process, then with 2. Reported: req/s, p50/p99 latency, non-2xx and
socket errors, and the req/s ratio product/bare (median over the repeats).

Targets: GET by id >= 0.15x bare; list of 50 >= 0.06x; no errors; p99 < 150 ms.

Run: `python -m bench.api [--duration 10] [--repeats 1] [--workers 1,2]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    DATA_DIR,
    REPO_DIR,
    Report,
    Table,
    Target,
    app_cli,
    ensure_csv,
    finish,
    fmt_int,
    fmt_ratio,
    free_port,
    log,
    median,
    quiet_env,
    ratio,
    remove_db,
    run_measured,
    sqlite_url,
    stop_process,
    wait_for_http,
)

SEED_TASKS = 20_000
THREADS = 2
CONNECTIONS = 64
GET_RATIO_TARGET = 0.15
LIST_RATIO_TARGET = 0.06
P99_TARGET_MS = 150.0

# wrk's `done` hook prints one JSON line that we parse (latencies in microseconds).
_REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

_GET_BY_ID_LUA = """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end
function init(args)
  max_id = tonumber(args[1] or "20000")
  math.randomseed(7919 * (thread_number or 1))
end
function request()
  return wrk.format("GET", "/api/v1/tasks/" .. math.random(1, max_id))
end
"""

_POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Load test task","description":"created by bench/api.py",' ..
  '"priority":"high","due_date":"2026-01-31","tags":["bench","load"]}'
"""


@dataclass(frozen=True, slots=True)
class Scenario:
    """One request pattern."""

    key: str
    label: str
    path: str
    lua: str
    args: tuple[str, ...] = ()


SCENARIOS = (
    Scenario("get", "GET /api/v1/tasks/{random id}", "/", _GET_BY_ID_LUA, (str(SEED_TASKS),)),
    Scenario("list", "GET /api/v1/tasks?limit=50", "/api/v1/tasks?limit=50", ""),
    Scenario("post", "POST /api/v1/tasks", "/api/v1/tasks", _POST_LUA),
)


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process and all its descendants (Linux /proc; else NaN)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending, seen = 0.0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            if current == pid:
                return float("nan")
    return total


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured (and the server's CPU time meanwhile)."""

    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu_seconds: float = float("nan")

    @property
    def cpu_ms_per_request(self) -> float:
        """Server CPU (all its processes and threads) per request, in ms."""
        return self.cpu_seconds * 1000 / self.requests if self.requests else float("nan")

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Non-2xx/3xx responses plus socket errors."""
        return self.non_2xx + self.socket_errors


def lua_script(scenario: Scenario, workdir: Path) -> Path:
    """Write the scenario's wrk script (its request logic plus the JSON report)."""
    path = workdir / f"wrk-{scenario.key}.lua"
    path.write_text(scenario.lua + _REPORT_LUA)
    return path


def run_wrk(
    port: int, scenario: Scenario, script: Path, duration: int, server_pid: int | None = None
) -> WrkResult:
    """Load 127.0.0.1:port with wrk and parse its JSON report line.

    With `server_pid`, the server's CPU time during the run is recorded too: CPU per
    request is steadier than req/s on a shared machine.
    """
    cmd = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{scenario.path}",
    ]
    if scenario.args:
        cmd += ["--", *scenario.args]
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else float("nan")
    completed = subprocess.run(cmd, capture_output=True, text=True, check=True)
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid else float("nan")
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            return WrkResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                non_2xx=data["status"],
                socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
                p50_ms=data["p50_us"] / 1000,
                p90_ms=data["p90_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                max_ms=data["max_us"] / 1000,
                cpu_seconds=cpu,
            )
    raise RuntimeError(f"wrk printed no report:\n{completed.stdout}\n{completed.stderr}")


def seed_database(workdir: Path) -> Path:
    """A SQLite file holding SEED_TASKS tasks, imported by `app-cli tasks import`."""
    seeded = workdir / f"seed-{SEED_TASKS}.db"
    remove_db(seeded)
    csv_path = ensure_csv(SEED_TASKS)
    cmd = [app_cli(), "--database-url", sqlite_url(seeded), "tasks", "import", str(csv_path)]
    run_measured(cmd, env=quiet_env())
    return seeded


@contextmanager
def serve(
    kind: str, port: int, workers: int, db_path: Path, logdir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the product or the bare app on `port` until the block ends."""
    if kind == "product":
        cmd = [app_cli(), "--database-url", sqlite_url(db_path), "serve"]
        cmd += ["--port", str(port), "--workers", str(workers)]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port)]
        cmd += ["--workers", str(workers), "--no-access-log", "--no-server-header"]
        cmd += ["--log-level", "warning"]
    with (logdir / f"{kind}-w{workers}.log").open("wb") as errors:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_DIR,
            env=quiet_env(),
            stdout=subprocess.DEVNULL,  # the product's per-request JSON log lines
            stderr=errors,
        )
        try:
            wait_for_http(port)
            yield proc
        finally:
            stop_process(proc)


def measure(
    workers_list: Sequence[int], duration: int, repeats: int, warmup: int
) -> dict[tuple[int, str, str], list[WrkResult]]:
    """Every (workers, scenario, kind) → its wrk results, product and bare interleaved."""
    workdir = DATA_DIR / "api"
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"seeding {SEED_TASKS:,} tasks with app-cli tasks import")
    seeded = seed_database(workdir)
    scripts = {s.key: lua_script(s, workdir) for s in SCENARIOS}
    results: dict[tuple[int, str, str], list[WrkResult]] = {}
    for workers in workers_list:
        db_path = workdir / f"api-w{workers}.db"
        remove_db(db_path)
        shutil.copyfile(seeded, db_path)
        ports = {"product": free_port(), "bare": free_port()}
        with (
            serve("product", ports["product"], workers, db_path, workdir) as product,
            serve("bare", ports["bare"], workers, db_path, workdir) as bare,
        ):
            pids = {"product": product.pid, "bare": bare.pid}
            for scenario in SCENARIOS:
                if warmup:
                    for kind, port in ports.items():
                        log(f"warm-up {kind} w{workers} {scenario.label}")
                        run_wrk(port, scenario, scripts[scenario.key], warmup)
                for rep in range(repeats):
                    kinds = ["product", "bare"] if rep % 2 == 0 else ["bare", "product"]
                    for kind in kinds:
                        log(f"{kind} w{workers} {scenario.label} ({rep + 1}/{repeats})")
                        result = run_wrk(
                            ports[kind], scenario, scripts[scenario.key], duration, pids[kind]
                        )
                        results.setdefault((workers, scenario.key, kind), []).append(result)
    return results


def build_report(
    results: dict[tuple[int, str, str], list[WrkResult]],
    workers_list: Sequence[int],
    duration: int,
    repeats: int,
) -> Report:
    """Tables and targets from the wrk runs."""
    report = Report(
        name="api",
        title="HTTP API (product vs bare FastAPI, wrk)",
        baseline="bench/bare_app.py: same routes and Pydantic models (TaskRead, TaskPage, "
        "TaskCreate, TaskQuery), no database, no middleware; same uvicorn, same worker count",
        settings={
            "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{duration}s",
            "repeats": repeats,
            "seed tasks": SEED_TASKS,
            "workers": ",".join(map(str, workers_list)),
        },
    )
    worst_p99: dict[int, float] = {}
    total_errors = 0
    for workers in workers_list:
        table = Table(
            f"{workers} worker{'s' if workers > 1 else ''} (medians over repeats)",
            [
                "request",
                "product req/s",
                "bare req/s",
                "ratio",
                "product p50 ms",
                "product p99 ms",
                "bare p50 ms",
                "bare p99 ms",
                "product non-2xx",
                "product socket err",
                "bare err",
                "product CPU ms/req",
                "bare CPU ms/req",
                "CPU ratio bare/product",
            ],
        )
        for scenario in SCENARIOS:
            prod = results.get((workers, scenario.key, "product"), [])
            bare = results.get((workers, scenario.key, "bare"), [])
            if not prod or not bare:
                continue
            pair_ratio = median([ratio(p.rps, b.rps) for p, b in zip(prod, bare, strict=True)])
            p99 = median([p.p99_ms for p in prod])
            worst_p99[workers] = max(worst_p99.get(workers, 0.0), p99)
            total_errors += sum(p.errors for p in prod)
            table.rows.append(
                [
                    scenario.label,
                    fmt_int(median([p.rps for p in prod])),
                    fmt_int(median([b.rps for b in bare])),
                    fmt_ratio(pair_ratio),
                    f"{median([p.p50_ms for p in prod]):.1f}",
                    f"{p99:.1f}",
                    f"{median([b.p50_ms for b in bare]):.1f}",
                    f"{median([b.p99_ms for b in bare]):.1f}",
                    fmt_int(sum(p.non_2xx for p in prod)),
                    fmt_int(sum(p.socket_errors for p in prod)),
                    fmt_int(sum(b.errors for b in bare)),
                    f"{median([p.cpu_ms_per_request for p in prod]):.2f}",
                    f"{median([b.cpu_ms_per_request for b in bare]):.2f}",
                    fmt_ratio(
                        median(
                            [
                                ratio(b.cpu_ms_per_request, p.cpu_ms_per_request)
                                for p, b in zip(prod, bare, strict=True)
                            ]
                        )
                    ),
                ]
            )
            if scenario.key in ("get", "list"):
                report.targets.append(
                    Target(
                        f"{scenario.label} vs bare, {workers}w",
                        pair_ratio,
                        GET_RATIO_TARGET if scenario.key == "get" else LIST_RATIO_TARGET,
                        ">=",
                    )
                )
        report.tables.append(table)
    for workers, p99 in worst_p99.items():
        report.targets.append(
            Target(
                f"worst product p99 at {CONNECTIONS} conns, {workers}w",
                p99,
                P99_TARGET_MS,
                "<=",
                " ms",
            )
        )
    report.targets.append(
        Target("product errors (non-2xx + socket), all runs", float(total_errors), 0, "<=", "")
    )
    report.notes.append(
        "wrk and the servers share the machine's 2 cores; req/s are comparable only "
        "within this run, hence the ratio. CPU ms/req is the server's own CPU time "
        "(every process and thread) per request: steadier than req/s when the machine is "
        "busy; 'CPU ratio bare/product' is the efficiency ratio by that measure"
    )
    return report


def run(
    workers_list: Sequence[int] = (1, 2), duration: int = 10, repeats: int = 1, warmup: int = 2
) -> Report:
    """Load both servers and return the report."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run bench/install-tools.sh")
    started = time.perf_counter()
    results = measure(workers_list, duration, repeats, warmup)
    report = build_report(results, workers_list, duration, repeats)
    report.seconds = time.perf_counter() - started
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.api",
        description="Load the product's API and a bare FastAPI app with wrk, interleaved; "
        "report req/s, latency, errors and the ratio.",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run [10]")
    parser.add_argument("--repeats", type=int, default=1, help="wrk runs per server [1]")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds, 0 for none [2]")
    parser.add_argument(
        "--workers",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 2],
        help="comma-separated worker counts [1,2]",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    finish(run(args.workers, args.duration, args.repeats, args.warmup))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
