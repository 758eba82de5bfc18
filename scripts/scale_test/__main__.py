"""The HTTP half of scripts/scale-test (issue 12, "Scale-out for real"):
`python3 scripts/scale_test COMMAND ARGS...`. Standard library only.

scripts/scale-test starts PostgreSQL, the three instances and nginx, then
runs one command per part:

    seed, snippet FILE, field NAME          set-up (pages.py)
    pages                                   pages.py       the test's parts: each
    handover                                handover.py    prints "ok: ..." and
    revocation, listener, limits            revocation.py  "FAIL: ..." lines and
    create-loop, after-kill, restart        failures.py    exits 1 after a FAIL
    bench-revocation, soak, soak-report,    figures.py     figures (make scale-bench,
    race                                                   make soak)

The environment (set by scripts/scale-test): SCALE_PROXY_PORT (nginx in
front of the three instances), SCALE_PORTS ("A:port,B:port,C:port"),
SCALE_SERVICE_PORT and SCALE_ECHO_PORT (a service protected by the Public
API page's nginx snippet, and that service), SCALE_STATE (a JSON file, mode
600, with the seeded accounts and keys), SCALE_PG_URL and SCALE_PSQL,
SCALE_PG_RESTART and SCALE_PG_RESTART_LOG, SCALE_NGINX_LOG, SCALE_WORK.
Keys are never printed: every message goes through redact().
"""
import socket
import sys
import traceback

from common import Broken, redact
from failures import cmd_after_kill, cmd_create_loop, cmd_restart
from figures import cmd_bench_revocation, cmd_race, cmd_soak, cmd_soak_report
from handover import cmd_handover
from pages import cmd_field, cmd_pages, cmd_seed, cmd_snippet
from revocation import cmd_limits, cmd_listener, cmd_revocation

COMMANDS = {
    "seed": cmd_seed, "snippet": cmd_snippet, "field": cmd_field, "pages": cmd_pages,
    "handover": cmd_handover, "revocation": cmd_revocation, "listener": cmd_listener,
    "limits": cmd_limits, "create-loop": cmd_create_loop, "after-kill": cmd_after_kill,
    "restart": cmd_restart, "bench-revocation": cmd_bench_revocation, "soak": cmd_soak,
    "soak-report": cmd_soak_report, "race": cmd_race,
}

if __name__ == "__main__":
    socket.setdefaulttimeout(15)
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: scale_test {{{'|'.join(COMMANDS)}}} ...")
    try:
        COMMANDS[sys.argv[1]](*sys.argv[2:])
    except Broken as err:
        print("FAIL: " + redact(err), flush=True)
        sys.exit(1)
    except Exception as err:  # noqa: BLE001 - shown redacted, never with a key
        print(redact(traceback.format_exc()), file=sys.stderr, flush=True)
        print(f"FAIL: {type(err).__name__}: {redact(err)}", flush=True)
        sys.exit(1)
