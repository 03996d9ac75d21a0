/*
 * evaluate - see evaluate.h for the contract.
 */
#include "evaluate.h"

#include <string.h>
#include <strings.h>

#include "html.h"
#include "mime.h"
#include "recognizer.h"

static bool offline;

void evaluate_set_offline(bool on)
{
    offline = on;
}

bool evaluate_init(void)
{
    mime_init();
    html_init();
    return recognizer_init();
}

void evaluate_shutdown(void)
{
    recognizer_free();
    mime_shutdown();
}

static void too_large_decision(const struct config *c, const struct envelope *env,
                               struct decision *d)
{
    memset(d, 0, sizeof(*d));
    d->verdict = V_IGNORE;
    d->reason = "too-large";
    const char *w = config_first_watched(c, &env->rcpts);
    if (w)
        str_copy(d->rcpt, sizeof(d->rcpt), w);
}

/* The decision the header fields alone allow: shared by evaluate() and evaluate_headers(). */
static bool decide_on_headers(const struct config *c, const struct envelope *env,
                              const struct mime_view *mv, struct decision *d)
{
    if (mv->too_many_headers) {
        too_large_decision(c, env, d);
        return true;
    }
    char why[32];
    if (!policy_rule_out(c, mv->from_addr, mv->content_type,
                         mime_header(mv, "Subject", 0), why, sizeof(why)))
        return false;
    struct acm_fields none;
    memset(&none, 0, sizeof(none));
    policy_decide(c, env, mv, RECOG_NOT_ACM, &none, NULL, d);
    str_copy(d->detail, sizeof(d->detail), why);
    return true;
}

/* The header fields decide_on_headers() reads in hdrs (the top-level Content-Type is read
 * apart, as content_type) */
static bool read_at_eoh(const char *name, size_t n)
{
    return (n == 4 && strncasecmp(name, "From", 4) == 0) ||
           (n == 7 && strncasecmp(name, "Subject", 7) == 0);
}

struct mime_view *evaluate_parse(const char *raw, size_t len)
{
    return mime_parse_split(raw, len, NULL);
}

size_t evaluate_header_len(const char *raw, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (raw[i] == '\n' && raw[i + 1] == '\n')
            return i + 2;
        if (raw[i] == '\n' && raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n')
            return i + 3;
    }
    return len;
}

bool evaluate_headers(const struct config *c, const struct envelope *env, const char *hdrs,
                      size_t len, struct decision *d)
{
    return evaluate_headers_from(c, env, hdrs, len, d, NULL);
}

bool evaluate_headers_from(const struct config *c, const struct envelope *env,
                           const char *hdrs, size_t len, struct decision *d,
                           struct mime_from *from)
{
    memset(d, 0, sizeof(*d));
    /* The fields alone, without a MIME parse (most of an end-of-headers decision's cost was
     * GMime building a message), unless the section is anything but plain fields: then
     * GMime reads it, as it does at end of message. */
    struct mime_view *mv = mime_parse_fields(hdrs, len, read_at_eoh);
    if (!mv)
        mv = mime_parse(hdrs, len);
    bool decided = mv && decide_on_headers(c, env, mv, d);
    if (mv && !decided && from)
        mime_from_keep(from, mv);
    mime_free(mv);
    return decided;
}

void evaluate(const struct config *c, const struct envelope *env, const char *raw, size_t len,
              bool too_large, struct decision *d)
{
    evaluate_from(c, env, raw, len, too_large, NULL, d);
}

void evaluate_from(const struct config *c, const struct envelope *env, const char *raw,
                   size_t len, bool too_large, const struct mime_from *from, struct decision *d)
{
    memset(d, 0, sizeof(*d));
    if (too_large) {
        too_large_decision(c, env, d);
        return;
    }
    struct mime_view *mv = mime_parse_split(raw, len, from);
    if (!mv) {
        d->verdict = V_IGNORE;
        d->reason = "no-memory";
        return;
    }
    if (!decide_on_headers(c, env, mv, d)) {
        struct acm_fields f;
        enum recog_status st = recognize(mv, &f);
        /* DKIM (I/O: DNS) only for a request that could otherwise be approved */
        struct dkim_result dk;
        memset(&dk, 0, sizeof(dk));
        if (st == RECOG_OK && (c->sender_auth & SA_DKIM)) {
            if (offline && !c->dkim_test_keys)
                str_copy(dk.detail, sizeof(dk.detail), "dkim-offline");
            else
                dkimv_verify(c->dkim, raw, len, &dk);
        }
        policy_decide(c, env, mv, st, &f, &dk, d);
        dkim_result_free(&dk);
        memset(&f, 0, sizeof(f));
    }
    mime_free(mv);
}
