/*
 * util - see util.h for the contract.
 */
#include "util.h"

#include <ctype.h>
#include <glib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(struct sbuf *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->cap = cap;
}

void sbuf_free(struct sbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void sbuf_reset(struct sbuf *b)
{
    b->len = 0;
    b->overflow = false;
    if (b->data)
        b->data[0] = '\0';
}

static bool sbuf_reserve(struct sbuf *b, size_t need)
{
    if (need + 1 <= b->alloc)
        return true;
    size_t n = b->alloc ? b->alloc : 256;
    while (n < need + 1) {
        if (n > ((size_t)-1) / 2)
            return false;
        n *= 2;
    }
    char *p = realloc(b->data, n);
    if (!p)
        return false;
    b->data = p;
    b->alloc = n;
    return true;
}

bool sbuf_append(struct sbuf *b, const char *s, size_t n)
{
    bool whole = true;
    if (b->cap && b->len + n > b->cap) {
        n = b->cap > b->len ? b->cap - b->len : 0;
        whole = false;
    }
    if (!sbuf_reserve(b, b->len + n)) {
        b->overflow = true;
        return false;
    }
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    if (!whole)
        b->overflow = true;
    return whole;
}

bool sbuf_puts(struct sbuf *b, const char *s)
{
    return sbuf_append(b, s, strlen(s));
}

bool sbuf_putc(struct sbuf *b, char c)
{
    return sbuf_append(b, &c, 1);
}

bool sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->overflow = true;
        return false;
    }
    if ((size_t)n < sizeof(tmp))
        return sbuf_append(b, tmp, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->overflow = true;
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bool ok = sbuf_append(b, big, (size_t)n);
    free(big);
    return ok;
}

bool str_copy(char *dst, size_t size, const char *src)
{
    return str_ncopy(dst, size, src, src ? strlen(src) : 0);
}

bool str_ncopy(char *dst, size_t size, const char *src, size_t n)
{
    if (size == 0)
        return false;
    bool ok = true;
    if (n >= size) {
        n = size - 1;
        ok = false;
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
    return ok;
}

char *str_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void *grow_array(void *v, size_t *cap, size_t elem, size_t first)
{
    size_t n = *cap ? *cap : first;
    if (*cap && n > SIZE_MAX / 2)
        return NULL;
    if (*cap)
        n *= 2;
    if (!elem || n > SIZE_MAX / elem)
        return NULL;
    void *g = realloc(v, n * elem);
    if (g)
        *cap = n;
    return g;
}

char *str_ndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void str_lower(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

bool str_ieq(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    return g_ascii_strcasecmp(a, b) == 0;
}

char *str_trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

bool dns_name_valid(const char *name, bool allow_wildcard)
{
    size_t len = strlen(name);
    if (len == 0 || len > 253)
        return false;
    const char *p = name;
    if (allow_wildcard && p[0] == '*' && p[1] == '.')
        p += 2;
    int labels = 0;
    while (*p) {
        const char *start = p;
        while (*p && *p != '.') {
            unsigned char c = (unsigned char)*p;
            if (!(isalnum(c) || c == '-'))
                return false;
            p++;
        }
        size_t l = (size_t)(p - start);
        if (l == 0 || l > 63 || start[0] == '-' || start[l - 1] == '-')
            return false;
        labels++;
        if (*p == '.') {
            p++;
            if (!*p)
                return false;   /* no trailing dot */
        }
    }
    return labels >= 2;
}

bool dns_name_at_or_below(const char *name, const char *parent)
{
    size_t n = strlen(name), m = strlen(parent);
    if (m == 0 || n < m)
        return false;
    if (g_ascii_strcasecmp(name + (n - m), parent) != 0)
        return false;
    return n == m || name[n - m - 1] == '.';
}

void digest8(const char *a, const char *b, char out[9])
{
    digest_hex(a, b, out, 9);
}

void digest_hex(const char *a, const char *b, char *out, size_t outsz)
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    if (!c) {
        str_copy(out, outsz, "0000000000000000000000000000000000000000000000000000000000000000");
        return;
    }
    if (a)
        g_checksum_update(c, (const guchar *)a, (gssize)strlen(a));
    g_checksum_update(c, (const guchar *)"|", 1);
    if (b)
        g_checksum_update(c, (const guchar *)b, (gssize)strlen(b));
    str_copy(out, outsz, g_checksum_get_string(c));
    g_checksum_free(c);
}

void str_sanitize(char *out, size_t outsz, const char *in, size_t max)
{
    size_t o = 0;
    if (outsz == 0)
        return;
    for (size_t i = 0; in && in[i] && i < max && o + 1 < outsz; i++) {
        unsigned char c = (unsigned char)in[i];
        out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    out[o] = '\0';
}

bool strlist_add(struct strlist *l, const char *s)
{
    char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
    if (!v)
        return false;
    l->v = v;
    v[l->n] = strdup(s);
    if (!v[l->n])
        return false;
    l->n++;
    return true;
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

bool strlist_contains_ci(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (str_ieq(l->v[i], s))
            return true;
    return false;
}
