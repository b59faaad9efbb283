"""Parses wrk and pgbench output for bench/reads: `wrk FILE` prints "req/s p50_ms p99_ms";
`pgbench FILE` prints "tps average_ms" from pgbench's summary."""
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


def pgbench(path):
    """tps and average latency from pgbench's summary. Its per-transaction log is not used for
    percentiles: pgbench reads the clock lazily, once per round over its connections, so at 32
    connections on 2 threads half the logged latencies come out as 0 µs."""
    out = open(path).read()
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    average = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    print(f"{tps:.0f} {average:.2f}")


if __name__ == "__main__":
    {"wrk": wrk, "pgbench": pgbench}[sys.argv[1]](*sys.argv[2:])
