"""An instance killed with SIGKILL mid-load, and PostgreSQL restarted under
load.
"""
import http.client
import json
import os
import shlex
import subprocess
import threading
import time

from common import (
    ENV, INSTANCES, PROXY, WITHIN, answered_by, expect, fail, finish, info, load_state, ms, nginx_log, ok,
    wait_listeners, wrk_figures
)
from web import Checker, Http, admin_browser, create_key, everywhere, revoke_api


def cmd_create_loop(seconds, out_path):
    """Creates keys through nginx (two at a time) for `seconds`; each
    outcome, with the key, into out_path (mode 600)."""
    state = load_state()
    deadline = time.time() + float(seconds)
    lines = []
    lock = threading.Lock()

    def work(worker):
        browser = admin_browser(state)
        n = 0
        while time.time() < deadline:
            name = f"scale: kill {worker}-{n}"
            n += 1
            started = time.time()
            try:
                r = browser.rpc_raw("keys/create", [("name", name), ("api_sets[]", state["sets"]["keys:read"])])
                status, upstream = r.status, r.upstream
                body = r.json() if r.status == 200 else None
            except (OSError, http.client.HTTPException, ValueError):
                browser.http.close()
                status, upstream, body = 0, "-", None
            with lock:
                lines.append({"name": name, "started": started, "t": time.time(), "status": status,
                              "upstream": upstream, "id": body and body.get("id"), "key": body and body.get("key")})

    threads = [threading.Thread(target=work, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")


def cmd_after_kill(out_path, victim, killed_at_path, wrk_path):
    state = load_state()
    killed_at = float(open(killed_at_path).read().strip())
    created = [json.loads(line) for line in open(out_path, encoding="utf-8")]
    by_status = {}
    for c in created:
        by_status[c["status"]] = by_status.get(c["status"], 0) + 1
    info("key creations through nginx: " + ", ".join(f"{n} answered {s or 'no answer'}"
                                                     for s, n in sorted(by_status.items())))
    checker = Checker(state["slug"])
    survivors = [n for n in INSTANCES if n != victim]
    answered = [c for c in created if 200 <= c["status"] < 300]
    broken = []
    for c in answered:
        for name in survivors:
            if checker.status(name, c["key"]) != 204:
                broken.append((c["name"], name))
    # Through nginx as well (the killed instance is out of its rotation).
    through = Http(PROXY)
    nginx_bad = [c["name"] for c in answered[:50]
                 if through.request("GET", state["auth_path"], {"Authorization": "Bearer " + c["key"]}).status != 204]
    expect(answered and not broken and not nginx_bad,
           f"every one of the {len(answered)} key creations answered 2xx works on {', '.join(survivors)} "
           "(and through nginx)",
           f"key creations answered 2xx that do not work: {len(broken)} on the survivors "
           f"{broken[:5]}, {len(nginx_bad)} through nginx")
    # The creations that got no 2xx: were they made anyway?
    unanswered = [c for c in created if not 200 <= c["status"] < 300]
    if unanswered:
        names = set()
        cursor = None
        while True:
            path = "/api/v1/keys?scope=mine&limit=100" + (f"&cursor={cursor}" if cursor else "")
            page = checker.api("A", "GET", path, state["admin_key"]).json()
            names.update(k["name"] for k in page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        made = [c["name"] for c in unanswered if c["name"] in names]
        info(f"{len(unanswered)} creations without a 2xx answer; {len(made)} of them were made anyway "
             "(committed, answer lost with the instance)")
    late = [c for c in created if c["started"] > killed_at + 1.0 and not 200 <= c["status"] < 300]
    after = [c for c in created if c["started"] > killed_at + 1.0]
    expect(after and not late,
           f"from 1 s after the SIGKILL on, all {len(after)} key creations through nginx answered 2xx",
           f"from 1 s after the SIGKILL on, {len(late)} of {len(after)} key creations failed: "
           f"{sorted({c['status'] for c in late})}")
    ready = {n: Http(INSTANCES[n]).request("GET", "/readyz").status for n in survivors}
    expect(set(ready.values()) == {200}, f"{', '.join(survivors)} answer /readyz 200 after the kill",
           f"after the kill: /readyz {ready}")
    victim_port = str(INSTANCES[victim])
    lines = nginx_log()
    gateway = [ln for ln in lines if ln[1] == 502]
    on_victim = [ln for ln in gateway if answered_by(ln[2]) == victim]
    retried = [ln for ln in lines if ln[1] < 500 and "," in ln[2] and victim_port in ln[2]]
    other5xx = [ln for ln in lines if ln[1] >= 500 and ln[1] != 502]
    wrk = wrk_figures(wrk_path)
    info(f"nginx: {len(lines)} requests logged; 502: {len(gateway)} "
         f"({len(on_victim)} in flight on {victim}: "
         f"{sum(1 for ln in on_victim if ln[4] == 'POST')} POST, {sum(1 for ln in on_victim if ln[4] == 'GET')} GET); "
         f"{len(retried)} passed on from {victim} to another instance and answered; other 5xx: {len(other5xx)}")
    info(f"wrk (forward-auth through nginx): {wrk.get('requests', 0)} requests, {wrk.get('non2xx', 0)} non-2xx, "
         f"{wrk.get('socket_errors', 0)} socket errors")
    ok(f"reported: {len(on_victim)} answers 502 from requests in flight on the killed instance {victim}")
    finish()


def cmd_restart():
    """pg_ctl restart -m fast while wrk loads the instances: every instance
    ready and right again within 10 s, no revoked key ever accepted, and a
    revocation right after the restart refused everywhere within 1.1 s."""
    state = load_state()
    checker = Checker(state["slug"])
    admin_a = admin_browser(state, INSTANCES["A"])
    read = [state["sets"]["keys:read"]]
    valid = create_key(admin_a, "scale: valid across the restart", read)
    before = create_key(admin_a, "scale: disabled before the restart", read)
    after = create_key(admin_a, "scale: disabled after the restart", read)
    revoke_api(checker, state, "POST", f"/api/v1/keys/{before['id']}/disable")()
    revoked = state["revoked"][-20:] + [before["key"]]
    good, seen = everywhere(checker, before["key"], 401)
    if not good:
        fail(f"the key disabled before the restart is not refused everywhere: {seen}")
    for name in INSTANCES:
        checker.status(name, after["key"])
    stop = threading.Event()
    accepted = []
    answers = {}
    lock = threading.Lock()

    def watch(name):
        conn = Checker(state["slug"], timeout=3.0)
        i = 0
        while not stop.is_set():
            status = conn.status(name, revoked[i % len(revoked)])
            i += 1
            with lock:
                answers[status] = answers.get(status, 0) + 1
                if 200 <= status < 300:
                    accepted.append((name, time.time()))
            if status not in (401,):
                time.sleep(0.01)

    watchers = [threading.Thread(target=watch, args=(n,)) for n in INSTANCES]
    for t in watchers:
        t.start()
    time.sleep(0.5)
    command = shlex.split(ENV["SCALE_PG_RESTART"])
    started = time.monotonic()
    with open(ENV["SCALE_PG_RESTART_LOG"], "ab") as logf:
        done = subprocess.run(command, stdout=logf, stderr=subprocess.STDOUT, timeout=60, check=False)
    restarted = time.monotonic()
    info(f"pg_ctl restart -m fast: exit {done.returncode}, {ms(restarted - started)} ms")
    # A revocation as soon as A can write again.
    acked = None
    while time.monotonic() - restarted < 10 and acked is None:
        try:
            r = checker.api("A", "POST", f"/api/v1/keys/{after['id']}/disable", state["admin_key"])
            if r.status == 200:
                acked = time.monotonic()
        except OSError:
            pass
        if acked is None:
            time.sleep(0.05)
    refused = checker.wait_status(INSTANCES, after["key"], 401, 2.0, since=acked) if acked else {}
    # Every instance ready and right.
    right = {}
    for name, port in INSTANCES.items():
        conn = Http(port, timeout=2.0)
        while time.monotonic() - restarted < 10:
            try:
                ready = conn.request("GET", "/readyz").status
            except OSError:
                conn.close()
                ready = 0
            if ready == 200 and checker.status(name, valid["key"]) == 204 \
                    and checker.status(name, state["load_key"]) == 204:
                right[name] = time.monotonic() - restarted
                break
            time.sleep(0.05)
    back = None if wait_listeners(len(INSTANCES), 10) is None else time.monotonic() - restarted
    time.sleep(0.5)
    stop.set()
    for t in watchers:
        t.join()
    info(f"revoked keys checked on every instance throughout: answers {dict(sorted(answers.items()))}")
    expect(len(right) == len(INSTANCES) and done.returncode == 0,
           "after the restart every instance answered /readyz 200 and accepted working keys within "
           + ", ".join(f"{n} {ms(v)} ms" for n, v in sorted(right.items())),
           f"after the restart (exit {done.returncode}) not every instance was ready and right within 10 s: "
           f"{ {n: right.get(n) for n in INSTANCES} }")
    expect(acked is not None and all(v is not None and v <= WITHIN for v in refused.values()),
           f"a key disabled through A {ms(acked - restarted) if acked else '?'} ms after the restart was refused "
           "on every instance within " + ", ".join(f"{n} {ms(v)} ms" for n, v in sorted(refused.items())),
           f"a key disabled after the restart: acknowledged {acked is not None}, refused {refused}")
    expect(not accepted, f"no revoked key was accepted by any instance before, during or after the restart "
                         f"({sum(answers.values())} checks)",
           f"revoked keys accepted {len(accepted)} times: {accepted[:5]}")
    expect(back is not None, f"all three listeners were back (seen {ms(back or 0)} ms after the restart's end)",
           "the listeners did not come back within 10 s of the restart")
    finish()
