"""Figures, not tests: revocation latency (make scale-bench), the soak and
"delete racing use" (make soak).
"""
import http.client
import json
import os
import re
import subprocess
import threading
import time

from common import (
    ADMIN_EMAIL, Broken, ENV, INSTANCES, JSON, PASSWORD, PROXY, SIGNED_IN, WITHIN, answered_by, fail,
    info, load_state, nginx_log, quantile, redact, wrk_figures
)
from web import Browser, Checker, Http, admin_browser, create_key, everywhere, revoke_api
from pages import page_list


def cmd_bench_revocation(rounds_n, label, out_path):
    """Disable on A -> refused on B: `rounds_n` rounds; the latencies from
    A's acknowledgement and from the disable's start to B's first refusal."""
    state = load_state()
    checker = Checker(state["slug"])
    admin_a = admin_browser(state, INSTANCES["A"])
    key = create_key(admin_a, f"scale: bench {label}", [state["sets"]["keys:read"]])
    disable = revoke_api(checker, state, "POST", f"/api/v1/keys/{key['id']}/disable")
    enable = revoke_api(checker, state, "POST", f"/api/v1/keys/{key['id']}/enable")
    from_ack, from_start, firsts, acks, checks = [], [], 0, [], []
    deadline = time.monotonic() + 240
    for _ in range(int(rounds_n)):
        if time.monotonic() > deadline:
            break
        if checker.wait_status(["B"], key["key"], 204, 2.0)["B"] is None:
            continue
        before = time.monotonic()
        checker.status("B", key["key"])
        checks.append(time.monotonic() - before)
        start = time.monotonic()
        disable()
        ack = time.monotonic()
        first = checker.status("B", key["key"])
        if first == 401:
            firsts += 1
            when = time.monotonic()
        else:
            got = checker.wait_status(["B"], key["key"], 401, 2.0)["B"]
            when = None if got is None else time.monotonic()
        if when is not None:
            from_ack.append(when - ack)
            from_start.append(when - start)
        acks.append(ack - start)
        enable()
    result = {"label": label, "rounds": len(acks), "first": firsts, "refused": len(from_ack),
              "ack_p50": quantile(from_ack, 0.5), "ack_p99": quantile(from_ack, 0.99),
              "ack_max": max(from_ack) if from_ack else float("nan"),
              "start_p50": quantile(from_start, 0.5), "start_p99": quantile(from_start, 0.99),
              "start_max": max(from_start) if from_start else float("nan"),
              "disable_p50": quantile(acks, 0.5), "check_p50": quantile(checks, 0.5),
              "check_p99": quantile(checks, 0.99)}
    with open(out_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")
    info(f"{label}: {len(acks)} rounds, B refused on its first request after the acknowledgement in {firsts}")


def cmd_soak(seconds, pids_spec, out_dir):
    """Mixed load through nginx: key checks, sign-ins, page views, key
    changes. Every answer is checked; RSS of every instance sampled."""
    state = load_state()
    seconds = float(seconds)
    pids = dict(item.split(":") for item in pids_spec.split(","))
    stop = threading.Event()
    lock = threading.Lock()
    samples = []   # (t, kind, seconds, error?)
    errors = []
    start = time.time()

    def record(kind, took, problem=None):
        with lock:
            samples.append((time.time() - start, kind, took, problem is not None))
            if problem:
                errors.append(f"{kind}: {problem}")

    def timed(kind, fn):
        t0 = time.monotonic()
        try:
            problem = fn()
        except (OSError, http.client.HTTPException, Broken, ValueError, KeyError, TypeError) as err:
            problem = f"{type(err).__name__}: {err}"
        record(kind, time.monotonic() - t0, problem)

    def key_checks():
        conn = Http(PROXY)
        unknown = "kh_" + "0" * 32 + "000000"
        while not stop.is_set():
            def one():
                r = conn.request("GET", state["auth_path"], {"Authorization": "Bearer " + state["load_key"]})
                return None if r.status == 204 else f"working key answered {r.status} on {r.upstream}"
            timed("key check", one)

            def bad():
                r = conn.request("GET", state["auth_path"], {"Authorization": "Bearer " + unknown})
                return None if r.status == 401 else f"malformed key answered {r.status}"
            timed("key check", bad)

    def sign_ins():
        n = 0
        while not stop.is_set():
            n += 1
            user = Browser()

            def one():
                r = user.send("POST", "/rpc/auth/sign-in", [("login", ADMIN_EMAIL), ("password", PASSWORD)],
                              accept=JSON, headers={"X-Forwarded-For": f"203.0.113.{n % 200 + 1}"})
                return None if r.status < 400 and "keyhouse_session" in user.cookies else f"sign-in {r.status}"
            timed("sign-in", one)

            def out():
                r = user.rpc_raw("auth/sign-out")
                return None if r.status < 400 else f"sign-out {r.status}"
            timed("sign-out", out)
            stop.wait(0.2)

    def page_views():
        browser = admin_browser(state)
        pages = [p for p, _ in page_list(state, state.get("pages_key_id", state["admin_key_id"]))
                 if "delete=" not in p and "roll=" not in p]
        i = 0
        while not stop.is_set():
            path = pages[i % len(pages)]
            i += 1

            def one():
                r = browser.page(path)
                return None if r.status == 200 and SIGNED_IN in r.text else f"{path}: {r.status} on {r.upstream}"
            timed("page view", one)

    def key_changes():
        browser = admin_browser(state)
        checker = Checker(state["slug"])
        n = 0
        while not stop.is_set():
            n += 1

            def one():
                made = create_key(browser, f"scale: soak {n}", [state["sets"]["keys:read"]])
                if not everywhere(checker, made["key"], 204, WITHIN)[0]:
                    return "a new key not accepted everywhere"
                browser.rpc("keys/set-enabled", [("id", made["id"]), ("enabled", "false")])
                if not everywhere(checker, made["key"], 401)[0]:
                    return "a disabled key still accepted after 1.1 s"
                browser.rpc("keys/set-enabled", [("id", made["id"]), ("enabled", "true")])
                rolled = browser.rpc("keys/roll", [("id", made["id"]), ("grace_hours", "0")])
                if not everywhere(checker, made["key"], 401)[0]:
                    return "a rolled secret still accepted after 1.1 s"
                browser.rpc("keys/delete", [("id", made["id"])])
                if not everywhere(checker, rolled["key"], 401)[0]:
                    return "a deleted key still accepted after 1.1 s"
                return None
            timed("key change cycle", one)
            stop.wait(0.1)

    def rss():
        out = {}
        for name, pid in pids.items():
            try:
                with open(f"/proc/{pid}/status", encoding="utf-8") as f:
                    out[name] = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024
            except (OSError, AttributeError):
                out[name] = float("nan")
        return out

    rss_samples = [(0.0, rss())]
    workers = ([threading.Thread(target=key_checks) for _ in range(3)]
               + [threading.Thread(target=sign_ins), threading.Thread(target=page_views),
                  threading.Thread(target=page_views), threading.Thread(target=key_changes)])
    for t in workers:
        t.start()
    next_rss = 10.0
    while time.time() - start < seconds:
        time.sleep(1)
        if time.time() - start >= next_rss:
            rss_samples.append((time.time() - start, rss()))
            next_rss += 10.0
    stop.set()
    for t in workers:
        t.join(timeout=30)
    rss_samples.append((time.time() - start, rss()))
    with open(os.path.join(out_dir, "soak.json"), "w", encoding="utf-8") as f:
        json.dump({"samples": samples, "errors": errors, "rss": rss_samples, "seconds": seconds}, f)


def cmd_soak_report(out_dir, wrk_path):
    data = json.load(open(os.path.join(out_dir, "soak.json"), encoding="utf-8"))
    samples, errors, rss_samples = data["samples"], data["errors"], data["rss"]
    wrk = wrk_figures(wrk_path)
    kinds = ["key check", "page view", "sign-in", "sign-out", "key change cycle"]
    minutes = max(1, int(-(-data["seconds"] // 60)))
    print(f"\nkeyhouse soak: {data['seconds']:.0f} s of mixed load through nginx over 3 instances "
          "(3 key-check clients, 2 page viewers, 1 signing in and out, 1 changing keys; wrk -c8 alongside)\n")
    print("per minute: answers checked / p99 ms")
    print(f"{'':18}" + "".join(f"{'minute ' + str(m + 1):>18}" for m in range(minutes)))
    for k in kinds:
        cells = []
        for m in range(minutes):
            took = [x[2] for x in samples if x[1] == k and m * 60 <= x[0] < (m + 1) * 60]
            cells.append(f"{len(took)} / {quantile(took, 0.99) * 1000:.1f}" if took else "-")
        print(f"{k:18}" + "".join(f"{c:>18}" for c in cells))
    cells = [str(sum(1 for x in samples if x[3] and m * 60 <= x[0] < (m + 1) * 60)) for m in range(minutes)]
    print(f"{'errors':18}" + "".join(f"{c:>18}" for c in cells))
    print(f"\nanswers checked by the soak's own clients: {len(samples)}, errors: {len(errors)}")
    for e in errors[:10]:
        print("   " + redact(e))
    print(f"wrk (forward-auth through nginx, alongside): {wrk.get('requests', 0)} requests, {wrk.get('rps', 0):.0f}/s, "
          f"non-2xx {wrk.get('non2xx', 0)}, socket errors {wrk.get('socket_errors', 0)}")
    print("\nRSS (MiB) of every instance (sampled every 10 s): idle before the load, after the first minute, "
          "at the end, highest")
    warm = next((x for x in rss_samples if x[0] >= 60), rss_samples[-1])
    last = rss_samples[-1]
    for name in sorted(last[1]):
        series = [x[1][name] for x in rss_samples]
        print(f"   {name}: {rss_samples[0][1][name]:7.1f} {warm[1][name]:9.1f} {last[1][name]:9.1f} "
              f"{max(series):9.1f}   end - first minute: {last[1][name] - warm[1][name]:+.1f}")
    print("   every sample: " + "; ".join(
        f"{x[0]:.0f}s " + "/".join(f"{x[1][n]:.0f}" for n in sorted(x[1])) for x in rss_samples))
    # The goals, as figures: 0 errors, RSS flat, p99 stable.
    grown = {n: last[1][n] - warm[1][n] for n in last[1]}
    flat = all(g <= max(10.0, 0.1 * warm[1][n]) for n, g in grown.items())
    print(f"\ngoal 0 errors: {len(errors)} errors{'' if not errors else ' (MISSED)'}; wrk non-2xx "
          f"{wrk.get('non2xx', 0)}")
    print(f"goal RSS flat (end within +10% or +10 MiB of the first minute's): "
          f"{'met' if flat else 'MISSED'} ({', '.join(f'{n} {g:+.1f} MiB' for n, g in sorted(grown.items()))})")
    for k in kinds:
        per = []
        for m in range(minutes):
            took = [x[2] for x in samples if x[1] == k and m * 60 <= x[0] < (m + 1) * 60]
            if len(took) >= 20:
                per.append(quantile(took, 0.99))
        if len(per) >= 2:
            stable = max(per) <= 2 * min(per)
            print(f"goal p99 stable ({k}: highest minute within 2x the lowest): {'met' if stable else 'MISSED'} "
                  f"({min(per) * 1000:.1f} to {max(per) * 1000:.1f} ms)")


def cmd_race(rounds_n, wrk_seconds, lua_dir):
    """Delete racing use: wrk hammers a key through nginx while the key is
    deleted through A. From nginx's log (time, status, instance): the 2xx
    answers after A's acknowledgement, and those after the instance that
    gave them had already refused the key (the notice had reached it)."""
    state = load_state()
    admin_a = admin_browser(state, INSTANCES["A"])
    checker = Checker(state["slug"])
    rows = []
    for i in range(int(rounds_n)):
        made = create_key(admin_a, f"scale: race {i}", [state["sets"]["keys:read"]])
        tag = f"race-{i}-{os.getpid()}"
        open(ENV["SCALE_NGINX_LOG"], "w").close()   # nginx appends: the log starts again
        lua = os.path.join(lua_dir, f"race-{i}.lua")
        fd = os.open(lua, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f'wrk.headers["Authorization"] = "Bearer {made["key"]}"\n'
                    f'wrk.headers["X-Scale-Tag"] = "{tag}"\n')
        wrk = subprocess.Popen(["timeout", str(int(wrk_seconds) + 10), "wrk", "-t1", "-c16", f"-d{wrk_seconds}s",
                                "-s", lua, f"http://127.0.0.1:{PROXY}{state['auth_path']}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(float(wrk_seconds) / 2)
        r = checker.api("A", "DELETE", f"/api/v1/keys/{made['id']}", state["admin_key"])
        ack = time.time()
        wrk.wait()
        os.unlink(lua)
        if r.status != 204:
            fail(f"race {i}: the delete answered {r.status}")
            continue
        lines = nginx_log(tag=tag)
        # Requests nginx received after A's acknowledgement, and those an
        # instance received after it had answered a refusal of the key
        # (by then the notice had reached it).
        after_ack = [ln for ln in lines if ln[7] > ack and 200 <= ln[1] < 300]
        in_flight = [ln for ln in lines if ln[7] <= ack < ln[0] and 200 <= ln[1] < 300]
        first_refusal = {}
        for ln in sorted(lines):
            if ln[1] == 401 and answered_by(ln[2]) not in first_refusal:
                first_refusal[answered_by(ln[2])] = ln[0]
        after_notice = [ln for ln in lines if 200 <= ln[1] < 300
                        and ln[7] > first_refusal.get(answered_by(ln[2]), float("inf"))]
        rows.append({"round": i, "requests": len(lines), "in_flight": len(in_flight), "after_ack": len(after_ack),
                     "after_notice": len(after_notice),
                     "refused_after_ms": {n: round((t - ack) * 1000, 1) for n, t in sorted(first_refusal.items())}})
    print("\ndelete racing use: wrk -c16 through nginx on a key deleted through A halfway "
          "(nginx's log, to the millisecond)\n")
    print(f"{'round':>5} {'requests':>9} {'2xx in flight':>14} {'2xx after ack':>14} "
          f"{'2xx after refusal':>18}  first refusal per instance (ms after ack)")
    for row in rows:
        print(f"{row['round']:>5} {row['requests']:>9} {row['in_flight']:>14} {row['after_ack']:>14} "
              f"{row['after_notice']:>18}  " + ", ".join(f"{n} {v:+.1f}" for n, v in row["refused_after_ms"].items()))
    print(f"\n2xx answers to requests that reached nginx after the delete's acknowledgement: "
          f"{sum(r['after_ack'] for r in rows)}")
    print("2xx answers to requests an instance received after it had already refused the key "
          f"(the notice had reached it): {sum(r['after_notice'] for r in rows)}")
    print(f"(2xx answers to requests already in flight at the acknowledgement: {sum(r['in_flight'] for r in rows)})")
