/*
 * util - small string and buffer helpers shared by every module.
 *
 * Contract: no I/O, no global state. A `struct sbuf` grows up to a caller-given cap and
 * reports (never hides) an overflow through its `overflow` flag; allocation failure is
 * reported the same way, so callers check one flag. Every function accepts NULL where a
 * string is optional and says so.
 */
#ifndef ACM_UTIL_H
#define ACM_UTIL_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
    char *data;      /* always NUL-terminated when non-NULL */
    size_t len;      /* bytes used, excluding the terminating NUL */
    size_t alloc;    /* bytes allocated */
    size_t cap;      /* hard limit on len; 0 = no limit */
    bool overflow;   /* an append was truncated (cap) or failed (ENOMEM) */
};

void sbuf_init(struct sbuf *b, size_t cap);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
/* Appends as much as fits under cap; returns false (and sets overflow) if not all fitted. */
bool sbuf_append(struct sbuf *b, const char *s, size_t n);
bool sbuf_puts(struct sbuf *b, const char *s);
bool sbuf_putc(struct sbuf *b, char c);
bool sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies at most size-1 bytes and always terminates; returns false if truncated. */
bool str_copy(char *dst, size_t size, const char *src);
bool str_ncopy(char *dst, size_t size, const char *src, size_t n);
char *str_dup(const char *s);   /* NULL in, NULL out; aborts nothing, may return NULL on ENOMEM */
char *str_ndup(const char *s, size_t n);
/* The array v of *cap elements of elem bytes, grown to twice as many (first when empty):
 * the new block, *cap updated; NULL (v and *cap untouched) without memory or on overflow. */
void *grow_array(void *v, size_t *cap, size_t elem, size_t first);
void str_lower(char *s);
bool str_ieq(const char *a, const char *b);
char *str_trim(char *s);        /* trims ASCII whitespace in place, returns s+k */

/* DNS name helpers (ASCII, case-insensitive). */
bool dns_name_valid(const char *name, bool allow_wildcard);
/* true when name equals parent or is below it ("a.b.example.com" under "example.com"). */
bool dns_name_at_or_below(const char *name, const char *parent);

/* Lowercase hex SHA-256 of the concatenation a|b, truncated to outsz-1 characters (64 at most). */
void digest_hex(const char *a, const char *b, char *out, size_t outsz);
/* Its first 8 characters, for log digests (req=). */
void digest8(const char *a, const char *b, char out[9]);

/* Sanitizes bytes for a log or header value: control chars and non-ASCII become '?', at most
 * max bytes; the result is written to out (size outsz). */
void str_sanitize(char *out, size_t outsz, const char *in, size_t max);

/* Lists of strings. */
struct strlist {
    char **v;
    size_t n;
};
bool strlist_add(struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
bool strlist_contains_ci(const struct strlist *l, const char *s);

#endif
