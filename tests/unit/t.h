/* Minimal test harness: CHECK() records a failure and goes on; t_done() exits non-zero
 * when anything failed, so `make check` fails. */
#ifndef ACM_T_H
#define ACM_T_H
#include <dirent.h>
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
/* path read whole (malloc'ed, NUL-terminated, *len bytes before the NUL), or NULL. */
static inline char *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)size + 1)) && fread(data, 1, (size_t)size, f) == (size_t)size) {
        data[size] = '\0';
        *len = (size_t)size;
    } else {
        free(data);
        data = NULL;
    }
    if (f)
        fclose(f);
    return data;
}
/* Calls fn for every message of the corpus (tests/data/corpus/NAME.eml, read whole) with its
 * file name; a file that cannot be read is a failure. Returns the number of messages. */
static inline int t_each_corpus(void (*fn)(const char *name, const char *data, size_t len,
                                           void *arg),
                                void *arg)
{
    DIR *dir = opendir("tests/data/corpus");
    CHECK(dir != NULL);
    int n = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
            continue;
        char path[600];
        snprintf(path, sizeof(path), "tests/data/corpus/%s", e->d_name);
        size_t size = 0;
        char *data = t_read_file(path, &size);
        if (data) {
            n++;
            fn(e->d_name, data, size, arg);
        } else {
            CHECK(!"corpus message read");
            fprintf(stderr, "  %s\n", path);
        }
        free(data);
    }
    if (dir)
        closedir(dir);
    return n;
}
/* The fuzz regressions that GMime read otherwise when its buffer reads fell elsewhere
 * (tests/fuzz-regressions/message/NAME.eml): the i-th name, NULL past the last. */
static inline const char *t_moved(size_t i)
{
    static const char *const names[] = {"split-parse-alignment", "split-parse-long-name"};
    return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}
/* tests/fuzz-regressions/message/NAME.eml read whole, as t_read_file(); NULL (a failure) when
 * it cannot be read. */
static inline char *t_read_regression(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/fuzz-regressions/message/%s.eml", name);
    char *data = t_read_file(path, len);
    CHECK(data != NULL);
    return data;
}
static inline int t_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, t_count, t_fail);
    return t_fail ? 1 : 0;
}
#endif
