#!/usr/bin/env python3
"""Generate the acm-milter message corpus.

Writes tests/data/corpus/*.eml, tests/data/corpus/EXPECTED and tests/data/README.md from the
case table below.  Python 3 standard library only; no network; the output is byte for byte the
same on every run (identifiers are derived from SHA-256 of fixed labels, dates are fixed).

Usage (from anywhere):
  gen_corpus.py              write the committed files
  gen_corpus.py --check      exit 1 if a committed file differs from what would be generated
                             (or is missing, or an unknown *.eml lies in corpus/)
  gen_corpus.py --verify     parse every generated message with Python's email package and check
                             that each text/plain and text/html part decodes back to its template
  gen_corpus.py --runtime D  write the run-time-only messages (too-large.eml, > 1 MiB) into D
  gen_corpus.py --secrets F...  print "F<TAB>SECRET" for each validation code and context found in
                             each message F (run-corpus.sh checks that none is ever printed)

The message templates follow shared/reference/acm-validation-email.md sections 1, 2, 4 and 6.
"""

import argparse
import base64
import datetime
import email
import email.policy
import email.utils
import hashlib
import html
import os
import re
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
README = os.path.join(HERE, "README.md")
ALLOWLIST = "tests/data/allowlist"  # as written in tests/data/test.conf (rule=FILE:LINE)

ACCOUNT = "123456789012"
CN_ACCOUNT = "210987654321"
CERT = "3b4d78e1-0882-4f51-954a-298ee44ff369"
AUTHRES_OK = ("mx.example.com; dkim=pass header.d=certificates.amazon.com header.s=a1b2; "
              "dkim=pass header.d=amazonses.com; spf=pass smtp.mailfrom=bounces.certificates.amazon.com")
FROM_ACM = "Amazon Certificates <no-reply@certificates.amazon.com>"
LDQ, RDQ = "\u201c", "\u201d"  # the curly quotes of id=“region_name” in the real HTML


def fake_uuid(label):
    """A lowercase version-4 UUID derived from label (deterministic)."""
    digest = hashlib.sha256(("acm-milter corpus " + label).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def hexregion(region):
    return region.encode("ascii").hex()


def acm_host(region):
    if region.startswith("cn-"):
        return region + ".acm-certificates.amazonaws.cn"
    return region + ".acm-certificates.amazon.com"


def make_arn(region, account, cert):
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    return "arn:%s:acm:%s:%s:certificate/%s" % (partition, region, account, cert)


ARN_US = make_arn("us-east-1", ACCOUNT, CERT)

# ---------------------------------------------------------------------------------------------
# Field values of one message


class Fields:
    """Everything the templates print.  region is the base region; field_region (the "Region
    name" line), arn_region, url_region and ctx_region (the hex tail of context) default to it,
    so that a case can make exactly one of them disagree."""

    def __init__(self, name, fqdn="www.example.com", requested=None, region="us-east-1",
                 account=ACCOUNT, body_account=None, cert=CERT, field_region=None,
                 arn_region=None, arn_account=None, url_region=None, ctx_region=None,
                 url=None, text_url=None, html_url=None, href=None):
        self.fqdn = fqdn
        self.requested = requested or fqdn
        self.region = field_region or region
        self.account = body_account or account
        self.arn = make_arn(arn_region or region, arn_account or account, cert)
        self.code = fake_uuid(name + "/code")
        self.context = fake_uuid(name + "/context") + "-" + hexregion(ctx_region or region)
        # a second, equally well-formed request (for "the two parts disagree" cases)
        self.code2 = fake_uuid(name + "/code2")
        self.context2 = fake_uuid(name + "/context2") + "-" + hexregion(ctx_region or region)
        keys = dict(region=url_region or region, host=acm_host(url_region or region),
                    code=self.code, context=self.context, code2=self.code2, context2=self.context2)
        std = "https://{host}/approvals?code={code}&context={context}"
        self.url = (url or std).format(**keys)
        self.text_url = text_url.format(**keys) if text_url else self.url
        self.html_url = html_url.format(**keys) if html_url else self.url  # shown in the HTML
        self.href = href.format(**keys) if href else self.html_url  # the <a href>


# ---------------------------------------------------------------------------------------------
# Templates (section 1 of the reference; HTML markup from section 2)

LABELS = {
    "aws": ("AWS account ID", "AWS Region name"),
    "cn": ("Amazon Web Services account ID", "Amazon Web Services Region name"),
}


def text_body(f, template):
    acct, reg = LABELS["cn" if template == "cn" else "aws"]
    if template == "renewal":
        return f"""Greetings from Amazon Web Services,

We received a request to issue an SSL/TLS certificate for {f.requested}.
This email is a request to validate ownership of the domain in order to renew
the existing, currently in use, certificate. Certificates have defined
validity periods and email validated certificates, like this one, require you
to re-validate for the certificate to renew.

Verify that the following domain, AWS account ID, and certificate identifier
correspond to a request from you or someone in your organization.

Domain: {f.fqdn}
AWS account ID: {f.account}
AWS Region name: {f.region}
Certificate Identifier: {f.arn}

To approve this request, go to Amazon Certificate Approvals at
{f.text_url}
and follow the instructions on the page.

This email is intended solely for authorized individuals for {f.fqdn}. You can see
more about how AWS Certificate Manager validation works here -
https://docs.aws.amazon.com/acm/latest/userguide/email-validation.html.
To express any concerns about this email or if this email has reached you in
error, forward it along with a brief explanation of your concern to
validation-questions@amazon.com.

Sincerely,
Amazon Web Services

--
Amazon Web Services, Inc. is a subsidiary of Amazon.com, Inc. Amazon.com is a
registered trademark of Amazon.com, Inc.

This message produced and distributed by Amazon Web Services, Inc.,
410 Terry Ave. North, Seattle, WA 98109-5210.

(c)2015-2022, Amazon Web Services, Inc. or its affiliates. All rights reserved.
Our privacy policy is posted at https://aws.amazon.com/privacy
"""
    return f"""Greetings from Amazon Web Services,

We received a request to issue an SSL/TLS certificate for {f.requested}.

Verify that the following domain, {acct}, and certificate identifier correspond
to a request from you or someone in your organization.

Domain: {f.fqdn}
{acct}: {f.account}
{reg}: {f.region}
Certificate Identifier: {f.arn}

To approve this request, go to Amazon Certificate Approvals
({f.text_url})
and follow the instructions on the page.

This email is intended solely for authorized individuals for {f.fqdn}. To express any concerns
about this email or if this email has reached you in error, forward it along with a brief
explanation of your concern to validation-questions@amazon.com.

Sincerely,
Amazon Web Services
"""


def html_body(f, template, charset):
    acct, reg = LABELS["cn" if template == "cn" else "aws"]
    href = f.href.replace("&", "&amp;")
    shown = f.html_url.replace("&", "&amp;")
    link = f'<a style="color: #0073bb; text-decoration: none;" id="approval_url" href="{href}">Amazon Certificate Approvals</a>'
    if template == "renewal":
        intro = ("<br>\nThis email is a request to validate ownership of the domain in order to renew the existing, "
                 "currently in use, certificate. Certificates have defined validity periods and email validated "
                 "certificates, like this one, require you to re-validate for the certificate to renew.<br><br>\n")
        approve = f"To approve this request, go to {link} at<br>\n{shown}<br>\nand follow the instructions on the page.<br><br>\n"
        docs = ("You can see more about how AWS Certificate Manager validation works here - "
                '<a href="https://docs.aws.amazon.com/acm/latest/userguide/email-validation.html">'
                "https://docs.aws.amazon.com/acm/latest/userguide/email-validation.html</a>. ")
        footer = ("<br><br>\n--<br>\nAmazon Web Services, Inc. is a subsidiary of Amazon.com, Inc. Amazon.com is a "
                  "registered trademark of Amazon.com, Inc.<br><br>\nThis message produced and distributed by "
                  "Amazon Web Services, Inc., 410 Terry Ave. North, Seattle, WA 98109-5210.<br><br>\n"
                  "(c)2015-2022, Amazon Web Services, Inc. or its affiliates. All rights reserved. Our privacy "
                  'policy is posted at <a href="https://aws.amazon.com/privacy">https://aws.amazon.com/privacy</a>')
    else:
        intro = "<br><br>\n"
        approve = f"To approve this request, go to {link} ( {shown} ) and follow the instructions on the page.<br><br>\n"
        docs = ""
        footer = ""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<title>Domain Validation</title>
</head>
<body style="margin: 0; padding: 0;">
<table border="0" cellpadding="0" cellspacing="0" width="100%">
<tr>
<td style="padding: 20px 0 10px 20px;"><img src="https://certificates.amazon.com/aws-email-logo.png" alt="Amazon Web Services" width="110" height="40" /></td>
</tr>
<tr>
<td><img src="https://certificates.amazon.com/images/spacer.gif" width="1" height="10" alt="" /></td>
</tr>
<tr>
<td style="padding: 0 20px 20px 20px; font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #333333;">
Greetings from Amazon Web Services,<br><br>
We received a request to issue an SSL/TLS certificate for <b><span id="requested_domain">{f.requested}</span></b>.{intro}Verify that the following domain, {acct}, and certificate identifier correspond to a request from you or someone in your organization.<br><br>
Domain: <b><span id="fqdn">{f.fqdn}</span></b><br>
{acct}: <b><span id="account_id">{f.account}</span></b><br>
{reg}: <b><span id={LDQ}region_name{RDQ}>{f.region}</span></b><br>
Certificate Identifier: <b><span id="cert_id">{f.arn}</span></b><br><br>
{approve}This email is intended solely for authorized individuals for <b>{f.fqdn}</b>. {docs}To express any concerns about this email or if this email has reached you in error, forward it along with a brief explanation of your concern to <a href="mailto:validation-questions@amazon.com">validation-questions@amazon.com</a>.<br><br>
Sincerely,<br>
Amazon Web Services{footer}
</td>
</tr>
</table>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------
# Encoders


def qp_encode(text, charset, eol, breaks=()):
    """Quoted-printable (RFC 2045) with lines of at most 76 characters.  A soft line break is
    also forced in the middle of every occurrence of each string in breaks, so that soft
    breaks fall inside URLs, UUIDs and ARNs as they do in real ACM mail."""
    out = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
        final_eol = True
    else:
        final_eol = False
    for line in lines:
        forced = set()
        for b in breaks:
            start = line.find(b)
            while start >= 0:
                forced.add(start + len(b) // 2)
                start = line.find(b, start + 1)
        toks = []  # (char index, encoded token)
        for i, ch in enumerate(line):
            for byte in ch.encode(charset):
                if 33 <= byte <= 126 and byte != 61 or byte in (9, 32):
                    toks.append((i, chr(byte)))
                else:
                    toks.append((i, "=%02X" % byte))
        if toks and toks[-1][1] in (" ", "\t"):
            toks[-1] = (toks[-1][0], "=%02X" % ord(toks[-1][1]))
        cur = ""
        prev = None
        for i, tok in toks:
            if cur and ((i in forced and i != prev) or len(cur) + len(tok) > 75):
                out.append(cur + "=")
                cur = ""
            cur += tok
            prev = i
        out.append(cur)
    return eol.join(out) + (eol if final_eol else "")


def b64_encode(text, charset, eol):
    data = base64.b64encode(text.replace("\n", "\r\n").encode(charset)).decode("ascii")
    return eol.join(data[i:i + 76] for i in range(0, len(data), 76)) + eol


def encode(text, cte, charset, eol, breaks=()):
    if cte == "quoted-printable":
        return qp_encode(text, charset, eol, breaks)
    if cte == "base64":
        return b64_encode(text, charset, eol)
    text.encode("ascii" if cte == "7bit" else charset)  # raises if the CTE cannot carry it
    assert all(len(l) < 998 for l in text.split("\n"))
    return text.replace("\n", eol)


def leaf(ctype, cte, text, charset, eol, breaks=(), extra_headers=()):
    """Header lines and encoded body of one MIME leaf part (ends with eol)."""
    hdr = ["Content-Type: %s; charset=%s" % (ctype, charset), "Content-Transfer-Encoding: " + cte]
    hdr += list(extra_headers)
    return eol.join(hdr) + eol + eol + encode(text, cte, charset, eol, breaks)


def multipart(boundary, parts, eol, close=True):
    body = "".join("--" + boundary + eol + p for p in parts)
    if close:
        body += "--" + boundary + "--" + eol
    return body


def boundary_for(name, n=1):
    h = int.from_bytes(hashlib.sha256((name + str(n)).encode()).digest()[:8], "big")
    return "----=_Part_%d_%d.%d" % (h % 9000000 + 1000000, h % 900000000 + 100000000, 1741078800000 + h % 86400000)


# ---------------------------------------------------------------------------------------------
# Message assembly


def date_for(idx):
    dt = datetime.datetime(2025, 3, 4, 9, 0, 0, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=37 * idx)
    return email.utils.format_datetime(dt)


def ses_id(name):
    h = hashlib.sha256(name.encode()).hexdigest()
    return "01000195%s-%s-000000" % (h[:8], fake_uuid(name + "/ses"))


def envelope_headers(name, idx, to, from_, subject, authres, cc=None):
    sid = ses_id(name)
    qid = base64.b32encode(hashlib.sha256(("qid" + name).encode()).digest()).decode()[:12]
    fb = base64.b64encode(hashlib.sha256(("fb" + name).encode()).digest()).decode()
    date = date_for(idx)
    rcpt = to.split("<")[-1].rstrip(">").lower()
    h = ["Return-Path: <%s@bounces.certificates.amazon.com>" % sid,
         "Received: from a8-30.smtp-out.amazonses.com (a8-30.smtp-out.amazonses.com [54.240.8.30])",
         "\tby mx.example.com (Postfix) with ESMTPS id %s" % qid,
         "\tfor <%s>; %s" % (rcpt, date)]
    for ar in authres:
        h += ("Authentication-Results: " + ar).split("\n")
    h += ["Date: " + date,
          "From: " + from_,
          "To: " + to]
    if cc:
        h.append("Cc: " + cc)
    h += ["Message-ID: <%s@email.amazonses.com>" % sid,
          "Subject: " + subject,
          "MIME-Version: 1.0"]
    h += ["Feedback-ID: 1.us-east-1.%s:AmazonSES" % fb,
          "X-SES-Outgoing: 2025.03.04-54.240.8.30"]
    return h


def assemble(headers, ctype_lines, body, eol):
    """headers: list of lines; ctype_lines: the Content-* header lines of the top entity."""
    # Feedback-ID / X-SES-Outgoing come after the MIME headers in SES mail
    tail = [l for l in headers if l.startswith(("Feedback-ID:", "X-SES-Outgoing:"))]
    head = [l for l in headers if l not in tail]
    return (eol.join(head + ctype_lines + tail) + eol + eol + body).encode("utf-8")


def transform(s, subs):
    """Apply (old, new) replacements (each must match) or callables to s."""
    for sub in subs:
        if callable(sub):
            s2 = sub(s)
        else:
            old, new = sub
            assert old in s, "substitution target not found: %r" % old
            s2 = s.replace(old, new)
        assert s2 != s, "substitution changed nothing: %r" % (sub,)
        s = s2
    return s


def acm_message(name, idx, fields=None, template="new", to="admin@example.com", cc=None,
                from_=FROM_ACM, authres=(AUTHRES_OK,), subject=None, structure="alt",
                text_cte="7bit", html_cte="quoted-printable", charset="utf-8", eol="\r\n",
                text_subs=(), html_subs=(), both_subs=(), close=True, extra_parts=(),
                extra_headers=(), wrap_depth=0, text_params="", epilogue=""):
    """Build one ACM validation message; returns (bytes, info) where info holds the decoded
    text and HTML the parts must yield.  extra_headers: more header lines; wrap_depth: the
    top entity wrapped in that many more multipart/mixed levels."""
    fields = fields or {}
    if template == "cn":
        fields = dict(dict(fqdn="www.example.cn", region="cn-north-1", account=CN_ACCOUNT,
                           cert=fake_uuid("cert cn-north-1")), **fields)
    f = Fields(name, **fields)
    text = transform(text_body(f, template), tuple(both_subs) + tuple(text_subs))
    htm = transform(html_body(f, template, charset), tuple(both_subs) + tuple(html_subs))
    subject = subject or "Certificate request for " + f.fqdn
    # soft breaks inside the host, the code, the context and the ARN (section 2 of the reference)
    breaks = [f.code, f.context, f.arn, "acm-certificates.amazon"]
    text_part = leaf("text/plain", text_cte, text, charset + text_params, eol, breaks)
    html_part = leaf("text/html", html_cte, htm, charset, eol, breaks)
    b1 = boundary_for(name)
    if structure == "text":
        top, body = text_part.split(eol + eol, 1)
        ctype, parts = top.split(eol), None
    elif structure == "html":
        top, body = html_part.split(eol + eol, 1)
        ctype, parts = top.split(eol), None
    elif structure == "alt":
        ctype = ["Content-Type: multipart/alternative; ", '\tboundary="%s"' % b1]
        body = multipart(b1, [text_part, html_part], eol, close)
    elif structure == "mixed":
        b2 = boundary_for(name, 2)
        alt = ("Content-Type: multipart/alternative; " + eol + '\tboundary="%s"' % b2 + eol + eol
               + multipart(b2, [text_part, html_part], eol))
        ctype = ["Content-Type: multipart/mixed; ", '\tboundary="%s"' % b1]
        body = multipart(b1, [alt] + [p(eol) for p in extra_parts], eol, close)
    else:
        raise ValueError(structure)
    if epilogue:
        body += epilogue.replace("\n", eol)
    for level in range(wrap_depth):
        bw = boundary_for(name, 100 + level)
        inner = eol.join(ctype) + eol + eol + body
        ctype = ["Content-Type: multipart/mixed; ", '\tboundary="%s"' % bw]
        body = multipart(bw, [inner], eol)
    hdr = envelope_headers(name, idx, to, from_, subject, authres, cc) + list(extra_headers)
    qp = [p for p, cte, kind in ((text_part, text_cte, "text"), (html_part, html_cte, "html"))
          if cte == "quoted-printable" and structure in ("alt", "mixed", kind)]
    info = {"text": text if structure != "html" else None,
            "html": htm if structure != "text" else None,
            "qp": qp, "split": [f.arn, f.code, f.context]}
    return assemble(hdr, ctype, body, eol), info


def footer_part(eol):
    return leaf("text/plain", "7bit", "-- \nThis message was scanned by the example.com mail gateway.\n",
                "us-ascii", eol, extra_headers=["Content-Disposition: inline"])


def padding_part(eol):
    """About 1.2 MiB of deterministic bytes as a base64 attachment (> 1 MiB body)."""
    blocks, seed = [], b"acm-milter padding"
    for _ in range(1200 * 1024 // 32):
        seed = hashlib.sha256(seed).digest()
        blocks.append(seed)
    data = base64.b64encode(b"".join(blocks)).decode()
    return ("Content-Type: application/octet-stream; name=\"padding.bin\"" + eol
            + "Content-Transfer-Encoding: base64" + eol
            + "Content-Disposition: attachment; filename=\"padding.bin\"" + eol + eol
            + eol.join(data[i:i + 76] for i in range(0, len(data), 76)) + eol)


# --- the messages that are not ACM validation requests ---------------------------------------


def renewal_notice(name, idx):
    """ACM 'Action Required - Your certificate renewal' notice: ACM fields, no approval link."""
    text = f"""Greetings from Amazon Web Services,

You have an AWS Certificate Manager (ACM) provided SSL/TLS certificate in your AWS account that
expires on Apr 03, 2025 at 12:00:00 UTC. That certificate has the following domains:
www.example.com

AWS account ID: {ACCOUNT}
AWS Region name: us-east-1
Certificate identifier: {ARN_US}

Therefore, ACM has initiated the process to renew this certificate. You must take the action
below before Apr 03, 2025 at 12:00:00 UTC to avoid certificate expiration, which might cause
your website to become unreachable.

To complete the renewal of this certificate, the domain owners must use the approval link that
was sent in separate validation request emails. Those emails were last sent on Feb 17, 2025 at
12:11:48 UTC. You can review the certificate in the ACM console:
https://console.aws.amazon.com/acm/home?region=us-east-1#/certificates/{CERT}

Sincerely,
Amazon Web Services
"""
    eol = "\r\n"
    hdr = envelope_headers(name, idx, "admin@example.com", "Amazon Web Services <no-reply-aws@amazon.com>",
                           "Action Required - Your certificate renewal", (AUTHRES_OK,))
    top, body = leaf("text/plain", "7bit", text, "utf-8", eol).split(eol + eol, 1)
    return assemble(hdr, top.split(eol), body, eol), {"text": text, "html": None, "split": []}


def ordinary(name, idx):
    text = """Hi,

the agenda for Thursday's meeting is at https://www.example.org/meetings/2025-03-06
and the minutes of the last one are attached to the ticket.

See you there,
Alice
"""
    eol = "\r\n"
    h = ["Return-Path: <alice@example.org>",
         "Received: from mail.example.org (mail.example.org [192.0.2.25])",
         "\tby mx.example.com (Postfix) with ESMTPS id 4Xb2kq2ZRnz9tc",
         "\tfor <someone@example.com>; " + date_for(idx),
         "Authentication-Results: mx.example.com; dkim=pass header.d=example.org header.s=s1; spf=pass smtp.mailfrom=example.org",
         "Date: " + date_for(idx),
         "From: Alice Example <alice@example.org>",
         "To: someone@example.com",
         "Message-ID: <20250304091500.4711@mail.example.org>",
         "Subject: Agenda for Thursday",
         "MIME-Version: 1.0"]
    return assemble(h, ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"],
                    text.replace("\n", eol), eol), {"text": text, "html": None, "split": []}


def bad_base64(name, idx):
    """An ACM-looking message whose only part is declared base64 but is garbage."""
    eol = "\r\n"
    hdr = envelope_headers(name, idx, "admin@example.com", FROM_ACM,
                           "Certificate request for www.example.com", (AUTHRES_OK,))
    garbage = ["R3JlZXRpbmdz!!ZnJvbSBB@@@bWF6b24=gV2Vi===IFNlcnZpY2Vz",
               "this is not base64 at all: ~~~ ### $$$ %%% ^^^ &&& ***",
               "====QUJD====REVG====",
               "\u00ff\u00fe garbage with bytes outside the base64 alphabet \u00e9\u00e8",
               "A"]
    body = eol.join(garbage) + eol
    return assemble(hdr, ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"],
                    body, eol), {"text": None, "html": None, "split": [], "malformed": True}


# ---------------------------------------------------------------------------------------------
# Transformations used by several cases


def blank_lines_hold_space(t):
    return "\n".join(" " if l == "" else l for l in t.split("\n")[:-1]) + "\n"


def trailing_spaces(t):
    return "\n".join(l + ("  " if i % 2 else " ") if l else l for i, l in enumerate(t.split("\n")[:-1])) + "\n"


def wrap_url_in_context(t):
    """A relay hard-wrapped the URL line; the break falls inside the context value."""
    m = re.search(r"\((https://[^)\s]+)\)", t)
    url = m.group(1)
    cut = url.index("context=") + len("context=") + 20
    return t.replace(m.group(0), "(" + url[:cut] + "\n" + url[cut:] + ")")


def drop_line(prefix):
    def sub(t):
        return re.sub(r"(?m)^" + re.escape(prefix) + r".*\n", "", t)
    return sub


def eu(cert_label, **kw):
    return dict(dict(region="eu-west-1", cert=fake_uuid(cert_label)), **kw)


HDR_FOLDED = ("mx.example.com;\n\tdkim=pass header.d=certificates.amazon.com header.s=a1b2;\n"
              "\tdkim=pass header.d=amazonses.com;\n\tspf=pass smtp.mailfrom=bounces.certificates.amazon.com")
EVIL_URL = "https://{region}.acm-certificates.amazon.com.evil.example/approvals?code={code}&context={context}"

# --- issue 9 helpers --------------------------------------------------------------------------

FIELD_SPOTS = {  # kind: (text before, html before) for the standard www.example.com us-east-1 request
    "domain": ("Domain: www.example.com\n", '<span id="fqdn">www.example.com</span>', "Domain: %s\n", '<span id="fqdn">%s</span>'),
    "account": ("AWS account ID: %s\n" % ACCOUNT, '<span id="account_id">%s</span>' % ACCOUNT,
                "AWS account ID: %s\n", '<span id="account_id">%s</span>'),
    "region": ("AWS Region name: us-east-1\n", "region_name%s>us-east-1</span>" % RDQ,
               "AWS Region name: %s\n", "region_name" + RDQ + ">%s</span>"),
    "cert": ("Certificate Identifier: %s\n" % ARN_US, '<span id="cert_id">%s</span>' % ARN_US,
             "Certificate Identifier: %s\n", '<span id="cert_id">%s</span>'),
    "requested": ("certificate for www.example.com.", '<span id="requested_domain">www.example.com</span>',
                  "certificate for %s.", '<span id="requested_domain">%s</span>'),
}


def field_text(kind, value):
    t_old, _h_old, t_new, _h_new = FIELD_SPOTS[kind]
    return dict(text_subs=[(t_old, t_new % value)])


def field_both(kind, value):
    t_old, h_old, t_new, h_new = FIELD_SPOTS[kind]
    return dict(text_subs=[(t_old, t_new % value)], html_subs=[(h_old, h_new % html.escape(value, quote=False))])


def attach_part(text, eol, disp='attachment; filename="note.txt"'):
    return leaf("text/plain", "8bit" if any(ord(c) > 127 for c in text) else "7bit", text, "utf-8", eol,
                extra_headers=["Content-Disposition: " + disp])


def other_template():
    f = Fields("attach-template/other", account="111122223333")
    return text_body(f, "new")


def rfc822_part(eol):
    inner, _info = acm_message("attach-rfc822/inner", 0, fields=dict(account="111122223333"))
    return ("Content-Type: message/rfc822" + eol + "Content-Disposition: attachment" + eol + eol
            + inner.decode("utf-8"))


BANNER_TEXT = ("[EXTERNAL] This message came from outside example.com. Learn why this is important at\n"
               "https://security.example.com/external-mail\n\n")
BANNER_HTML = ('<p style="background:#ffeb9c">[EXTERNAL] This message came from outside example.com. '
               '<a href="https://security.example.com/external-mail">Learn why this is important</a></p>\n')


def rewrap(t, width=72, flowed=False):
    """What a relay that re-wraps long lines does: break at the last space before the width,
    hard-break a longer word.  flowed: as RFC 3676 does it, the space stays at the end of the
    broken line and a word longer than the width is left whole."""
    out = []
    for line in t.split("\n"):
        while len(line) > width:
            cut = line.rfind(" ", 0, width + 1)
            if cut <= 0 and flowed:
                cut = line.find(" ", width)
                if cut < 0:
                    break
            if cut <= 0:
                out.append(line[:width])
                line = line[width:]
            else:
                out.append(line[:cut] + (" " if flowed else ""))
                line = line[cut + 1:]
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The case table: (file stem, decision, reason, expectations/arguments, README note, builder kw)

OK_US = "domain=www.example.com account=%s region=us-east-1 arn=%s rule=%s:1" % (ACCOUNT, ARN_US, ALLOWLIST)


def padded(stem, idx, soft_only, **kw):
    """An acm_message whose QP soft line breaks (soft_only) or every body line end got
    transport padding (blanks before the line end) from a relay (RFC 2045 6.7 (3))."""
    data, info = acm_message(stem, idx, **kw)
    head, sep, body = data.partition(b"\r\n\r\n")
    if soft_only:
        body = body.replace(b"=\r\n", b"= \t \r\n")
    else:
        body = re.sub(rb"(?<=[^\r\n])\r\n", b" \t\r\n", body)   # empty lines stay empty
    return head + sep + body, dict(info, qp=[], padded=True)


def edited(stem, idx, edits, **kw):
    """An acm_message with byte replacements (OLD, NEW, first occurrence each): a structure
    no parser need read back as its template."""
    data, info = acm_message(stem, idx, **kw)
    for old, new in edits:
        assert old in data, old
        data = data.replace(old, new, 1)
    return data, dict(info, malformed=True)


def blank_ended_boundary(stem, idx):
    """An acm_message whose boundary parameter and delimiter lines end in a blank."""
    data, info = acm_message(stem, idx)
    b = boundary_for(stem).encode()
    data = data.replace(b'boundary="' + b + b'"', b'boundary="' + b + b' "', 1)
    data = data.replace(b"--" + b + b"\r\n", b"--" + b + b" \r\n").replace(b"--" + b + b"--", b"--" + b + b" --")
    return data, dict(info, malformed=True)


def ok_eu(fqdn):
    return "domain=%s account=%s region=eu-west-1 arn=%s rule=%s:2" % (
        fqdn, ACCOUNT, make_arn("eu-west-1", ACCOUNT, fake_uuid("cert eu-west-1 " + fqdn)), ALLOWLIST)


CASES = [
    # ----- positive: every one must be approved ---------------------------------------------
    ("new-alt-7bit-qp", "approve", "allowlisted", OK_US + " rcpt=admin@example.com !renewal=yes",
     "reference message: new-certificate template, text/plain 7bit + text/html quoted-printable with soft breaks inside host, code, context and ARN",
     {}),
    ("new-alt-b64", "approve", "allowlisted", OK_US,
     "both parts base64; To Administrator@example.com",
     dict(text_cte="base64", html_cte="base64", to="Administrator@example.com")),
    ("new-alt-qp-qp", "approve", "allowlisted", OK_US,
     "text part quoted-printable too, soft breaks inside URL and ARN; To hostmaster@EXAMPLE.COM",
     dict(text_cte="quoted-printable", to="hostmaster@EXAMPLE.COM")),
    ("new-text-only", "approve", "allowlisted", OK_US,
     "single text/plain part (7bit); To postmaster@example.com",
     dict(structure="text", to="postmaster@example.com")),
    ("new-html-only", "approve", "allowlisted", OK_US,
     "single text/html part (quoted-printable); To webmaster@example.com",
     dict(structure="html", to="webmaster@example.com")),
    ("new-us-ascii", "approve", "allowlisted", OK_US,
     "charset=us-ascii in both parts (straight quotes in the region span); To ADMIN@example.com",
     dict(charset="us-ascii", to="ADMIN@example.com",
          html_subs=[("id=%sregion_name%s" % (LDQ, RDQ), 'id="region_name"')])),
    ("new-lf", "approve", "allowlisted", OK_US,
     "LF-only line endings everywhere (all other files use CRLF); To admin@Example.com",
     dict(eol="\n", to="admin@Example.com")),
    ("renewal", "approve", "allowlisted", OK_US + " renewal=yes",
     "renewal template: URL on its own line after \"Approvals at\", docs link and legal footer",
     dict(template="renewal", to="Hostmaster@example.com")),
    ("china", "approve", "allowlisted",
     "domain=www.example.cn account=%s region=cn-north-1 arn=%s rule=%s:3" % (
         CN_ACCOUNT, make_arn("cn-north-1", CN_ACCOUNT, fake_uuid("cert cn-north-1")), ALLOWLIST),
     "China template (Amazon Web Services account ID / Region name labels), host cn-north-1.acm-certificates.amazonaws.cn, aws-cn rule",
     dict(template="cn", to="admin@example.cn")),
    ("eu-wildcard-www", "approve", "allowlisted", ok_eu("www.example.com"),
     "eu-west-1 certificate, www.example.com under the wildcard rule (*.example.com)",
     dict(fields=eu("cert eu-west-1 www.example.com"), to="webmaster@example.com")),
    ("eu-wildcard-apex", "approve", "allowlisted", ok_eu("example.com"),
     "eu-west-1 certificate, example.com under the wildcard rule (exact name)",
     dict(fields=eu("cert eu-west-1 example.com", fqdn="example.com"), to="postmaster@example.com")),
    ("eu-wildcard-deep", "approve", "allowlisted", ok_eu("a.b.example.com"),
     "eu-west-1 certificate, a.b.example.com (two labels below) under the wildcard rule; To administrator@b.example.com",
     dict(fields=eu("cert eu-west-1 a.b.example.com", fqdn="a.b.example.com"), to="administrator@b.example.com")),
    ("account-hyphen", "approve", "allowlisted", OK_US,
     "account written 1234-5678-9012 in the body (old style), plain digits in the ARN",
     dict(fields=dict(body_account="1234-5678-9012"), to="Webmaster@example.com")),
    ("labels-case", "approve", "allowlisted", OK_US,
     "labels in other case: \"Certificate identifier:\" and \"aws account id:\"",
     dict(both_subs=[("Certificate Identifier:", "Certificate identifier:"),
                     ("AWS account ID:", "aws account id:")], to="POSTMASTER@EXAMPLE.COM")),
    ("nested-mixed", "approve", "allowlisted", OK_US,
     "multipart/mixed holding the multipart/alternative plus a gateway footer part",
     dict(structure="mixed", extra_parts=[footer_part], to="admin@example.com")),
    ("blank-space", "approve", "allowlisted", OK_US,
     "blank lines of the text part hold a single space (as in the real 2017 mail)",
     dict(text_subs=[blank_lines_hold_space], to="hostmaster@example.com")),
    ("trailing-space", "approve", "allowlisted", OK_US,
     "every line of the text part ends in one or two spaces, values included",
     dict(text_subs=[trailing_spaces], to="webmaster@example.com")),
    ("url-wrapped", "approve", "allowlisted", OK_US,
     "a relay hard-wrapped the URL of the text part inside the context value; HTML part intact",
     dict(text_subs=[wrap_url_in_context], to="administrator@example.com")),
    ("subject-old", "approve", "allowlisted", OK_US,
     "old subject \"Certificate approval for www.example.com\"",
     dict(subject="Certificate approval for www.example.com", to="postmaster@example.com")),
    ("authres-folded", "approve", "allowlisted", OK_US,
     "Authentication-Results folded over four lines (as OpenDKIM/OpenDMARC write it)",
     dict(authres=(HDR_FOLDED,), to="admin@example.com")),

    # ----- not allowlisted -------------------------------------------------------------------
    ("notallow-account", "deny", "not-allowlisted",
     "domain=www.example.com arn=" + make_arn("us-east-1", "111122223333", CERT),
     "account 111122223333 (body and ARN agree), no rule for it",
     dict(fields=dict(account="111122223333"))),
    ("notallow-region", "deny", "not-allowlisted",
     "domain=www.example.com arn=" + make_arn("us-west-2", ACCOUNT, CERT),
     "us-west-2 (all fields agree), no rule for that region",
     dict(fields=dict(region="us-west-2"))),
    ("notallow-cert", "deny", "not-allowlisted",
     "domain=www.example.com arn=" + make_arn("us-east-1", ACCOUNT, fake_uuid("cert other")),
     "us-east-1 certificate other than the one the single-certificate rule names",
     dict(fields=dict(cert=fake_uuid("cert other")))),
    ("notallow-domain", "deny", "not-allowlisted",
     "domain=www.other.org arn=" + make_arn("eu-west-1", ACCOUNT, fake_uuid("cert eu-west-1 www.other.org")),
     "eu-west-1 certificate for www.other.org (To admin@other.org): the rule lists only example.com names",
     dict(fields=eu("cert eu-west-1 www.other.org", fqdn="www.other.org"), to="admin@other.org")),

    # ----- bad URLs ----------------------------------------------------------------------------
    ("lookalike-suffix", "deny", "bad-url", "",
     "approval host us-east-1.acm-certificates.amazon.com.evil.example",
     dict(fields=dict(url=EVIL_URL))),
    ("lookalike-hyphen", "deny", "bad-url", "",
     "approval host us-east-1.acm-certificates-amazon.com",
     dict(fields=dict(url="https://{region}.acm-certificates-amazon.com/approvals?code={code}&context={context}"))),
    ("lookalike-tld", "deny", "bad-url", "",
     "approval host us-east-1.acm-certificates.amazon.com.evil",
     dict(fields=dict(url="https://{host}.evil/approvals?code={code}&context={context}"))),
    ("url-userinfo", "deny", "bad-url", "",
     "https://us-east-1.acm-certificates.amazon.com@evil.example/approvals?... (userinfo)",
     dict(fields=dict(url="https://{host}@evil.example/approvals?code={code}&context={context}"))),
    ("url-port", "deny", "bad-url", "",
     "explicit port :8443",
     dict(fields=dict(url="https://{host}:8443/approvals?code={code}&context={context}"))),
    ("url-http", "deny", "bad-url", "",
     "http:// instead of https://",
     dict(fields=dict(url="http://{host}/approvals?code={code}&context={context}"))),
    ("url-extra-param", "deny", "bad-url", "",
     "extra query parameter &lang=en after context",
     dict(fields=dict(url="https://{host}/approvals?code={code}&context={context}&lang=en"))),
    ("url-dotdot", "deny", "bad-url", "",
     "path /approvals/../x",
     dict(fields=dict(url="https://{host}/approvals/../x?code={code}&context={context}"))),
    ("url-double-slash", "deny", "bad-url", "",
     "path //approvals",
     dict(fields=dict(url="https://{host}//approvals?code={code}&context={context}"))),
    ("url-pct2f", "deny", "bad-url", "",
     "path /approvals%2f..%2fx (percent-encoded slash)",
     dict(fields=dict(url="https://{host}/approvals%2f..%2fx?code={code}&context={context}"))),
    ("url-homograph", "deny", "bad-url", "",
     "host us-east-1.acm-certificates.\u0430mazon.com with a Cyrillic \u0430 (U+0430), utf-8, both parts quoted-printable",
     dict(fields=dict(url="https://{region}.acm-certificates.\u0430mazon.com/approvals?code={code}&context={context}"),
          text_cte="quoted-printable")),
    ("china-wrong-host", "deny", "bad-url", "",
     "China template and cn-north-1 ARN but the commercial host cn-north-1.acm-certificates.amazon.com",
     dict(template="cn", to="admin@example.cn",
          fields=dict(url="https://{region}.acm-certificates.amazon.com/approvals?code={code}&context={context}"))),
    ("href-elsewhere", "deny", "bad-url", "",
     "HTML <a href> points to evil.example while the visible text (and the text part) show the right URL",
     dict(fields=dict(href="https://evil.example/approvals?code={code}&context={context}"))),

    # ----- inconsistent ------------------------------------------------------------------------
    ("region-url", "deny", "inconsistent", "",
     "URL host region eu-west-1; Region field, ARN and context tail us-east-1",
     dict(fields=dict(url_region="eu-west-1"))),
    ("region-field", "deny", "inconsistent", "",
     "\"AWS Region name: us-west-2\"; URL, ARN and context tail us-east-1",
     dict(fields=dict(field_region="us-west-2"))),
    ("region-arn", "deny", "inconsistent", "",
     "ARN region eu-west-1 (the eu-west-1 wildcard rule would match it); the rest us-east-1",
     dict(fields=dict(arn_region="eu-west-1"))),
    ("region-context", "deny", "inconsistent", "",
     "context tail is hex(\"us-west-2\"); the rest us-east-1",
     dict(fields=dict(ctx_region="us-west-2"))),
    ("account-mismatch", "deny", "inconsistent", "",
     "body account 999988887777, ARN account 123456789012 (the allowlisted ARN)",
     dict(fields=dict(body_account="999988887777"))),
    ("parts-domain", "deny", "inconsistent", "",
     "text part says www.example.com, HTML part www.example.net",
     dict(html_subs=[("www.example.com", "www.example.net")])),
    ("parts-url", "deny", "inconsistent", "",
     "text part and HTML part carry different (each well-formed) approval URLs",
     dict(fields=dict(html_url="https://{host}/approvals?code={code2}&context={context2}"))),
    ("href-other-code", "deny", "inconsistent", "",
     "HTML <a href> is a well-formed ACM URL with another code/context than the visible text and the text part",
     dict(fields=dict(href="https://{host}/approvals?code={code2}&context={context2}"))),
    ("subject-mismatch", "deny", "inconsistent", "",
     "Subject names www.other.org; body www.example.com",
     dict(subject="Certificate request for www.other.org")),
    ("repeated-label", "deny", "inconsistent", "",
     "a second \"Domain:\" line with another value (www.evil.example) in both parts",
     dict(text_subs=[("Certificate Identifier:", "Domain: www.evil.example\nCertificate Identifier:")],
          html_subs=[("Certificate Identifier:", "Domain: <b>www.evil.example</b><br>\nCertificate Identifier:")])),

    # ----- incomplete --------------------------------------------------------------------------
    ("missing-account", "deny", "incomplete", "",
     "approval link present, no account line in either part",
     dict(text_subs=[drop_line("AWS account ID:")], html_subs=[drop_line("AWS account ID:")])),
    ("missing-certid", "deny", "incomplete", "",
     "approval link present, no Certificate Identifier line in either part",
     dict(text_subs=[drop_line("Certificate Identifier:")], html_subs=[drop_line("Certificate Identifier:")])),

    # ----- domain mismatch ---------------------------------------------------------------------
    ("rcpt-mismatch", "deny", "domain-mismatch", "",
     "www.example.com (allowlisted certificate) sent To admin@other.org",
     dict(to="admin@other.org")),
    ("rcpt-suffix", "deny", "domain-mismatch", "",
     "www.badexample.com (allowlisted certificate) To admin@example.com: a string suffix, not a label suffix",
     dict(fields=dict(fqdn="www.badexample.com"))),

    # ----- unauthenticated ---------------------------------------------------------------------
    ("forged-no-authres", "deny", "unauthenticated", "",
     "no Authentication-Results header",
     dict(authres=())),
    ("authres-untrusted", "deny", "unauthenticated", "",
     "Authentication-Results from authserv-id mx.evil.example (not trusted)",
     dict(authres=(AUTHRES_OK.replace("mx.example.com", "mx.evil.example"),))),
    ("authres-two", "deny", "unauthenticated", "",
     "the trusted Authentication-Results (on top) says dkim=fail, an untrusted one below it says dkim=pass",
     dict(authres=(AUTHRES_OK.replace("dkim=pass", "dkim=fail"),
                   AUTHRES_OK.replace("mx.example.com", "relay.evil.example")))),
    ("dkim-fail", "deny", "unauthenticated", "",
     "dkim=fail for certificates.amazon.com and amazonses.com",
     dict(authres=(AUTHRES_OK.replace("dkim=pass", "dkim=fail"),))),
    ("dkim-ses-only", "deny", "unauthenticated", "",
     "dkim=pass only for amazonses.com",
     dict(authres=("mx.example.com; dkim=pass header.d=amazonses.com; spf=pass smtp.mailfrom=bounces.certificates.amazon.com",))),
    ("dkim-lookalike-d", "deny", "unauthenticated", "",
     "dkim=pass header.d=certificates.amazon.com.evil.example",
     dict(authres=(AUTHRES_OK.replace("header.d=certificates.amazon.com", "header.d=certificates.amazon.com.evil.example"),))),
    ("from-other", "deny", "unauthenticated", "",
     "From no-reply@certificates-amazon.com (not @certificates.amazon.com)",
     dict(from_="Amazon Certificates <no-reply@certificates-amazon.com>")),
    ("from-display-trick", "deny", "unauthenticated", "",
     "From \"no-reply@certificates.amazon.com\" <attacker@evil.example>: the address is the part in <>",
     dict(from_='"no-reply@certificates.amazon.com" <attacker@evil.example>')),

    # ----- not ACM -----------------------------------------------------------------------------
    ("acm-renewal-notice", "ignore", "not-acm", "",
     "ACM \"Action Required - Your certificate renewal\" notice: ACM fields, \"Certificate identifier: arn:...\", no approval link",
     dict(builder=renewal_notice)),
    ("ordinary", "ignore", "not-acm", "-r admin@example.com",
     "ordinary message To someone@example.com (never looked at by the daemon); evaluated with -r admin@example.com",
     dict(builder=ordinary)),

    # ----- malformed MIME (must not crash) -----------------------------------------------------
    ("mime-no-close", "deny", "malformed", "",
     "multipart/alternative without its closing boundary, otherwise an allowlisted request (corpus choice, see above)",
     dict(close=False)),
    ("mime-bad-base64", "ignore", "not-acm|malformed", "",
     "only part declared base64 but holding garbage: no approval link can be decoded (see above)",
     dict(builder=bad_base64)),

    # ----- issue 9, class 1: one reading per part, every part read -----------------------------
    ("href-other-host", "deny", "bad-url", "detail=approval-link",
     "HTML <a href> of the approval link points to https://evil.example/x (nothing approval-like); text part and shown URL genuine",
     dict(fields=dict(href="https://evil.example/x"))),
    ("href-ipv6", "deny", "bad-url", "detail=approval-link",
     "HTML <a href> is https://[2001:db8::1]/approvals?... (an IPv6 literal); text part genuine",
     dict(fields=dict(href="https://[2001:db8::1]/approvals?code={code}&context={context}"))),
    ("html-shown-other", "deny", "bad-url", "detail=approval-link",
     "the URL shown next to the HTML <a> is https://evil.example/approve; the <a href> and the text part genuine",
     dict(fields=dict(html_url="https://evil.example/approve", href="https://{host}/approvals?code={code}&context={context}"))),
    ("text-url-ipv6", "deny", "bad-url", "detail=approval-link",
     "text part URL is https://[::1]/approvals?... (the tokenizer used to stop at '['); HTML part genuine",
     dict(fields=dict(text_url="https://[::1]/approvals?code={code}&context={context}"))),
    ("text-url-other-host", "deny", "bad-url", "detail=approval-link",
     "text part URL is https://evil.example/approve (nothing approval-like); HTML part genuine",
     dict(fields=dict(text_url="https://evil.example/approve"))),
    ("text-url-cut-quote", "deny", "bad-url", "detail=approval-link",
     "text part URL has 'x glued after the context (a character the old tokenizer stopped at)",
     dict(fields=dict(text_url="https://{host}/approvals?code={code}&context={context}'x"))),
    ("text-url-cut-brace", "deny", "bad-url", "detail=approval-link",
     "text part URL has {.evil} glued after the context",
     dict(fields=dict(text_url="https://{host}/approvals?code={code}&context={context}{{.evil}}"))),
    ("text-url-backslash", "deny", "bad-url", "detail=approval-link",
     "text part URL written with backslashes (https:\\\\host\\approvals...), which browsers read as slashes",
     dict(fields=dict(text_url="https:\\\\{host}\\approvals?code={code}&context={context}"))),
    ("text-url-pct-host", "deny", "bad-url", "detail=approval-link",
     "text part URL host percent-encoded (us-east-1.acm-certificates.amazon%2ecom)",
     dict(fields=dict(text_url="https://{region}.acm-certificates.amazon%2ecom/approvals?code={code}&context={context}"))),
    ("text-url-no-scheme", "deny", "bad-url", "detail=approval-link",
     "text part URL without its scheme (us-east-1.acm-certificates.amazon.com/approvals?...)",
     dict(fields=dict(text_url="{host}/approvals?code={code}&context={context}"))),
    ("html-no-link", "deny", "bad-url", "detail=approval-link",
     "HTML part carries the template but neither the approval <a> nor the shown URL (the next link is the mailto:); the text part has the genuine link",
     dict(html_subs=[lambda t: re.sub(r"To approve this request, go to .*? and follow", "To approve this request, go to Amazon Certificate Approvals and follow", t)])),
    ("html-missing-account", "deny", "inconsistent", "detail=account-missing-in-part",
     "HTML part lacks the account line that the text part has",
     dict(html_subs=[drop_line("AWS account ID:")])),
    ("attach-domain", "deny", "inconsistent", "detail=domain-differs",
     "a text/plain attachment (Content-Disposition: attachment) says Domain: www.evil.example",
     dict(structure="mixed", extra_parts=[lambda eol: attach_part("Domain: www.evil.example\n", eol)])),
    ("attach-template", "deny", "inconsistent", "detail=account-differs",
     "a text/plain attachment carries the whole template for account 111122223333 with another approval URL",
     dict(structure="mixed", extra_parts=[lambda eol: attach_part(other_template(), eol)])),
    ("attach-fields-no-link", "deny", "inconsistent", "detail=approval-link-missing-in-part",
     "a text/plain attachment repeats the four labelled fields (same values) without an approval link",
     dict(structure="mixed", extra_parts=[lambda eol: attach_part(
         "Domain: www.example.com\nAWS account ID: %s\nAWS Region name: us-east-1\nCertificate Identifier: %s\n" % (ACCOUNT, ARN_US), eol)])),
    ("inline-after-alt", "deny", "inconsistent", "detail=account-differs",
     "an inline text/plain part after the alternative says AWS account ID: 111122223333",
     dict(structure="mixed", extra_parts=[lambda eol: attach_part("AWS account ID: 111122223333\n", eol, "inline")])),
    ("attach-rfc822", "deny", "inconsistent", "detail=account-differs",
     "an attached message/rfc822 holds an ACM request for account 111122223333",
     dict(structure="mixed", extra_parts=[rfc822_part])),
    ("html-comment-domain", "deny", "inconsistent", "detail=domain-differs",
     "an HTML comment holds Domain: www.evil.example",
     dict(html_subs=[("</body>", "<!--\nDomain: www.evil.example\n-->\n</body>")])),
    ("html-comment-url", "deny", "inconsistent", "detail=url-differs",
     "an HTML comment holds a second well-formed approval URL (another code)",
     dict(html_subs=[lambda t: t.replace("</body>", "<!-- %s -->\n</body>" % Fields("html-comment-url").url.replace(
         Fields("html-comment-url").code, fake_uuid("html-comment-url/code2")))])),
    ("html-title-account", "deny", "inconsistent", "detail=account-differs",
     "the HTML <title> says AWS account ID: 111122223333",
     dict(html_subs=[("<title>Domain Validation</title>", "<title>AWS account ID: 111122223333</title>")])),
    ("html-hidden-domain", "deny", "inconsistent", "detail=domain-differs",
     "a display:none <div> in the HTML says Domain: www.evil.example",
     dict(html_subs=[("</body>", '<div style="display:none">Domain: www.evil.example</div>\n</body>')])),
    ("html-noscript-domain", "deny", "inconsistent", "detail=domain-differs",
     "a <noscript> in the HTML says Domain: www.evil.example",
     dict(html_subs=[("</body>", "<noscript>Domain: www.evil.example</noscript>\n</body>")])),
    ("html-script-domain", "deny", "inconsistent", "detail=domain-differs",
     "a <script> in the HTML holds Domain: www.evil.example",
     dict(html_subs=[("</head>", "<script>\nDomain: www.evil.example\n</script>\n</head>")])),
    ("banner-link", "approve", "allowlisted", OK_US,
     "a gateway put an [EXTERNAL] banner with a link at the top of both parts (before the approval sentence)",
     dict(text_subs=[lambda t: BANNER_TEXT + t],
          html_subs=[("<body style=\"margin: 0; padding: 0;\">", "<body style=\"margin: 0; padding: 0;\">" + BANNER_HTML)])),
    ("footer-link", "approve", "allowlisted", OK_US,
     "multipart/mixed: the alternative plus a gateway footer part with a link",
     dict(structure="mixed", extra_parts=[lambda eol: attach_part("-- \nScanned by the example.com gateway: https://www.example.com/mail-policy\n", eol, "inline")])),
    ("rewrapped", "approve", "allowlisted", OK_US,
     "a relay re-wrapped the text part at 72 columns (at spaces; the URL and ARN hard-broken)",
     dict(text_subs=[rewrap])),
    ("deeper-nesting", "approve", "allowlisted", OK_US,
     "the alternative wrapped in three more multipart/mixed levels (as list servers and gateways do)",
     dict(wrap_depth=3)),

    # ----- issue 9, class 2: a value is the whole token ---------------------------------------
    ("html-label-cut-comment", "deny", "inconsistent", "detail=domain-differs",
     "an HTML comment cuts a second Domain label in two (Dom<!-- -->ain: www.evil.example): a reader sees the label",
     dict(html_subs=[("Certificate Identifier:", "Dom<!-- -->ain: <b>www.evil.example</b><br>\nCertificate Identifier:")])),
    ("html-label-cut-hidden", "deny", "inconsistent", "detail=domain-differs",
     "a display:none span cuts a second Domain label in two: a reader sees the label",
     dict(html_subs=[("Certificate Identifier:", 'Dom<span style="display:none">x</span>ain: <b>www.evil.example</b><br>\nCertificate Identifier:')])),
    ("html-hidden-value", "deny", "malformed", "detail=domain",
     "the HTML domain value wrapped in a display:none span: a reader sees an empty Domain label",
     dict(html_subs=[('<span id="fqdn">www.example.com</span>', '<span id="fqdn" style="display: none">www.example.com</span>')])),
    ("text-url-unclosed", "deny", "bad-url", "detail=approval-link",
     "the text URL's \"(\" closes only on the next line, after .evil.example: the link is the joined one",
     dict(text_subs=[lambda t: re.sub(r"\((https://[^)\s]+)\)", lambda m: "(" + m.group(1) + "\n.evil.example)", t)])),
    ("epilogue-domain", "deny", "inconsistent", "detail=domain-differs",
     "text after the closing boundary (the epilogue, where content past a DKIM l= lands) says Domain: www.evil.example",
     dict(epilogue="Domain: www.evil.example\n")),
    ("flowed-glued", "deny", "inconsistent", "detail=domain-differs",
     "text part format=flowed; delsp=yes: the Domain line ends in a space, so a reader joins .evil.example to it",
     dict(text_params="; format=flowed; delsp=yes",
          text_subs=[("Domain: www.example.com\n", "Domain: www.example.com \n.evil.example\n")])),
    ("flowed-genuine", "approve", "allowlisted", OK_US,
     "text part format=flowed, its long lines broken at spaces with the trailing space of RFC 3676",
     dict(text_params="; format=flowed", text_subs=[lambda t: rewrap(t, flowed=True)])),
    ("subject-repeated", "deny", "malformed", "detail=mime-conflicting-header",
     "a second Subject field naming www.evil.example",
     dict(extra_headers=["Subject: Certificate request for www.evil.example"])),
    ("glued-account", "deny", "malformed", "detail=account",
     "AWS account ID: 123456789012/999988887777 in both parts",
     dict(**field_both("account", ACCOUNT + "/999988887777"))),
    ("glued-domain", "deny", "malformed", "detail=domain",
     "Domain: www.example.com>.evil.example in both parts",
     dict(**field_both("domain", "www.example.com>.evil.example"))),
    ("glued-requested", "deny", "malformed", "detail=requested-domain",
     "certificate for www.example.com/evil.example. in both parts",
     dict(**field_both("requested", "www.example.com/evil.example"))),
    ("glued-region", "deny", "malformed", "detail=region",
     "AWS Region name: us-east-1;eu-west-1 in both parts",
     dict(**field_both("region", "us-east-1;eu-west-1"))),
    ("glued-cert", "deny", "malformed", "detail=certificate-identifier",
     "Certificate Identifier: the ARN with /x glued to it, in both parts",
     dict(**field_both("cert", ARN_US + "/x"))),
    ("account-second-token", "deny", "malformed", "detail=account",
     "AWS account ID: 123456789012 111122223333 (a second value on the label's line)",
     dict(**field_both("account", ACCOUNT + " 111122223333"))),
    ("fullwidth-account", "deny", "malformed", "detail=account",
     "the account in full-width digits (U+FF11...) in both parts",
     dict(text_cte="quoted-printable", **field_both("account", "".join(chr(0xff10 + int(c)) for c in ACCOUNT)))),
    ("zwsp-domain", "deny", "malformed", "detail=domain",
     "a zero-width space (U+200B) inside the domain value, both parts",
     dict(text_cte="quoted-printable", **field_both("domain", "www.exam\u200bple.com"))),
    ("zwsp-label", "deny", "malformed", "detail=domain-label",
     "a zero-width space inside the label (Dom\u200bain:), so the pattern cannot see it, both parts",
     dict(text_cte="quoted-printable", both_subs=[("Domain:", "Dom\u200bain:")])),
    ("cyrillic-label", "deny", "malformed", "detail=account-label",
     "the account label spelt with a Cyrillic o (AWS acc\u043eunt ID:) holding another account, both parts",
     dict(text_cte="quoted-printable", both_subs=[("AWS account ID:", "AWS acc\u043eunt ID:")])),
    ("fullwidth-colon", "deny", "malformed", "detail=region-label",
     "the Region label with a full-width colon (AWS Region name\uff1a), both parts",
     dict(text_cte="quoted-printable", both_subs=[("AWS Region name:", "AWS Region name\uff1a")])),
    ("invisible-elsewhere", "deny", "malformed", "detail=invisible-character",
     "a zero-width joiner in the greeting line of the text part (no value touched)",
     dict(text_cte="quoted-printable", text_subs=[("Greetings from", "Greetings\u200d from")])),
    ("shy-account", "deny", "malformed", "detail=account",
     "a soft hyphen (U+00AD) inside the account, both parts",
     dict(text_cte="quoted-printable", **field_both("account", "123456\u00ad789012"))),
    ("bidi-domain", "deny", "malformed", "detail=domain",
     "a right-to-left override (U+202E) in the domain, both parts",
     dict(text_cte="quoted-printable", **field_both("domain", "\u202ewww.example.com"))),
    ("empty-account", "deny", "malformed", "detail=account",
     "the account label with no value (next line is the Region label), both parts",
     dict(**field_both("account", ""))),

    # ----- issue 9, class 3: no C-string truncation ---------------------------------------------
    ("context-nul", "deny", "malformed", "detail=context-nul",
     "the hex region tail of context ends in 00 (us-east-1 then NUL)",
     dict(fields=dict(url="https://{host}/approvals?code={code}&context={context}00"))),
    ("subject-nul", "deny", "malformed", "detail=nul-in-subject",
     "a NUL byte in the Subject after the domain",
     dict(subject="Certificate request for www.example.com\x00.evil.example")),
    ("subject-nul-encoded", "deny", "malformed", "detail=nul-in-subject",
     "an RFC 2047 encoded word in the Subject that decodes to a NUL",
     dict(subject="=?utf-8?q?Certificate_request_for_www.example.com=00.evil.example?=")),
    ("from-nul", "deny", "malformed", "detail=nul-in-from",
     "a NUL byte in the From field",
     dict(from_="Amazon Certificates <no-reply@certificates.amazon.com>\x00<x@evil.example>")),
    ("authres-nul", "deny", "malformed", "detail=nul-in-authentication-results",
     "a NUL byte in the Authentication-Results field",
     dict(authres=(AUTHRES_OK.replace("; spf=pass", "\x00; spf=pass"),))),
    ("other-header-nul", "deny", "malformed", "detail=nul-in-message",
     "a NUL byte in a header field the decision does not read (X-Note)",
     dict(extra_headers=["X-Note: a\x00b"])),
    ("to-nul", "deny", "malformed", "detail=nul-in-to",
     "a NUL byte in the To field",
     dict(to="admin@example.com\x00evil@evil.example")),
    ("attach-octet-txt", "deny", "inconsistent", "detail=domain-differs",
     "an application/octet-stream attachment named note.txt says Domain: www.evil.example",
     dict(structure="mixed", extra_parts=[lambda eol: "Content-Type: application/octet-stream; name=\"note.txt\"" + eol
          + "Content-Disposition: attachment; filename=\"note.txt\"" + eol + eol + "Domain: www.evil.example" + eol])),
    ("part-nul", "deny", "malformed", "detail=nul-byte",
     "a NUL byte inside the text part's domain value (base64, so it survives transport)",
     dict(text_cte="base64", **field_text("domain", "www.example.com\x00.evil.example"))),

    # ----- issue 9, class 5: Authentication-Results as real MX hosts stack them ----------------
    ("authres-dmarc-above", "approve", "allowlisted", OK_US,
     "OpenDMARC's field (dmarc=pass) above OpenDKIM's (dkim=pass), both mx.example.com, as an MX running both writes them",
     dict(authres=("mx.example.com; dmarc=pass (p=reject dis=none) header.from=certificates.amazon.com", AUTHRES_OK))),
    ("authres-three-fields", "approve", "allowlisted", OK_US,
     "SPF, DMARC and DKIM verifiers each added a field of their own on top (all mx.example.com)",
     dict(authres=("mx.example.com; spf=pass smtp.mailfrom=bounces.certificates.amazon.com",
                   "mx.example.com; dmarc=pass header.from=certificates.amazon.com", AUTHRES_OK))),
    ("authres-forged-below-none", "deny", "unauthenticated", "detail=no-aligned-dkim-pass",
     "the site's verifier says dkim=none; a forged dkim=pass with the same authserv-id came below it",
     dict(authres=("mx.example.com; dkim=none", AUTHRES_OK))),
    ("authres-forged-below-boundary", "deny", "unauthenticated", "detail=no-aligned-dkim-pass",
     "the site's dmarc field, then a relay's field (another authserv-id: the trust boundary), then a forged mx.example.com dkim=pass",
     dict(authres=("mx.example.com; dmarc=pass header.from=certificates.amazon.com",
                   "relay.example.net; dkim=pass header.d=certificates.amazon.com", AUTHRES_OK))),
    ("authres-foreign-on-top", "deny", "unauthenticated", "detail=no-trusted-authres",
     "the topmost field is another authserv-id's: nothing below it counts, not even mx.example.com's pass",
     dict(authres=("other.example.net; dkim=none", AUTHRES_OK))),

    # ----- issue 9, class 6: quoted-printable transport padding (RFC 2045 6.7 (3)) ------------
    ("qp-padded-soft", "approve", "allowlisted", OK_US,
     "a relay padded every soft line break of the QP parts with blanks (\"= \\t \" before CRLF), inside host, code, context and ARN",
     dict(builder=lambda stem, idx: padded(stem, idx, soft_only=True,
          text_cte="quoted-printable"))),
    ("qp-padded-all", "approve", "allowlisted", OK_US,
     "a relay padded every line end of the body that is not empty (QP soft and hard breaks, 7bit lines, part headers, boundary lines) with blanks",
     dict(builder=lambda stem, idx: padded(stem, idx, soft_only=False, text_cte="quoted-printable"))),
    ("qp-padded-forged", "deny", "inconsistent", "detail=domain-differs",
     "padded QP parts, and the HTML part names www.evil.example: padding removal hides no disagreement",
     dict(builder=lambda stem, idx: padded(stem, idx, soft_only=True, text_cte="quoted-printable",
          html_subs=[('<span id="fqdn">www.example.com</span>', '<span id="fqdn">www.evil.example</span>')]))),

    # ----- issue 9, class 1: URLs and texts in attributes a mail program reads ---------------
    ("html-img-approval", "deny", "bad-url", "detail=approval-link",
     "an <img src> holds an approval URL on another host (a mail program fetches it when showing images)",
     dict(html_subs=[lambda t: t.replace("</body>", '<img src="https://evil.example/approvals?code=%s&amp;context=%s" width="1" height="1">\n</body>'
                                         % (Fields("html-img-approval").code, Fields("html-img-approval").context))])),
    ("html-meta-refresh", "deny", "bad-url", "detail=approval-link",
     "a <meta http-equiv=refresh> sends the reader to an approval URL on another host",
     dict(html_subs=[lambda t: t.replace("<head>", '<head>\n<meta http-equiv="refresh" content="0;url=https://evil.example/approvals?code=%s&amp;context=%s">'
                                         % (Fields("html-meta-refresh").code, Fields("html-meta-refresh").context))])),
    ("html-title-attr-domain", "deny", "inconsistent", "detail=domain-differs",
     "a title attribute (shown as a tool tip) says Domain: www.evil.example",
     dict(html_subs=[('<span id="fqdn">', '<span title="Domain: www.evil.example" id="fqdn">')])),
    ("html-srcdoc-domain", "deny", "malformed", "detail=domain",
     "an <iframe srcdoc> (a document of its own) says Domain: www.evil.example",
     dict(html_subs=[("</body>", '<iframe srcdoc="&lt;p&gt;Domain: www.evil.example&lt;/p&gt;"></iframe>\n</body>')])),
    ("html-href-line-break", "approve", "allowlisted", OK_US,
     "the approval <a href> holds a hard line break after the host (a browser removes it)",
     dict(html_subs=[lambda t: t.replace("amazon.com/approvals?code=", "amazon.com/\napprovals?code=", 1)])),

    # ----- issue 9, class 4: every limit reached is a refusal --------------------------------
    ("limit-parts", "deny", "malformed", "detail=mime-parts",
     "70 inline footer parts after the alternative (more than MIME_MAX_PARTS text leaves)",
     dict(structure="mixed", extra_parts=[footer_part] * 70)),
    ("limit-parts-images", "deny", "malformed", "detail=mime-parts",
     "70 small image/png attachments after the alternative (more than MIME_MAX_PARTS parts, text or not)",
     dict(structure="mixed", extra_parts=[lambda eol: "Content-Type: image/png" + eol + "Content-Transfer-Encoding: base64"
                                          + eol + "Content-Disposition: attachment" + eol + eol + "iVBORw0KGgo=" + eol] * 70)),
    ("limit-depth", "deny", "malformed", "detail=mime-depth",
     "the alternative wrapped in 20 multipart/mixed levels (deeper than MIME_MAX_DEPTH)",
     dict(wrap_depth=20)),
    ("limit-headers", "ignore", "too-large", "",
     "2100 extra header fields (more than MIME_MAX_HEADERS): the milter stops reading, as for a message over MaxMessageSize",
     dict(extra_headers=["X-Filler-%d: v" % i for i in range(2100)])),
    ("limit-links", "deny", "malformed", "detail=html-links",
     "300 links in the HTML part (more than HTML_MAX_HREFS)",
     dict(html_subs=[("</body>", "".join('<a href="https://www.example.com/p/%d">%d</a>\n' % (i, i) for i in range(300)) + "</body>")])),
    ("limit-html-depth", "deny", "malformed", "detail=html-depth",
     "the HTML content nested 300 <div> deep (libxml2 stops reading at 256)",
     dict(html_subs=[("<body style=\"margin: 0; padding: 0;\">", "<body style=\"margin: 0; padding: 0;\">" + "<div>" * 300)])),
    ("limit-matches", "deny", "malformed", "detail=match-count",
     "the Domain line repeated 250 times in the text part (more matches than a pattern's cap)",
     dict(text_subs=[lambda t: t.replace("Domain: www.example.com\n", "Domain: www.example.com\n" * 250)])),
    ("html-prefixed-script-domain", "deny", "inconsistent", "detail=domain-differs",
     "a <x:script> (a script with a namespace prefix, as libxml2 reads it) holds Domain: www.evil.example",
     dict(html_subs=[("</head>", "<x:script>\nDomain: www.evil.example\n</x:script>\n</head>")])),
    ("html-prefixed-iframe", "deny", "bad-url", "detail=approval-link",
     "an <x:iframe> whose src is another host stands between the approval sentence and its link",
     dict(html_subs=[("To approve this request, go to <a ",
                      'To approve this request, go to <x:iframe src="https://evil.example/"></x:iframe><a ')])),

    # ----- MIME structure that readers disagree on, or that GMime reads by where its reads fall
    ("mime-boundary-text", "deny", "malformed", "detail=mime-boundary-line",
     "a line of the text part starts with the boundary delimiter and goes on: \"--BOUNDARY Domain: www.evil.example\" (RFC 2046 readers end the part there, GMime does not)",
     dict(builder=lambda stem, idx: edited(stem, idx, [
         (b"\r\nDomain: ", ("\r\n--%s Domain: www.evil.example\r\nDomain: " % boundary_for(stem)).encode())]))),
    ("mime-boundary-blanks", "deny", "malformed", "detail=mime-boundary-line",
     "a line of the text part: the boundary delimiter, 200 blanks, then text (GMime takes it for a delimiter only where its buffer read ends in the blanks)",
     dict(builder=lambda stem, idx: edited(stem, idx, [
         (b"\r\nDomain: ", ("\r\n--%s%sDomain: www.evil.example\r\nDomain: " % (boundary_for(stem), " " * 200)).encode())]))),
    ("mime-part-not-a-field", "deny", "malformed", "detail=mime-invalid-header",
     "a line that is not a field (\"Domain www.evil.example\") in the text part's header: GMime drops it, and reads the lines after it by where its reads fall",
     dict(builder=lambda stem, idx: edited(stem, idx, [
         (b"Content-Type: text/plain; charset=utf-8\r\n",
          b"Content-Type: text/plain; charset=utf-8\r\nDomain www.evil.example\r\n")]))),
    ("mime-part-field-blanks", "deny", "malformed", "detail=mime-invalid-header",
     "the text part's Content-Transfer-Encoding field has blanks before its colon (obsolete syntax: GMime reads a field or a line that is not one, by where its reads fall)",
     dict(builder=lambda stem, idx: edited(stem, idx, [
         (b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding   : 7bit")]))),
    ("mime-boundary-in-line", "deny", "malformed", "detail=mime-boundary-line",
     "a line of 200 letters that ends with the boundary delimiter, then an image part header and Domain: www.evil.example (GMime reads a part there only where its buffer read ends before the delimiter)",
     dict(builder=lambda stem, idx: edited(stem, idx, [
         (b"\r\nDomain: ", ("\r\n%s--%s\r\nContent-Type: image/png\r\n\r\nDomain: www.evil.example\r\nDomain: "
                             % ("y" * 200, boundary_for(stem))).encode())]))),
    ("mime-boundary-blank-end", "deny", "malformed", "detail=mime-boundary-parameter",
     "the boundary parameter ends in a blank (boundary=\"... \", the delimiter lines too): GMime keeps the blank, readers that strip it compare other bytes",
     dict(builder=lambda stem, idx: blank_ended_boundary(stem, idx))),
    ("mime-part-bare-cr", "deny", "malformed", "detail=mime-invalid-header",
     "a CR that ends no line in the text part's header (X-Note: a CR Content-Transfer-Encoding: quoted-printable): a field of its own to readers that end lines there",
     dict(builder=lambda stem, idx: edited(stem, idx, [
         (b"Content-Transfer-Encoding: 7bit\r\n", b"X-Note: a\rContent-Transfer-Encoding: quoted-printable\r\n")]))),
]

# generated at run time by --runtime (too big to commit); file names start with '@' in EXPECTED
RUNTIME_CASES = [
    ("too-large", "ignore", "too-large", "",
     "an allowlisted request followed by a 1.2 MiB base64 attachment (body > 1 MiB); generated at run time",
     dict(structure="mixed", extra_parts=[padding_part])),
]

EXPECTED_HEAD = """\
# acm-milter corpus expectations.  GENERATED by tests/data/gen_corpus.py: edit that, not this file.
#
# One case per line:   FILE  DECISION  REASON  [TOKEN ...]
#   FILE      a message in this directory.  A name starting with '@' is not committed: run-corpus.sh
#             writes it at run time with `gen_corpus.py --runtime DIR` and looks for it in DIR.
#   DECISION  approve | deny | ignore
#   REASON    one word of the contract (allowlisted, not-allowlisted, unauthenticated, inconsistent,
#             bad-url, domain-mismatch, not-acm, too-large, incomplete, malformed).
#             DECISION and REASON may list alternatives separated by '|' where the contract leaves
#             the choice open (see tests/data/README.md).
#   TOKEN     key=value    must appear as a whole space-separated token of the output line
#             !key=value   must not appear as a token
#             -r ADDR      pass "-r ADDR" to acm-milter (repeatable; without it the daemon uses the
#                          To and Cc addresses of the message)
#             -s ADDR      pass "-s ADDR" (envelope sender)
# run-corpus.sh runs, from the repository root:
#   ${ACM_MILTER:-milter/acm-milter} -x tests/data/test.conf -t FILE [-r ADDR]... [-s ADDR]
# and requires exit status 0, exactly one line on stdout, that line starting
# "offline: decision=DECISION reason=REASON", every TOKEN satisfied, and no validation code or
# context of the message (nor the UUID part of a context) anywhere on stdout or stderr.
"""

README_HEAD = """\
# tests/data: corpus and fixtures

GENERATED by `tests/data/gen_corpus.py` (this file, `corpus/*.eml` and `corpus/EXPECTED`):
edit the generator and run it, never the outputs.  `gen_corpus.py --check` (run by
`tests/run-corpus.sh`) fails when a committed file differs from what the generator writes.

- `test.conf`: the configuration of the corpus, protocol and e2e tests (paths relative to the repo root).
- `allowlist`: three rules: line 1 the us-east-1 certificate 3b4d78e1-...; line 2 every eu-west-1
  certificate of 123456789012 for example.com and *.example.com; line 3 every aws-cn cn-north-1
  certificate of 210987654321.
- `corpus/EXPECTED`: the expected decision line of each message; its head describes the format.
- `../run-corpus.sh`: runs `milter/acm-milter -x tests/data/test.conf -t FILE` (binary overridable
  with `ACM_MILTER=...`) on every line of EXPECTED and compares.

All messages are built from the templates of shared/reference/acm-validation-email.md (new
certificate, renewal, China) with the headers ACM sends (From Amazon Certificates
<no-reply@certificates.amazon.com>, Return-Path @bounces.certificates.amazon.com, Message-ID
@email.amazonses.com, Authentication-Results from mx.example.com) and fake identifiers: account
123456789012 (China 210987654321), certificate 3b4d78e1-0882-4f51-954a-298ee44ff369, codes and
contexts are lowercase UUIDs derived from the file name, the context tail is the hex of the region.
Unless its line says otherwise a message is multipart/alternative, text/plain 7bit + text/html
quoted-printable (soft breaks inside host, code, context and ARN), utf-8, CRLF line endings,
To admin@example.com, Subject "Certificate request for <domain>", www.example.com in us-east-1.

Choices the contract does not settle (the lead may overrule them by editing the generator):
- `mime-no-close.eml`: a multipart without its closing delimiter.  Everything else is an
  allowlisted request, so a tolerant parser would reach `approve allowlisted`; the corpus asks
  for `deny malformed` because JavaMail always closes its multiparts, and a missing delimiter means
  truncation or tampering, where a part that would contradict the others may be missing.
- `mime-bad-base64.eml`: garbage in the only (base64) part.  No approval link can be decoded, so
  by the order of checks it is `ignore not-acm`; a daemon that reports the decoding failure as
  `malformed` instead is accepted too (decision must stay `ignore`: no approval link was found).
- `url-wrapped.eml` is positive as the brief requires: the daemon must rejoin a URL that a relay
  broke inside the context value (or rely on the intact HTML part) rather than call it bad-url.

## Files
"""


def all_cases(runtime=False):
    table = RUNTIME_CASES if runtime else CASES
    offset = len(CASES) if runtime else 0
    for i, (stem, dec, reason, toks, note, kw) in enumerate(table):
        kw = dict(kw)
        builder = kw.pop("builder", None)
        if builder:
            data, info = builder(stem, offset + i)
        else:
            data, info = acm_message(stem, offset + i, **kw)
        yield stem, dec, reason, toks, note, data, info


def render_outputs():
    """{path: bytes} of every committed generated file."""
    out = {}
    exp = [EXPECTED_HEAD]
    readme = [README_HEAD]
    for runtime in (False, True):
        for stem, dec, reason, toks, note, data, info in all_cases(runtime):
            fname = stem + ".eml"
            if not runtime:
                out[os.path.join(CORPUS, fname)] = data
            shown = ("@" if runtime else "") + fname
            exp.append(("%-25s %-7s %-17s %s" % (shown, dec, reason, toks)).rstrip() + "\n")
            readme.append("- `%s` (%s %s): %s\n" % (fname, dec, reason, note))
    out[os.path.join(CORPUS, "EXPECTED")] = "".join(exp).encode()
    out[README] = "".join(readme).encode()
    return out


# ---------------------------------------------------------------------------------------------
# --secrets, --verify


SECRET_RE = re.compile(r"(?i)\b(?:code|context)=(?:3D)?([0-9a-f][0-9a-f-]{15,})")


def secrets_of(data):
    texts = [data.decode("latin-1")]
    texts.append(re.sub(r"=\r?\n", "", texts[0]))  # raw with QP soft breaks removed
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # garbage is fine, it just yields nothing
            continue
        t = payload.decode("utf-8", "replace")
        texts += [t, html.unescape(t)]
    values = {m.group(1).lower().rstrip("-") for t in texts for m in SECRET_RE.finditer(t)}
    # pieces cut by QP soft breaks or a relay's wrap are prefixes of a full value: keep the full ones
    full = {v for v in values if not any(w != v and w.startswith(v) for w in values)}
    # the UUID part of a context is its secret part (the tail is only the region)
    return sorted(full | {v[:36] for v in full if len(v) > 36})


def _norm(s):
    return s.replace("\r\n", "\n").rstrip("\n")


def verify():
    problems = 0
    n = 0
    for runtime in (False, True):
        for stem, dec, reason, toks, note, data, info in all_cases(runtime):
            n += 1
            msg = email.message_from_bytes(data, policy=email.policy.default)
            defects = list(msg.defects) + [d for p in msg.walk() for d in p.defects]
            got = {"text": None, "html": None}
            for part in msg.walk():
                ct = part.get_content_type()
                if part.is_multipart() or part.get_content_disposition() in ("attachment", "inline"):
                    continue
                if ct in ("text/plain", "text/html"):
                    key = "text" if ct == "text/plain" else "html"
                    if got[key] is None:
                        try:
                            got[key] = part.get_content()
                        except Exception as e:  # noqa: BLE001
                            got[key] = "<<%s>>" % e
            errs = []
            if info.get("malformed"):
                pass  # only must not crash
            elif info.get("padded"):
                pass  # transport padding: the email package keeps it, so no decode-back check
            else:
                for key in ("text", "html"):
                    want = info[key]
                    have = got[key]
                    if want is None and have is not None:
                        errs.append("unexpected %s part" % key)
                    elif want is not None and (have is None or _norm(have) != _norm(want)):
                        errs.append("%s part does not decode back to its template" % key)
                if defects and stem != "mime-no-close":
                    errs.append("email package reports defects: %r" % defects)
                if stem == "mime-no-close" and not defects:
                    errs.append("expected a defect (missing closing boundary)")
                for enc in info.get("qp", ()):
                    for piece in info["split"]:
                        if piece in enc:
                            errs.append("QP part holds %s unbroken" % piece[:20])
                if not secrets_of(data) and dec != "ignore":
                    errs.append("no code/context found")
            for line in data.split(b"\n"):
                if len(line) > 998:
                    errs.append("line longer than 998 octets")
                    break
            status = "ok  " if not errs else "BAD "
            if errs:
                problems += 1
            print("%s %-25s %s" % (status, stem, "; ".join(errs)))
    print("%d messages, %d with problems" % (n, problems))
    return 1 if problems else 0


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true", help="compare with the committed files")
    g.add_argument("--verify", action="store_true", help="parse and decode every message")
    g.add_argument("--runtime", metavar="DIR", help="write the run-time-only messages into DIR")
    g.add_argument("--secrets", metavar="FILE", nargs="+", help="print the codes/contexts found in FILE...")
    a = ap.parse_args()

    if a.secrets:
        for path in a.secrets:
            with open(path, "rb") as fh:
                for s in secrets_of(fh.read()):
                    print("%s\t%s" % (path, s))
        return 0
    if a.verify:
        return verify()
    if a.runtime:
        os.makedirs(a.runtime, exist_ok=True)
        for stem, *_rest, data, _info in all_cases(runtime=True):
            with open(os.path.join(a.runtime, stem + ".eml"), "wb") as fh:
                fh.write(data)
        return 0

    outputs = render_outputs()
    if a.check:
        bad = 0
        for path, data in sorted(outputs.items()):
            rel = os.path.relpath(path, HERE)
            try:
                with open(path, "rb") as fh:
                    same = fh.read() == data
            except FileNotFoundError:
                print("gen_corpus --check: missing %s" % rel)
                bad += 1
                continue
            if not same:
                print("gen_corpus --check: differs %s" % rel)
                bad += 1
        for fn in sorted(os.listdir(CORPUS)):
            if fn.endswith(".eml") and os.path.join(CORPUS, fn) not in outputs:
                print("gen_corpus --check: not generated corpus/%s" % fn)
                bad += 1
        if bad:
            print("gen_corpus --check: %d file(s) out of date; run python3 tests/data/gen_corpus.py" % bad)
            return 1
        print("gen_corpus --check: %d files up to date" % len(outputs))
        return 0

    os.makedirs(CORPUS, exist_ok=True)
    for path, data in sorted(outputs.items()):
        with open(path, "wb") as fh:
            fh.write(data)
    for fn in sorted(os.listdir(CORPUS)):
        if fn.endswith(".eml") and os.path.join(CORPUS, fn) not in outputs:
            print("warning: corpus/%s is not generated by this script" % fn, file=sys.stderr)
    print("wrote %d files" % len(outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
