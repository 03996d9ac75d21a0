/* Unit tests: the policy over whole messages (evaluate()): sender authentication, recipient
 * consistency, the allowlist, the decision line and the secrets rule. */
#include <unistd.h>

#include "conf.h"
#include "evaluate.h"
#include "msg.h"
#include "t.h"

static char dir[] = "/tmp/acm-test-policy-XXXXXX";

static struct config *mkconf(const char *extra, const char *allowlist)
{
    char *conf = g_strdup_printf("TrustedAuthservIDs mx.example.com\n%s%s",
                                 strstr(extra, "SenderAuth") ? "" : "SenderAuth authres\n", extra);
    struct config *c = t_mkconf(dir, conf, allowlist);
    g_free(conf);
    return c;
}

static struct config *C;

static void decide(const struct tm_opts *o, const char *rcpt, struct decision *d)
{
    char *raw = tm_build(o);
    struct envelope env = {.sender = "bounce@bounces.certificates.amazon.com"};
    strlist_add(&env.rcpts, "someone@example.com");
    strlist_add(&env.rcpts, rcpt);
    evaluate(C, &env, raw, strlen(raw), false, d);
    strlist_free(&env.rcpts);
    g_free(raw);
}

static void expect_at(int line, const struct tm_opts *o, const char *rcpt, enum verdict v,
                      const char *r)
{
    struct decision d;
    decide(o, rcpt, &d);
    t_count++;
    if (d.verdict != v || strcmp(d.reason, r) != 0) {
        t_fail++;
        fprintf(stderr, "%s:%d: FAIL: got %s %s (%s), want %s %s\n", __FILE__, line,
                verdict_name(d.verdict), d.reason, d.detail, verdict_name(v), r);
    }
}
#define EXPECT(o, rcpt, v, r) expect_at(__LINE__, &(o), rcpt, v, r)

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    CHECK(evaluate_init());
    C = mkconf("", "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369\n"
                   "arn:aws:acm:eu-west-1:123456789012:certificate/* example.com *.example.com\n");
    CHECK(C != NULL);

    struct tm_opts o = tm_default();
    struct decision d;
    decide(&o, "admin@example.com", &d);
    CHECK(d.verdict == V_APPROVE);
    CHECK_STR(d.reason, "allowlisted");
    CHECK_STR(d.rcpt, "admin@example.com");
    char want_rule[700];
    snprintf(want_rule, sizeof(want_rule), "%s/al:1", dir);
    CHECK_STR(d.rule, want_rule);
    struct kvline kv;
    kv_init(&kv);
    decision_format(&d, &kv);
    CHECK(strncmp(kv.buf, "decision=approve reason=allowlisted domain=www.example.com "
                          "account=123456789012 region=us-east-1 arn=" T_CERT " rcpt=admin@example.com rule=",
                  strlen("decision=approve reason=allowlisted domain=www.example.com "
                         "account=123456789012 region=us-east-1 arn=" T_CERT " rcpt=admin@example.com rule=")) == 0);
    /* safety rule 7: the code and context never reach a log line or the header */
    CHECK(strstr(kv.buf, T_CODE) == NULL && strstr(kv.buf, "111a222c") == NULL);
    CHECK(strstr(kv.buf, " req=") != NULL);
    kv_init(&kv);
    decision_header(&d, &kv);
    CHECK_STR(kv.buf, "decision=approve reason=allowlisted domain=www.example.com arn=" T_CERT);

    /* each of the five mailboxes, in any case; and a parent domain */
    EXPECT(o, "Administrator@EXAMPLE.com", V_APPROVE, "allowlisted");
    EXPECT(o, "hostmaster@example.com", V_APPROVE, "allowlisted");
    EXPECT(o, "postmaster@www.example.com", V_APPROVE, "allowlisted");
    EXPECT(o, "webmaster@example.com", V_APPROVE, "allowlisted");

    /* recipient domain mismatch: the domain must be the recipient's or below it */
    EXPECT(o, "admin@other.org", V_DENY, "domain-mismatch");
    EXPECT(o, "admin@sub.www.example.com", V_DENY, "domain-mismatch");
    EXPECT(o, "admin@ample.com", V_DENY, "domain-mismatch");
    /* no watched recipient */
    EXPECT(o, "someone-else@example.com", V_IGNORE, "not-watched");

    /* sender authentication: the Authentication-Results field on top, and one below it */
    static const struct {
        int line;
        const char *authres, *below;
        enum verdict v;
        const char *reason;
    } auth[] = {
        {__LINE__, NULL, NULL, V_DENY, "unauthenticated"},
        {__LINE__, "mx.evil.example; dkim=pass header.d=certificates.amazon.com", NULL, V_DENY,
         "unauthenticated"},
        {__LINE__, "mx.example.com; dkim=fail header.d=certificates.amazon.com", NULL, V_DENY,
         "unauthenticated"},
        {__LINE__, "mx.example.com; dkim=pass header.d=amazonses.com", NULL, V_DENY,
         "unauthenticated"},
        {__LINE__, "mx.example.com; dkim=pass header.d=evil-certificates.amazon.com.evil.example",
         NULL, V_DENY, "unauthenticated"},
        {__LINE__, "mx.example.com; spf=pass smtp.mailfrom=bounces.certificates.amazon.com",
         NULL, V_DENY, "unauthenticated"},
        {__LINE__, "mx.example.com; dkim=pass header.i=@certificates.amazon.com", NULL,
         V_APPROVE, "allowlisted"},
        /* relaxed alignment */
        {__LINE__, "mx.example.com; dkim=pass header.d=amazon.com", NULL, V_APPROVE,
         "allowlisted"},
        /* only the topmost trusted field counts: a forged pass below a real fail loses */
        {__LINE__, "mx.example.com; dkim=fail header.d=certificates.amazon.com",
         "Authentication-Results: mx.example.com; dkim=pass header.d=certificates.amazon.com\r\n",
         V_DENY, "unauthenticated"},
    };
    for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++) {
        o = tm_default();
        o.authres = auth[i].authres;
        o.headers = auth[i].below;
        expect_at(auth[i].line, &o, "admin@example.com", auth[i].v, auth[i].reason);
    }
    /* From not Amazon's, with ACM's Subject: examined in full and denied */
    o = tm_default(); o.from = "Amazon <no-reply@certificates.amazon.com.evil.example>";
    EXPECT(o, "admin@example.com", V_DENY, "unauthenticated");
    o = tm_default(); o.from = "\"no-reply@certificates.amazon.com\" <x@evil.example>";
    EXPECT(o, "admin@example.com", V_DENY, "unauthenticated");
    /* From not Amazon's and another Subject: ruled out by the headers alone */
    o = tm_default(); o.from = "x@evil.example"; o.subject = "Your invoice";
    EXPECT(o, "admin@example.com", V_IGNORE, "not-acm");
    /* a Content-Type that cannot carry the request */
    {
        char why[32];
        CHECK(policy_rule_out(C, "no-reply@certificates.amazon.com", "application/pdf", NULL, why, sizeof(why)));
        CHECK_STR(why, "content-type");
        CHECK(!policy_rule_out(C, "no-reply@certificates.amazon.com", "Multipart/Alternative; boundary=x", NULL, why, sizeof(why)));
        CHECK(!policy_rule_out(C, "x@evil.example", NULL, "Fwd:  Certificate\tREQUEST for x", why, sizeof(why)));
        CHECK(policy_rule_out(C, "x@evil.example", NULL, "hello", why, sizeof(why)));
        CHECK_STR(why, "sender");
    }
    /* two From mailboxes */
    o = tm_default(); o.from = "no-reply@certificates.amazon.com, x@evil.example";
    EXPECT(o, "admin@example.com", V_DENY, "unauthenticated");

    /* allowlist: domains under a wildcard rule, other account/region/cert */
    o = tm_default();
    o.region = "eu-west-1";
    o.cert = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
    o.url = "https://eu-west-1.acm-certificates.amazon.com/approvals?code=" T_CODE
            "&context=111a222c-6e1d-4333-bbc4-40b961461df5-65752d776573742d31";
    EXPECT(o, "admin@example.com", V_APPROVE, "allowlisted");
    o.domain = "www.other.org"; o.subject = "Certificate request for www.other.org";
    EXPECT(o, "admin@other.org", V_DENY, "not-allowlisted");
    o = tm_default();
    o.cert = "arn:aws:acm:us-east-1:123456789012:certificate/99999999-0882-4f51-954a-298ee44ff369";
    EXPECT(o, "admin@example.com", V_DENY, "not-allowlisted");

    /* checks come in order: a bad URL is reported before the sender */
    o = tm_default(); o.authres = NULL;
    o.url = "https://us-east-1.acm-certificates.amazon.com.evil.example/approvals?code=" T_CODE "&context=" T_CTX;
    EXPECT(o, "admin@example.com", V_DENY, "bad-url");

    /* too large */
    struct envelope env = {0};
    strlist_add(&env.rcpts, "admin@example.com");
    evaluate(C, &env, "x", 1, true, &d);
    CHECK(d.verdict == V_IGNORE && strcmp(d.reason, "too-large") == 0);
    strlist_free(&env.rcpts);

    /* SenderAuth none: no authentication needed (a warning at start says so) */
    config_unref(C);
    C = mkconf("SenderAuth none\n", "arn:aws:acm:us-east-1:123456789012:certificate/*\n");
    o = tm_default(); o.authres = NULL;
    EXPECT(o, "admin@example.com", V_APPROVE, "allowlisted");
    /* WHOIS full-address recipient: no domain relation needed */
    config_unref(C);
    C = mkconf("SenderAuth none\nRecipients admin, hostmaster@whois.example.net\n",
               "arn:aws:acm:us-east-1:123456789012:certificate/*\n");
    o = tm_default();
    EXPECT(o, "hostmaster@whois.example.net", V_APPROVE, "allowlisted");
    EXPECT(o, "hostmaster@example.com", V_IGNORE, "not-watched");
    /* issue 9: hostile values never reach the allowlist, whatever SenderAuth says; the
     * decision names the reason and the precise detail */
    config_unref(C);
    C = mkconf("SenderAuth none\n", "arn:aws:acm:us-east-1:*:certificate/*\n");
    {
        const struct {
            const char *account, *domain, *html_domain, *html_href, *url, *reason, *detail;
        } h[] = {
            {"123456789012/999988887777", NULL, NULL, NULL, NULL, "malformed", "account"},
            {NULL, "www.example.com>.evil.example", NULL, NULL, NULL, "malformed", "domain"},
            {NULL, NULL, NULL, "https://evil.example/x", NULL, "bad-url", "approval-link"},
            {NULL, NULL, NULL, NULL, T_URL "00", "malformed", "context-nul"},
            {NULL, NULL, "www.example.com<!--\nDomain: www.evil.example\n-->", NULL, NULL,
             "inconsistent", "domain-differs"},
        };
        for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
            o = tm_default();
            if (h[i].account) o.account = h[i].account;
            if (h[i].domain) o.domain = h[i].domain;
            if (h[i].html_domain) o.html_domain = h[i].html_domain;
            if (h[i].html_href) o.html_href = h[i].html_href;
            if (h[i].url) o.url = h[i].url;
            decide(&o, "admin@example.com", &d);
            t_count++;
            if (d.verdict != V_DENY || strcmp(d.reason, h[i].reason) != 0 ||
                strcmp(d.detail, h[i].detail) != 0) {
                t_fail++;
                fprintf(stderr, "FAIL: hostile #%zu: got %s %s (%s), want deny %s (%s)\n", i,
                        verdict_name(d.verdict), d.reason, d.detail, h[i].reason, h[i].detail);
            }
        }
    }
    /* a limit reached is a refusal even where no approval link was read */
    {
        GString *g = g_string_new("From: Amazon Certificates <no-reply@certificates.amazon.com>\r\n"
                                  "To: admin@example.com\r\nSubject: Certificate request for www.example.com\r\n"
                                  "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
        for (int i = 0; i < MIME_MAX_PARTS + 1; i++)
            g_string_append(g, "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
        g_string_append(g, "--b\r\nContent-Type: text/plain\r\n\r\n(" T_URL ")\r\n--b--\r\n");
        struct envelope env2 = {.sender = NULL};
        strlist_add(&env2.rcpts, "admin@example.com");
        evaluate(C, &env2, g->str, g->len, false, &d);
        CHECK(d.verdict == V_DENY);
        CHECK_STR(d.reason, "malformed");
        CHECK_STR(d.detail, "mime-parts");
        strlist_free(&env2.rcpts);
        g_string_free(g, TRUE);
    }
    /* an empty allowlist approves nothing */
    config_unref(C);
    C = mkconf("", "# empty\n");
    o = tm_default();
    EXPECT(o, "admin@example.com", V_DENY, "not-allowlisted");
    config_unref(C);

    evaluate_shutdown();
    CHECK(t_rmtree(dir) == 0);
    return t_done("test_policy");
}
