/*
 * authres - see authres.h for the contract.
 *
 * Two passes: first a copy of the value without comments (quoted strings kept, with their
 * quotes), then a split on ';' outside quotes; each resinfo is split on blanks into
 * `method[/version]=result`, `reason=...` and `ptype.property=value` tokens.
 */
#include "authres.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static bool strip_comments(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    int depth = 0;
    bool quoted = false;
    for (size_t i = 0; in[i]; i++) {
        char c = in[i];
        if (c == '\\' && in[i + 1] && (quoted || depth)) {
            if (!depth) {
                if (o + 2 >= outsz)
                    return false;
                out[o++] = c;
                out[o++] = in[i + 1];
            }
            i++;
            continue;
        }
        if (!quoted && c == '(') {
            depth++;
            if (depth > 8)
                return false;
            if (o + 1 >= outsz)
                return false;
            out[o++] = ' ';
            continue;
        }
        if (!quoted && depth && c == ')') {
            depth--;
            continue;
        }
        if (depth)
            continue;
        if (c == '"')
            quoted = !quoted;
        if (o + 1 >= outsz)
            return false;
        out[o++] = (c == '\t' || c == '\r' || c == '\n') ? ' ' : c;
    }
    out[o] = '\0';
    return depth == 0 && !quoted;
}

/* RFC 8601 allows CFWS around "=", "/" and "." (`dkim = pass`, `header . d = x`):
 * drop blanks next to them outside quoted strings so each token is one word. */
static void squeeze(char *s)
{
    size_t o = 0;
    bool q = false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (c == '"' && (i == 0 || s[i - 1] != '\\'))
            q = !q;
        if (!q && c == ' ') {
            size_t j = i;
            while (s[j] == ' ')
                j++;
            bool before = o > 0 && strchr("=/.", s[o - 1]) && s[o - 1] != '\0';
            bool after = s[j] && strchr("=/.", s[j]);
            if (before || after) {
                i = j - 1;
                continue;
            }
        }
        s[o++] = c;
    }
    s[o] = '\0';
}

/* Next token separated by blanks, quotes respected; returns NULL at end. */
static char *next_token(char **p)
{
    char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return NULL;
    char *start = s;
    bool q = false;
    while (*s && (q || *s != ' ')) {
        if (*s == '\\' && s[1])
            s++;
        else if (*s == '"')
            q = !q;
        s++;
    }
    if (*s)
        *s++ = '\0';
    *p = s;
    return start;
}

static void unquote(char *v)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        size_t o = 0;
        for (size_t i = 1; i + 1 < n; i++) {
            if (v[i] == '\\' && i + 2 < n)
                i++;
            v[o++] = v[i];
        }
        v[o] = '\0';
    }
}

static void parse_resinfo(char *s, struct ar_field *out)
{
    char *tok = next_token(&s);
    if (!tok)
        return;
    char *eq = strchr(tok, '=');
    if (!eq || out->n >= AR_MAX_RESULTS)
        return;
    *eq = '\0';
    char *slash = strchr(tok, '/');
    if (slash)
        *slash = '\0';
    struct ar_result *r = &out->res[out->n];
    memset(r, 0, sizeof(*r));
    if (!str_copy(r->method, sizeof(r->method), str_trim(tok)))
        return;
    char *result = str_trim(eq + 1);
    if (!str_copy(r->result, sizeof(r->result), result))
        return;
    str_lower(r->method);
    str_lower(r->result);
    if (!r->method[0] || !r->result[0])
        return;
    while ((tok = next_token(&s))) {
        char *e = strchr(tok, '=');
        if (!e)
            continue;
        *e = '\0';
        char *val = e + 1;
        unquote(val);
        if (str_ieq(tok, "header.d"))
            str_copy(r->header_d, sizeof(r->header_d), val);
        else if (str_ieq(tok, "header.i"))
            str_copy(r->header_i, sizeof(r->header_i), val);
    }
    str_lower(r->header_d);
    out->n++;
}

bool authres_parse(const char *value, struct ar_field *out)
{
    memset(out, 0, sizeof(*out));
    if (!value || strlen(value) > AR_MAX_INPUT)
        return false;
    char *buf = malloc(AR_MAX_INPUT + 1);
    if (!buf)
        return false;
    bool ok = strip_comments(value, buf, AR_MAX_INPUT + 1);
    if (ok)
        squeeze(buf);
    if (ok) {
        /* split on ';' outside quotes */
        char *seg = buf;
        bool first = true, q = false;
        for (char *p = buf;; p++) {
            if (*p == '"' && (p == buf || p[-1] != '\\'))
                q = !q;
            if ((*p == ';' && !q) || !*p) {
                bool end = !*p;
                *p = '\0';
                if (first) {
                    char *s = seg;
                    char *id = next_token(&s);
                    if (!id || !str_copy(out->authserv_id, sizeof(out->authserv_id), id)) {
                        ok = false;
                        break;
                    }
                    unquote(out->authserv_id);
                    str_lower(out->authserv_id);
                    first = false;
                } else {
                    parse_resinfo(seg, out);
                }
                if (end)
                    break;
                seg = p + 1;
            }
        }
        if (!out->authserv_id[0])
            ok = false;
    }
    free(buf);
    return ok;
}
