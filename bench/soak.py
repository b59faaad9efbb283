"""Soak: a mixed read/write load against a running jobcraft for a bounded time, then checks.

Usage: soak.py BASE_URL KEY PID SECONDS OUT_JSON

Seeds a client account (posts, stakeholders with crafted jobs, coverage by a sales team)
through the API, then runs concurrently until SECONDS have passed:
  - readers of crafted jobs (GET /v1/tenures/{id}/crafting) and of the account's coverage
    report (GET /v1/accounts/{id}/coverage),
  - writers of sync batches (100 new persons each, by external id),
  - a change-feed poller.
Then checks: no 5xx; every acknowledged write is readable (all of them in the list of
persons, a sample by external id); the feed listed every acknowledged person, no change twice; and reports latency percentiles, throughput and
the server's resident memory at idle and at the end.
"""

import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request

BASE, KEY, PID, SECONDS, OUT = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=HEADERS)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    return status, (json.loads(payload) if payload else None), time.monotonic() - started


def rss_kb():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """A process's CPU time, and that of its children it has reaped (a backend that exits)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICKS


def cpu_now():
    """CPU seconds so far of the service, of PostgreSQL (every process named postgres) and of
    this load generator."""
    postgres = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                name = open(f"/proc/{entry}/comm").read().strip()
            except OSError:
                continue
            if name == "postgres":
                postgres += cpu_seconds(entry)
    return {"service": cpu_seconds(PID), "postgres": postgres, "load": sum(os.times()[:2])}


def batch(operations):
    status, body, _ = call("POST", "/v1/sync/batch", {"operations": operations})
    assert status == 200, (status, body)
    return body["results"]


def upsert(entity, external_id, body):
    return {"op": "upsert", "entity": entity, "source": "soak", "external_id": external_id, "body": body}


def ref(external_id):
    return {"source": "soak", "external_id": external_id}


# The account: a client with 200 posts held by stakeholders with crafted jobs, and a sales
# team of 20 covering a third of them.
random.seed(7)
batch([upsert("organizations", "client", {"name": "Soak client", "kind": "client"}),
       upsert("organizations", "seller", {"name": "Soak seller", "kind": "own"})])
posts = batch([upsert("posts", f"post-{i}", {"organization_id": ref("client"), "title": f"Buyer {i}",
                                            "facets": [{"dimension": "priority", "key": "cost_reduction", "weight": 0.5}]})
               for i in range(200)] +
              [upsert("posts", f"desk-{i}", {"organization_id": ref("seller"), "title": f"AE {i}"}) for i in range(20)])
batch([upsert("persons", f"holder-{i}", {"display_name": f"Holder {i}"}) for i in range(200)] +
      [upsert("persons", f"seller-{i}", {"display_name": f"Seller {i}"}) for i in range(20)])
tenures = batch([upsert("tenures", f"tenure-{i}", {"person_id": ref(f"holder-{i}"), "post_id": ref(f"post-{i}"),
                                                   "started_on": "2024-01-01"}) for i in range(200)] +
                [upsert("tenures", f"desk-tenure-{i}", {"person_id": ref(f"seller-{i}"), "post_id": ref(f"desk-{i}"),
                                                        "started_on": "2024-01-01"}) for i in range(20)])
tenure_ids = [t["id"] for t in tenures[:200]]
for tenure in tenure_ids:
    status, body, _ = call("POST", f"/v1/tenures/{tenure}/crafting", {"facets": [
        {"dimension": "decision_criterion", "key": random.choice(["price", "carbon_footprint", "quality"]), "weight": 0.8},
        {"dimension": "priority", "key": "cost_reduction", "weight": -0.2}]})
    assert status == 201, (status, body)
batch([upsert("coverage", f"cover-{i}", {"salesperson_id": ref(f"seller-{i % 20}"), "stakeholder_id": ref(f"holder-{i}"),
                                         "role": "primary"}) for i in range(0, 200, 3)])
status, body, _ = call("GET", "/v1/sync/organizations/soak/client")
account = body["id"]
_, latest, _ = call("GET", "/v1/changes?after=latest")
feed_start = latest["next_cursor"]

idle_rss = rss_kb()
stop_at = time.monotonic() + SECONDS
lock = threading.Lock()
latencies = {"crafted_job": [], "coverage": [], "sync_batch": [], "feed": []}
statuses = {}
acknowledged = []  # (external id, person id) of every acknowledged write
feed_seen = []  # (cursor, entity, id, operation) in the order read
peak_rss = [idle_rss]
# The peak of the first half, to tell a flat line from a slow climb.
first_half_peak = [idle_rss]
half_at = time.monotonic() + SECONDS / 2


def note(kind, status, seconds):
    with lock:
        latencies[kind].append(seconds)
        statuses[status] = statuses.get(status, 0) + 1


def reader(kind):
    while time.monotonic() < stop_at:
        path = (f"/v1/tenures/{random.choice(tenure_ids)}/crafting" if kind == "crafted_job"
                else f"/v1/accounts/{account}/coverage")
        status, _, seconds = call("GET", path)
        note(kind, status, seconds)


def writer(number):
    n = 0
    while time.monotonic() < stop_at:
        ids = [f"load-{number}-{n}-{i}" for i in range(100)]
        n += 1
        status, body, seconds = call("POST", "/v1/sync/batch",
                                     {"operations": [upsert("persons", x, {"display_name": x}) for x in ids]})
        note("sync_batch", status, seconds)
        if status == 200:
            with lock:
                acknowledged.extend(zip(ids, (r["id"] for r in body["results"])))


writers_done = threading.Event()


def poll(cursor):
    # Until every writer has finished (a batch begun before the end commits after it), then
    # to the end of the feed.
    while time.monotonic() < stop_at + 120:
        finished = writers_done.is_set()
        status, body, seconds = call("GET", f"/v1/changes?after={cursor}&limit=1000")
        note("feed", status, seconds)
        if status == 200:
            feed_seen.extend((c["cursor"], c["entity"], c["id"], c["operation"]) for c in body["items"])
            cursor = body["next_cursor"]
            if finished and not body["has_more"]:
                return cursor
        if not body or not body.get("has_more"):
            time.sleep(0.05)
    return cursor


def sample_memory():
    while time.monotonic() < stop_at:
        rss = rss_kb()
        peak_rss[0] = max(peak_rss[0], rss)
        if time.monotonic() < half_at:
            first_half_peak[0] = max(first_half_peak[0], rss)
        time.sleep(0.5)


writers = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
others = [threading.Thread(target=reader, args=("crafted_job",)) for _ in range(3)]
others += [threading.Thread(target=reader, args=("coverage",))]
others += [threading.Thread(target=sample_memory)]
others += [threading.Thread(target=poll, args=(feed_start,))]
started = time.monotonic()
cpu_before = cpu_now()
for t in writers + others:
    t.start()
for t in writers:
    t.join()
writers_done.set()
for t in others:
    t.join()
elapsed = time.monotonic() - started
cpu_used = {k: v - cpu_before[k] for k, v in cpu_now().items()}
end_rss = rss_kb()

# Checks.
problems = []
if any(status >= 500 for status in statuses):
    problems.append(f"5xx answers: {statuses}")
# Every acknowledged person readable: the whole list, page by page, then one by one by
# external id for a sample.
listed, cursor = set(), None
while True:
    status, body, _ = call("GET", "/v1/persons?limit=500" + (f"&cursor={cursor}" if cursor else ""))
    if status != 200:
        problems.append(f"listing persons answered {status}")
        break
    listed.update(p["id"] for p in body["items"])
    cursor = body["next_cursor"]
    if not cursor:
        break
unreadable = [p for _, p in acknowledged if p not in listed]
if unreadable:
    problems.append(f"{len(unreadable)} acknowledged persons not readable")
for external_id, person in random.sample(acknowledged, min(len(acknowledged), 500)):
    status, body, _ = call("GET", f"/v1/sync/persons/soak/{external_id}")
    if status != 200 or body["id"] != person:
        problems.append(f"acknowledged person {external_id} not found by its external id: {status}")
        break
cursors = [c for c, _, _, _ in feed_seen]
if len(cursors) != len(set(cursors)):
    problems.append("the feed listed a change twice")
created = {i for _, e, i, op in feed_seen if e == "person" and op == "create"}
missing = [p for _, p in acknowledged if p not in created]
if peak_rss[0] >= 64 * 1024:
    problems.append(f"resident memory reached {peak_rss[0] // 1024} MB (target: under 64 MB)")
if missing:
    problems.append(f"{len(missing)} acknowledged persons missing from the feed")


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0


report = {
    "seconds": round(elapsed, 1),
    "requests": sum(len(v) for v in latencies.values()),
    "requests_per_second": round(sum(len(v) for v in latencies.values()) / elapsed, 1),
    "persons_written": len(acknowledged),
    "feed_changes_read": len(feed_seen),
    "statuses": statuses,
    "latency_ms": {k: {"count": len(v), "p50": round(percentile(v, 0.5), 1), "p99": round(percentile(v, 0.99), 1)}
                   for k, v in latencies.items()},
    # CPU a request took on average, by whom (PostgreSQL's counted on the PostgreSQL backend
    # only): how the load splits between the service and the database, for docs/scaling.md.
    "cpu_ms_per_request": {k: round(v * 1000 / max(1, sum(len(l) for l in latencies.values())), 3)
                           for k, v in cpu_used.items()},
    "rss_mb": {"idle": round(idle_rss / 1024, 1), "first_half_peak": round(first_half_peak[0] / 1024, 1),
               "peak": round(peak_rss[0] / 1024, 1), "end": round(end_rss / 1024, 1)},
    "problems": problems,
}
json.dump(report, open(OUT, "w"), indent=2)
print(json.dumps(report, indent=2))
sys.exit(1 if problems else 0)
