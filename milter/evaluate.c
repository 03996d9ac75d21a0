/*
 * evaluate - see evaluate.h for the contract.
 */
#include "evaluate.h"

#include <string.h>

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

void evaluate(const struct config *c, const struct envelope *env, const char *raw, size_t len,
              bool too_large, struct decision *d)
{
    memset(d, 0, sizeof(*d));
    if (too_large) {
        d->verdict = V_IGNORE;
        d->reason = "too-large";
        const char *w = config_first_watched(c, &env->rcpts);
        if (w)
            str_copy(d->rcpt, sizeof(d->rcpt), w);
        return;
    }
    struct mime_view *mv = mime_parse(raw, len);
    if (!mv) {
        d->verdict = V_IGNORE;
        d->reason = "no-memory";
        return;
    }
    char why[32];
    if (policy_rule_out(c, mv->from_addr, mime_header(mv, "Content-Type", 0),
                        mime_header(mv, "Subject", 0), why, sizeof(why))) {
        struct acm_fields none;
        memset(&none, 0, sizeof(none));
        policy_decide(c, env, mv, RECOG_NOT_ACM, &none, NULL, d);
        str_copy(d->detail, sizeof(d->detail), why);
    } else {
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
