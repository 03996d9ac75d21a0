/* Unit tests: the end-of-headers decision (evaluate_headers(), what the milter logs at end of
 * headers) against evaluate() on the whole message (what the milter logs at end of message
 * and `-t` prints). Whenever the headers alone decide, both must give the same line; a From
 * list or several From fields never let the first field decide alone. */
#include <glib.h>
#include <unistd.h>

#include "evaluate.h"
#include "msg.h"
#include "t.h"

static struct config *C;

static void line_of(const struct decision *d, char *out, size_t n)
{
    struct kvline kv;
    kv_init(&kv);
    decision_format(d, &kv);
    str_copy(out, n, kv.buf);
}

/* Both paths on one message; returns whether the headers decided, and checks agreement. */
static bool agree(const char *what, const char *raw, size_t len, char *line, size_t linesz)
{
    struct envelope env = {.sender = "bounce@bounces.certificates.amazon.com"};
    strlist_add(&env.rcpts, "admin@example.com");
    struct decision dh, dw, dk;
    struct mime_from from = {0};
    bool decided = evaluate_headers_from(C, &env, raw, evaluate_header_len(raw, len), &dh, &from);
    evaluate(C, &env, raw, len, false, &dw);
    char lh[1024], lw[1024], lk[1024];
    line_of(&dh, lh, sizeof(lh));
    line_of(&dw, lw, sizeof(lw));
    t_count++;
    if (decided && strcmp(lh, lw) != 0) {
        t_fail++;
        fprintf(stderr, "FAIL %s: end of headers [%s], whole message [%s]\n", what, lh, lw);
    }
    /* the milter's end of message: the From list read at end of headers, handed on */
    if (!decided) {
        evaluate_from(C, &env, raw, len, false, &from, &dk);
        line_of(&dk, lk, sizeof(lk));
        t_count++;
        if (strcmp(lk, lw) != 0) {
            t_fail++;
            fprintf(stderr, "FAIL %s: with the From list of end of headers [%s], alone [%s]\n",
                    what, lk, lw);
        }
    }
    mime_from_free(&from);
    if (line)
        str_copy(line, linesz, lw);
    strlist_free(&env.rcpts);
    return decided;
}

static bool agree_str(const char *what, const char *raw, char *line, size_t linesz)
{
    return agree(what, raw, strlen(raw), line, linesz);
}

static void agree_corpus(const char *name, const char *data, size_t len, void *decided)
{
    *(int *)decided += agree(name, data, len, NULL, 0);
}

static const char ORD_BODY[] = "Hello,\r\n\r\nsee you tomorrow.\r\n";

static char *ordinary(const char *hdrs)
{
    return g_strdup_printf("%sTo: admin@example.com\r\nMIME-Version: 1.0\r\n"
                           "Content-Type: text/plain\r\n\r\n%s", hdrs, ORD_BODY);
}

int main(void)
{
    CHECK(evaluate_init());
    struct strlist errs = {0};
    C = config_load("tests/data/test.conf", &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.v[i]);
    strlist_free(&errs);
    CHECK(C != NULL);
    if (!C)
        return t_done("test_evaluate");
    char line[1024];

    /* one From outside SenderDomains, an ordinary Subject: the headers decide */
    char *m = ordinary("From: alice@example.net\r\nSubject: lunch\r\n");
    CHECK(agree_str("one from", m, line, sizeof(line)));
    CHECK(strstr(line, "decision=ignore reason=not-acm") && strstr(line, "detail=sender"));
    g_free(m);

    /* two From fields, the first outside SenderDomains: the list has two mailboxes, so the
     * first one alone must not decide (it did once, at end of headers only) */
    m = ordinary("From: alice@example.net\r\nFrom: no-reply@certificates.amazon.com\r\n"
                 "Subject: lunch\r\n");
    CHECK(!agree_str("two from fields", m, line, sizeof(line)));
    CHECK(strstr(line, "reason=not-acm") && !strstr(line, "detail=sender"));
    g_free(m);

    /* the same with one From field holding a list, and with a group */
    m = ordinary("From: alice@example.net, no-reply@certificates.amazon.com\r\nSubject: x\r\n");
    CHECK(!agree_str("from list", m, NULL, 0));
    g_free(m);
    m = ordinary("From: team: alice@example.net, bob@example.org;\r\nSubject: x\r\n");
    CHECK(!agree_str("from group", m, NULL, 0));
    g_free(m);
    m = ordinary("From: team: alice@example.net;\r\nSubject: x\r\n");   /* a group of one */
    CHECK(agree_str("from group of one", m, line, sizeof(line)));
    CHECK(strstr(line, "detail=sender") != NULL);
    g_free(m);
    /* folded across lines, and an encoded display name */
    m = ordinary("From: =?utf-8?q?Amazon_Web_Services?=\r\n <alice@example.net>\r\nSubject: x\r\n");
    CHECK(agree_str("folded from", m, line, sizeof(line)));
    CHECK(strstr(line, "detail=sender") != NULL);
    g_free(m);
    /* no From at all: nothing to rule out on */
    m = ordinary("Subject: x\r\n");
    CHECK(!agree_str("no from", m, NULL, 0));
    g_free(m);

    /* two Subject fields: the first one counts, on both paths */
    m = ordinary("From: alice@example.net\r\nSubject: lunch\r\n"
                 "Subject: Certificate request for www.example.com\r\n");
    CHECK(agree_str("two subjects", m, NULL, 0));
    g_free(m);
    m = ordinary("From: alice@example.net\r\nSubject: Certificate request for www.example.com\r\n"
                 "Subject: lunch\r\n");
    CHECK(!agree_str("two subjects, ACM's first", m, NULL, 0));
    g_free(m);

    /* the end-of-headers parse reads only From, Subject, Content-Type and MIME-Version:
     * the same line as the whole message whatever surrounds them */
    {
        GString *r = g_string_new(NULL);
        for (int i = 0; i < 12; i++)
            g_string_append_printf(r, "Received: from relay%d.example.net (relay%d.example.net "
                                      "[192.0.2.%d])\r\n\tby mx.example.com (Postfix) with ESMTPS id X%d\r\n"
                                      "\tfor <admin@example.com>; Tue, 04 Mar 2025 09:00:00 +0000\r\n",
                                   i, i, i, i);
        const char *around[] = {
            "From: alice@example.net\r\nSubject: lunch\r\n",
            "Subject: lunch\r\nX-Note: a folded value\r\n From: no-reply@certificates.amazon.com\r\n"
            "From: alice@example.net\r\n",
            "From: alice@example.net\r\nX-Note: x\r\n\tSubject: Certificate request for www.example.com\r\n"
            "Subject: lunch\r\n",
            "from: alice@example.net\r\nSUBJECT: lunch\r\n",
            "From: alice@example.net,\r\n\tno-reply@certificates.amazon.com\r\nSubject: lunch\r\n",
            "From: alice@example.net\r\nSubject: lunch\r\nContent-Type: multipart/mixed;\r\n"
            "\tboundary=\"x\"\r\n",
            /* not well-formed fields: the whole block is parsed, as at end of message */
            "From: alice@example.net\r\nSubject: lunch\r\nthis line has no field name\r\n"
            "From: no-reply@certificates.amazon.com\r\n",
            "From : no-reply@certificates.amazon.com\r\nFrom: alice@example.net\r\nSubject: x\r\n",
            " folded first\r\nFrom: alice@example.net\r\nSubject: lunch\r\n",
        };
        for (size_t k = 0; k < sizeof(around) / sizeof(around[0]); k++) {
            char what[64];
            snprintf(what, sizeof(what), "few fields, case %zu", k);
            char *h = g_strdup_printf("%s%s", r->str, around[k]);
            m = ordinary(h);
            agree_str(what, m, NULL, 0);
            g_free(m);
            m = ordinary(around[k]);
            agree_str(what, m, NULL, 0);
            g_free(m);
            g_free(h);
        }
        /* and the decision itself, through the filter, on the first block */
        char *h = g_strdup_printf("%sFrom: alice@example.net\r\nSubject: lunch\r\n", r->str);
        m = ordinary(h);
        CHECK(agree_str("few fields decide", m, line, sizeof(line)));
        CHECK(strstr(line, "decision=ignore reason=not-acm") && strstr(line, "detail=sender"));
        g_free(m);
        g_free(h);
        g_string_free(r, TRUE);
    }

    /* a Content-Type that cannot carry a request; the first of two counts */
    m = g_strdup_printf("From: no-reply@certificates.amazon.com\r\nSubject: x\r\n"
                        "Content-Type: application/pdf\r\nContent-Type: text/plain\r\n\r\n%s",
                        ORD_BODY);
    CHECK(agree_str("content-type", m, line, sizeof(line)));
    CHECK(strstr(line, "detail=content-type") != NULL);
    g_free(m);

    /* more than MIME_MAX_HEADERS fields: too large on both paths */
    GString *g = g_string_new("From: no-reply@certificates.amazon.com\r\n");
    for (int i = 0; i < MIME_MAX_HEADERS + 1; i++)
        g_string_append_printf(g, "X-Filler-%d: %d\r\n", i, i);
    g_string_append_printf(g, "Subject: x\r\n\r\n%s", ORD_BODY);
    CHECK(agree("too many headers", g->str, g->len, line, sizeof(line)));
    CHECK(strstr(line, "reason=too-large") != NULL);
    g_string_free(g, TRUE);

    /* an ACM request whose From is a list: read on, denied on the whole message */
    struct tm_opts o = tm_default();
    o.from = "Amazon <no-reply@certificates.amazon.com>, alice@example.net";
    char *acm = tm_build(&o);
    CHECK(!agree_str("acm with from list", acm, line, sizeof(line)));
    CHECK(strstr(line, "reason=unauthenticated") && strstr(line, "detail=several-from"));
    g_free(acm);
    o = tm_default();
    o.headers = "From: alice@example.net\r\n";   /* a second From field before ACM's */
    acm = tm_build(&o);
    CHECK(!agree_str("acm with two from fields", acm, line, sizeof(line)));
    CHECK(strstr(line, "decision=deny reason=malformed") &&   /* GMime: conflicting header */
          strstr(line, "detail=mime-conflicting-header"));
    g_free(acm);

    /* the From list handed on is taken as it is (not parsed again): one that is not the
     * message's shows in the decision */
    {
        struct tm_opts o2 = tm_default();
        char *req = tm_build(&o2);
        struct envelope env = {.sender = "bounce@bounces.certificates.amazon.com"};
        strlist_add(&env.rcpts, "admin@example.com");
        struct mime_from other = {.known = true, .count = 1, .addr = g_strdup("alice@example.net")};
        struct decision dw, dk;
        evaluate(C, &env, req, strlen(req), false, &dw);
        evaluate_from(C, &env, req, strlen(req), false, &other, &dk);
        CHECK(dw.verdict == V_APPROVE);
        CHECK(dk.verdict == V_DENY);
        g_free(other.addr);
        strlist_free(&env.rcpts);
        g_free(req);
    }

    /* every message of the corpus */
    int decided = 0;
    int n = t_each_corpus(agree_corpus, &decided);
    CHECK(n > 50);
    CHECK(decided > 0);
    printf("test_evaluate: %d corpus messages, %d decided at end of headers\n", n, decided);

    config_unref(C);
    evaluate_shutdown();
    return t_done("test_evaluate");
}
