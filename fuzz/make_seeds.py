#!/usr/bin/env python3
"""Writes the fuzz seeds, DIR/<target>/, from the repository's test data (deterministic).

  message  a selection of tests/data/corpus/*.eml, plus a few variants (8-bit charset,
           RFC 2047 Subject, a forwarded message/rfc822)
  html     the text/html parts of some of those messages, and approval pages (the markups
           of tests/unit/test_page.c and the page of tests/approval/fake_acm.py)
  authres  Authentication-Results values from the corpus and tests/unit/test_authres.c
  url      good and adversarial approval URLs from tests/unit/test_recognizer.c, ARNs, regions
  config   tests/data/test.conf, tests/data/allowlist, conf/acm-milter.conf, conf/allowlist,
           and one configuration naming every key

Usage: python3 fuzz/make_seeds.py [DIR]   (default build/fuzz/seeds; run from anywhere).
It replaces DIR entirely. fuzz/replay.sh and fuzz/run.sh call it before each run, so the seeds
follow the test data and are never committed; hand-written seeds go in fuzz/seeds/<target>/.
"""
import email
import email.policy
import importlib.util
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "data", "corpus")
SEEDS = os.path.join(ROOT, "build", "fuzz", "seeds")
MAX_SEED = 64 * 1024
MAX_SEEDS = 120   # keeps the replay in make check short

MESSAGE_EMLS = [
    "new-alt-7bit-qp", "new-alt-b64", "new-alt-qp-qp", "new-html-only", "new-lf",
    "new-text-only", "new-us-ascii", "china", "china-wrong-host", "renewal",
    "acm-renewal-notice", "nested-mixed", "mime-bad-base64", "mime-no-close", "ordinary",
    "authres-folded", "authres-two", "from-display-trick", "url-wrapped", "url-homograph",
    "url-userinfo", "href-elsewhere", "repeated-label", "labels-case", "subject-old",
    "eu-wildcard-deep", "account-hyphen", "missing-certid", "region-context", "rcpt-suffix",
    # issue 9
    "href-other-host", "attach-rfc822", "html-comment-domain", "glued-account",
    "cyrillic-label", "context-nul", "subject-nul-encoded", "part-nul",
]
HTML_EMLS = ["new-alt-7bit-qp", "new-alt-b64", "china", "renewal", "href-elsewhere",
             "url-homograph", "new-html-only", "html-comment-domain", "html-script-domain"]

T_CODE = "11e23c40-7a2b-4754-a97c-1607e8e78a6c"
T_CTX = "111a222c-6e1d-4333-bbc4-40b961461df5-75732d656173742d31"
Q = "/approvals?code=" + T_CODE + "&context=" + T_CTX
H = "https://us-east-1.acm-certificates.amazon.com"
URLS = {
    "good": H + Q,
    "good-upper": "HTTPS://US-EAST-1.ACM-CERTIFICATES.AMAZON.COM" + Q,
    "good-china": "https://cn-north-1.acm-certificates.amazonaws.cn/approvals?code=" + T_CODE
                  + "&context=111a222c-6e1d-4333-bbc4-40b961461df5-636e2d6e6f7274682d31",
    "bad-http": "http://us-east-1.acm-certificates.amazon.com" + Q,
    "bad-port": "https://us-east-1.acm-certificates.amazon.com:443" + Q,
    "bad-userinfo": "https://evil.example@us-east-1.acm-certificates.amazon.com" + Q,
    "bad-suffix": "https://us-east-1.acm-certificates.amazon.com.evil.example" + Q,
    "bad-extra-param": H + Q + "&x=1",
    "bad-order": H + "/approvals?context=" + T_CTX + "&code=" + T_CODE,
    "bad-dotdot": H + "/approvals/../x?code=" + T_CODE + "&context=" + T_CTX,
    "bad-amp": H + "/approvals?code=" + T_CODE + "&amp;context=" + T_CTX,
    "bad-ctx-region": H + "/approvals?code=" + T_CODE
                      + "&context=111a222c-6e1d-4333-bbc4-40b961461df5-75732d776573742d32",
    "bad-homograph": "https://us-east-1.acm-certificates.\u0430mazon.com" + Q,
    "bad-backslash": "https://us-east-1.acm-certificates.amazon.com\\@evil.example" + Q,
    "bad-ctx-nul": H + Q + "00",
    "bad-ipv6": "https://[::1]" + Q,
    "bad-glued": H + Q + "'x",
    "arn": "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369",
    "arn-wild": "arn:*:acm:*:123456789012:certificate/*",
    "region": "us-gov-west-1",
}

AUTHRES_EXTRA = [
    "MX.Example.COM 1 (our verifier); DKIM = pass (good (nested)) "
    "header.i=\"@certificates.amazon.com\" header.b=abc; dmarc=pass",
    "mx.example.com; dkim=fail (dkim=pass header.d=certificates.amazon.com) "
    "header.d=certificates.amazon.com",
    "mx.example.com; dkim=pass reason=\"a;b\" header.d=x.example",
    "mx.example.com; none",
    "mx.example.com (unclosed; dkim=pass",
    "mx.example.com; dkim=pass reason=\"unclosed",
]

FULL_CONF = """# every key once
Socket inet:8894@127.0.0.1
AllowList /etc/acm-milter/allowlist
Recipients admin, hostmaster, owner@example.net
Mode approve
SenderAuth dkim, authres
TrustedAuthservIDs mx.example.com, mx2.example.com
SenderDomains certificates.amazon.com, certificates.amazonaws.cn
SpoolDir /var/spool/acm-milter
UserID acm-milter:postfix
PidFile /run/acm-milter/acm-milter.pid
SyslogFacility local3
LogLevel debug
ApprovalTimeout 30
RetryInterval 60
MaxAge 3d
MaxMessageSize 64m
CAFile /etc/ssl/certs/ca-certificates.crt
HTTPSProxy http://proxy.example:3128
AddHeader no
ApprovalEndpoint https://127.0.0.1:8443
DNSTimeout 5
DKIMTestKeys /etc/acm-milter/test-keys
"""


def read(path):
    with open(path, "rb") as f:
        return f.read()


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_SEED:
        sys.exit("seed %s/%s is %d bytes (> %d)" % (target, name, len(data), MAX_SEED))
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def html_parts(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            body = part.get_payload(decode=True)
            if body:
                yield body


def main():
    global SEEDS
    if len(sys.argv) > 2:
        sys.exit("usage: make_seeds.py [DIR]")
    if len(sys.argv) == 2:
        SEEDS = os.path.abspath(sys.argv[1])
    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)

    # message
    for n in MESSAGE_EMLS:
        put("message", n + ".eml", read(os.path.join(CORPUS, n + ".eml")))
    base = read(os.path.join(CORPUS, "new-alt-7bit-qp.eml")).decode("utf-8")
    latin = base.replace("charset=utf-8", "charset=iso-8859-1").replace("charset=3Dutf-8", "charset=3Diso-8859-1")
    latin = latin.replace("Greetings from", "Gr=E9etings from", 1)
    put("message", "variant-latin1.eml", latin)
    put("message", "variant-2047-subject.eml",
        re.sub(r"(?m)^Subject: .*$",
               "Subject: =?UTF-8?B?Q2VydGlmaWNhdGUgcmVxdWVzdCBmb3Igd3d3LmV4YW1wbGUuY29t?=",
               base, count=1))
    head, _, _ = base.partition("\r\n\r\n") if "\r\n\r\n" in base else base.partition("\n\n")
    fwd = ("From: someone@example.org\r\nTo: admin@example.com\r\nSubject: Fwd: request\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"fwd\"\r\n\r\n"
           "--fwd\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--fwd\r\n"
           "Content-Type: message/rfc822\r\n\r\n" + base + "\r\n--fwd--\r\n")
    put("message", "variant-forwarded.eml", fwd)

    # html
    for n in HTML_EMLS:
        for i, body in enumerate(html_parts(read(os.path.join(CORPUS, n + ".eml")))):
            put("html", "%s-%d.html" % (n, i), body)
    src = read(os.path.join(ROOT, "tests", "unit", "test_page.c")).decode("utf-8")
    arn = URLS["arn"]
    src = re.sub(r'"\s*ARN\s*"', arn, src)   # the ARN macro between two literals
    for i, m in enumerate(re.finditer(r'(?:static )?const char \w+\[\] =\s*((?:\s*"(?:[^"\\]|\\.)*")+)\s*;', src)):
        lits = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
        text = "".join(lits)
        text = re.sub(r'\\x([0-9a-fA-F]{2})', lambda x: chr(int(x.group(1), 16)), text)
        text = text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        put("html", "test-page-%d.html" % i, text)
    try:
        spec = importlib.util.spec_from_file_location(
            "fake_acm", os.path.join(ROOT, "tests", "approval", "fake_acm.py"))
        fake = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fake)
        site = {"domain": "www.example.com", "account": "123456789012", "region": "us-east-1",
                "arn": arn}
        put("html", "fake-acm-page.html", fake.page_html(site, "tok123", T_CODE, T_CTX, "ok"))
        put("html", "fake-acm-already.html", fake.ALREADY)
        put("html", "fake-acm-success.html", fake.SUCCESS.replace("{domain}", "www.example.com"))
        for v in ("v2", "v2-twobuttons", "v2-js", "v2-unknown"):   # the second layout
            put("html", "fake-acm-%s.html" % v,
                fake.v2_html(site, T_CODE, "us-east-1.acm-certificates.amazon.com", 443, v))
    except Exception as e:   # the replay must run the same inputs every time
        sys.exit("make_seeds: no fake_acm pages: %s" % e)

    # authres
    seen = []
    for n in sorted(os.listdir(CORPUS)):
        if not n.endswith(".eml"):
            continue
        msg = email.message_from_bytes(read(os.path.join(CORPUS, n)), policy=email.policy.compat32)
        for v in msg.get_all("Authentication-Results") or []:
            v = re.sub(r"\r?\n[ \t]", " ", str(v)).strip()
            if v not in seen:
                seen.append(v)
    for i, v in enumerate(seen[:8] + AUTHRES_EXTRA):
        put("authres", "ar-%02d" % i, v)

    # url
    for name, u in URLS.items():
        put("url", name, u)

    # config
    put("config", "test.conf", read(os.path.join(ROOT, "tests", "data", "test.conf")))
    put("config", "test-allowlist", read(os.path.join(ROOT, "tests", "data", "allowlist")))
    put("config", "acm-milter.conf", read(os.path.join(ROOT, "conf", "acm-milter.conf")))
    put("config", "allowlist", read(os.path.join(ROOT, "conf", "allowlist")))
    put("config", "every-key.conf", FULL_CONF)
    put("config", "allowlist-rules",
        "\n".join(l.lstrip("#") for l in read(os.path.join(ROOT, "conf", "allowlist")).decode().splitlines()
                  if l.startswith("#arn")) + "\n")

    total = sum(len(files) for _, _, files in os.walk(SEEDS))
    for t in sorted(os.listdir(SEEDS)):
        print("%-8s %d seeds" % (t, len(os.listdir(os.path.join(SEEDS, t)))))
    print("total    %d seeds" % total)
    if total > MAX_SEEDS:
        sys.exit("too many seeds: %d" % total)


if __name__ == "__main__":
    main()
