/*
 * fuzz_config - config_parse() and allowlist_parse() on the input (passed as is, not
 * NUL-terminated, with its length); errors are discarded. When a parse succeeds, the
 * result is exercised: config_watched_rcpt() and allowlist_match() on a few fixed values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "arn.h"
#include "config.h"

static const char *const rcpts[] = {
    "admin@example.com", "Postmaster@Example.COM", "owner@example.net", "nobody", "@", "",
};
static const char *const arns[] = {
    "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369",
    "arn:aws-cn:acm:cn-north-1:210987654321:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369",
    "arn:aws-us-gov:acm:us-gov-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000",
};
static const char *const domains[] = {"www.example.com", "example.com", "a.b.c.example.org", "com"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct strlist errors = {0};

    struct config *c = config_parse("fuzz.conf", text, size, &errors);
    if (c) {
        if (c->allowlist)   /* config_parse() loads no allowlist */
            abort();
        for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++)
            (void)config_watched_rcpt(c, rcpts[i]);
        (void)config_mode_name(c->mode);
        config_unref(c);
    }
    strlist_free(&errors);

    struct allowlist *al = allowlist_parse("fuzz-allowlist", text, size, &errors);
    if (al) {
        for (size_t i = 0; i < sizeof(arns) / sizeof(arns[0]); i++) {
            struct arn a;
            if (!arn_parse(arns[i], false, &a))
                abort();
            for (size_t k = 0; k <= sizeof(domains) / sizeof(domains[0]); k++) {
                const struct al_rule *r = allowlist_match(al, &a, domains, k);
                if (r && (r < al->rules || r >= al->rules + al->n))
                    abort();
            }
        }
        allowlist_free(al);
    } else if (errors.n == 0) {
        abort();   /* contract: NULL comes with at least one "file:line: why" */
    }
    strlist_free(&errors);
    return 0;
}
