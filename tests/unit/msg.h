/* Builds ACM-like test messages from the documented template, with knobs for the
 * adversarial variants. Shared by test_recognizer.c and test_policy.c. */
#ifndef ACM_TEST_MSG_H
#define ACM_TEST_MSG_H
#include <glib.h>

#include "util.h"

#define T_CERT "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369"
#define T_CODE "11e23c40-7a2b-4754-a97c-1607e8e78a6c"
#define T_CTX "111a222c-6e1d-4333-bbc4-40b961461df5-75732d656173742d31"
#define T_URL "https://us-east-1.acm-certificates.amazon.com/approvals?code=" T_CODE "&context=" T_CTX

struct tm_opts {
    const char *domain, *account, *region, *cert, *url;     /* text part */
    const char *html_domain, *html_url, *html_href;          /* html part (NULL: as text) */
    const char *headers;                                     /* extra header lines, CRLF */
    const char *from, *subject, *authres, *to;
    bool no_text, no_html, text_qp, html_b64, lf_only;
};

static char *text_body(const struct tm_opts *o, const char *domain, const char *url)
{
    return g_strdup_printf(
        "Greetings from Amazon Web Services,\r\n \r\n"
        "We received a request to issue an SSL/TLS certificate for %s.\r\n \r\n"
        "Verify that the following domain, AWS account ID, and certificate identifier correspond\r\n"
        "to a request from you or someone in your organization.\r\n \r\n"
        "Domain: %s\r\nAWS account ID: %s\r\nAWS Region name: %s\r\nCertificate Identifier: %s\r\n \r\n"
        "To approve this request, go to Amazon Certificate Approvals\r\n(%s)\r\n"
        "and follow the instructions on the page.\r\n \r\nSincerely,\r\nAmazon Web Services\r\n",
        domain, domain, o->account, o->region, o->cert, url);
}

static char *html_body(const struct tm_opts *o, const char *domain, const char *url,
                       const char *href)
{
    GString *h = g_string_new(NULL);
    char *esc_url = g_markup_escape_text(url, -1), *esc_href = g_markup_escape_text(href, -1);
    g_string_append_printf(h,
        "<html><head><title>Domain Validation</title></head><body><table><tr><td>"
        "<p>Greetings from Amazon Web Services,</p><p>We received a request to issue an SSL/TLS "
        "certificate for <span id=\"requested_domain\">%s</span>.</p>"
        "<p>Verify that the following domain, AWS account ID, and certificate identifier correspond "
        "to a request from you or someone in your organization.</p><p>"
        "<b>Domain:</b> <span id=\"fqdn\">%s</span><br>"
        "<b>AWS account ID:</b> <span id=\"account_id\">%s</span><br>"
        "<b>AWS Region name:</b> <span id=\xe2\x80\x9cregion_name\xe2\x80\x9d>%s</span><br>"
        "<b>Certificate Identifier:</b> <span id=\"cert_id\">%s</span></p>"
        "<p>To approve this request, go to <a id=\"approval_url\" href=\"%s\">Amazon Certificate "
        "Approvals</a> ( %s ) and follow the instructions on the page.</p>"
        "<p>Sincerely,<br>Amazon&nbsp;Web Services</p></td></tr></table></body></html>\r\n",
        domain, domain, o->account, o->region, o->cert, esc_href, esc_url);
    g_free(esc_url);
    g_free(esc_href);
    return g_string_free(h, FALSE);
}

/* QP-encodes s with a soft line break every width output characters (even inside URLs and
 * ARNs); pad (transport padding, "" for none) goes before every line end, hard and soft. */
static char *qp_encode_padded(const char *s, int width, const char *pad)
{
    GString *o = g_string_new(NULL);
    int col = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r' && p[1] == '\n') {
            g_string_append_printf(o, "%s\r\n", pad);
            p++;
            col = 0;
            continue;
        }
        if (col >= width) {
            g_string_append_printf(o, "=%s\r\n", pad);
            col = 0;
        }
        if (*p == '=' || *p >= 0x7f) {
            g_string_append_printf(o, "=%02X", *p);
            col += 3;
        } else {
            g_string_append_c(o, (char)*p);
            col++;
        }
    }
    return g_string_free(o, FALSE);
}

static char *qp_encode(const char *s)
{
    return qp_encode_padded(s, 60, "");
}

/* Removes every CR of s in place (bare LF line ends). */
static void strip_cr(char *s)
{
    char *d = s;
    for (char *p = s; *p; p++)
        if (*p != '\r')
            *d++ = *p;
    *d = '\0';
}

static char *b64_encode(const char *s)
{
    char *b = g_base64_encode((const guchar *)s, strlen(s));
    GString *o = g_string_new(NULL);
    size_t n = strlen(b);
    for (size_t i = 0; i < n; i += 76)
        g_string_append_printf(o, "%.76s\r\n", b + i);
    g_free(b);
    return g_string_free(o, FALSE);
}

static struct tm_opts tm_default(void)
{
    struct tm_opts o = {
        .domain = "www.example.com", .account = "123456789012", .region = "us-east-1",
        .cert = T_CERT, .url = T_URL,
        .from = "Amazon Certificates <no-reply@certificates.amazon.com>",
        .subject = "Certificate request for www.example.com",
        .authres = "mx.example.com; dkim=pass header.d=certificates.amazon.com header.s=a1; "
                   "dkim=pass header.d=amazonses.com",
        .to = "admin@example.com",
    };
    return o;
}

/* Appends one part of tm_build()'s multipart/alternative body, and frees enc. */
static void tm_part(GString *m, const char *type, const char *cte, char *enc)
{
    g_string_append_printf(m, "------=_Part_1\r\nContent-Type: %s; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: %s\r\n\r\n%s\r\n",
                           type, cte, enc);
    g_free(enc);
}

/* Returns a g_malloc'd RFC 5322 message. */
static char *tm_build(const struct tm_opts *o)
{
    GString *m = g_string_new(NULL);
    if (o->authres)
        g_string_append_printf(m, "Authentication-Results: %s\r\n", o->authres);
    if (o->headers)
        g_string_append(m, o->headers);
    g_string_append_printf(m, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\n",
                           o->from, o->to, o->subject);
    g_string_append(m, "Content-Type: multipart/alternative; boundary=\"----=_Part_1\"\r\n\r\n");
    if (!o->no_text) {
        char *t = text_body(o, o->domain, o->url);
        if (o->text_qp)
            tm_part(m, "text/plain", "quoted-printable", qp_encode(t));
        else
            tm_part(m, "text/plain", "7bit", g_strdup(t));
        g_free(t);
    }
    if (!o->no_html) {
        const char *hu = o->html_url ? o->html_url : o->url;
        char *h = html_body(o, o->html_domain ? o->html_domain : o->domain, hu,
                            o->html_href ? o->html_href : hu);
        if (o->html_b64)
            tm_part(m, "text/html", "base64", b64_encode(h));
        else
            tm_part(m, "text/html", "quoted-printable", qp_encode(h));
        g_free(h);
    }
    g_string_append(m, "------=_Part_1--\r\n");
    char *s = g_string_free(m, FALSE);
    if (o->lf_only)
        strip_cr(s);
    return s;
}
#endif
