#!/usr/bin/env python3
"""Writes the hostile messages of tests/hostile/run.sh into DIR (made at test time: some are
50 MB). Each one must be decided in bounded time and memory without a crash."""
import os, sys

d = sys.argv[1]
H = (b"From: Amazon Certificates <no-reply@certificates.amazon.com>\r\n"
     b"To: admin@example.com\r\nSubject: Certificate request for www.example.com\r\n")
URL = (b"https://us-east-1.acm-certificates.amazon.com/approvals?code=11e23c40-7a2b-4754-a97c-"
       b"1607e8e78a6c&context=111a222c-6e1d-4333-bbc4-40b961461df5-75732d656173742d31")
BODY = (b"Domain: www.example.com\r\nAWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
        b"Certificate Identifier: arn:aws:acm:us-east-1:123456789012:certificate/"
        b"3b4d78e1-0882-4f51-954a-298ee44ff369\r\n(" + URL + b")\r\n")

def w(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

w("header-line-1mib.eml", H + b"X-Long: " + b"a" * (1 << 20) + b"\r\n\r\n" + BODY)
w("headers-10000.eml", H + b"".join(b"X-H%d: v\r\n" % i for i in range(10000)) + b"\r\n" + BODY)
w("nul-bytes.eml", H + b"X-Nul: a\x00b\r\n\r\n" + BODY.replace(b"Domain", b"Dom\x00ain") + b"\x00" * 1000)
w("raw-8bit.eml", H + b"X-8bit: \xff\xfe\xc3\x28\xa0\xa1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
  + b"\xc3\x28\xe2\x82\xf0\x28\x8c\xbc " + BODY + b"\xff" * 500)
w("base64-garbage.eml", H + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
  + b"!!**@@##" * 2000 + b"\r\n====\r\nQUJD====RA==\r\n")
w("qp-bad-escapes.eml", H + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
  + b"=ZZ=G1=\r\n=0=\r\n=" * 300 + BODY.replace(b"=", b"=3D")[:-2] + b"=")
nest = H + b"MIME-Version: 1.0\r\n"
for i in range(100):
    nest += b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i)
nest += b"Content-Type: text/plain\r\n\r\n" + BODY
for i in reversed(range(100)):
    nest += b"\r\n--b%d--\r\n" % i
w("nested-100.eml", nest)
w("boundary-missing.eml", H + b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative\r\n\r\n"
  + b"--x\r\nContent-Type: text/plain\r\n\r\n" + BODY + b"--x--\r\n")
w("boundary-duplicated.eml", H + b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=x; boundary=y\r\n\r\n"
  + b"--x\r\nContent-Type: text/plain\r\n\r\n" + BODY + b"--y\r\nContent-Type: text/html\r\n\r\n<p>" + BODY
  + b"</p>\r\n--x--\r\n--y--\r\n")
w("content-type-duplicated.eml", H + b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
  + b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\n" + BODY + b"--z--\r\n")
w("unclosed-html.eml", H + b"Content-Type: text/html\r\n\r\n" + b"<div><table><tr><td>" * 20000
  + b"<a href=\"" + URL + b"\">" + BODY)
with open(os.path.join(d, "body-50mb.eml"), "wb") as f:
    f.write(H + b"Content-Type: text/plain\r\n\r\n" + BODY)
    chunk = b"x" * 1023 + b"\n"
    for _ in range(50 * 1024):
        f.write(chunk)
# issue 9: the readings of every part must stay bounded too
w("unclosed-parens.eml", H + b"Content-Type: text/plain\r\n\r\n" + BODY + b"(https://x.example/\r\n" * 40000)
w("zero-width-flood.eml", H + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + BODY
  + "\u200b".encode() * 300000)
w("style-1mib.eml", H + b"Content-Type: text/html\r\n\r\n<p style=\"" + b"color:red;" * 90000
  + b"display:none\">" + BODY + b"</p>")
w("flowed-soft.eml", H + b"Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\n" + BODY
  + b"a \r\n" * 200000)
w("comments-many.eml", H + b"Content-Type: text/html\r\n\r\n<p>" + BODY + b"<!-- Domain: x -->" * 50000)
w("parts-many-attached.eml", H + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
  + b"".join(b"--m\r\nContent-Type: message/rfc822\r\n\r\n" + H + b"Content-Type: text/plain\r\n\r\n" + BODY
             for _ in range(200)) + b"--m--\r\n")
