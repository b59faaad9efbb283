"""Parses wrk and pgbench output for bench/reads: `wrk FILE` prints "req/s p50_ms p99_ms";
`pgbench FILE LOG_PREFIX` prints "tps p50_ms p99_ms" from pgbench's summary and its
per-transaction logs."""
import glob
import re
import sys


def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(path):
    out = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{path}: {errors.group(1)} non-2xx answers")
    print(f"{rps:.0f} {p50:.2f} {p99:.2f}")


def pgbench(path, prefix):
    out = open(path).read()
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    latencies = sorted(
        int(line.split()[2]) for name in glob.glob(prefix + ".[0-9]*") for line in open(name)
    )
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000
    print(f"{tps:.0f} {pick(0.5):.2f} {pick(0.99):.2f}")


if __name__ == "__main__":
    {"wrk": wrk, "pgbench": pgbench}[sys.argv[1]](*sys.argv[2:])
