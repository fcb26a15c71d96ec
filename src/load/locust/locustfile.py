# --- Flightdeck's Locust reporter and user (fixed part of the generated locustfile) ---
# Workers summarise every request into one-second windows aligned to the wall
# clock (per endpoint: count, failures, response times at three significant
# digits, status codes, error kinds, variants) and send each closed second to
# the master as a `flightdeck_window` message; the master appends every
# message as one JSON line to $FLIGHTDECK_LOCUST_REPORT, which Flightdeck
# reads and merges into its own HDR histograms. Nothing here opens a port.
import json
import math
import os
import random
import socket
import time

import gevent
from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust import runners as _runners
from locust import stats as _stats
from locust.runners import MasterRunner, WorkerRunner

# Per-second reports instead of Locust's default of three seconds.
_runners.WORKER_REPORT_INTERVAL = 1.0


def _bucket(rt):
    """Response time (ms) kept at three significant digits (Locust keeps two)."""
    if rt is None or rt <= 0:
        return 0
    return float(f"{rt:.3g}")


_stats.bucket_response_time = _bucket

_MIX = CONFIG["mix"]
_CUM = []
_acc = 0
for _m in _MIX:
    _acc += _m["weight"]
    _CUM.append(_acc)
_TOTAL_WEIGHT = _acc
_VARIANT_HEADER = CONFIG["variant_header"]
_TARGETING = CONFIG.get("targeting_header")
_LABEL = os.environ.get("FLIGHTDECK_LOCUST_WORKER") or socket.gethostname()


def pick(r):
    """The mix entry for a number r in [0, total weight)."""
    lo, hi = 0, len(_CUM) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _CUM[mid] > r:
            hi = mid
        else:
            lo = mid + 1
    return _MIX[lo]


def rate_at(t):
    """The configured total arrival rate (requests/s) at t seconds."""
    segs = CONFIG["profile"]
    for s in segs:
        if t < s["start"] + s["len"]:
            x = max(0.0, t - s["start"])
            if s["kind"] == "sine":
                return s["base"] + s["amplitude"] * math.sin(2 * math.pi * x / s["period"])
            frac = x / s["len"] if s["len"] > 0 else 1.0
            return s["from"] + (s["to"] - s["from"]) * frac
    if not segs:
        return 0.0
    last = segs[-1]
    return last.get("to", last.get("base", 0.0))


def error_kind(status, exc):
    if status is not None and 500 <= status <= 599:
        return "status_5xx"
    if status is not None and 400 <= status <= 499:
        return "status_4xx"
    name = type(exc).__name__.lower() if exc is not None else ""
    text = str(exc).lower() if exc is not None else ""
    if "refused" in text or "refused" in name or "gaierror" in name or "noroute" in name:
        return "connect"
    if "timeout" in name or "timed out" in text or "timeout" in text:
        return "timeout"
    if "ssl" in name or "certificate" in text:
        return "tls"
    if "reset" in name or "reset" in text or "broken" in name or "closed" in text:
        return "reset"
    return "protocol"


class _Windows:
    def __init__(self):
        self.secs = {}

    def record(self, name, rt, status, exc, variant):
        sec = int(time.time())
        w = self.secs.setdefault(sec, {})
        e = w.setdefault(name, {"n": 0, "f": 0, "rt": {}, "status": {}, "kinds": {}, "variants": {}})
        e["n"] += 1
        b = _bucket(rt)
        e["rt"][b] = e["rt"].get(b, 0) + 1
        if status:
            e["status"][status] = e["status"].get(status, 0) + 1
        if exc is not None:
            e["f"] += 1
            k = error_kind(status, exc)
            e["kinds"][k] = e["kinds"].get(k, 0) + 1
        if variant:
            v = e["variants"].setdefault(variant, {"n": 0, "f": 0, "rt": {}})
            v["n"] += 1
            v["rt"][b] = v["rt"].get(b, 0) + 1
            if exc is not None:
                v["f"] += 1

    def take(self, everything):
        now = int(time.time())
        done = sorted(s for s in self.secs if everything or s < now)
        return [(s, self.secs.pop(s)) for s in done]


_windows = _Windows()


def _send_windows(runner, everything):
    for sec, endpoints in _windows.take(everything):
        runner.send_message("flightdeck_window", {"label": _LABEL, "sec": sec, "endpoints": endpoints})


def _worker_loop(runner):
    hello_due = 0.0
    while True:
        now = time.time()
        if now >= hello_due:
            runner.send_message("flightdeck_hello", {"label": _LABEL, "client_id": runner.client_id})
            hello_due = now + 1.0
        _send_windows(runner, False)
        gevent.sleep(0.2)


class _Report:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8", buffering=1)

    def write(self, obj):
        self.f.write(json.dumps(obj, separators=(",", ":")) + "\n")


def _master_loop(runner, report):
    while True:
        workers = []
        for c in runner.clients.values():
            workers.append(
                {
                    "id": c.id,
                    "state": c.state,
                    "cpu": c.cpu_usage,
                    "cpu_warning": bool(c.cpu_warning_emitted),
                }
            )
        report.write({"type": "workers", "t": time.time(), "state": runner.state, "workers": workers})
        gevent.sleep(1.0)


@events.init.add_listener
def _on_init(environment, **_kw):
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        path = os.environ.get("FLIGHTDECK_LOCUST_REPORT")
        if not path:
            return
        report = _Report(path)

        def on_window(environment, msg, **_kw):
            report.write({"type": "window", "client_id": msg.node_id, **msg.data})

        def on_hello(environment, msg, **_kw):
            report.write({"type": "hello", **msg.data})

        runner.register_message("flightdeck_window", on_window)
        runner.register_message("flightdeck_hello", on_hello)
        gevent.spawn(_master_loop, runner, report)
    elif isinstance(runner, WorkerRunner):

        def on_request(request_type, name, response_time, response_length, response=None, exception=None, **_kw):
            status = getattr(response, "status_code", None) if response is not None else None
            variant = None
            if response is not None and _VARIANT_HEADER:
                try:
                    variant = response.headers.get(_VARIANT_HEADER)
                except Exception:
                    variant = None
            _windows.record(name, response_time, status or None, exception, variant)

        def on_stop(environment, **_kw):
            _send_windows(environment.runner, True)

        environment.events.request.add_listener(on_request)
        environment.events.test_stop.add_listener(on_stop)
        gevent.spawn(_worker_loop, runner)


class FlightdeckUser(FastHttpUser):
    host = CONFIG["host"]
    network_timeout = CONFIG["timeout_s"]
    connection_timeout = CONFIG["timeout_s"]
    insecure = CONFIG.get("insecure", False)
    max_retries = 0

    if CONFIG["model"] == "closed":
        wait_time = constant(CONFIG.get("think_time_s", 0.0))
    else:
        # Open model: each user paces itself in send() below.
        wait_time = constant(0)

    def on_start(self):
        # A random phase, so that users do not fire in step.
        self._credit = random.random()
        self._last = time.monotonic()

    def _pace(self):
        """Open model: wait for this user's next arrival. Each user earns
        rate(t) / users arrivals per second (integrated, so ramps and sines
        hold), fires at one, and may bank at most a few while a slow
        response keeps it busy: the shortfall then shows as sent < scheduled,
        which Flightdeck judges as a generator that could not keep the rate."""
        users = CONFIG["users"]
        while True:
            now = time.monotonic()
            rate = max(rate_at(now - _T0[0]), 0.0)
            self._credit = min(self._credit + rate / users * (now - self._last), 3.0)
            self._last = now
            if self._credit >= 1.0:
                self._credit -= 1.0
                return
            need = (1.0 - self._credit) * users / rate if rate > 0 else 0.05
            gevent.sleep(min(0.05, need))

    @task
    def send(self):
        if CONFIG["model"] == "open":
            self._pace()
        m = pick(random.random() * _TOTAL_WEIGHT)
        headers = dict(m["headers"])
        if _TARGETING:
            headers[_TARGETING] = str(random.randrange(100000))
        self.client.request(m["method"], m["url"], name=m["name"], headers=headers, data=m.get("body"))


_T0 = [time.monotonic()]


@events.test_start.add_listener
def _on_test_start(**_kw):
    _T0[0] = time.monotonic()


class FlightdeckShape(LoadTestShape):
    """Every user at once for the run length, then none for a short drain,
    then the end. Flightdeck's stop (the stop key, its SIGTERM) creates the
    file $FLIGHTDECK_LOCUST_STOP, which starts the drain at once. The drain
    lets requests in flight finish and every worker send its last seconds
    before the master quits, so that nothing sent goes uncounted."""

    use_common_options = False
    _ended = None
    _zero_since = None

    def tick(self):
        t = self.get_run_time()
        stop = os.environ.get("FLIGHTDECK_LOCUST_STOP")
        if self._ended is None and (t >= CONFIG["duration_s"] or (stop and os.path.exists(stop))):
            self._ended = t
        if self._ended is not None:
            # Done once every user has stopped and the last second has been
            # sent (a second is sent within 0.2 s of its end), or at the
            # latest after drain_s.
            if self._zero_since is None and self.runner is not None and self.runner.user_count == 0:
                self._zero_since = t
            if (self._zero_since is not None and t - self._zero_since >= 1.5) or t - self._ended >= CONFIG["drain_s"]:
                return None
            return (0, CONFIG["users"])
        return (CONFIG["users"], CONFIG["users"])
