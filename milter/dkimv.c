/*
 * dkimv - see dkimv.h for the contract.
 */
#include "dkimv.h"

#include <glib.h>
#include <opendkim/dkim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *dkimv_lib_new(const char *test_keys, long timeout, char *err, size_t errsz)
{
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (!lib) {
        str_copy(err, errsz, "dkim_init failed");
        return NULL;
    }
    unsigned int flags = 0;
    dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags));
    flags |= DKIM_LIBFLAGS_FIXCRLF;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags));
    unsigned int t = (unsigned int)timeout;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &t, sizeof(t));
    if (test_keys) {
        dkim_query_t q = DKIM_QUERY_FILE;
        if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &q, sizeof(q)) !=
                DKIM_STAT_OK ||
            dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, (void *)test_keys,
                         strlen(test_keys)) != DKIM_STAT_OK) {
            snprintf(err, errsz, "cannot use DKIMTestKeys %s", test_keys);
            dkim_close(lib);
            return NULL;
        }
    }
    return lib;
}

void dkimv_lib_free(void *lib)
{
    if (lib)
        dkim_close(lib);
}

void dkim_result_free(struct dkim_result *r)
{
    strlist_free(&r->passed);
}

/* true when the colon-separated h= list names field (case-insensitive). */
static bool signs_field(const char *h, const char *field)
{
    size_t fl = strlen(field);
    const char *p = h;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t m = n;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t' || p[m - 1] == '\r' || p[m - 1] == '\n'))
            m--;
        if (m == fl && g_ascii_strncasecmp(p, field, fl) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static void why(struct dkim_result *r, const char *d)
{
    if (!r->detail[0])
        str_copy(r->detail, sizeof(r->detail), d);
}

void dkimv_verify(void *lib, const char *raw, size_t len, struct dkim_result *r)
{
    memset(r, 0, sizeof(*r));
    if (!lib) {
        why(r, "dkim-unavailable");
        return;
    }
    r->ran = true;
    DKIM_STAT st;
    DKIM *d = dkim_verify(lib, (const unsigned char *)"acm-milter", NULL, &st);
    if (!d) {
        why(r, "dkim-no-memory");
        return;
    }
    /* header fields: each runs to the next line that does not start with a blank */
    size_t pos = 0, body = len;
    while (pos < len) {
        size_t end = pos;
        for (;;) {
            const char *nl = memchr(raw + end, '\n', len - end);
            if (!nl) {
                end = len;
                break;
            }
            end = (size_t)(nl - raw) + 1;
            if (end >= len || (raw[end] != ' ' && raw[end] != '\t'))
                break;
        }
        size_t n = end - pos;
        if (n == 0 || raw[pos] == '\n' || (raw[pos] == '\r' && pos + 1 < len && raw[pos + 1] == '\n')) {
            body = pos + (raw[pos] == '\r' ? 2 : 1);
            break;
        }
        while (n && (raw[pos + n - 1] == '\n' || raw[pos + n - 1] == '\r'))
            n--;
        /* MTAs pass folded values with bare LF (Postfix does): fold with CRLF, as signed */
        struct sbuf fld;
        sbuf_init(&fld, 0);
        for (size_t i = 0; i < n; i++) {
            char ch = raw[pos + i];
            if (ch == '\n' && (i == 0 || raw[pos + i - 1] != '\r'))
                sbuf_putc(&fld, '\r');
            sbuf_putc(&fld, ch);
        }
        if (fld.data && !fld.overflow)
            dkim_header(d, (u_char *)fld.data, fld.len);
        sbuf_free(&fld);
        pos = end;
    }
    dkim_eoh(d);
    if (body < len)
        dkim_body(d, (u_char *)raw + body, len - body);
    st = dkim_eom(d, NULL);
    DKIM_SIGINFO **sigs = NULL;
    int nsigs = 0;
    if (dkim_getsiglist(d, &sigs, &nsigs) != DKIM_STAT_OK)
        nsigs = 0;
    r->nsigs = nsigs;
    if (nsigs == 0)
        why(r, "dkim-no-signature");
    for (int i = 0; i < nsigs && i < DKIMV_MAX_SIGS; i++) {
        DKIM_SIGINFO *s = sigs[i];
        unsigned int flags = dkim_sig_getflags(s);
        int err = dkim_sig_geterror(s);
        if (err == DKIM_SIGERROR_KEYFAIL || err == DKIM_SIGERROR_DNSSYNTAX) {
            r->dns_failure = true;
            why(r, "dkim-dns-failure");
            continue;
        }
        if (!(flags & DKIM_SIGFLAG_PROCESSED) || !(flags & DKIM_SIGFLAG_PASSED) ||
            dkim_sig_getbh(s) != DKIM_SIGBH_MATCH) {
            char w[64];
            snprintf(w, sizeof(w), "dkim-fail-%s",
                     err == DKIM_SIGERROR_EXPIRED ? "expired"
                     : dkim_sig_getbh(s) == DKIM_SIGBH_MISMATCH ? "body-hash"
                     : err == DKIM_SIGERROR_NOKEY ? "no-key"
                     : err == DKIM_SIGERROR_BADSIG ? "signature" : "invalid");
            why(r, w);
            continue;
        }
        ssize_t msglen = -1, canonlen = -1, signlen = -1;
        if (dkim_sig_getcanonlen(d, s, &msglen, &canonlen, &signlen) != DKIM_STAT_OK ||
            (signlen >= 0 && signlen < msglen)) {
            why(r, "dkim-partial-body");
            continue;
        }
        const u_char *h = dkim_sig_gettagvalue(s, false, (u_char *)"h");
        if (!h || !signs_field((const char *)h, "from") || !signs_field((const char *)h, "subject")) {
            why(r, "dkim-unsigned-from-or-subject");
            continue;
        }
        const u_char *dom = dkim_sig_getdomain(s);
        if (dom && strlen((const char *)dom) < 256) {
            char low[256];
            str_copy(low, sizeof(low), (const char *)dom);
            str_lower(low);
            strlist_add(&r->passed, low);
        }
    }
    (void)st;
    dkim_free(d);
}
