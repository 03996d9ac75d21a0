/* Minimal test harness: CHECK() records a failure and goes on; t_done() exits non-zero
 * when anything failed, so `make check` fails. */
#ifndef ACM_T_H
#define ACM_T_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_fail, t_count;
#define CHECK(cond)                                                                            \
    do {                                                                                       \
        t_count++;                                                                             \
        if (!(cond)) {                                                                         \
            t_fail++;                                                                          \
            fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond);                   \
        }                                                                                      \
    } while (0)
#define CHECK_STR(a, b)                                                                        \
    do {                                                                                       \
        const char *a_ = (a), *b_ = (b);                                                       \
        t_count++;                                                                             \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                               \
            t_fail++;                                                                          \
            fprintf(stderr, "%s:%d: FAIL: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, __LINE__,   \
                    #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                           \
        }                                                                                      \
    } while (0)
/* Removes a test's temporary directory and everything in it; 0 on success. */
static inline int t_rmtree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}
static inline int t_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, t_count, t_fail);
    return t_fail ? 1 : 0;
}
#endif
