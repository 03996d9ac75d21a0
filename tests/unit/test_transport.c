/* Unit tests: what real mail paths do to a genuine message on its way in, and what an
 * attacker can do on the same path.
 *  - Authentication-Results as real MX hosts stack them (SenderAuth authres): the trust
 *    boundary (every trusted field from the top down to the first that is not), the
 *    verdict of the topmost trusted field with a dkim result, forged fields below it.
 *  - Quoted-printable transport padding (RFC 2045 6.7 (3)): white space a relay added
 *    before line ends, also after a soft line break, is deleted before matching. */
#include <unistd.h>

#include "conf.h"
#include "evaluate.h"
#include "mime.h"
#include "msg.h"
#include "t.h"

static char dir[] = "/tmp/acm-test-transport-XXXXXX";
static struct config *C;

static void decide_raw(const char *raw, size_t len, struct decision *d)
{
    struct envelope env = {.sender = "bounce@bounces.certificates.amazon.com"};
    strlist_add(&env.rcpts, "admin@example.com");
    evaluate(C, &env, raw, len, false, d);
    strlist_free(&env.rcpts);
}

static void decide(const struct tm_opts *o, struct decision *d)
{
    char *raw = tm_build(o);
    decide_raw(raw, strlen(raw), d);
    g_free(raw);
}

static int expect(int line, struct decision *d, enum verdict v, const char *reason,
                  const char *detail)
{
    t_count++;
    if (d->verdict != v || strcmp(d->reason, reason) != 0 ||
        (detail && strcmp(d->detail, detail) != 0)) {
        t_fail++;
        fprintf(stderr, "%s:%d: FAIL: got %s %s (%s), want %s %s (%s)\n", __FILE__, line,
                verdict_name(d->verdict), d->reason, d->detail, verdict_name(v), reason,
                detail ? detail : "*");
        return 0;
    }
    return 1;
}
#define EXPECT(o, v, r, det)                                                                   \
    do {                                                                                       \
        struct decision d_;                                                                    \
        decide(&(o), &d_);                                                                     \
        expect(__LINE__, &d_, v, r, det);                                                      \
    } while (0)

#define PASS_ACM "mx.example.com; dkim=pass header.d=certificates.amazon.com header.s=a1"
#define AR "Authentication-Results: "

/* The default message with other Authentication-Results fields: authres is the topmost,
 * headers (whole lines) come below it. */
static void trust_boundary(void)
{
    static const struct {
        int line;
        const char *authres, *headers;
        enum verdict v;
        const char *reason, *detail;
    } cases[] = {
        /* OpenDMARC's field above OpenDKIM's (both insert at the top): the dkim= one counts */
        {__LINE__,
         "mx.example.com; dmarc=pass (p=reject dis=none) header.from=certificates.amazon.com",
         AR PASS_ACM "\r\n",
         V_APPROVE, "allowlisted", NULL},
        /* three fields of the site (SPF, DMARC, DKIM), one folded, two trusted ids */
        {__LINE__,
         "mx2.example.com;\r\n\tspf=pass smtp.mailfrom=bounces.certificates.amazon.com",
         AR "mx.example.com; dmarc=pass header.from=certificates.amazon.com\r\n"
         AR PASS_ACM "\r\n",
         V_APPROVE, "allowlisted", NULL},
        /* the dmarc field above, a real dkim=fail, then a forged dkim=pass with the same id:
         * the topmost field with a dkim result decides */
        {__LINE__,
         "mx.example.com; dmarc=fail header.from=certificates.amazon.com",
         AR "mx.example.com; dkim=fail header.d=certificates.amazon.com\r\n"
         AR PASS_ACM "\r\n",
         V_DENY, "unauthenticated", "no-aligned-dkim-pass"},
        /* dkim=none from the site's verifier, a forged pass below it */
        {__LINE__,
         "mx.example.com; dkim=none",
         AR PASS_ACM "\r\n",
         V_DENY, "unauthenticated", "no-aligned-dkim-pass"},
        /* a pass only for amazonses.com on top; the forged aligned pass below does not count */
        {__LINE__,
         "mx.example.com; dkim=pass header.d=amazonses.com",
         AR PASS_ACM "\r\n",
         V_DENY, "unauthenticated", "no-aligned-dkim-pass"},
        /* the boundary: an untrusted field, then a trusted-looking pass that came with the mail */
        {__LINE__,
         "mx.example.com; dmarc=pass header.from=certificates.amazon.com",
         AR "relay.evil.example; dkim=pass header.d=certificates.amazon.com\r\n"
         AR PASS_ACM "\r\n",
         V_DENY, "unauthenticated", "no-aligned-dkim-pass"},
        /* the topmost field is not ours: nothing below it counts */
        {__LINE__,
         "other.example.net; dkim=none",
         AR PASS_ACM "\r\n",
         V_DENY, "unauthenticated", "no-trusted-authres"},
        /* a field that cannot be parsed is a boundary too */
        {__LINE__,
         "mx.example.com; dmarc=pass (unclosed comment",
         AR PASS_ACM "\r\n",
         V_DENY, "unauthenticated", NULL},
        {__LINE__,
         "; dkim=pass header.d=certificates.amazon.com",
         AR PASS_ACM "\r\n",
         V_DENY, "unauthenticated", "no-trusted-authres"},
        /* the authserv-id matched case-insensitively, as a whole word */
        {__LINE__,
         "MX.Example.COM; dkim=pass header.d=certificates.amazon.com",
         NULL,
         V_APPROVE, "allowlisted", NULL},
        {__LINE__,
         "mx.example.com.evil.example; dkim=pass header.d=certificates.amazon.com",
         NULL,
         V_DENY, "unauthenticated", "no-trusted-authres"},
        /* several signatures in the deciding field: one aligned pass is enough */
        {__LINE__,
         "mx.example.com; dkim=fail header.d=certificates.amazon.com; "
         "dkim=pass header.d=certificates.amazon.com",
         NULL,
         V_APPROVE, "allowlisted", NULL},
        /* a trusted field with results of other methods only, and nothing else: no dkim verdict */
        {__LINE__,
         "mx.example.com; spf=pass smtp.mailfrom=bounces.certificates.amazon.com",
         NULL,
         V_DENY, "unauthenticated", "no-aligned-dkim-pass"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tm_opts o = tm_default();
        o.authres = cases[i].authres;
        o.headers = cases[i].headers;
        struct decision d;
        decide(&o, &d);
        expect(cases[i].line, &d, cases[i].v, cases[i].reason, cases[i].detail);
    }
}

/* The default message with both parts quoted-printable and padded with pad; with lf, bare
 * LF line ends. */
static char *padded_message(const char *pad, bool lf)
{
    struct tm_opts o = tm_default();
    char *t = text_body(&o, o.domain, o.url);
    char *h = html_body(&o, o.domain, o.url, o.url);
    char *te = qp_encode_padded(t, 50, pad), *he = qp_encode_padded(h, 50, pad);
    char *m = g_strdup_printf(
        "Authentication-Results: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: Quoted-Printable\r\n\r\n%s\r\n--b1--\r\n",
        o.authres, o.from, o.to, o.subject, te, he);
    g_free(t), g_free(h), g_free(te), g_free(he);
    if (lf)
        strip_cr(m);
    return m;
}

static void qp_padding(void)
{
    /* the function itself */
    struct { const char *in, *out; } cases[] = {
        {"abc  \r\ndef\t\r\n", "abc\r\ndef\r\n"},
        {"ab= \t \r\ncd", "ab=\r\ncd"},
        {"ab=  \ncd  \n", "ab=\ncd\n"},
        {"keep  inner\r\n", "keep  inner\r\n"},
        {"end   ", "end"},
        {"=20  \r\n", "=20\r\n"},
        {"a \r b\r\n", "a \r b\r\n"},       /* a bare CR is not a line end */
        {"   \r\n  \n", "\r\n\n"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);
        char *b = g_strdup(cases[i].in);
        size_t m = mime_qp_strip_padding(b, n);
        t_count++;
        if (m != strlen(cases[i].out) || memcmp(b, cases[i].out, m) != 0) {
            t_fail++;
            fprintf(stderr, "%s:%d: FAIL: padding case %zu: got \"%.*s\"\n", __FILE__, __LINE__,
                    i, (int)m, b);
        }
        g_free(b);
    }
    /* a NUL in the encoded text is data, not an end */
    {
        char b[] = {'a', ' ', '\r', '\n', 0, ' ', '\n'};
        size_t m = mime_qp_strip_padding(b, sizeof(b));
        CHECK(m == 5 && b[0] == 'a' && b[1] == '\r' && b[3] == 0 && b[4] == '\n');
    }

    /* whole messages: a genuine request whose relay padded every QP line still approves,
     * with spaces, tabs, both, CRLF and bare LF */
    const char *pads[] = {" ", "\t", "  \t ", "                "};
    for (size_t i = 0; i < sizeof(pads) / sizeof(pads[0]); i++)
        for (int lf = 0; lf < 2; lf++) {
            char *m = padded_message(pads[i], lf);
            struct decision d;
            decide_raw(m, strlen(m), &d);
            if (!expect(__LINE__, &d, V_APPROVE, "allowlisted", NULL))
                fprintf(stderr, "  pad %zu lf %d\n", i, lf);
            /* the decoded parts carry no "= " and no padding */
            struct mime_view *mv = mime_parse(m, strlen(m));
            CHECK(mv && mv->nparts == 2);
            for (size_t k = 0; mv && k < mv->nparts; k++) {
                CHECK(memmem(mv->parts[k].text, mv->parts[k].len, "= ", 2) == NULL);
                CHECK(memmem(mv->parts[k].text, mv->parts[k].len, T_CODE, strlen(T_CODE)));
                CHECK(memmem(mv->parts[k].text, mv->parts[k].len, T_CTX, strlen(T_CTX)));
                CHECK(memmem(mv->parts[k].text, mv->parts[k].len, " \r\n", 3) == NULL);
            }
            mime_free(mv);
            g_free(m);
        }
    /* padding removal never joins what a hard line end separates, and never lets padding
     * hide a forged value: a padded message with another account is still inconsistent */
    {
        struct tm_opts o = tm_default();
        o.text_qp = true;
        o.html_domain = "www.evil.example";
        EXPECT(o, V_DENY, "inconsistent", NULL);
    }
    /* base64 and 7bit parts are not touched (no QP padding rule for them) */
    {
        struct tm_opts o = tm_default();
        o.html_b64 = true;
        EXPECT(o, V_APPROVE, "allowlisted", NULL);
    }
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    CHECK(evaluate_init());
    C = t_mkconf(dir, "SenderAuth authres\nTrustedAuthservIDs mx.example.com, mx2.example.com\n",
                 "arn:aws:acm:us-east-1:123456789012:certificate/*\n");
    CHECK(C != NULL);
    if (!C)
        return t_done("test_transport");
    trust_boundary();
    qp_padding();
    config_unref(C);
    evaluate_shutdown();
    CHECK(t_rmtree(dir) == 0);
    return t_done("test_transport");
}
