"""Talking HTTP, standard library only: a keep-alive connection, a browser
(cookies; Origin and Sec-Fetch-Site on posts), key checks straight to each
instance, and a page's forms as a browser without JavaScript posts them.
"""
import html.parser
import http.client
import json
import time
import urllib.parse

from common import BY_PORT, Broken, GENERATED_RE, HTML, INSTANCES, JSON, PROXY, WITHIN


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        return self.headers.get(name)

    @property
    def upstream(self):
        """Which instance answered (through nginx): the last address tried."""
        value = self.headers.get("x-scale-upstream") or ""
        last = value.split(",")[-1].strip()
        port = last.rsplit(":", 1)[-1] if ":" in last else ""
        return BY_PORT.get(int(port), last) if port.isdigit() else "-"

    @property
    def passed_on(self):
        """nginx had to pass the request on: an instance failed it (a
        dropped connection) before another answered."""
        return "," in (self.headers.get("x-scale-upstream") or "")

    @property
    def error_code(self):
        try:
            return (self.json() or {}).get("error", {}).get("code", "")
        except (ValueError, AttributeError):
            return ""


class Http:
    """One keep-alive connection to 127.0.0.1:port (not shared by threads),
    reopened when the other side closed it."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, headers=None, body=None):
        for attempt in (0, 1):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                answer = self.conn.getresponse()
                body_bytes = answer.read()
                if answer.will_close:
                    self.close()
                return Response(answer.status, answer.headers, body_bytes)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as err:
                # A kept-alive connection the server had closed: once more on
                # a new one. A fresh connection failing is the answer.
                self.close()
                if fresh or attempt:
                    raise err
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")


class Browser:
    """A user agent: cookies, and Origin / Sec-Fetch-Site on posts as a
    browser sends them. Through nginx unless given an instance's port."""

    def __init__(self, port=None, cookies=None):
        self.port = port or PROXY
        self.http = Http(self.port)
        self.cookies = dict(cookies or {})

    def send(self, method, path, fields=None, accept=HTML, headers=None):
        h = {"Accept": accept, "User-Agent": "keyhouse-scale-test"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            body = urllib.parse.urlencode(list(fields or []))
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Origin"] = f"http://127.0.0.1:{self.port}"
            h["Sec-Fetch-Site"] = "same-origin"
        h.update(headers or {})
        r = self.http.request(method, path, h, body)
        for cookie in r.headers.get_all("set-cookie") or []:
            pair = cookie.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if value == "" or "max-age=0" in cookie.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        return r

    def page(self, path):
        return self.send("GET", path)

    def form(self, action, fields):
        """A plain HTML form post (no JavaScript)."""
        return self.send("POST", action, fields, accept=HTML)

    def rpc_raw(self, endpoint, fields=()):
        """A server function called as the hydrated page calls it."""
        return self.send("POST", "/rpc/" + endpoint, fields, accept=JSON)

    def rpc(self, endpoint, fields=(), want=(200,)):
        r = self.rpc_raw(endpoint, fields)
        if r.status not in want:
            raise Broken(f"/rpc/{endpoint} answered {r.status}: {r.text[:300]}")
        try:
            return r.json()
        except ValueError:
            return None


def location_path(r):
    location = r.header("location") or ""
    parsed = urllib.parse.urlsplit(location)
    return parsed.path + (("?" + parsed.query) if parsed.query else "")


class Checker:
    """Key checks straight to each instance (one connection per instance;
    one Checker per thread)."""

    def __init__(self, slug, timeout=5.0):
        self.slug = slug
        self.conns = {name: Http(port, timeout) for name, port in INSTANCES.items()}

    def auth(self, instance, key, headers=None):
        h = {"Authorization": "Bearer " + key}
        h.update(headers or {})
        try:
            r = self.conns[instance].request("GET", f"/api/v1/orgs/{self.slug}/auth", h)
        except OSError:
            return Response(0, http.client.HTTPMessage(), b"")
        return r

    def status(self, instance, key):
        return self.auth(instance, key).status

    def api(self, instance, method, path, key, body=None):
        h = {"Authorization": "Bearer " + key, "Accept": JSON}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        return self.conns[instance].request(method, path, h, body)

    def wait_status(self, instances, key, want, within, since=None):
        """Polls each instance until it answers `want`; per instance the
        seconds (from `since`, default now) when it first did, or None."""
        start = since if since is not None else time.monotonic()
        deadline = time.monotonic() + within
        left = set(instances)
        seen = {}
        while left and time.monotonic() < deadline:
            for name in sorted(left):
                if self.status(name, key) == want:
                    seen[name] = time.monotonic() - start
                    left.discard(name)
            if left:
                time.sleep(0.002)
        for name in left:
            seen[name] = None
        return seen

    def close(self):
        for conn in self.conns.values():
            conn.close()


class Forms(html.parser.HTMLParser):
    """The forms of a page: action, method, and the fields a browser would
    send as they stand (hidden inputs, values, checked boxes, selected
    options)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.current = None
        self.select = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                            "fields": [], "selects": {}}
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.current["fields"].append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "file"):
                self.current["fields"].append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.current["selects"][self.select] = []
        elif tag == "option" and self.select:
            self.current["selects"][self.select].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self.current["fields"].append((a["name"], ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None

    def find(self, action):
        for form in self.forms:
            if form["action"] == action:
                return form
        raise Broken(f"no form posting to {action} on the page")

    @staticmethod
    def fields(form, **values):
        """The form's fields with `values` filled in (or replaced)."""
        out = [(k, v) for k, v in form["fields"] if k not in values]
        for name, options in form["selects"].items():
            if name in values:
                continue
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            out.extend((name, v) for v in chosen[:1])
        out.extend((k, str(v)) for k, v in values.items())
        return out


def generated_keys(page_text):
    """The keys in Save generated key dialogs of a page."""
    return [html.unescape(v) for v in GENERATED_RE.findall(page_text)]


def admin_browser(state, port=None):
    return Browser(port, state["admin_cookies"])


def create_key(browser, name, set_ids=()):
    """A key through the Create API key dialog's server function (JSON, as
    with JavaScript): {"id", "key", ...}."""
    return browser.rpc("keys/create", [("name", name)] + [("api_sets[]", str(i)) for i in set_ids])


def everywhere(checker, key, want, within=WITHIN):
    """True when every instance answers `want` for `key` within `within`."""
    seen = checker.wait_status(INSTANCES, key, want, within)
    return all(v is not None for v in seen.values()), seen


def revoke_api(checker, state, method, path):
    def go():
        r = checker.api("A", method, path, state["admin_key"])
        if r.status >= 300:
            raise Broken(f"{method} {path} on A answered {r.status}: {r.text[:200]}")
    return go
