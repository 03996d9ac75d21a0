/*
 * fuzz_message - the whole message path: raw bytes -> evaluate() (mime_parse, policy_rule_out,
 * recognize with html_extract, authres, policy_decide) -> decision_format/decision_header;
 * and evaluate_headers() on the header block, whose decision, when it takes one, must be the
 * whole message's line; and the view evaluate() decides on (mime_parse_split()) must be
 * GMime's parse of the whole message (mime_parse()).
 *
 * A fixed configuration (config_parse) with SenderAuth authres, so no DNS is ever touched,
 * and an allowlist (allowlist_parse) that the test corpus can reach; one envelope recipient,
 * admin@example.com. Everything is made once; each input is evaluated as the milter would
 * at end of message. The input is passed as is (not NUL-terminated) with its length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "evaluate.h"
#include "log.h"
#include "mime.h"
#include "policy.h"

static const char conf_text[] =
    "AllowList /nonexistent/fuzz-allowlist\n"
    "SenderAuth authres\n"
    "TrustedAuthservIDs mx.example.com\n"
    "SenderDomains certificates.amazon.com\n"
    "Recipients admin,administrator,hostmaster,postmaster,webmaster,owner@example.net\n"
    "Mode dry-run\n"
    "SpoolDir /nonexistent/fuzz-spool\n"
    "AddHeader yes\n";

static const char allow_text[] =
    "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369\n"
    "arn:aws:acm:eu-west-1:123456789012:certificate/* example.com *.example.com\n"
    "arn:aws-cn:acm:cn-north-1:210987654321:certificate/*\n"
    "arn:*:acm:*:*:certificate/* example.com *.example.com\n";

static struct config *conf;
static struct envelope env;

static void die(const char *what, struct strlist *errors)
{
    fprintf(stderr, "fuzz_message: %s\n", what);
    for (size_t i = 0; errors && i < errors->n; i++)
        fprintf(stderr, "  %s\n", errors->v[i]);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct strlist errors = {0};
    if (!evaluate_init())
        die("evaluate_init failed", NULL);
    evaluate_set_offline(true);
    conf = config_parse("fuzz.conf", conf_text, sizeof(conf_text) - 1, &errors);
    if (!conf)
        die("config_parse failed", &errors);
    conf->allowlist = allowlist_parse("fuzz-allowlist", allow_text, sizeof(allow_text) - 1, &errors);
    if (!conf->allowlist)
        die("allowlist_parse failed", &errors);
    if (conf->sender_auth & SA_DKIM)
        die("SenderAuth must not include dkim (no DNS while fuzzing)", NULL);
    strlist_free(&errors);
    env.sender = "0100018c-bounce@certificates.amazon.com";
    if (!strlist_add(&env.rcpts, "admin@example.com"))
        die("out of memory", NULL);
    return 0;
}

/* kv_add's contract: values are sanitized, so a line is printable ASCII only. */
static void check_line(const struct kvline *kv)
{
    if (kv->len >= sizeof(kv->buf) || kv->buf[kv->len] != '\0')
        abort();
    for (size_t i = 0; i < kv->len; i++)
        if ((unsigned char)kv->buf[i] < 0x20 || (unsigned char)kv->buf[i] > 0x7e) {
            fprintf(stderr, "fuzz_message: unsanitized byte 0x%02x in \"%s\"\n",
                    (unsigned char)kv->buf[i], kv->buf);
            abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct decision d;
    evaluate(conf, &env, (const char *)data, size, false, &d);
    /* The end-of-headers decision on the header block: when it decides, it is the line the
     * whole message gets (the milter at end of headers and -t never differ). */
    struct decision dh;
    const char *raw = (const char *)data;
    if (evaluate_headers(conf, &env, raw, evaluate_header_len(raw, size), &dh)) {
        struct kvline a, b;
        kv_init(&a);
        kv_init(&b);
        decision_format(&dh, &a);
        decision_format(&d, &b);
        check_line(&a);
        if (strcmp(a.buf, b.buf) != 0) {
            fprintf(stderr, "fuzz_message: end of headers [%s], whole message [%s]\n", a.buf,
                    b.buf);
            abort();
        }
    }
    /* The split parse gives GMime's whole view, whatever the input. */
    struct mime_view *sv = evaluate_parse(raw, size), *gv = mime_parse(raw, size);
    const char *diff = mime_view_differs(sv, gv);
    if (diff) {
        fprintf(stderr, "fuzz_message: the split parse differs from GMime's (%s)\n", diff);
        abort();
    }
    mime_free(sv);
    mime_free(gv);
    /* The decision's strings must be well-formed: format them as the milter does. */
    if (!d.reason)
        abort();
    struct kvline kv;
    kv_init(&kv);
    decision_format(&d, &kv);
    check_line(&kv);
    kv_init(&kv);
    decision_header(&d, &kv);
    check_line(&kv);
    return 0;
}
