/* Unit tests: the classes of hostile input that must never bend a decision (issue 9).
 * 1 one reading per part, every part read; 2 a value is the whole token; 3 no C-string
 * truncation of decoded data; 4 every limit reached is a refusal; and the genuine variants
 * that real mail paths produce, which must still be recognized. */
#include "evaluate.h"
#include "html.h"
#include "msg.h"
#include "recognizer.h"
#include "t.h"

static enum recog_status run_len(const char *raw, size_t len, struct acm_fields *f)
{
    struct mime_view *mv = mime_parse(raw, len);
    enum recog_status st = recognize(mv, f);
    mime_free(mv);
    return st;
}

static enum recog_status run(const char *raw, struct acm_fields *f)
{
    return run_len(raw, strlen(raw), f);
}

/* Checks status and detail; prints both on failure. */
static void expect_raw(const char *raw, size_t len, enum recog_status want, const char *detail,
                       const char *file, int line)
{
    struct acm_fields f;
    enum recog_status got = run_len(raw, len, &f);
    t_count++;
    if (got != want || (detail && strcmp(f.detail, detail) != 0)) {
        t_fail++;
        fprintf(stderr, "%s:%d: FAIL: got %s (%s), want %s (%s)\n", file, line,
                recog_status_name(got), f.detail, recog_status_name(want), detail ? detail : "*");
    }
}
#define EXPECT_RAW(raw, want, detail) expect_raw(raw, strlen(raw), want, detail, __FILE__, __LINE__)
#define EXPECT_LEN(raw, len, want, detail) expect_raw(raw, len, want, detail, __FILE__, __LINE__)
#define EXPECT(o, want, detail)                                                                \
    do {                                                                                       \
        char *raw_ = tm_build(&(o));                                                           \
        expect_raw(raw_, strlen(raw_), want, detail, __FILE__, __LINE__);                      \
        g_free(raw_);                                                                          \
    } while (0)

/* The default request as a multipart/mixed: its alternative, then `extra` (a whole entity:
 * header lines, blank line, body). */
static char *mixed_with(const struct tm_opts *o, const char *extra)
{
    char *raw = tm_build(o);
    char *ct = strstr(raw, "Content-Type: multipart/alternative");
    GString *m = g_string_new_len(raw, ct - raw);
    g_string_append(m, "Content-Type: multipart/mixed; boundary=\"MIX\"\r\n\r\n--MIX\r\n");
    g_string_append(m, ct);
    g_string_append_printf(m, "\r\n--MIX\r\n%s\r\n--MIX--\r\n", extra);
    g_free(raw);
    return g_string_free(m, FALSE);
}

#define EXPECT_MIXED(o, extra, want, detail)                                                   \
    do {                                                                                       \
        char *raw_ = mixed_with(&(o), extra);                                                  \
        expect_raw(raw_, strlen(raw_), want, detail, __FILE__, __LINE__);                      \
        g_free(raw_);                                                                          \
    } while (0)

#define HDRS                                                                                   \
    "From: Amazon Certificates <no-reply@certificates.amazon.com>\r\nTo: admin@example.com\r\n" \
    "Subject: Certificate request for www.example.com\r\nMIME-Version: 1.0\r\n"
#define FIELDS                                                                                 \
    "We received a request to issue an SSL/TLS certificate for www.example.com.\r\n"          \
    "Domain: www.example.com\r\nAWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n" \
    "Certificate Identifier: " T_CERT "\r\n"
#define APPROVE "To approve this request, go to Amazon Certificate Approvals\r\n"

/* The default message with html_domain in the HTML part's Domain: field: refused as
 * inconsistent with detail, or (detail NULL) as inconsistent or malformed. */
static void expect_html_domain_refused(const char *what, size_t i, const char *html_domain,
                                       const char *detail)
{
    struct tm_opts o = tm_default();
    o.html_domain = html_domain;
    char *raw = tm_build(&o);
    struct acm_fields f;
    enum recog_status st = run(raw, &f);
    bool ok = detail ? st == RECOG_INCONSISTENT && strcmp(f.detail, detail) == 0
                     : st == RECOG_INCONSISTENT || st == RECOG_MALFORMED;
    t_count++;
    if (!ok) {
        t_fail++;
        fprintf(stderr, "FAIL: %s #%zu: got %s (%s)\n", what, i, recog_status_name(st), f.detail);
    }
    g_free(raw);
}

static void class1_parts(void)
{
    struct tm_opts o;
    /* the approval link of the HTML part: any other target is bad-url, approval-like or not */
    o = tm_default(); o.html_href = "https://evil.example/x";
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    o = tm_default(); o.html_href = "https://[2001:db8::1]/approvals?code=" T_CODE "&context=" T_CTX;
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    o = tm_default(); o.html_href = "mailto:validation-questions@amazon.com";
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    o = tm_default(); o.html_href = "";
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    o = tm_default(); o.html_href = "javascript:void(0)";
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    /* the text part's link, the HTML part genuine */
    const char *bad_text[] = {
        "https://[::1]/approvals?code=" T_CODE "&context=" T_CTX,
        "https://evil.example/approve",
        T_URL "'x", T_URL "{x}", T_URL "|x", T_URL "^x", T_URL "`x", T_URL "\"x", T_URL ">x",
        T_URL "<x", T_URL "]x", T_URL "\\x",
        "https:\\\\us-east-1.acm-certificates.amazon.com\\approvals?code=" T_CODE "&context=" T_CTX,
        "https:/\\us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon%2ecom/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com/approvals?code=%31" T_CODE "&context=" T_CTX,
        "https://user@us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "https://us-east-1.acm-certificates.amazon.com:443/approvals?code=" T_CODE "&context=" T_CTX,
        "us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "hxxps://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX,
        "x" T_URL,
        "https:\\evil.example\\approve",
        "https:/evil.example/approve",
        "HTTPS:evil.example",
    };
    for (size_t i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
        o = tm_default(); o.url = bad_text[i]; o.html_url = T_URL;
        char *raw = tm_build(&o);
        struct acm_fields f;
        enum recog_status st = run(raw, &f);
        t_count++;
        if (st != RECOG_BAD_URL) {
            t_fail++;
            fprintf(stderr, "FAIL: text URL #%zu %s: got %s (%s)\n", i, bad_text[i],
                    recog_status_name(st), f.detail);
        }
        g_free(raw);
    }
    /* every link up to "and follow the instructions": the URL shown next to the <a> too */
    o = tm_default(); o.html_url = "https://evil.example/approve"; o.html_href = T_URL;
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n"
               "https://evil.example/ and follow the instructions on the page.\r\n",
               RECOG_BAD_URL, "approval-link");
    /* ... but a link after that is the template's own business (the renewal's docs link) */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n"
               "and follow the instructions on the page. https://docs.aws.amazon.com/acm/\r\n",
               RECOG_OK, NULL);
    /* a link inserted between the sentence and the approval link */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n" FIELDS
               "To approve this request, go to https://evil.example/ Amazon Certificate Approvals\r\n"
               "(" T_URL ")\r\n", RECOG_BAD_URL, "approval-link");
    /* the HTML part carries the template but no link at all: inconsistent */
    EXPECT_RAW(HDRS "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
               "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n--b\r\n"
               "Content-Type: text/html\r\n\r\n<p>" FIELDS "</p>\r\n--b--\r\n",
               RECOG_INCONSISTENT, "approval-link-missing-in-part");
    /* a part with the link but without a field another part has */
    EXPECT_RAW(HDRS "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
               "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n--b\r\n"
               "Content-Type: text/plain\r\n\r\n" APPROVE "(" T_URL ")\r\n--b--\r\n",
               RECOG_INCONSISTENT, "domain-missing-in-part");
    /* every part is read: attachments, inline parts after the alternative, attached
     * messages, text files with a generic type */
    o = tm_default();
    EXPECT_MIXED(o, "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n"
                    "Domain: www.evil.example\r\n", RECOG_INCONSISTENT, "domain-differs");
    EXPECT_MIXED(o, "Content-Type: text/plain\r\nContent-Disposition: inline\r\n\r\n"
                    "AWS account ID: 111122223333\r\n", RECOG_INCONSISTENT, "account-differs");
    EXPECT_MIXED(o, "Content-Type: text/html\r\nContent-Disposition: attachment; filename=a.html\r\n\r\n"
                    "<p>AWS Region name: eu-west-1</p>\r\n", RECOG_INCONSISTENT, "region-differs");
    EXPECT_MIXED(o, "Content-Type: application/octet-stream; name=a.txt\r\n"
                    "Content-Disposition: attachment; filename=a.txt\r\n\r\n"
                    "Domain: www.evil.example\r\n", RECOG_INCONSISTENT, "domain-differs");
    EXPECT_MIXED(o, "Content-Type: text/x-note\r\n\r\nDomain: www.evil.example\r\n",
                 RECOG_INCONSISTENT, "domain-differs");
    EXPECT_MIXED(o, "Content-Type: message/rfc822\r\n\r\n" HDRS "Content-Type: text/plain\r\n\r\n"
                    "Domain: www.evil.example\r\n", RECOG_INCONSISTENT, "domain-differs");
    EXPECT_MIXED(o, "Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n"
                    "Content-Type: text/plain\r\n\r\nAWS account ID: 111122223333\r\n--in--\r\n",
                 RECOG_INCONSISTENT, "account-differs");
    /* the same fields again, without a link: a template part needs its own link */
    EXPECT_MIXED(o, "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\n" FIELDS,
                 RECOG_INCONSISTENT, "approval-link-missing-in-part");
    /* an approval URL in an attachment is one more reading of the link */
    EXPECT_MIXED(o, "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\n"
                    "https://us-east-1.acm-certificates.amazon.com/approvals?code=22e23c40-7a2b-4754-a97c-"
                    "1607e8e78a6c&context=" T_CTX "\r\n", RECOG_INCONSISTENT, "url-differs");
    /* a footer part without fields or approval links does not count */
    EXPECT_MIXED(o, "Content-Type: text/plain\r\n\r\n-- \r\nScanned: https://www.example.com/policy\r\n",
                 RECOG_OK, NULL);
    /* what a reader does not see counts too: comments, script, style, noscript, title,
     * hidden elements */
    const char *hidden[] = {
        "www.example.com<!--\nDomain: www.evil.example\n-->",
        "www.example.com<script>\nDomain: www.evil.example\n</script>",
        "www.example.com<style>\nDomain: www.evil.example\n</style>",
        "www.example.com<noscript>Domain: www.evil.example</noscript>",
        "www.example.com<div style=\"display:none\">Domain: www.evil.example</div>",
        "www.example.com<div hidden>Domain: www.evil.example</div>",
        "www.example.com<title>Domain: www.evil.example</title>",
        "www.example.com<textarea>Domain: www.evil.example</textarea>",
        "www.example.com<img src=\"x.png\" alt=\"Domain: www.evil.example\">",
    };
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        expect_html_domain_refused("hidden", i, hidden[i], NULL);
    /* a comment, a script or a hidden element that cuts a label in two: the reader sees the
     * label, so it counts */
    const char *cut[] = {
        "www.example.com</span><br>Dom<!-- x -->ain: www.evil.example<span>",
        "www.example.com</span><br>Dom<script>x</script>ain: www.evil.example<span>",
        "www.example.com</span><br>Dom<span style=\"display:none\">x</span>ain: www.evil.example<span>",
        "www.example.com</span><br>Dom<span style=\"font-size:0px\">x</span>ain: www.evil.example<span>",
        "www.example.com</span><br>Dom<b hidden>x</b>ain: www.evil.example<span>",
    };
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
        expect_html_domain_refused("cut label", i, cut[i], "domain-differs");
    /* a visible style is not hidden: font-size:0.9em keeps the value for the reader */
    o = tm_default(); o.html_domain = "<span style=\"font-size:0.9em\">www.example.com</span>";
    EXPECT(o, RECOG_OK, NULL);
    /* a hidden value: the reader sees no domain after the label */
    o = tm_default(); o.html_domain = "<span style=\"display: none\">www.example.com</span>";
    EXPECT(o, RECOG_MALFORMED, "domain");
    /* "(" without ")" on the line: the link goes on, the next line is part of it */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL "\r\n00)\r\n",
               RECOG_MALFORMED, "context-nul");
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL "\r\n.evil.example)\r\n",
               RECOG_BAD_URL, "approval-link");
    /* a multipart's epilogue (where text past a DKIM l= lands) and preamble are read */
    {
        char *raw = tm_build(&o);
        (void)raw;
        g_free(raw);
    }
    o = tm_default();
    {
        char *raw = tm_build(&o);
        GString *g = g_string_new(raw);
        g_string_append(g, "Domain: www.evil.example\r\n");
        EXPECT_RAW(g->str, RECOG_INCONSISTENT, "domain-differs");
        g_string_free(g, TRUE);
        g_free(raw);
    }
    /* format=flowed: what a flowed reader joins is one value */
    EXPECT_RAW(HDRS "Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\n" FIELDS
               "Domain: www.example.com \r\n.evil.example\r\n" APPROVE "(" T_URL ")\r\n",
               RECOG_INCONSISTENT, "domain-differs");
    EXPECT_RAW(HDRS "Content-Type: text/plain; format=flowed\r\n\r\n"
               "We received a request to issue an SSL/TLS certificate \r\nfor www.example.com.\r\n"
               "Domain: www.example.com\r\nAWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
               "Certificate Identifier: " T_CERT "\r\n"
               "To approve this request, go to Amazon Certificate \r\nApprovals\r\n(" T_URL ")\r\n",
               RECOG_OK, NULL);
    /* two Subject fields */
    EXPECT_RAW("Subject: Certificate request for www.evil.example\r\n" HDRS "Content-Type: text/plain\r\n\r\n"
               FIELDS APPROVE "(" T_URL ")\r\n", RECOG_MALFORMED, "mime-conflicting-header");
    /* the approval sentence in a comment, with another link */
    o = tm_default();
    o.html_domain = "www.example.com<!-- To approve this request, go to https://evil.example/ -->";
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    o = tm_default();
    o.html_domain = "www.example.com<div style=\"display:none\">To approve this request, go to "
                    "<a href=\"https://evil.example/\">x</a></div>";
    EXPECT(o, RECOG_BAD_URL, "approval-link");
    /* a comment with another approval URL */
    o = tm_default();
    o.html_domain = "www.example.com<!-- https://us-east-1.acm-certificates.amazon.com/approvals?code="
                    "22e23c40-7a2b-4754-a97c-1607e8e78a6c&context=" T_CTX " -->";
    EXPECT(o, RECOG_INCONSISTENT, "url-differs");
    /* html.c reports every link attribute with its position, and comments in the text */
    struct html_text ht;
    const char *doc = "<!-- c1 --><p>a <a href=\"https://x.example/\">x</a> b</p>"
                      "<form action=\"https://f.example/\"></form><iframe src=\"https://i.example/\"></iframe>";
    CHECK(html_extract_all(doc, strlen(doc), &ht));
    CHECK(ht.hrefs.n == 3 && !ht.limit);
    CHECK(ht.text.data && strstr(ht.text.data, "c1"));
    CHECK(ht.hrefs.n >= 1 && ht.href_pos[0] == (size_t)(strstr(ht.text.data, "x") - ht.text.data));
    html_text_free(&ht);
    CHECK(html_extract(doc, strlen(doc), &ht));   /* the page reading: anchors only */
    CHECK(ht.hrefs.n == 1 && !strstr(ht.text.data, "c1"));
    html_text_free(&ht);
}

/* The default request whose HTML part (8bit) gets `body_end` before </body> and `in_a`
 * in place of `href="` of the approval link's opening tag. */
static char *html_with(const char *body_end, const char *href_from, const char *href_to)
{
    struct tm_opts o = tm_default();
    char *h = html_body(&o, o.domain, o.url, o.url);
    GString *hs = g_string_new(h);
    g_free(h);
    if (body_end) {
        char *b = strstr(hs->str, "</body>");
        g_string_insert(hs, b - hs->str, body_end);
    }
    if (href_from) {
        char *a = strstr(hs->str, href_from);
        if (a) {
            gssize at = a - hs->str;
            g_string_erase(hs, at, (gssize)strlen(href_from));
            g_string_insert(hs, at, href_to);
        }
    }
    char *t = text_body(&o, o.domain, o.url);
    char *m = g_strdup_printf(
        "Authentication-Results: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--b1\r\n"
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
        "--b1--\r\n", o.authres, o.from, o.to, o.subject, t, hs->str);
    g_free(t);
    g_string_free(hs, TRUE);
    return m;
}

#define EXPECT_HTML(end, from, to, want, detail)                                               \
    do {                                                                                       \
        char *raw_ = html_with(end, from, to);                                                 \
        expect_raw(raw_, strlen(raw_), want, detail, __FILE__, __LINE__);                      \
        g_free(raw_);                                                                          \
    } while (0)

/* Class 1, attributes: a URL a mail program fetches or follows without a click (images,
 * media, objects, refresh, styles) is read when it looks like an approval link, and a text
 * it shows at times (alt, title, aria-label, placeholder, value, srcdoc) is read too. */
static void class1_attributes(void)
{
    const char *evil = "https://evil.example/approvals?code=" T_CODE "&amp;context=" T_CTX;
    char buf[1024];
    const char *fmt[] = {
        "<img src=\"%s\" width=1 height=1>",
        "<img srcset=\"%s 2x\">",
        "<video poster=\"%s\"></video>",
        "<table background=\"%s\"><tr><td>x</td></tr></table>",
        "<object data=\"%s\"></object>",
        "<blockquote cite=\"%s\">q</blockquote>",
        "<a ping=\"%s\">x</a>",
        "<button formaction=\"%s\">Approve</button>",
        "<div style=\"background:url(%s)\">x</div>",
        "<meta http-equiv=\"refresh\" content=\"0;url=%s\">",
        "<embed src=\"%s\">",
        "<input type=\"image\" src=\"%s\">",
    };
    for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
        snprintf(buf, sizeof(buf), fmt[i], evil);
        EXPECT_HTML(buf, NULL, NULL, RECOG_BAD_URL, "approval-link");
    }
    /* the genuine approval URL in an image is no disagreement; ordinary images are no link */
    snprintf(buf, sizeof(buf), "<img src=\"%s\">", "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&amp;context=" T_CTX);
    EXPECT_HTML(buf, NULL, NULL, RECOG_OK, NULL);
    EXPECT_HTML("<img src=\"https://certificates.amazon.com/images/spacer.gif\" width=1>"
                "<video poster=\"https://www.example.com/p.png\"></video>", NULL, NULL, RECOG_OK, NULL);
    /* texts shown at times */
    const char *texts[] = {
        "<span title=\"Domain: www.evil.example\">x</span>",
        "<abbr title=\"AWS account ID: 111122223333\">ID</abbr>",
        "<div aria-label=\"Domain: www.evil.example\"></div>",
        "<input placeholder=\"Domain: www.evil.example\">",
        "<input value=\"AWS account ID: 111122223333\">",
        "<img alt=\"Domain: www.evil.example\" src=\"https://www.example.com/x.png\">",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        EXPECT_HTML(texts[i], NULL, NULL, RECOG_INCONSISTENT, NULL);
    EXPECT_HTML("<iframe srcdoc=\"Domain: www.evil.example\"></iframe>", NULL, NULL,
                RECOG_INCONSISTENT, "domain-differs");
    /* agreeing texts in attributes are no disagreement */
    EXPECT_HTML("<span title=\"Domain: www.example.com\">x</span>", NULL, NULL, RECOG_OK, NULL);
    /* a line break or tab inside the approval href is removed, as a browser does */
    EXPECT_HTML(NULL, "amazon.com/approvals?code=", "amazon.com/\r\napprovals?code=", RECOG_OK, NULL);
    EXPECT_HTML(NULL, "amazon.com/approvals?code=", "amazon.com/\n\tapprovals?code=", RECOG_OK, NULL);
    /* a blank inside it stays: a URL with a space is no approval URL */
    EXPECT_HTML(NULL, "amazon.com/approvals?code=", "amazon.com/ approvals?code=", RECOG_BAD_URL,
                "approval-link");
}

static void class2_tokens(void)
{
    struct tm_opts o;
    const struct { const char *account, *domain, *region, *cert, *detail; } bad[] = {
        {"123456789012/999988887777", NULL, NULL, NULL, "account"},
        {"123456789012 999988887777", NULL, NULL, NULL, "account"},
        {"123456789012x", NULL, NULL, NULL, "account"},
        {"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97"
         "\xef\xbc\x98\xef\xbc\x99\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92", NULL, NULL, NULL, "account"},
        {"123456\xe2\x80\x8b" "789012", NULL, NULL, NULL, "account"},
        {"123456\xc2\xad" "789012", NULL, NULL, NULL, "account"},
        {"1234 5678 9012", NULL, NULL, NULL, "account"},
        {"12345-678-9012", NULL, NULL, NULL, "account"},
        {"", NULL, NULL, NULL, "account"},
        {NULL, "www.example.com>.evil.example", NULL, NULL, "domain"},
        {NULL, "www.example.com/.evil.example", NULL, NULL, "domain"},
        {NULL, "www.example.com\xe2\x80\x8b", NULL, NULL, "domain"},
        {NULL, "\xe2\x80\xaewww.example.com", NULL, NULL, "domain"},
        {NULL, "www.ex\xc2\xad" "ample.com", NULL, NULL, "domain"},
        {NULL, NULL, "us-east-1;eu-west-1", NULL, "region"},
        {NULL, NULL, "us-east-1 eu-west-1", NULL, "region"},
        {NULL, NULL, "us\xe2\x80\x91" "east-1", NULL, "region"},
        {NULL, NULL, NULL, T_CERT "/x", "certificate-identifier"},
        {NULL, NULL, NULL, T_CERT " arn:aws:acm:us-east-1:111122223333:certificate/x", "certificate-identifier"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = tm_default();
        if (bad[i].account) o.account = bad[i].account;
        if (bad[i].domain) o.domain = bad[i].domain;
        if (bad[i].region) o.region = bad[i].region;
        if (bad[i].cert) o.cert = bad[i].cert;
        o.no_html = true;   /* the text part alone shows the value as written */
        char *raw = tm_build(&o);
        struct acm_fields f;
        enum recog_status st = run(raw, &f);
        t_count++;
        if (st != RECOG_MALFORMED) {
            t_fail++;
            fprintf(stderr, "FAIL: value #%zu: got %s (%s), want malformed\n", i,
                    recog_status_name(st), f.detail);
        }
        g_free(raw);
    }
    /* a long but valid domain (four 60-letter labels) is read whole */
    o = tm_default();
    o.domain = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
               "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
               "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.example.com";
    o.subject = "Certificate request for x";
    EXPECT(o, RECOG_INCONSISTENT, "subject-domain");
    /* the requested domain is a sentence's value: the closing dot is its boundary */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n"
               "We received a request to issue an SSL/TLS certificate for www.example.com/x.evil.\r\n"
               "Domain: www.example.com\r\nAWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
               "Certificate Identifier: " T_CERT "\r\n" APPROVE "(" T_URL ")\r\n",
               RECOG_MALFORMED, "requested-domain");
    /* a disguised label is malformed, never skipped: a Cyrillic o, a full-width colon, a
     * zero-width space inside the label */
    EXPECT_RAW(HDRS "Content-Type: text/plain; charset=utf-8\r\n\r\n" FIELDS
               "AWS acc\xd0\xbeunt ID: 111122223333\r\n" APPROVE "(" T_URL ")\r\n",
               RECOG_MALFORMED, "account-label");
    EXPECT_RAW(HDRS "Content-Type: text/plain; charset=utf-8\r\n\r\n" FIELDS
               "Domain\xef\xbc\x9a www.evil.example\r\n" APPROVE "(" T_URL ")\r\n",
               RECOG_MALFORMED, "domain-label");
    EXPECT_RAW(HDRS "Content-Type: text/plain; charset=utf-8\r\n\r\n" FIELDS
               "Certificate Ident\xe2\x80\x8bifier: x\r\n" APPROVE "(" T_URL ")\r\n",
               RECOG_MALFORMED, "certificate-identifier-label");
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n" FIELDS "AWS account ID; 111122223333\r\n"
               APPROVE "(" T_URL ")\r\n", RECOG_MALFORMED, "account-label");
    /* an invisible character anywhere in a part with the template */
    EXPECT_RAW(HDRS "Content-Type: text/plain; charset=utf-8\r\n\r\nGreetings\xe2\x80\x8d\r\n" FIELDS
               APPROVE "(" T_URL ")\r\n", RECOG_MALFORMED, "invisible-character");
    /* the subject's domain is a whole token too */
    o = tm_default(); o.subject = "Certificate request for www.example.com>.evil.example";
    EXPECT(o, RECOG_INCONSISTENT, "subject-domain");
}

static void class3_nul(void)
{
    struct tm_opts o;
    /* a 00 in the region tail of context: never read as the end of the region */
    o = tm_default(); o.url = T_URL "00";
    EXPECT(o, RECOG_MALFORMED, "context-nul");
    char host[128], region[32], code[40], ctx[128];
    CHECK(!approval_url_parse(T_URL "00", host, sizeof(host), region, sizeof(region), code,
                              sizeof(code), ctx, sizeof(ctx)));
    CHECK(!approval_url_parse("https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE
                              "&context=111a222c-6e1d-4333-bbc4-40b961461df5-0075732d656173742d31",
                              host, sizeof(host), region, sizeof(region), code, sizeof(code), ctx,
                              sizeof(ctx)));
    /* NUL in a header the decision reads, raw or RFC 2047 encoded */
    static const char subj[] = "From: Amazon Certificates <no-reply@certificates.amazon.com>\r\n"
                               "Subject: Certificate request for www.example.com\0.evil\r\n"
                               "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n";
    EXPECT_LEN(subj, sizeof(subj) - 1, RECOG_MALFORMED, "nul-in-subject");
    static const char from[] = "From: Amazon Certificates <no-reply@certificates.amazon.com>\0x\r\n"
                               "Subject: Certificate request for www.example.com\r\n"
                               "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n";
    EXPECT_LEN(from, sizeof(from) - 1, RECOG_MALFORMED, "nul-in-from");
    static const char ar[] = "Authentication-Results: mx.example.com; dkim=pass\0 header.d=x\r\n" HDRS
                             "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n";
    EXPECT_LEN(ar, sizeof(ar) - 1, RECOG_MALFORMED, "nul-in-authentication-results");
    static const char folded[] = "Authentication-Results: mx.example.com;\r\n\tdkim=pass\0 x\r\n" HDRS
                                 "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n";
    EXPECT_LEN(folded, sizeof(folded) - 1, RECOG_MALFORMED, "nul-in-authentication-results");
    o = tm_default(); o.subject = "=?utf-8?q?Certificate_request_for_www.example.com=00.evil?=";
    EXPECT(o, RECOG_MALFORMED, "nul-in-subject");
    o = tm_default(); o.subject = "=?utf-8?b?Q2VydGlmaWNhdGUgcmVxdWVzdCBmb3Igd3d3LmV4YW1wbGUuY29tAC5ldmls?=";
    EXPECT(o, RECOG_MALFORMED, "nul-in-subject");
    o = tm_default(); o.subject = "=?utf-16?b?AEMAZQBy?=";
    EXPECT(o, RECOG_MALFORMED, "nul-in-subject");
    /* a NUL anywhere else in the raw message, or decoded in a part */
    static const char body[] = HDRS "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\0\r\n";
    EXPECT_LEN(body, sizeof(body) - 1, RECOG_MALFORMED, "nul-in-message");
    char *b64 = g_base64_encode((const guchar *)FIELDS "Domain: www.example.com\0.evil\r\n" APPROVE
                                "(" T_URL ")\r\n", sizeof(FIELDS "Domain: www.example.com\0.evil\r\n"
                                APPROVE "(" T_URL ")\r\n") - 1);
    char *msg = g_strdup_printf(HDRS "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n", b64);
    EXPECT_RAW(msg, RECOG_MALFORMED, "nul-byte");
    g_free(b64);
    g_free(msg);
}

static void class4_limits(void)
{
    struct tm_opts o = tm_default();
    GString *g = g_string_new(NULL);
    /* more text parts than MIME_MAX_PARTS */
    for (int i = 0; i < MIME_MAX_PARTS + 2; i++)
        g_string_append(g, "Content-Type: text/plain\r\n\r\nfooter\r\n--MIX\r\n");
    g_string_append(g, "Content-Type: text/plain\r\n\r\nlast");
    EXPECT_MIXED(o, g->str, RECOG_MALFORMED, "mime-parts");
    /* ... even when no part read so far had a link: what was not read is not assumed harmless */
    g_string_assign(g, HDRS "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
    for (int i = 0; i < MIME_MAX_PARTS + 1; i++)
        g_string_append(g, "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
    g_string_append(g, "--b\r\nContent-Type: text/plain\r\n\r\n(" T_URL ")\r\n--b--\r\n");
    {
        struct acm_fields f;
        CHECK(run(g->str, &f) == RECOG_MALFORMED);
        CHECK_STR(f.detail, "mime-parts");
    }
    /* ... and parts that are not text count too */
    o = tm_default();
    g_string_truncate(g, 0);
    for (int i = 0; i < MIME_MAX_PARTS + 2; i++)
        g_string_append(g, "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--MIX\r\n");
    g_string_append(g, "Content-Type: image/png\r\n\r\nx");
    EXPECT_MIXED(o, g->str, RECOG_MALFORMED, "mime-parts");
    /* MIME depth */
    g_string_assign(g, HDRS);
    for (int i = 0; i < MIME_MAX_DEPTH + 4; i++)
        g_string_append_printf(g, "Content-Type: multipart/mixed; boundary=d%d\r\n\r\n--d%d\r\n", i, i);
    g_string_append(g, "Content-Type: text/plain\r\n\r\nhello\r\n");
    EXPECT_RAW(g->str, RECOG_MALFORMED, "mime-depth");
    /* more header fields than MIME_MAX_HEADERS */
    g_string_assign(g, HDRS);
    for (int i = 0; i < MIME_MAX_HEADERS + 5; i++)
        g_string_append_printf(g, "X-H%d: v\r\n", i);
    g_string_append(g, "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n");
    EXPECT_RAW(g->str, RECOG_MALFORMED, "mime-headers");
    /* more links than HTML_MAX_HREFS in an HTML part */
    g_string_assign(g, HDRS "Content-Type: text/html\r\n\r\n<p>" FIELDS "</p><p>" APPROVE
                       "<a href=\"" T_URL "\">A</a></p>");
    for (int i = 0; i < HTML_MAX_HREFS + 1; i++)
        g_string_append_printf(g, "<a href=\"https://www.example.com/%d\">%d</a>", i, i);
    EXPECT_RAW(g->str, RECOG_MALFORMED, "html-links");
    /* HTML nested deeper than HTML_MAX_DEPTH (libxml2 stops reading at 256) */
    g_string_assign(g, HDRS "Content-Type: text/html\r\n\r\n");
    for (int i = 0; i < 300; i++)
        g_string_append(g, "<div>");
    g_string_append(g, "<p>" FIELDS "</p><p>" APPROVE "<a href=\"" T_URL "\">A</a></p>");
    EXPECT_RAW(g->str, RECOG_MALFORMED, "html-depth");
    /* more matches of a label than its cap */
    g_string_assign(g, HDRS "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n");
    for (int i = 0; i < 250; i++)
        g_string_append(g, "Domain: www.example.com\r\n");
    EXPECT_RAW(g->str, RECOG_MALFORMED, "match-count");
    /* more links in a part than the reading keeps */
    g_string_assign(g, HDRS "Content-Type: text/plain\r\n\r\n" FIELDS APPROVE "(" T_URL ")\r\n");
    for (int i = 0; i < 600; i++)
        g_string_append_printf(g, "https://www.example.com/%d\r\n", i);
    EXPECT_RAW(g->str, RECOG_MALFORMED, "link-count");
    g_string_free(g, TRUE);
}

static void genuine_variants(void)
{
    struct tm_opts o;
    struct acm_fields f;
    /* trailing spaces and blanks-only lines, CRLF and LF, base64 text, QP HTML */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\nGreetings \r\n \r\n"
               "We received a request to issue an SSL/TLS certificate for www.example.com. \r\n"
               "Domain: www.example.com  \r\nAWS account ID: 123456789012 \r\nAWS Region name: us-east-1\t\r\n"
               "Certificate Identifier: " T_CERT " \r\n \r\n" APPROVE "(" T_URL ") \r\n", RECOG_OK, NULL);
    o = tm_default(); o.lf_only = true; EXPECT(o, RECOG_OK, NULL);
    o = tm_default(); o.html_b64 = true; o.text_qp = true; EXPECT(o, RECOG_OK, NULL);
    /* "> " quoting, the URL and the ARN hard-wrapped inside the quote */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n"
               "> We received a request to issue an SSL/TLS certificate for www.example.com.\r\n"
               "> Domain: www.example.com\r\n> AWS account ID: 123456789012\r\n> AWS Region name: us-east-1\r\n"
               "> Certificate Identifier: arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-\r\n"
               "> 0882-4f51-954a-298ee44ff369\r\n> \r\n> " APPROVE
               "> (https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=111a222c-6e1d-\r\n"
               "> 4333-bbc4-40b961461df5-75732d656173742d31)\r\n", RECOG_OK, NULL);
    /* re-wrapped: the value on the line after its label, the URL as <...> */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n"
               "We received a request to issue an SSL/TLS certificate for\r\nwww.example.com.\r\n"
               "Domain: www.example.com\r\nAWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
               "Certificate Identifier:\r\n" T_CERT "\r\n" APPROVE "<" T_URL ">\r\n", RECOG_OK, NULL);
    /* an [EXTERNAL] banner with a link before the template */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n[EXTERNAL] see https://security.example.com/x\r\n"
               FIELDS APPROVE "(" T_URL ")\r\n", RECOG_OK, NULL);
    /* the renewal template: the docs link after the approval link */
    EXPECT_RAW(HDRS "Content-Type: text/plain\r\n\r\n" FIELDS
               "To approve this request, go to Amazon Certificate Approvals at\r\n" T_URL "\r\n"
               "and follow the instructions on the page. You can see more here -\r\n"
               "https://docs.aws.amazon.com/acm/latest/userguide/email-validation.html.\r\n",
               RECOG_OK, NULL);
    /* China */
    CHECK(run("From: Amazon Certificates <no-reply@certificates.amazon.com>\r\n"
              "Subject: Certificate request for www.example.cn\r\nContent-Type: text/plain\r\n\r\n"
              "We received a request to issue an SSL/TLS certificate for www.example.cn.\r\n"
              "Domain: www.example.cn\r\nAmazon Web Services account ID: 210987654321\r\n"
              "Amazon Web Services Region name: cn-north-1\r\nCertificate Identifier: "
              "arn:aws-cn:acm:cn-north-1:210987654321:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369\r\n"
              APPROVE "(https://cn-north-1.acm-certificates.amazonaws.cn/approvals?code=" T_CODE
              "&context=111a222c-6e1d-4333-bbc4-40b961461df5-636e2d6e6f7274682d31)\r\n", &f) == RECOG_OK);
    /* a leading BOM and NBSP in the HTML are not invisible tricks */
    EXPECT_RAW(HDRS "Content-Type: text/html; charset=utf-8\r\n\r\n\xef\xbb\xbf<p>" FIELDS
               "</p><p>" APPROVE "<a href=\"" T_URL "\">Amazon&nbsp;Certificate Approvals</a> ( " T_URL
               " )</p>\r\n", RECOG_OK, NULL);
    /* ACM's other notices: labels, no approval link: still not ACM's request */
    EXPECT_RAW("From: Amazon Web Services <no-reply-aws@amazon.com>\r\n\r\n"
               "AWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
               "Certificate identifier: " T_CERT "\r\nhttps://console.aws.amazon.com/acm/home\r\n",
               RECOG_NOT_ACM, NULL);
}

int main(void)
{
    CHECK(evaluate_init());
    class1_parts();
    class2_tokens();
    class3_nul();
    class4_limits();
    class1_attributes();
    genuine_variants();
    evaluate_shutdown();
    return t_done("test_hostile");
}
