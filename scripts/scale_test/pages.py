"""Set-up (seed, the Public API page's nginx snippet) and every page through
nginx, with JavaScript off (plain GETs, form posts answered with
redirects) and on (the bundle, the server functions the hydrated pages
call): no request may depend on which instance serves it.
"""
import html
import json
import re
import urllib.parse

from common import (
    ADMIN_EMAIL, ADMIN_NAME, Broken, DEV, ECHO, INSTANCES, JSON, PASSWORD, PROXY, SERVICE, SIGNED_IN,
    expect, finish, info, load_state, ok, save_state
)
from web import Browser, Checker, Forms, Http, admin_browser, create_key, everywhere, location_path


def cmd_seed():
    admin = Browser()
    r = admin.send("POST", "/rpc/auth/register", [
        ("name", ADMIN_NAME), ("email", ADMIN_EMAIL), ("password", PASSWORD),
        ("password_confirm", PASSWORD), ("location_name", "Scale")], accept=JSON)
    if r.status >= 400 or "keyhouse_session" not in admin.cookies:
        raise Broken(f"sign-up answered {r.status}: {r.text[:300]}")
    sets = {s["slug"]: s["id"] for s in admin.rpc("integrations/api-sets")}
    every = list(sets.values())
    admin_key = create_key(admin, "scale: admin (every set)", every)
    checker = Checker("")
    me = checker.api("A", "GET", "/api/v1/me", admin_key["key"]).json()
    slug, admin_username = me["organization"]["slug"], me["owner"]["username"]
    roles = {r["name"]: r["id"] for r in admin.rpc("users/roles")}
    admin.rpc("users/create-programmatic", [("username", DEV), ("name", "Scale Dev"),
                                            ("password", PASSWORD), ("role_id", roles["Developer"])])
    dev = Browser()
    r = dev.send("POST", "/rpc/auth/sign-in", [("login", DEV), ("password", PASSWORD)], accept=JSON)
    if r.status >= 400 or "keyhouse_session" not in dev.cookies:
        raise Broken(f"the Developer's sign-in answered {r.status}")
    state = {
        "slug": slug,
        "auth_path": f"/api/v1/orgs/{slug}/auth",
        "admin_username": admin_username,
        "admin_cookies": admin.cookies,
        "dev_cookies": dev.cookies,
        "sets": sets,
        "admin_key": admin_key["key"],
        "admin_key_id": admin_key["id"],
        "load_key": create_key(admin, "scale: load", [sets["keys:read"]])["key"],
        "dev_key": create_key(dev, "scale: dev's key", [sets["keys:read"]]),
        "revoked": [],
    }
    save_state(state)
    ok(f"seeded through nginx: organization '{slug}', Admin {admin_username}, Developer {DEV}, keys")


def cmd_snippet(path):
    state = load_state()
    admin = admin_browser(state)
    query = urllib.parse.urlencode({"require": "keys:read", "upstream": f"http://127.0.0.1:{ECHO}"})
    r = admin.page(f"/settings/integrations/public-api?{query}")
    found = re.search(r'<code[^>]*\bdata-testid="proxy-nginx"[^>]*>(.*?)</code>', r.text, re.S)
    if r.status != 200 or not found:
        raise Broken(f"the Public API page answered {r.status} without the nginx configuration")
    text = html.unescape(re.sub(r"<!--.*?-->|<!>", "", found.group(1), flags=re.S))
    want = f"proxy_pass http://127.0.0.1:{PROXY}/api/v1/orgs/{state['slug']}/auth;"
    if want not in text:
        raise Broken(f"the snippet does not send forward-auth to nginx ({want}): {text[:400]}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def cmd_field(name):
    value = load_state()[name]
    print(value if isinstance(value, str) else json.dumps(value))


def page_list(state, key_id):
    user = urllib.parse.quote(state["admin_username"], safe="")
    base = "/settings/integrations/public-api"
    # (path, text the page must show besides the signed-in user's menu)
    return [
        ("/", "API keys for your organization"),
        ("/settings", "<h1>Settings"),
        ("/settings/integrations", 'href="/settings/integrations/api-sets"'),
        ("/admin", 'href="/admin/audit"'),
        (base, "scale: load"),
        (base + "?dialog=create", 'action="/rpc/keys/create"'),
        (base + f"?roll={key_id}", 'action="/rpc/keys/roll"'),
        (base + f"?delete={key_id}", 'action="/rpc/keys/delete"'),
        (base + "?scope=all", "scale: dev"),
        (f"{base}/keys/{key_id}", "API key details"),
        ("/settings/integrations/api-sets", "keys:verify"),
        ("/settings/integrations/key-policy", "Rules for API keys"),
        ("/account", "Account settings"),
        ("/admin/users", DEV),
        (f"/admin/users/{user}", "User Account Details"),
        (f"/admin/users/{DEV}", "Scale Dev"),
        ("/admin/roles", "Developer"),
        ("/admin/audit", "Audit log"),
        ("/admin/invitations", "Invitations"),
        ("/admin/programmatic-users/new", "New programmatic user"),
    ]


def assets_of(page_text):
    return sorted(set(re.findall(r'(?:href|src)="(/pkg/[^"]+)"', page_text)))


def cmd_pages():
    state = load_state()
    admin = admin_browser(state)
    served = {name: 0 for name in INSTANCES}
    page_key = create_key(admin, "scale: pages", [state["sets"]["keys:read"]])
    state["pages_key_id"] = page_key["id"]
    save_state(state)
    pages = page_list(state, page_key["id"])
    # With JavaScript off: every page three times in a row (round-robin: each
    # instance renders it once), signed in by the session cookie alone.
    bad = []
    for path, marker in pages:
        seen = set()
        for _ in range(3):
            r = admin.page(path)
            seen.add(r.upstream)
            served[r.upstream] = served.get(r.upstream, 0) + 1
            if r.status != 200 or SIGNED_IN not in r.text or marker not in r.text or r.passed_on:
                bad.append(f"{path} on {r.upstream}: {r.status}, signed in: {SIGNED_IN in r.text}, "
                           f"shows '{marker}': {marker in r.text}, passed on by nginx: {r.passed_on}")
        if len(seen) < 3:
            info(f"{path} was served by {sorted(seen)} only")
    anonymous = Browser()
    token = admin.rpc("invitations/create", [("contact", "invitee@example.com"),
                                             ("role_id", admin.rpc("users/roles")[-1]["id"])])
    invite_path = urllib.parse.urlsplit(token).path
    for path, marker in [("/login", 'action="/rpc/auth/sign-in"'), ("/register", 'action="/rpc/auth/register"'),
                         (invite_path, 'data-testid="invitation-summary"')]:
        for _ in range(3):
            r = anonymous.page(path)
            served[r.upstream] = served.get(r.upstream, 0) + 1
            if r.status != 200 or marker not in r.text:
                bad.append(f"{'/invite/...' if path == invite_path else path} (signed out) on {r.upstream}: {r.status}")
    expect(not bad, f"JavaScript off: {len(pages)} signed-in pages and 3 signed-out pages, each 3 times "
                    f"through nginx, all 200 and rendered for the session (served by A {served.get('A')}, "
                    f"B {served.get('B')}, C {served.get('C')})", "pages: " + "; ".join(bad[:8]))

    # With JavaScript on: the bundle the pages load, from every instance
    # alike, and the server functions the hydrated pages call.
    home = admin.page("/settings/integrations/public-api")
    assets = assets_of(home.text)
    bad = []
    for asset in assets:
        digests = set()
        for _ in range(3):
            r = admin.send("GET", asset, accept="*/*")
            digests.add((r.status, len(r.body), hash(r.body)))
        if len(digests) != 1 or next(iter(digests))[0] != 200:
            bad.append(f"{asset}: {sorted((s, n) for s, n, _ in digests)}")
    expect(assets and not bad, f"JavaScript on: the bundle ({', '.join(assets)}) is the same from every instance",
           f"the bundle differs or fails between instances: {bad or 'no assets on the page'}")

    audit = [("filter[actor]", ""), ("filter[action]", ""), ("filter[from]", ""), ("filter[to]", ""),
             ("filter[page]", "1")]
    users = [("filter[search]", ""), ("filter[page]", "1")]
    reads = [("auth/me", []), ("auth/organizations", []), ("keys/list", []),
             ("keys/details", [("id", page_key["id"])]), ("keys/new-form", []),
             ("integrations/public-api", []), ("integrations/api-sets", []), ("users/list", users),
             ("users/details", [("username", DEV)]), ("users/roles", []), ("roles/list", []),
             ("audit/list", audit), ("invitations/list", [])]
    bad = []
    for endpoint, fields in reads:
        for _ in range(3):
            r = admin.rpc_raw(endpoint, fields)
            if r.status != 200 or r.passed_on:
                bad.append(f"/rpc/{endpoint} on {r.upstream}: {r.status} {r.text[:120]}")
    for endpoint, fields in [("auth/sign-up-open", []),
                             ("invitations/preview", [("token", invite_path.rsplit("/", 1)[-1])])]:
        for _ in range(3):
            r = anonymous.rpc_raw(endpoint, fields)
            if r.status != 200:
                bad.append(f"/rpc/{endpoint} (signed out) on {r.upstream}: {r.status}")
    expect(not bad, f"JavaScript on: {len(reads) + 2} server functions the pages call, each on every instance: 200",
           "server functions: " + "; ".join(bad[:8]))

    checker = Checker(state["slug"])
    js_actions(state, admin, checker)
    nojs_actions(state, admin, checker)
    sessions_and_language(state)
    service_snippet(state, checker)
    finish()


def js_actions(state, admin, checker):
    """The key actions as the hydrated pages do them (JSON answers), each
    call through nginx, the next one on another instance."""
    form = admin.rpc("keys/new-form")
    fields = [("name", "scale: js"), ("request_token", form["request_token"]),
              ("api_sets[]", state["sets"]["keys:read"])]
    first = admin.rpc_raw("keys/create", fields)
    again = admin.rpc_raw("keys/create", fields)
    created = first.json() if first.status == 200 else None
    listed = [row["id"] for row in admin.rpc("keys/list")["rows"] if row["name"] == "scale: js"]
    expect(created and again.status == 409 and len(listed) == 1,
           f"JS: a key created on {first.upstream}; the same form again on {again.upstream} is 409, one key exists",
           f"JS create: first {first.status} on {first.upstream}, the same form again {again.status} on "
           f"{again.upstream}, {len(listed)} keys of that name")
    if not created:
        return
    key, key_id = created["key"], created["id"]
    good, seen = everywhere(checker, key, 204, 0.05)
    expect(good, "JS: the new key works on A, B and C at once", f"the new key is not accepted everywhere: {seen}")
    lists = []
    for _ in range(3):
        r = admin.rpc_raw("keys/list")
        lists.append((r.upstream, key_id in [row["id"] for row in (r.json() or {}).get("rows", [])]))
    expect(all(found for _, found in lists), "JS: every instance lists the new key",
           f"the key list differs between instances: {lists}")
    r = admin.rpc_raw("keys/set-enabled", [("id", key_id), ("enabled", "false")])
    good, seen = everywhere(checker, key, 401)
    expect(r.status == 200 and good, f"JS: disabled (on {r.upstream}): refused on A, B and C",
           f"JS disable: {r.status}, refusals: {seen}")
    admin.rpc("keys/set-enabled", [("id", key_id), ("enabled", "true")])
    good, seen = everywhere(checker, key, 204)
    expect(good, "JS: enabled again: accepted on A, B and C", f"JS enable: {seen}")
    r = admin.rpc_raw("keys/set-rate-limit", [("id", key_id), ("per_minute", "1234")])
    limits = set()
    for _ in range(3):
        d = admin.rpc_raw("keys/details", [("id", key_id)])
        limits.add((d.json() or {}).get("rate_limit_per_minute"))
    expect(r.status == 200 and limits == {1234}, "JS: a rate limit set on one instance is shown by all",
           f"JS rate limit: {r.status}, shown: {limits}")
    admin.rpc("keys/set-rate-limit", [("id", key_id), ("per_minute", "")])
    rolled = admin.rpc("keys/roll", [("id", key_id), ("grace_hours", "0")])
    new_ok, seen_new = everywhere(checker, rolled["key"], 204, 0.05)
    old_ok, seen_old = everywhere(checker, key, 401)
    expect(new_ok and old_ok, "JS: rolled with no grace: the new secret works and the old one is refused on A, B and C",
           f"JS roll: new {seen_new}, old {seen_old}")
    state["revoked"].append(key)
    r = admin.rpc_raw("keys/delete", [("id", key_id)])
    good, seen = everywhere(checker, rolled["key"], 401)
    details = {admin.rpc_raw("keys/details", [("id", key_id)]).status for _ in range(3)}
    expect(r.status == 200 and good and details == {404}, "JS: deleted: refused on A, B and C, no instance shows it",
           f"JS delete: {r.status}, refusals {seen}, details {details}")
    state["revoked"].append(rolled["key"])
    save_state(state)


def nojs_actions(state, admin, checker):
    """The key actions as plain forms (no JavaScript): the form from one
    instance's page, the post on another, the page it returns to on a third."""
    base = "/settings/integrations/public-api"
    created = create_key(admin, "scale: no-JS", [state["sets"]["keys:read"]])
    key, key_id = created["key"], created["id"]
    problems = []

    def post_back(page_path, action, **values):
        page = admin.page(page_path)
        forms = Forms(page.text)
        form = next((f for f in forms.forms if f["action"] == action
                     and ("id", str(key_id)) in f["fields"]), None)
        if form is None:
            raise Broken(f"no form to {action} for the key on {page_path} ({page.upstream})")
        r = admin.form(action, Forms.fields(form, **values))
        back = location_path(r)
        after = admin.page(back) if r.status in (302, 303) else None
        hops = f"page {page.upstream}, post {r.upstream}, back {after.upstream if after else '-'}"
        if r.status not in (302, 303) or after is None or after.status != 200 or SIGNED_IN not in after.text:
            problems.append(f"{action}: {r.status} -> {back} ({hops})")
        return hops

    hops = post_back(base, "/rpc/keys/set-enabled")
    good, seen = everywhere(checker, key, 401)
    expect(good, f"no-JS: Disable ({hops}): refused on A, B and C", f"no-JS disable: {seen}")
    hops = post_back(base, "/rpc/keys/set-enabled")
    good, seen = everywhere(checker, key, 204)
    expect(good, f"no-JS: Enable ({hops}): accepted on A, B and C", f"no-JS enable: {seen}")
    hops = post_back(f"{base}/keys/{key_id}", "/rpc/keys/set-rate-limit", per_minute="777")
    limits = {(admin.rpc_raw("keys/details", [("id", key_id)]).json() or {}).get("rate_limit_per_minute")
              for _ in range(3)}
    expect(limits == {777}, f"no-JS: Rate limit ({hops}): every instance shows it", f"no-JS rate limit: {limits}")
    hops = post_back(f"{base}?delete={key_id}", "/rpc/keys/delete")
    good, seen = everywhere(checker, key, 401)
    expect(good, f"no-JS: Delete ({hops}): refused on A, B and C", f"no-JS delete: {seen}")
    state["revoked"].append(key)
    save_state(state)
    expect(not problems, "no-JS: every form post answered with a redirect to a page that renders signed in",
           "no-JS forms: " + "; ".join(problems))


def sessions_and_language(state):
    """Sign-in, language and sign-out by plain forms: the cookie alone
    carries them from one instance to the next."""
    user = Browser()
    login = user.page("/login")
    form = Forms(login.text).find("/rpc/auth/sign-in")
    r = user.form("/rpc/auth/sign-in", Forms.fields(form, login=ADMIN_EMAIL, password=PASSWORD))
    home = user.page(location_path(r) or "/")
    expect(r.status in (302, 303) and SIGNED_IN in home.text,
           f"no-JS: signed in on {r.upstream}, signed in on {home.upstream}",
           f"no-JS sign-in: {r.status} on {r.upstream}, next page on {home.upstream} signed in: {SIGNED_IN in home.text}")
    # The language switch: a form whose buttons name the language.
    form = Forms(home.text).find("/locale")
    r = user.form("/locale", Forms.fields(form, locale="pl"))
    polish = user.page("/settings")
    expect(r.status == 303 and re.search(r'<html[^>]*lang="pl"', polish.text),
           f"no-JS: Polish chosen on {r.upstream}, the next page is Polish (on {polish.upstream})",
           f"no-JS language: {r.status} on {r.upstream}; the next page on {polish.upstream} is not Polish")
    user.form("/locale", [("next", "/settings"), ("locale", "en")])
    page = user.page("/settings")
    form = Forms(page.text).find("/rpc/auth/sign-out")
    r = user.form("/rpc/auth/sign-out", Forms.fields(form))
    after = [user.page("/settings") for _ in range(3)]
    expect(all(SIGNED_IN not in p.text for p in after),
           f"no-JS: signed out on {r.upstream}: signed out on {', '.join(p.upstream for p in after)}",
           f"no-JS sign-out on {r.upstream}: still signed in on "
           f"{[p.upstream for p in after if SIGNED_IN in p.text]}")


def service_snippet(state, checker):
    """The service behind the page's snippet: forward-auth round-robin."""
    service = Http(SERVICE)
    key = state["load_key"]
    answers = [service.request("GET", "/hello", {"Authorization": "Bearer " + key}).status for _ in range(6)]
    refused = [service.request("GET", "/hello", {"Authorization": "Bearer " + k}).status
               for k in state["revoked"][:3]]
    nokey = service.request("GET", "/hello").status
    expect(set(answers) == {200} and set(refused) == {401} and nokey == 401,
           "the protected service (the page's snippet, forward-auth through nginx round-robin): a working key 200 "
           "six times, revoked keys and no key 401",
           f"the protected service: working key {answers}, revoked {refused}, no key {nokey}")
