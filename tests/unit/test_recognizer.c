/* Unit tests: the recognizer (MIME decoding, PCRE2 fields, URL validation, consistency). */
#include "evaluate.h"
#include "msg.h"
#include "recognizer.h"
#include "t.h"

static enum recog_status run(const char *raw, struct acm_fields *f)
{
    struct mime_view *mv = mime_parse(raw, strlen(raw));
    enum recog_status st = recognize(mv, f);
    mime_free(mv);
    return st;
}

static enum recog_status run_opts(const struct tm_opts *o, struct acm_fields *f)
{
    char *raw = tm_build(o);
    enum recog_status st = run(raw, f);
    g_free(raw);
    return st;
}

#define EXPECT(o, want)                                                                        \
    do {                                                                                       \
        struct acm_fields f_;                                                                  \
        enum recog_status got_ = run_opts(&(o), &f_);                                          \
        t_count++;                                                                             \
        if (got_ != (want)) {                                                                  \
            t_fail++;                                                                          \
            fprintf(stderr, "%s:%d: FAIL: got %s (%s), want %s\n", __FILE__, __LINE__,         \
                    recog_status_name(got_), f_.detail, recog_status_name(want));              \
        }                                                                                      \
    } while (0)

static bool url_ok(const char *u)
{
    char host[128], region[32], code[40], ctx[128];
    return approval_url_parse(u, host, sizeof(host), region, sizeof(region), code, sizeof(code),
                              ctx, sizeof(ctx));
}

int main(void)
{
    CHECK(evaluate_init());

    /* ---- strict URL validation ---- */
    CHECK(url_ok(T_URL));
    CHECK(url_ok("HTTPS://US-EAST-1.ACM-CERTIFICATES.AMAZON.COM/approvals?code=" T_CODE "&context=" T_CTX));
    CHECK(url_ok("https://cn-north-1.acm-certificates.amazonaws.cn/approvals?code=" T_CODE
                 "&context=111a222c-6e1d-4333-bbc4-40b961461df5-636e2d6e6f7274682d31"));
    const char *bad[] = {
        "http://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com:443/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com@evil.example/approvals?code=" T_CODE "&context=" T_CTX,
        "https://evil.example@us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com.evil.example/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates-amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.co/approvals?code=" T_CODE "&context=" T_CTX,
        "https://acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazonaws.cn/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-gov-west-1.acm-certificates.amazon.com/approvals?code=" T_CODE
            "&context=111a222c-6e1d-4333-bbc4-40b961461df5-75732d676f762d776573742d31",
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX "&x=1",
        "https://us-east-1.acm-certificates.amazon.com/approvals?context=" T_CTX "&code=" T_CODE,
        "https://us-east-1.acm-certificates.amazon.com/approvals/../x?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com//approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/approvals%3Fcode=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/Approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX "#frag",
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&amp;context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=11E23C40-7A2B-4754-A97C-1607E8E78A6C&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=11e23c40&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=111a222c-6e1d-4333-bbc4-40b961461df5-75732d656173742d3",
        "https://us-east-1.acm-certificates.amazon.com./approvals?code=" T_CODE "&context=" T_CTX,
        /* homograph: Cyrillic a (U+0430) in "amazon" */
        "https://us-east-1.acm-certificates.\xd0\xb0mazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.xn--mazon-3ve.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com\\@evil.example/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX " ",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t_count++;
        if (url_ok(bad[i])) {
            t_fail++;
            fprintf(stderr, "FAIL: accepted bad URL #%zu %s\n", i, bad[i]);
        }
    }
    /* context tail must be the region: us-west-2 context on a us-east-1 host */
    CHECK(!url_ok("https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE
                  "&context=111a222c-6e1d-4333-bbc4-40b961461df5-75732d776573742d32"));

    /* ---- whole messages ---- */
    struct tm_opts o = tm_default();
    struct acm_fields f;
    char *raw = tm_build(&o);
    CHECK(run(raw, &f) == RECOG_OK);
    g_free(raw);
    CHECK_STR(f.fqdn, "www.example.com");
    CHECK_STR(f.requested_domain, "www.example.com");
    CHECK_STR(f.account, "123456789012");
    CHECK_STR(f.region, "us-east-1");
    CHECK_STR(f.arn_text, T_CERT);
    CHECK_STR(f.host, "us-east-1.acm-certificates.amazon.com");
    CHECK_STR(f.code, T_CODE);
    CHECK_STR(f.context, T_CTX);
    CHECK(!f.renewal);

    /* encodings and line endings */
    o = tm_default(); o.text_qp = true; EXPECT(o, RECOG_OK);
    o = tm_default(); o.html_b64 = true; EXPECT(o, RECOG_OK);
    o = tm_default(); o.lf_only = true; EXPECT(o, RECOG_OK);
    o = tm_default(); o.no_text = true; EXPECT(o, RECOG_OK);
    o = tm_default(); o.no_html = true; EXPECT(o, RECOG_OK);
    o = tm_default(); o.account = "1234-5678-9012"; EXPECT(o, RECOG_OK);

    /* text and HTML disagree */
    o = tm_default(); o.html_domain = "www.other.org"; EXPECT(o, RECOG_INCONSISTENT);
    o = tm_default();
    o.html_url = "https://us-east-1.acm-certificates.amazon.com/approvals?code=22e23c40-7a2b-4754-a97c-1607e8e78a6c&context=" T_CTX;
    EXPECT(o, RECOG_INCONSISTENT);
    /* the visible text is right, the link goes elsewhere */
    o = tm_default();
    o.html_href = "https://us-east-1.acm-certificates.amazon.com.evil.example/approvals?code=" T_CODE "&context=" T_CTX;
    EXPECT(o, RECOG_BAD_URL);
    o = tm_default();
    o.html_href = "https://evil.example/track?u=approvals";
    EXPECT(o, RECOG_BAD_URL);

    /* region, account and ARN mismatches */
    o = tm_default(); o.region = "us-west-2"; EXPECT(o, RECOG_INCONSISTENT);
    o = tm_default(); o.account = "999999999999"; EXPECT(o, RECOG_INCONSISTENT);
    o = tm_default();
    o.cert = "arn:aws:acm:us-west-2:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369";
    EXPECT(o, RECOG_INCONSISTENT);
    o = tm_default();
    o.cert = "arn:aws-cn:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369";
    EXPECT(o, RECOG_INCONSISTENT);
    o = tm_default();
    o.url = "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE
            "&context=111a222c-6e1d-4333-bbc4-40b961461df5-75732d776573742d32";
    EXPECT(o, RECOG_INCONSISTENT);
    o = tm_default(); o.subject = "Certificate request for www.other.org"; EXPECT(o, RECOG_INCONSISTENT);
    o = tm_default(); o.subject = "Fwd: Certificate request for www.example.com"; EXPECT(o, RECOG_OK);

    /* adversarial URLs in the text part */
    o = tm_default(); o.url = bad[0]; EXPECT(o, RECOG_BAD_URL);
    o = tm_default(); o.url = bad[2]; EXPECT(o, RECOG_BAD_URL);
    o = tm_default(); o.url = bad[23]; EXPECT(o, RECOG_BAD_URL);

    /* malformed field values */
    o = tm_default(); o.account = "12345678901"; EXPECT(o, RECOG_MALFORMED);
    o = tm_default(); o.domain = "www.ex\xd0\xb0mple.com"; EXPECT(o, RECOG_MALFORMED);
    o = tm_default(); o.cert = "arn:aws:acm:us-east-1:123456789012:certificate/xyz"; EXPECT(o, RECOG_MALFORMED);

    /* a repeated label with another value */
    o = tm_default();
    o.cert = T_CERT "\r\nDomain: www.other.org";
    EXPECT(o, RECOG_INCONSISTENT);

    /* the other ACM notices: fields but no approval link */
    const char *notice =
        "From: Amazon Web Services <no-reply-aws@amazon.com>\r\nTo: admin@example.com\r\n"
        "Subject: Action Required - Your certificate renewal\r\n\r\n"
        "AWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
        "Certificate identifier: " T_CERT "\r\nPlease visit https://console.aws.amazon.com/acm/home\r\n";
    CHECK(run(notice, &f) == RECOG_NOT_ACM);
    CHECK(run("From: a@b.example\r\n\r\nhello\r\n", &f) == RECOG_NOT_ACM);
    /* a newsletter link with code= alone is not approval-like */
    CHECK(run("From: a@b.example\r\n\r\nhttps://shop.example/verify?code=123\r\n", &f) == RECOG_NOT_ACM);

    /* missing field */
    const char *incomplete =
        "From: x@certificates.amazon.com\r\n\r\nDomain: www.example.com\r\n"
        "AWS Region name: us-east-1\r\nCertificate Identifier: " T_CERT "\r\n(" T_URL ")\r\n";
    CHECK(run(incomplete, &f) == RECOG_INCOMPLETE);
    CHECK_STR(f.detail, "missing-account");

    /* renewal template: URL on its own line after "Approvals at", hard-wrapped by a relay */
    const char *renewal =
        "From: x@certificates.amazon.com\r\nContent-Type: text/plain\r\n\r\n"
        "We received a request to issue an SSL/TLS certificate for www.example.com.\r\n"
        "This email is a request to validate ownership of the domain in order to renew\r\n"
        "the existing, currently in use, certificate.\r\n \r\n"
        "Domain: www.example.com\r\nAWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
        "Certificate Identifier: arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-\r\n"
        "0882-4f51-954a-298ee44ff369\r\n \r\n"
        "To approve this request, go to Amazon Certificate Approvals at\r\n"
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=111a222c-6e1d-\r\n"
        "4333-bbc4-40b961461df5-75732d656173742d31\r\n"
        "and follow the instructions on the page.\r\n";
    CHECK(run(renewal, &f) == RECOG_OK);
    CHECK(f.renewal);
    CHECK_STR(f.context, T_CTX);
    CHECK_STR(f.arn_text, T_CERT);

    /* China wording and host */
    const char *china =
        "From: x@certificates.amazon.com\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Domain: www.example.cn\r\nAmazon Web Services account ID: 210987654321\r\n"
        "Amazon Web Services Region name: cn-north-1\r\n"
        "Certificate Identifier: arn:aws-cn:acm:cn-north-1:210987654321:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369\r\n"
        "(https://cn-north-1.acm-certificates.amazonaws.cn/approvals?code=" T_CODE
        "&context=111a222c-6e1d-4333-bbc4-40b961461df5-636e2d6e6f7274682d31)\r\n";
    CHECK(run(china, &f) == RECOG_OK);
    CHECK_STR(f.arn.partition, "aws-cn");

    /* an ISO-8859-1 part is converted, not misread */
    const char *latin1 =
        "From: x@certificates.amazon.com\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Gr=FC=DFe\r\nDomain: www.example.com\r\nAWS account ID: 123456789012\r\n"
        "AWS Region name: us-east-1\r\nCertificate Identifier: " T_CERT "\r\n"
        "(https://us-east-1.acm-certificates.amazon.com/approvals?code=3D" T_CODE "&context=3D111a222c-=\r\n"
        "6e1d-4333-bbc4-40b961461df5-75732d656173742d31)\r\n";
    CHECK(run(latin1, &f) == RECOG_OK);

    /* malformed MIME never crashes: no closing boundary, garbage base64, deep nesting */
    const char *nobound =
        "From: x@certificates.amazon.com\r\nContent-Type: multipart/alternative; boundary=zz\r\n\r\n"
        "--zz\r\nContent-Type: text/plain\r\n\r\nDomain: www.example.com\r\n(" T_URL ")\r\n";
    CHECK(run(nobound, &f) == RECOG_MALFORMED);   /* a truncated request is never approved */
    CHECK_STR(f.detail, "mime-truncated");
    const char *garbage =
        "From: x@certificates.amazon.com\r\nContent-Type: text/plain\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n!!!@@@###$$$%%%^^^&&&***((()))\r\n";
    CHECK(run(garbage, &f) == RECOG_NOT_ACM);
    GString *deep = g_string_new("From: x@certificates.amazon.com\r\n");
    for (int i = 0; i < 100; i++)
        g_string_append_printf(deep, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
    g_string_append(deep, "Content-Type: text/plain\r\n\r\n(" T_URL ")\r\n");
    {
        struct mime_view *mv = mime_parse(deep->str, deep->len);
        CHECK(mv && mv->too_deep);
        /* the deep part is never read, so the message is refused: a limit is never skipped */
        CHECK(recognize(mv, &f) == RECOG_MALFORMED);
        CHECK_STR(f.detail, "mime-depth");
        mime_free(mv);
    }
    g_string_free(deep, TRUE);
    /* NUL bytes and 8-bit junk */
    char nul[] = "From: x@y.example\r\n\r\nabc\0def\xff\xfe https://\0approvals\r\n";
    {
        struct mime_view *mv = mime_parse(nul, sizeof(nul) - 1);
        CHECK(mv != NULL);
        recognize(mv, &f);
        mime_free(mv);
    }

    evaluate_shutdown();
    return t_done("test_recognizer");
}
