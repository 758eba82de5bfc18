"""Shared by every part: the environment scripts/scale-test sets, the
"ok: ..." / "FAIL: ..." lines (keys redacted), the state file, psql, and
reading nginx's access log and wrk's output.
"""
import json
import os
import re
import subprocess
import sys
import time


ENV = os.environ
PROXY = int(ENV.get("SCALE_PROXY_PORT", "0"))
SERVICE = int(ENV.get("SCALE_SERVICE_PORT", "0"))
ECHO = int(ENV.get("SCALE_ECHO_PORT", "0"))
INSTANCES = dict(
    (name, int(port))
    for name, port in (item.split(":") for item in ENV.get("SCALE_PORTS", "").split(",") if item)
)
BY_PORT = {port: name for name, port in INSTANCES.items()}
STATE = ENV.get("SCALE_STATE", "")
PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "scale-admin@example.com"
ADMIN_NAME = "Scale Admin"
DEV = "scale-dev"
HTML = "text/html,application/xhtml+xml"
JSON = "application/json"
KEY_RE = re.compile(r"kh_[0-9A-Za-z]{38}")
GENERATED_RE = re.compile(r'<input id="generated-key"[^>]*?value="([^"]*)"')
SIGNED_IN = 'action="/rpc/auth/sign-out"'
# Refused within this long after the acknowledgement: the cache's 1 s bound.
WITHIN = 1.1
# "Almost every round": the share of revocations B and C must refuse on
# their very next request after A's acknowledgement.
FIRST_REQUEST_SHARE = 0.9
# Every revocation refused within this long: the notice, not the cache entry
# growing old (fresh for 0.5 s, never used after 1 s), made B and C refuse.
NOTICE_WITHIN = 0.25


def redact(text):
    return re.sub(r"kh(u?)_[A-Za-z0-9]+", r"kh\1_[redacted]", str(text))


FAILED = []


def ok(message):
    print("ok: " + redact(message), flush=True)


def fail(message):
    FAILED.append(message)
    print("FAIL: " + redact(message), flush=True)


def info(message):
    print("   " + redact(message), flush=True)


def expect(condition, good, bad):
    if condition:
        ok(good)
    else:
        fail(bad)
    return condition


def finish():
    sys.exit(1 if FAILED else 0)


class Broken(Exception):
    """A step that cannot go on (its message is redacted when shown)."""


def quantile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def load_state():
    with open(STATE, encoding="utf-8") as f:
        return json.load(f)


def save_state(state):
    fd = os.open(STATE + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(STATE + ".new", STATE)


def psql(sql):
    out = subprocess.run([ENV["SCALE_PSQL"], "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                          ENV["SCALE_PG_URL"], "-c", sql],
                         capture_output=True, text=True, timeout=15, check=False)
    if out.returncode != 0:
        raise Broken(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def listeners():
    return int(psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'keyhouse-listener'") or 0)


def wait_listeners(count, within):
    """Seconds until `count` listeners are in pg_stat_activity, or None."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        try:
            if listeners() >= count:
                return time.monotonic() - start
        except (Broken, subprocess.TimeoutExpired):
            pass
        time.sleep(0.05)
    return None


def nginx_log(since=0.0, tag=None):
    """The access log's lines: (time answered, status, upstream addresses,
    upstream statuses, method, path, tag, time received)."""
    out = []
    pattern = re.compile(r'^([\d.]+) (\d+) "([^"]*)" "([^"]*)" (\S+) (\S+) "([^"]*)" ([\d.]+)$')
    with open(ENV["SCALE_NGINX_LOG"], encoding="utf-8", errors="replace") as f:
        for line in f:
            m = pattern.match(line.strip())
            if not m:
                continue
            t = float(m.group(1))
            if t < since or (tag is not None and m.group(7) != tag):
                continue
            out.append((t, int(m.group(2)), m.group(3), m.group(4), m.group(5), m.group(6), m.group(7),
                        t - float(m.group(8))))
    return out


def answered_by(upstream):
    """The instance that gave nginx its answer (the last one tried)."""
    last = upstream.split(",")[-1].strip()
    port = last.rsplit(":", 1)[-1]
    return BY_PORT.get(int(port), "?") if port.isdigit() else "?"


def wrk_figures(path):
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return {}
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    return {"requests": int(done.group(1)) if done else 0, "non2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
            "rps": float(rps.group(1)) if rps else 0.0}
