/* Writes a configuration and its allowlist into a test's temporary directory and loads them
 * (config_load()), printing any error. Shared by test_policy.c and test_transport.c. */
#ifndef ACM_TEST_CONF_H
#define ACM_TEST_CONF_H
#include <stdio.h>

#include "config.h"

/* dir/al holds allowlist, dir/c.conf the line "AllowList dir/al" then the lines of conf.
 * Returns the loaded configuration, NULL when a file cannot be written or the load fails. */
static inline struct config *t_mkconf(const char *dir, const char *conf, const char *allowlist)
{
    char p[600], q[600];
    snprintf(p, sizeof(p), "%s/al", dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return NULL;
    fputs(allowlist, f);
    fclose(f);
    snprintf(q, sizeof(q), "%s/c.conf", dir);
    f = fopen(q, "w");
    if (!f)
        return NULL;
    fprintf(f, "AllowList %s\n%s", p, conf);
    fclose(f);
    struct strlist errs = {0};
    struct config *c = config_load(q, &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.v[i]);
    strlist_free(&errs);
    return c;
}
#endif
