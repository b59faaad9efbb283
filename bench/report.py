"""Writes docs/performance.md from one bench/run: the summary table of every figure (from
bench/out/figures.tsv), each script's detailed table, and the notes (bench/notes.md)."""
import datetime
import os
import platform
import subprocess
import sys

OUT = "bench/out"
seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 0


def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def memory_gib():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            return round(int(line.split()[1]) / 1024 / 1024)
    return 0


def postgres():
    url = os.environ.get("PG", "postgres://postgres@127.0.0.1:5432") + "/postgres"
    return subprocess.run(["psql", url, "-Atc", "SHOW server_version"], capture_output=True,
                          text=True).stdout.strip().split(" ")[0]


def detail(path):
    return open(path).read().strip() if os.path.exists(path) else "(not measured in this run)"


date = datetime.date.today().isoformat()
machine = f"{os.cpu_count()} cores, {memory_gib()} GiB"
print(f"""# Performance

Written by `bench/run` on {date} ({seconds // 60} min {seconds % 60} s); every number below is
what that run measured. Machine: {cpu()}, {machine}, {platform.system()} {platform.release()},
PostgreSQL {postgres()} on the same host, SQLite bundled; the load generators (wrk, pgbench,
curl, Python) run on the same cores, over loopback. The server under test is the release
build with its defaults (HTTP workers: half the cores, at least one; 16 pooled connections),
rate limit off; the point reads run once more with `--workers 2`, beside them (the notes at
the end say why). Numbers move by ±30 % between runs on this shared 2-core machine. Run
`bench/run` to reproduce them; each script it calls can be run alone (see its header).

What was tried for each figure, stop by stop, with the runs of single scripts between two
runs of `bench/run` (the 10-minute soak among them), is in
[`performance-history.md`](performance-history.md).

## Every figure

| figure | target | measured | ratio | machine | date |
|---|---|---|---|---|---|""")
for line in open(f"{OUT}/figures.tsv"):
    figure, target, measured, ratio = (line.rstrip("\n").split("\t") + ["—"] * 4)[:4]
    print(f"| {figure} | {target} | {measured} | {ratio} | {machine} | {date} |")

print(f"""
## Reads at 32 connections, beside pgbench — `bench/reads/run`

{detail(f"{OUT}/reads/reads.md")}

## Crafted jobs — `bench/crafted-jobs`

{detail(f"{OUT}/crafted-jobs.md")}

## Account coverage — `bench/coverage`

{detail(f"{OUT}/coverage.md")}

## Warm paths — `bench/paths`

{detail(f"{OUT}/paths.md")}

## CRM sync — `bench/sync`

{detail(f"{OUT}/sync/sync.md")}

## Webhook delivery across instances — `bench/delivery`

{detail(f"{OUT}/delivery/delivery.md")}

## The web workspace — `bench/workspace`

{detail(f"{OUT}/workspace.md")}

## Readiness for a post — `bench/readiness`

{detail(f"{OUT}/readiness.md")}

## Team profile — `bench/team-profile`

{detail(f"{OUT}/team-profile.md")}

## Questionnaire statistics — `bench/questionnaires`

{detail(f"{OUT}/questionnaires.md")}

## Retention — `bench/retention`

{detail(f"{OUT}/retention.md")}

## Soak — `bench/soak`

{detail(f"{OUT}/soak/soak.md")}
""")
print(open("bench/notes.md").read().strip())
