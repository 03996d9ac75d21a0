#!/usr/bin/env python3
"""Local HTTPS fake of the ACM approval site (post-2020 page), for the approval tests.

usage: fake_acm.py --port PORT --cert FILE --key FILE --sites FILE --log FILE [--ready FILE]
                   [--host 127.0.0.1]

Python standard library only.  Serves https://HOST:PORT/ (one thread per connection, the TLS
handshake is done in that thread, so a client that stalls blocks nobody else).  PORT 0 picks a free
port; the port actually bound is written to the --ready file (atomically, once listening).

The site behaves as shared/reference/acm-validation-email.md section 3.2 describes the real page:

  GET /approvals?code=C&context=X
      sets a session cookie and returns an HTML page titled "Amazon Certificate Approvals" with a
      table of label/value rows (Domain name, AWS Account number, AWS Region, Certificate
      Identifier = full ARN), <meta name="csrf-token">, and
      <form action="/approvevalidation" method="post" accept-charset="UTF-8"> holding the hidden
      inputs utf8, authenticity_token, validation_token (the code) and context, and
      <div class="approve-button"><input type="submit" value="I Approve"></div> (no name).
  POST /approvevalidation
      requires the session cookie of a GET of this code, the CSRF token of that session, the right
      validation_token and context, and a Referer on the same host; then answers the success page
      <h2>Success!</h2><p>You have <b>APPROVED</b> this validation request ...  Otherwise 422.
      After a successful POST a GET of the same code shows "already been approved".

--sites is a JSON file (re-read whenever it changes, so a test can switch a behaviour at run time):
  {"CODE": {"name": "happy", "context": "...", "domain": "...", "account": "...",
            "region": "...", "arn": "...", "behaviour": "ok"}, ...}
Behaviours (of GET unless said otherwise):
  ok           the page above; POST succeeds
  expired      400
  unknown      404
  already      200 page "This request has already been approved." without a form
  fail-once    500 on the first GET of the code (per fake process), then as ok
  hang         reads the request and never answers (until the client closes, at most 120 s)
  redirect     302 to https://evil.example:PORT/approvals?... (run the test with evil.example
               resolving to 127.0.0.1: a client that follows shows up as a TLS connection with
               SNI evil.example in the log)
  oversized    200 with a 5 MB page (the form is at its end)
  mismatch     the page shows another domain (www.evil-twin.example.com)
  mismatch-account  the page shows another account (and the ARN with it)
  nosuccess    the page as ok, but the POST answers 200 without any success marker
  down         the connection is closed right after the TLS handshake (no HTTP answer)
  hold-post    GET as ok; the POST is accepted (the request becomes approved) but its answer is
               held as in hang, so the client is cut in the middle of the POST
Second layout (section 3.2a, the page as later public approvers read it): the labels in <div>s,
<form action="https://HOST/approvevalidation" method="post"> (absolute, on the Host the request
named) holding the hidden inputs validationToken (the code), validationArn, domainName, accountId,
region and certificateIdentifier (the ARN), and
<div class="approve-button"><button type="submit" name="validationApprovalStatus"
value="APPROVED">I Approve</button></div>.  Its POST needs every one of those fields right, a
same-host Referer and exactly one validationApprovalStatus, APPROVED (no cookie or CSRF token).
  v2           that page, labels and form fields agreeing; POST succeeds (success page)
  v2-formonly  no visible labels: the form's fields only
  v2-twobuttons  a second button, validationApprovalStatus=REJECTED, after the approve one;
               a POST carrying REJECTED is recorded as rejected=true (and answered 200)
  v2-field-account, v2-field-region, v2-field-domain, v2-field-cert, v2-field-arn
               the labels right, one form field naming another account (999988887777), region
               (us-west-2), domain (www.evil-twin.example.com) or certificate
               (certificateIdentifier, validationArn: another certificate id)
  v2-refetch   POST approves but answers 200 without any marker; a GET then says already
  v2-norefetch POST answers 200 without any marker and approves nothing; a GET shows the form
  v2-redirect  POST approves and answers 303 to /approvals/done (a path that is 404); a GET of the
               approval URL then says already
  v2-unknown   labels and an "I Approve" <button type="button"> (a script would post), no form
  v2-js        a page rendered by JavaScript: empty <div id="root">, <script>, <noscript>
  v2-evilaction  the form's action is https://evil.example:PORT/approvevalidation
  v2-already-other  "This request has already been approved." with the labels of another
               account (999988887777): not an approval of this request
  v2-markup    a genuine variant of the page: labels in <dl>/<dt>/<dd> with &nbsp;, in
               <label>/<span>, a hyphenated account, the ARN broken by <wbr>; POST succeeds
  v2-if-already  200, no form, "If you have already approved this request, no further
               action is needed." (a hedged sentence, no marker)
  v2-backslash the form's action is two backslashes, evil.example:PORT, a backslash and
               approvevalidation (a browser posts to evil.example; a URL library may read it
               as a path on this host)
  v2-gzip      the page sent gzip-compressed (Content-Encoding: gzip) whatever was asked
  v2-textplain the page sent as Content-Type: text/plain (a browser shows its source)
  v2-charset   the page sent as Content-Type: text/html; charset=iso-2022-jp (a browser decodes
               other characters than a UTF-8 reading)
  v2-answer-other  POST approves, and answers "Success!" with the labels of another account
  v2-hidden-success  POST approves nothing and answers a page whose "Success!" is hidden
               (display:none) above a visible error; a GET then shows the form again
Unknown codes, a wrong context, and any other path -> 404.

--log gets one JSON object per line, for every TLS connection and every request:
  {"event": "tls", "ok": true|false, "sni": NAME|null, "error": "..."}
  {"event": "request", "method": "GET", "path": "/approvals", "name": CASE|null,
   "behaviour": ..., "status": N, "cookie_ok": bool, "csrf_ok": bool, "referer_ok": bool,
   "token_ok": bool, "referer_is_page": bool, "fields": [names of the posted fields],
   "layout": 1|2, "status_values": [the posted validationApprovalStatus values],
   "rejected": bool, "bad_fields": [names of the second layout's fields that were wrong], ...}
The codes and contexts themselves are never written anywhere (the log names the case instead);
nothing is printed on stdout/stderr except start-up errors.
SIGTERM/SIGINT stop it.
"""
import argparse
import gzip
import html
import json
import os
import secrets
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COOKIE = "_acm_approvals_session"
TITLE = "Amazon Certificate Approvals"
EVIL = "evil.example"


class Sites:
    """The per-code table, re-read when the file changes."""

    def __init__(self, path):
        self.path = path
        self.sig = None
        self.table = {}
        self.lock = threading.Lock()

    def get(self, code):
        with self.lock:
            try:
                st = os.stat(self.path)
                sig = (st.st_mtime_ns, st.st_size, st.st_ino)
                if sig != self.sig:
                    with open(self.path, encoding="utf-8") as f:
                        self.table = json.load(f)
                    self.sig = sig
            except (OSError, ValueError):
                pass  # keep the last good table
            return self.table.get(code)


class State:
    def __init__(self, args):
        self.args = args
        self.sites = Sites(args.sites)
        self.lock = threading.Lock()
        self.sessions = {}     # session id -> {"code", "csrf"}
        self.gets = {}         # code -> number of GETs
        self.approved = set()  # codes approved by a good POST
        self.logf = open(args.log, "a", encoding="utf-8", buffering=1)
        self.tls_local = threading.local()
        self.stopping = threading.Event()

    def log(self, **rec):
        rec = dict({"t": round(time.time(), 3)}, **rec)
        line = json.dumps(rec, sort_keys=True)
        with self.lock:
            self.logf.write(line + "\n")
            self.logf.flush()


def page_html(site, csrf, code, context, variant):
    domain, account, arn = site["domain"], site["account"], site["arn"]
    if variant == "mismatch":
        domain = "www.evil-twin.example.com"
    elif variant == "mismatch-account":
        account = "999988887777"
        arn = arn.replace(":" + site["account"] + ":", ":" + account + ":")
    e = html.escape
    rows = "".join(
        '      <tr>\n        <td class="left-column"><b>%s</b></td>\n'
        '        <td class="right-column">%s</td>\n      </tr>\n' % (e(label), e(value))
        for label, value in (("Domain name", domain), ("AWS Account number", account),
                             ("AWS Region", site["region"]), ("Certificate Identifier", arn)))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{TITLE}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="csrf-param" content="authenticity_token" />
<meta name="csrf-token" content="{e(csrf)}" />
  <link rel="stylesheet" href="/assets/application.css">
</head>
<body>
  <div class="container">
    <div class="header"><img src="/assets/aws-logo.png" alt="Amazon Web Services"></div>
    <h1>{TITLE}</h1>
    <p>Amazon Web Services has received a request to issue an SSL/TLS certificate for the following domain.
       To approve this request, review the details below and choose <b>I Approve</b>.</p>
    <table class="approval-details">
{rows}    </table>
    <form action="/approvevalidation" accept-charset="UTF-8" method="post"><input name="utf8" type="hidden" value="&#x2713;" /><input type="hidden" name="authenticity_token" value="{e(csrf)}" />
      <input type="hidden" name="validation_token" id="validation_token" value="{e(code)}" />
      <input type="hidden" name="context" id="context" value="{e(context)}" />
      <div class="approve-button"><input type="submit" value="I Approve" class="btn btn-primary" data-disable-with="I Approve" /></div>
</form>    <p class="footer">If you did not request this certificate, you can ignore this page.</p>
  </div>
</body>
</html>
"""


V2_FIELDS = ("validationToken", "validationArn", "domainName", "accountId", "region",
             "certificateIdentifier")
OTHER_CERT = "00000000-1111-4222-8333-444455556666"


def v2_values(site, code):
    """What the second layout's form states for a site (and what its POST requires)."""
    return {"validationToken": code, "validationArn": site["arn"], "domainName": site["domain"],
            "accountId": site["account"], "region": site["region"],
            "certificateIdentifier": site["arn"]}


def v2_html(site, code, host, port, variant):
    e = html.escape
    vals = v2_values(site, code)
    other_arn = site["arn"].rsplit("/", 1)[0] + "/" + OTHER_CERT
    over = {"v2-field-account": ("accountId", "999988887777"),
            "v2-field-region": ("region", "us-west-2"),
            "v2-field-domain": ("domainName", "www.evil-twin.example.com"),
            "v2-field-cert": ("certificateIdentifier", other_arn),
            "v2-field-arn": ("validationArn", other_arn)}.get(variant)
    if over:
        vals[over[0]] = over[1]
    head = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{TITLE}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/static/css/approvals.css">
</head>
<body>
"""
    if variant == "v2-already-other":
        return head + f"""  <main class="container"><h1>{TITLE}</h1>
    <p>This request has already been approved.</p>
    <div class="detail-row"><div class="detail-label">Domain name</div><div class="detail-value">{e(site["domain"])}</div></div>
    <div class="detail-row"><div class="detail-label">AWS account number</div><div class="detail-value">999988887777</div></div>
  </main>
</body>
</html>
"""
    if variant == "v2-if-already":
        return head + f"""  <main class="container"><h1>{TITLE}</h1>
    <p>This link can no longer be used.</p>
    <p>If you have already approved this request, no further action is needed.</p>
  </main>
</body>
</html>
"""
    if variant == "v2-js":
        return head + """  <div id="root"></div>
  <noscript>You need to enable JavaScript to run this app.</noscript>
  <script src="/static/js/main.8c2f1e.js"></script>
</body>
</html>
"""
    labels = ""
    if variant != "v2-formonly":
        labels = "".join(
            '      <div class="detail-row"><div class="detail-label">%s</div>'
            '<div class="detail-value">%s</div></div>\n' % (e(label), e(value))
            for label, value in (("Domain name", site["domain"]),
                                 ("AWS account number", site["account"]),
                                 ("AWS Region", site["region"]),
                                 ("Certificate identifier", site["arn"])))
    if variant == "v2-markup":
        acct = site["account"]
        arn = e(site["arn"]).replace(":certificate/", ":<wbr>certificate/")
        labels = (f'      <dl><dt>Domain&nbsp;name</dt><dd>\u200e{e(site["domain"])}</dd>\n'
                  f'      <dt>AWS&nbsp;account number</dt><dd>{acct[:4]}-{acct[4:8]}-{acct[8:]}</dd></dl>\n'
                  f'      <p><label>AWS Region</label><span class="v">{e(site["region"])}</span></p>\n'
                  f'      <p><b>Certificate identifier:</b> {arn}</p>\n')
    intro = f"""  <main class="container">
    <h1>{TITLE}</h1>
    <p>To approve this request, review the details below and choose I Approve.</p>
    <div class="approval-details">
{labels}    </div>
"""
    if variant == "v2-unknown":
        return head + intro + """    <div class="approve-button" id="approve-widget" data-endpoint="/api/validation">
      <button type="button" class="btn btn-primary">I Approve</button>
    </div>
    <script src="/static/js/approve.js"></script>
  </main>
</body>
</html>
"""
    ahost = "%s:%d" % (EVIL, port) if variant == "v2-evilaction" else host
    action = "https://%s/approvevalidation" % ahost
    if variant == "v2-backslash":
        action = "\\\\%s:%d\\approvevalidation" % (EVIL, port)
    inputs = "".join('      <input type="hidden" name="%s" value="%s">\n' % (k, e(vals[k]))
                     for k in V2_FIELDS)
    reject = ""
    if variant == "v2-twobuttons":
        reject = ('      <div class="reject-button"><button type="submit" '
                  'name="validationApprovalStatus" value="REJECTED">Reject</button></div>\n')
    return head + intro + f"""    <form action="{e(action)}" method="post">
{inputs}      <div class="approve-button"><button type="submit" name="validationApprovalStatus" value="APPROVED">I Approve</button></div>
{reject}    </form>
  </main>
</body>
</html>
"""


ALREADY = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><div class="container"><h1>{TITLE}</h1>
<p>This request has already been approved.</p>
</div></body></html>
"""

SUCCESS = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><div class="container">
<h2>Success!</h2>
<p>You have <b>APPROVED</b> this validation request for the domain name {{domain}}.</p>
<p>The certificate will be issued once all its domains are validated.</p>
</div></body></html>
"""

HIDDEN_SUCCESS = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><div class="container">
<div class="alert alert-success" style="display: none"><h2>Success!</h2>
<p>You have <b>APPROVED</b> this validation request.</p></div>
<div class="alert alert-error"><p>Something went wrong. Please try again later.</p></div>
</div></body></html>
"""

NOSUCCESS = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><div class="container"><h1>{TITLE}</h1>
<p>Thank you. Your response has been recorded.</p>
</div></body></html>
"""


def error_page(status, text):
    return ("<!DOCTYPE html>\n<html><head><title>%d %s</title></head><body><h1>%s</h1></body></html>\n"
            % (status, text, text))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Server"
    sys_version = ""
    timeout = 30

    def log_message(self, fmt, *args):  # never print request lines (they hold codes)
        pass

    @property
    def st(self):
        return self.server.state

    # ---------------------------------------------------------------- helpers
    def send(self, status, body, ctype="text/html; charset=utf-8", headers=()):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except OSError:
                self.close_connection = True

    def cookie(self):
        raw = self.headers.get("Cookie", "")
        for part in raw.split(";"):
            k, _, v = part.strip().partition("=")
            if k == COOKIE:
                return v
        return None

    def base(self, rec, path):
        rec.update(method=self.command, path=path, host=self.headers.get("Host"),
                   ua=self.headers.get("User-Agent"), sni=getattr(self.connection, "acm_sni", None))
        return rec

    def hang(self, rec):
        """Never answer: wait until the client closes (or 120 s, or the server stops)."""
        rec["status"] = None
        self.st.log(**rec)
        sock = self.connection
        deadline = time.time() + 120
        while time.time() < deadline and not self.st.stopping.is_set():
            r, _, _ = select.select([sock], [], [], 0.5)
            if r:
                try:
                    if not sock.recv(4096):
                        break
                except (OSError, ssl.SSLError):
                    break
        self.st.log(event="hang-end", name=rec.get("name"),
                    reason="client closed" if time.time() < deadline else "deadline")
        self.close_connection = True

    # ---------------------------------------------------------------- GET
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        rec = self.base({"event": "request"}, u.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        code = (q.get("code") or [None])[0]
        context = (q.get("context") or [None])[0]
        site = self.st.sites.get(code) if code else None
        rec.update(name=site.get("name") if site else None,
                   query_keys=[k for k, _ in urllib.parse.parse_qsl(u.query, keep_blank_values=True)],
                   code_known=site is not None,
                   context_ok=bool(site) and context == site.get("context"))
        if u.path != "/approvals" or not site or not rec["context_ok"] or set(q) != {"code", "context"}:
            rec.update(status=404)
            self.st.log(**rec)
            return self.send(404, error_page(404, "Not Found"))
        b = site.get("behaviour", "ok")
        rec["behaviour"] = b
        with self.st.lock:
            n = self.st.gets[code] = self.st.gets.get(code, 0) + 1
            done = code in self.st.approved
        rec["get_number"] = n
        if b == "hang":
            return self.hang(rec)
        if b == "down":
            rec["status"] = None
            self.st.log(**rec)
            self.close_connection = True
            return
        if b == "expired":
            rec["status"] = 400
            self.st.log(**rec)
            return self.send(400, error_page(400, "Bad Request"))
        if b == "unknown":
            rec["status"] = 404
            self.st.log(**rec)
            return self.send(404, error_page(404, "Not Found"))
        if b == "fail-once" and n == 1:
            rec["status"] = 500
            self.st.log(**rec)
            return self.send(500, error_page(500, "Internal Server Error"))
        if b == "redirect":
            loc = "https://%s:%d/approvals?%s" % (EVIL, self.server.server_address[1], u.query)
            rec["status"] = 302
            self.st.log(**rec)
            return self.send(302, error_page(302, "Found"), headers=[("Location", loc)])
        sid = secrets.token_urlsafe(24)
        csrf = secrets.token_urlsafe(32)
        with self.st.lock:
            self.st.sessions[sid] = {"code": code, "csrf": csrf}
        cookie = ("Set-Cookie", "%s=%s; path=/; secure; HttpOnly; SameSite=Lax" % (COOKIE, sid))
        if b == "already" or done:
            rec.update(status=200, page="already")
            self.st.log(**rec)
            return self.send(200, ALREADY, headers=[cookie])
        if b.startswith("v2"):
            body = v2_html(site, code, self.headers.get("Host") or "", self.server.server_address[1], b)
            rec.update(status=200, page="form", layout=2, bytes=len(body))
            self.st.log(**rec)
            hdrs = [cookie, ("Cache-Control", "no-store")]
            if b == "v2-gzip":
                body = gzip.compress(body.encode("utf-8"))
                hdrs.append(("Content-Encoding", "gzip"))
            if b == "v2-textplain":
                return self.send(200, body, ctype="text/plain; charset=utf-8", headers=hdrs)
            if b == "v2-charset":
                return self.send(200, body, ctype="text/html; charset=iso-2022-jp", headers=hdrs)
            return self.send(200, body, headers=hdrs)
        body = page_html(site, csrf, code, context, b)
        if b == "oversized":
            pad = "<!-- padding -->\n" * ((5 * 1024 * 1024) // 17)
            body = body.replace("<table", "<div class=\"notice\">\n" + pad + "</div>\n<table", 1)
        rec.update(status=200, page="form", bytes=len(body))
        self.st.log(**rec)
        return self.send(200, body, headers=[cookie, ("Cache-Control", "no-store")])

    # ---------------------------------------------------------------- POST
    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        rec = self.base({"event": "request"}, u.path)
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = 0
        raw = self.rfile.read(min(n, 1 << 20)) if n > 0 else b""
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        rec.update(query=bool(u.query), content_type=self.headers.get("Content-Type"),
                   fields=sorted(form))
        one = {k: v[0] for k, v in form.items()}
        sid = self.cookie()
        with self.st.lock:
            sess = self.st.sessions.get(sid) if sid else None
        code = one.get("validation_token") or one.get("validationToken")
        site = self.st.sites.get(code) if code else None
        if sess is None and site is None and code is None:
            rec["name"] = None
        else:
            s2 = self.st.sites.get(sess["code"]) if sess else None
            rec["name"] = (site or s2 or {}).get("name")
        ref = self.headers.get("Referer")
        host = self.headers.get("Host")
        rs = urllib.parse.urlsplit(ref) if ref else None
        rec.update(
            cookie_ok=sess is not None,
            csrf_ok=sess is not None and secrets.compare_digest(one.get("authenticity_token", ""), sess["csrf"]),
            token_ok=(sess is not None and site is not None and code == sess["code"]
                      and one.get("context") == site.get("context")),
            referer_ok=bool(rs and rs.scheme == "https" and rs.netloc == host
                            and host == "%s:%d" % self.server.server_address[:2]),
            referer_is_page=bool(rs and rs.path == "/approvals" and site is not None
                                 and urllib.parse.parse_qs(rs.query).get("code") == [code]
                                 and urllib.parse.parse_qs(rs.query).get("context") == [site.get("context")]),
            utf8=one.get("utf8"))
        if u.path != "/approvevalidation":
            rec["status"] = 404
            self.st.log(**rec)
            return self.send(404, error_page(404, "Not Found"))
        if site is not None and site.get("behaviour", "ok").startswith("v2"):
            return self.post_v2(rec, form, site, code)
        if not (rec["cookie_ok"] and rec["csrf_ok"] and rec["token_ok"] and rec["referer_ok"]):
            rec["status"] = 422
            self.st.log(**rec)
            return self.send(422, error_page(422, "The change you wanted was rejected."))
        b = site.get("behaviour", "ok")
        rec["behaviour"] = b
        with self.st.lock:
            self.st.sessions.pop(sid, None)  # one POST per session
        if b == "hold-post":
            with self.st.lock:
                self.st.approved.add(code)
            rec.update(approved=True)
            return self.hang(rec)
        if b == "nosuccess":
            rec["status"] = 200
            self.st.log(**rec)
            return self.send(200, NOSUCCESS)
        with self.st.lock:
            self.st.approved.add(code)
        rec.update(status=200, approved=True)
        self.st.log(**rec)
        return self.send(200, SUCCESS.replace("{domain}", html.escape(site["domain"])))

    def post_v2(self, rec, form, site, code):
        """The second layout's POST: every hidden field right, one status, APPROVED."""
        b = site.get("behaviour")
        want = v2_values(site, code)
        status = form.get("validationApprovalStatus", [])
        rec.update(layout=2, behaviour=b, status_values=status,
                   bad_fields=sorted(k for k in V2_FIELDS if form.get(k) != [want[k]]))
        rec["token_ok"] = "validationToken" not in rec["bad_fields"]
        if "REJECTED" in status:
            rec.update(status=200, rejected=True)
            self.st.log(**rec)
            return self.send(200, NOSUCCESS)
        if rec["bad_fields"] or status != ["APPROVED"] or not rec["referer_ok"]:
            rec["status"] = 422
            self.st.log(**rec)
            return self.send(422, error_page(422, "The change you wanted was rejected."))
        if b in ("v2-norefetch", "v2-hidden-success"):
            rec["status"] = 200
            self.st.log(**rec)
            return self.send(200, NOSUCCESS if b == "v2-norefetch" else HIDDEN_SUCCESS)
        with self.st.lock:
            self.st.approved.add(code)
        rec.update(status=303 if b == "v2-redirect" else 200, approved=True)
        self.st.log(**rec)
        if b == "v2-refetch":
            return self.send(200, NOSUCCESS)
        if b == "v2-answer-other":
            return self.send(200, SUCCESS.replace("{domain}", html.escape(site["domain"])).replace(
                "</div></body>", "<p>AWS account number: 999988887777</p>\n</div></body>"))
        if b == "v2-redirect":
            return self.send(303, error_page(303, "See Other"), headers=[("Location", "/approvals/done")])
        return self.send(200, SUCCESS.replace("{domain}", html.escape(site["domain"])))

    def do_HEAD(self):
        self.send(405, error_page(405, "Method Not Allowed"))

    def do_PUT(self):
        self.do_HEAD()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def finish_request(self, request, client_address):
        st = self.state
        st.tls_local.sni = None
        request.settimeout(15)
        try:
            conn = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            st.log(event="tls", ok=False, sni=st.tls_local.sni, error=str(e)[:200])
            return
        conn.acm_sni = st.tls_local.sni
        st.log(event="tls", ok=True, sni=conn.acm_sni, version=conn.version())
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser(description="fake ACM approval site")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--sites", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready")
    args = ap.parse_args()

    st = State(args)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)

    def sni(sslobj, name, _ctx):
        st.tls_local.sni = name
        return None
    ctx.sni_callback = sni

    srv = Server((args.host, args.port), Handler)
    srv.state = st
    srv.ctx = ctx

    def stop(_signum, _frame):
        st.stopping.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    st.log(event="start", port=srv.server_address[1], pid=os.getpid())
    if args.ready:
        tmp = args.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.ready)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        st.log(event="stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
