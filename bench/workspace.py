"""Time to a usable map in headless Chromium: navigation start to the load event of the page
(its cards are drawn by the server, its script deferred), median of N fresh navigations.
A WebDriver client of a few calls over Python's standard library, for chromedriver.
Usage: workspace.py DRIVER_URL SERVICE_URL PATH SESSION_COOKIE RUNS"""
import json
import statistics
import sys
import tempfile
import time
import urllib.request

driver, service, path, cookie, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])


def call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(driver + url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["value"]


for _ in range(100):
    try:
        call("GET", "/status")
        break
    except OSError:
        time.sleep(0.1)
profile = tempfile.mkdtemp()
args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1400,1000", f"--user-data-dir={profile}"]
session = call("POST", "/session", {"capabilities": {"alwaysMatch": {
    "browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
try:
    base = f"/session/{session}"
    call("POST", base + "/url", {"url": service + "/app/sign-in"})
    call("POST", base + "/cookie", {"cookie": {"name": "jobcraft_session", "value": cookie, "path": "/app"}})
    times = []
    for i in range(runs + 1):
        call("POST", base + "/url", {"url": service + "/app/sign-in"})
        call("POST", base + "/url", {"url": service + path})
        timing = call("POST", base + "/execute/sync", {"script": """
            const n = performance.getEntriesByType('navigation')[0];
            return [n.loadEventEnd, document.querySelectorAll('.card').length];""", "args": []})
        if timing[1] == 0:
            sys.exit("the map drew no card: not signed in?")
        if i > 0:
            times.append(timing[0])
    print(f"{statistics.median(times):.1f}")
finally:
    call("DELETE", f"/session/{session}")
