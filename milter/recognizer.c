/*
 * recognizer - see recognizer.h for the contract.
 *
 * Shape: each decoded part becomes one normalized text (CRLF -> LF, NBSP -> space; HTML
 * rendered by html.c, whose links are checked too). In each text, every URL that looks like
 * an approval link is parsed strictly (joining a relay's hard line wrap when the first line
 * alone does not parse), and every labelled field is matched with a PCRE2 pattern. All
 * values of one field, in all parts, must be equal.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "recognizer.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "html.h"
#include "util.h"

enum pat {
    P_FQDN,
    P_REQ,
    P_ACCT,
    P_REGION,
    P_CERT,
    P_RENEW,
    P_SUBJ,
    P_COUNT,
};

static const char *const pat_src[P_COUNT] = {
    [P_FQDN] = "\\bdomain[ \\t]*:\\s*([^\\s<>\"]+)",
    [P_REQ] = "request\\s+to\\s+issue\\s+an\\s+SSL/TLS\\s+certificate\\s+for\\s+([^\\s<>\"]+)",
    [P_ACCT] = "\\b(?:AWS|Amazon\\s+Web\\s+Services)\\s+account\\s+(?:ID|number)\\s*:\\s*"
               "([0-9][0-9 \\-]*[0-9])",
    [P_REGION] = "\\b(?:AWS|Amazon\\s+Web\\s+Services)\\s+Region(?:\\s+name)?\\s*:\\s*"
                 "([A-Za-z0-9\\-]+)",
    [P_CERT] = "\\bCertificate\\s+Identifier\\s*:\\s*([^\\s<>\"]+)",
    [P_RENEW] = "in\\s+order\\s+to\\s+renew",
    [P_SUBJ] = "\\bCertificate\\s+(?:request|approval)\\s+for\\s+([^\\s<>\"]+)",
};

static pcre2_code *pat[P_COUNT];
static pcre2_match_context *mctx;

bool recognizer_init(void)
{
    mctx = pcre2_match_context_create(NULL);
    if (!mctx)
        return false;
    pcre2_set_match_limit(mctx, 100000);
    pcre2_set_depth_limit(mctx, 1000);
    for (int i = 0; i < P_COUNT; i++) {
        int err;
        PCRE2_SIZE off;
        pat[i] = pcre2_compile((PCRE2_SPTR)pat_src[i], PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
                               &err, &off, NULL);
        if (!pat[i])
            return false;
        /* best effort (MemoryDenyWriteExecute forbids it); ACM_PCRE2_JIT=0 turns it off,
         * for valgrind, which cannot follow JIT code (false "uninitialised" reports) */
        const char *jit = getenv("ACM_PCRE2_JIT");
        if (!jit || strcmp(jit, "0") != 0)
            pcre2_jit_compile(pat[i], PCRE2_JIT_COMPLETE);
    }
    return true;
}

void recognizer_free(void)
{
    for (int i = 0; i < P_COUNT; i++) {
        pcre2_code_free(pat[i]);
        pat[i] = NULL;
    }
    pcre2_match_context_free(mctx);
    mctx = NULL;
}

const char *recog_status_name(enum recog_status s)
{
    switch (s) {
    case RECOG_NOT_ACM: return "not-acm";
    case RECOG_BAD_URL: return "bad-url";
    case RECOG_INCOMPLETE: return "incomplete";
    case RECOG_MALFORMED: return "malformed";
    case RECOG_INCONSISTENT: return "inconsistent";
    case RECOG_OK: return "ok";
    }
    return "?";
}

/* ---- approval URL ------------------------------------------------------------------ */

enum url_check { URL_BAD, URL_CTX_MISMATCH, URL_GOOD };

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static enum url_check url_check(const char *url, char *host, size_t hostsz, char *region,
                                size_t regionsz, char *code, size_t codesz, char *context,
                                size_t contextsz)
{
    static const char scheme[] = "https://";
    if (strlen(url) > 400 || g_ascii_strncasecmp(url, scheme, 8) != 0)
        return URL_BAD;
    const char *h = url + 8;
    const char *slash = strchr(h, '/');
    if (!slash || slash == h || (size_t)(slash - h) >= 128)
        return URL_BAD;
    char hbuf[128];
    str_ncopy(hbuf, sizeof(hbuf), h, (size_t)(slash - h));
    for (char *p = hbuf; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '-' || c == '.'))
            return URL_BAD;   /* userinfo, port, 8-bit (homograph), anything else */
        *p = (char)tolower(c);
    }
    char *dot = strchr(hbuf, '.');
    if (!dot)
        return URL_BAD;
    char reg[ARN_REGION_MAX];
    if (!str_ncopy(reg, sizeof(reg), hbuf, (size_t)(dot - hbuf)) || !region_valid(reg))
        return URL_BAD;
    const char *part = region_partition(reg);
    const char *suffix = part ? partition_approval_suffix(part) : NULL;
    if (!suffix || strcmp(dot + 1, suffix) != 0)
        return URL_BAD;
    static const char path[] = "/approvals?code=";
    const char *q = slash;
    if (strncmp(q, path, sizeof(path) - 1) != 0)
        return URL_BAD;
    q += sizeof(path) - 1;
    if (!uuid_valid(q, strspn(q, "0123456789abcdef-") >= 36 ? 36 : 0))
        return URL_BAD;
    const char *c = q;
    q += 36;
    static const char ctx[] = "&context=";
    if (strncmp(q, ctx, sizeof(ctx) - 1) != 0)
        return URL_BAD;
    q += sizeof(ctx) - 1;
    const char *x = q;
    size_t xl = strlen(x);
    if (xl < 36 + 1 + 2 || xl > 36 + 1 + 2 * 31 || !uuid_valid(x, 36) || x[36] != '-')
        return URL_BAD;
    const char *tail = x + 37;
    size_t tl = strlen(tail);
    if (tl % 2 || !lower_hex(tail, tl))
        return URL_BAD;
    char dec[ARN_REGION_MAX];
    for (size_t i = 0; i < tl / 2; i++) {
        unsigned v;
        sscanf(tail + 2 * i, "%2x", &v);
        dec[i] = (char)v;
    }
    dec[tl / 2] = '\0';
    if (host)
        str_copy(host, hostsz, hbuf);
    if (region)
        str_copy(region, regionsz, reg);
    if (code)
        str_ncopy(code, codesz, c, 36);
    if (context)
        str_copy(context, contextsz, x);
    return strcmp(dec, reg) == 0 ? URL_GOOD : URL_CTX_MISMATCH;
}

bool approval_url_parse(const char *url, char *host, size_t hostsz, char *region,
                        size_t regionsz, char *code, size_t codesz, char *context,
                        size_t contextsz)
{
    return url_check(url, host, hostsz, region, regionsz, code, codesz, context, contextsz) ==
           URL_GOOD;
}

/* ---- per-part extraction ------------------------------------------------------------ */

struct fields {
    char fqdn[DOMAIN_MAX];
    char req[DOMAIN_MAX];
    char account[13];
    char region[ARN_REGION_MAX];
    char cert[ARN_TEXT_MAX];
    char host[128];
    char code[37];
    char context[128];
    bool renewal;
};

struct state {
    struct fields all;           /* merged over every part */
    bool bad_url, malformed, inconsistent, any_url;
    char detail[160];
};

static void note(struct state *st, bool *flag, const char *what)
{
    if (!*flag && !st->bad_url && !st->malformed && !st->inconsistent)
        str_copy(st->detail, sizeof(st->detail), what);
    *flag = true;
}

/* Records one value of a field; a different earlier value anywhere is an inconsistency. */
static void set_field(struct state *st, char *slot, size_t slotsz, const char *v,
                      const char *name)
{
    if (slot[0] && strcmp(slot, v) != 0) {
        char d[64];
        snprintf(d, sizeof(d), "%s-differs", name);
        note(st, &st->inconsistent, d);
        return;
    }
    str_copy(slot, slotsz, v);
}

static bool url_char(unsigned char c)
{
    return c > 0x20 && c != 0x7f && !strchr("<>\"'()[]{}`^|", c);
}

static bool approval_like(const char *u)
{
    char low[512];
    str_copy(low, sizeof(low), u);
    str_lower(low);
    return strstr(low, "approval") || strstr(low, "certificates.") ||
           (strstr(low, "code=") && strstr(low, "context="));
}

/* Appends the URL-character run that continues a hard-wrapped line at text[*pos] (which is
 * just past a newline), skipping `> ` quote marks. Returns false when there is none. */
static bool join_next_line(const char *text, size_t len, size_t *pos, struct sbuf *u)
{
    size_t p = *pos;
    while (p < len && (text[p] == '>' || text[p] == ' '))
        p++;
    size_t s = p;
    while (p < len && url_char((unsigned char)text[p]))
        p++;
    if (p == s)
        return false;
    sbuf_append(u, text + s, p - s);
    *pos = p;
    return true;
}

static void strip_trailing_punct(struct sbuf *u)
{
    while (u->len && strchr(".,;:!?", u->data[u->len - 1]))
        u->data[--u->len] = '\0';
}

static void take_url(struct state *st, const char *u)
{
    char host[128], region[ARN_REGION_MAX], code[37], context[128];
    enum url_check r = url_check(u, host, sizeof(host), region, sizeof(region), code,
                                 sizeof(code), context, sizeof(context));
    st->any_url = true;
    if (r == URL_BAD) {
        note(st, &st->bad_url, "approval-link");
        return;
    }
    if (r == URL_CTX_MISMATCH)
        note(st, &st->inconsistent, "context-region");
    set_field(st, st->all.host, sizeof(st->all.host), host, "url");
    set_field(st, st->all.code, sizeof(st->all.code), code, "url");
    set_field(st, st->all.context, sizeof(st->all.context), context, "url");
    set_field(st, st->all.region, sizeof(st->all.region), region, "region");
}

static void scan_urls(struct state *st, const char *text, size_t len)
{
    size_t i = 0;
    while (i + 3 <= len) {
        const char *hit = memmem(text + i, len - i, "://", 3);
        if (!hit)
            break;
        size_t at = (size_t)(hit - text);
        size_t s = at;
        while (s > 0 && (isalnum((unsigned char)text[s - 1]) || strchr("+.-", text[s - 1])))
            s--;
        size_t e = at + 3;
        while (e < len && url_char((unsigned char)text[e]))
            e++;
        i = e > at + 3 ? e : at + 3;
        if (s == at)
            continue;   /* no scheme */
        struct sbuf u;
        sbuf_init(&u, 2048);
        sbuf_append(&u, text + s, e - s);
        struct sbuf first;
        sbuf_init(&first, 2048);
        sbuf_append(&first, u.data, u.len);
        strip_trailing_punct(&first);
        if (!approval_like(first.data)) {
            sbuf_free(&u);
            sbuf_free(&first);
            continue;
        }
        const char *chosen = first.data;
        struct sbuf joined;
        sbuf_init(&joined, 2048);
        if (url_check(first.data, NULL, 0, NULL, 0, NULL, 0, NULL, 0) != URL_GOOD) {
            /* A relay may have hard-wrapped the link: try up to three continuation lines. */
            size_t p = e;
            sbuf_append(&joined, u.data, u.len);
            for (int k = 0; k < 3; k++) {
                if (p < len && text[p] == '\r')
                    p++;
                if (p >= len || text[p] != '\n')
                    break;
                p++;
                if (!join_next_line(text, len, &p, &joined))
                    break;
                struct sbuf t;
                sbuf_init(&t, 2048);
                sbuf_append(&t, joined.data, joined.len);
                strip_trailing_punct(&t);
                bool good = url_check(t.data, NULL, 0, NULL, 0, NULL, 0, NULL, 0) == URL_GOOD;
                if (good) {
                    sbuf_reset(&joined);
                    sbuf_append(&joined, t.data, t.len);
                    chosen = joined.data;
                    i = p;
                }
                sbuf_free(&t);
                if (good)
                    break;
            }
        }
        take_url(st, chosen);
        sbuf_free(&joined);
        sbuf_free(&u);
        sbuf_free(&first);
    }
}

/* Calls fn for every match of pattern p in text with group 1 as (value, length, end). */
typedef void (*match_fn)(struct state *st, const char *text, size_t len, const char *v,
                         size_t vl, size_t end);

static void each_match(struct state *st, enum pat p, const char *text, size_t len, match_fn fn)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(pat[p], NULL);
    if (!md)
        return;
    PCRE2_SIZE off = 0;
    int guard = 0;
    while (off <= len && guard++ < 200) {
        int rc = pcre2_match(pat[p], (PCRE2_SPTR)text, len, off, 0, md, mctx);
        if (rc < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (rc >= 2 && ov[2] != PCRE2_UNSET)
            fn(st, text, len, text + ov[2], ov[3] - ov[2], ov[3]);
        else
            fn(st, text, len, NULL, 0, ov[1]);
        off = ov[1] > off ? ov[1] : off + 1;
    }
    pcre2_match_data_free(md);
}

static bool norm_domain(const char *v, size_t vl, char *out, size_t outsz)
{
    if (!str_ncopy(out, outsz, v, vl))
        return false;
    size_t n = strlen(out);
    while (n && (out[n - 1] == '.' || out[n - 1] == ','))
        out[--n] = '\0';
    str_lower(out);
    return dns_name_valid(out, true);
}

static void on_fqdn(struct state *st, const char *t, size_t l, const char *v, size_t vl,
                    size_t e)
{
    (void)t, (void)l, (void)e;
    char d[DOMAIN_MAX];
    if (!norm_domain(v, vl, d, sizeof(d))) {
        note(st, &st->malformed, "domain");
        return;
    }
    set_field(st, st->all.fqdn, sizeof(st->all.fqdn), d, "domain");
}

static void on_req(struct state *st, const char *t, size_t l, const char *v, size_t vl,
                   size_t e)
{
    (void)t, (void)l, (void)e;
    char d[DOMAIN_MAX];
    if (!norm_domain(v, vl, d, sizeof(d))) {
        note(st, &st->malformed, "requested-domain");
        return;
    }
    set_field(st, st->all.req, sizeof(st->all.req), d, "requested-domain");
}

static void on_acct(struct state *st, const char *t, size_t l, const char *v, size_t vl,
                    size_t e)
{
    (void)t, (void)l, (void)e;
    char a[13];
    size_t n = 0;
    for (size_t i = 0; i < vl; i++) {
        if (v[i] == '-' || v[i] == ' ')
            continue;
        if (n >= 12) {
            note(st, &st->malformed, "account");
            return;
        }
        a[n++] = v[i];
    }
    a[n] = '\0';
    if (n != 12) {
        note(st, &st->malformed, "account");
        return;
    }
    set_field(st, st->all.account, sizeof(st->all.account), a, "account");
}

static void on_region(struct state *st, const char *t, size_t l, const char *v, size_t vl,
                      size_t e)
{
    (void)t, (void)l, (void)e;
    char r[ARN_REGION_MAX];
    if (!str_ncopy(r, sizeof(r), v, vl) || (str_lower(r), !region_valid(r))) {
        note(st, &st->malformed, "region");
        return;
    }
    set_field(st, st->all.region, sizeof(st->all.region), r, "region");
}

static bool cert_ok(const char *s)
{
    struct arn a;
    return arn_parse(s, false, &a) || uuid_valid(s, strlen(s));
}

static void on_cert(struct state *st, const char *t, size_t l, const char *v, size_t vl,
                    size_t e)
{
    struct sbuf c;
    sbuf_init(&c, ARN_TEXT_MAX - 1);
    sbuf_append(&c, v, vl);
    while (c.len && strchr(".,;", c.data[c.len - 1]))
        c.data[--c.len] = '\0';
    str_lower(c.data ? c.data : (char *)"");
    if (c.data && !cert_ok(c.data)) {
        /* hard-wrapped ARN: join up to two continuation lines */
        size_t p = e;
        for (int k = 0; k < 2 && !c.overflow; k++) {
            if (p < l && t[p] == '\r')
                p++;
            if (p >= l || t[p] != '\n')
                break;
            p++;
            size_t s = p;
            while (p < l && (t[p] == '>' || t[p] == ' '))
                p++;
            s = p;
            while (p < l && !isspace((unsigned char)t[p]) && !strchr("<>\"", t[p]))
                p++;
            if (p == s)
                break;
            sbuf_append(&c, t + s, p - s);
            while (c.len && strchr(".,;", c.data[c.len - 1]))
                c.data[--c.len] = '\0';
            str_lower(c.data);
            if (cert_ok(c.data))
                break;
        }
    }
    if (!c.data || c.overflow || !cert_ok(c.data)) {
        note(st, &st->malformed, "certificate-identifier");
    } else {
        set_field(st, st->all.cert, sizeof(st->all.cert), c.data, "certificate");
    }
    sbuf_free(&c);
}

static void on_renew(struct state *st, const char *t, size_t l, const char *v, size_t vl,
                     size_t e)
{
    (void)t, (void)l, (void)v, (void)vl, (void)e;
    st->all.renewal = true;
}

/* CRLF -> LF, CR -> LF, UTF-8 NBSP -> space, NUL -> space. */
static char *normalize(const char *in, size_t len, size_t *outlen)
{
    /* zero-filled: PCRE2's JIT may read ahead past the subject inside the block */
    char *out = calloc(1, len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\r') {
            out[o++] = '\n';
            if (i + 1 < len && in[i + 1] == '\n')
                i++;
        } else if (c == 0xc2 && i + 1 < len && (unsigned char)in[i + 1] == 0xa0) {
            out[o++] = ' ';
            i++;
        } else if (c == 0) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static void scan_text(struct state *st, const char *text, size_t len)
{
    scan_urls(st, text, len);
    each_match(st, P_FQDN, text, len, on_fqdn);
    each_match(st, P_REQ, text, len, on_req);
    each_match(st, P_ACCT, text, len, on_acct);
    each_match(st, P_REGION, text, len, on_region);
    each_match(st, P_CERT, text, len, on_cert);
    each_match(st, P_RENEW, text, len, on_renew);
}

static void scan_part(struct state *st, const struct mime_text *part)
{
    size_t nl;
    char *norm = normalize(part->text, part->len, &nl);
    if (!norm)
        return;
    if (!part->html) {
        scan_text(st, norm, nl);
        free(norm);
        return;
    }
    struct html_text ht;
    if (html_extract(norm, nl, &ht)) {
        for (size_t i = 0; i < ht.hrefs.n; i++) {
            const char *h = ht.hrefs.v[i];
            if (approval_like(h) || (strstr(h, "://") == NULL && strstr(h, "approval")))
                take_url(st, h);
        }
        if (ht.text.data) {
            size_t tl;
            char *t2 = normalize(ht.text.data, ht.text.len, &tl);
            if (t2) {
                scan_text(st, t2, tl);
                free(t2);
            }
        }
    }
    html_text_free(&ht);
    free(norm);
}

static void subject_check(struct state *st, const char *subject)
{
    if (!subject)
        return;
    size_t len = strlen(subject);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(pat[P_SUBJ], NULL);
    if (!md)
        return;
    if (pcre2_match(pat[P_SUBJ], (PCRE2_SPTR)subject, len, 0, 0, md, mctx) >= 2) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        char d[DOMAIN_MAX];
        if (!norm_domain(subject + ov[2], ov[3] - ov[2], d, sizeof(d)) ||
            (strcmp(d, st->all.fqdn) != 0 && strcmp(d, st->all.req) != 0))
            note(st, &st->inconsistent, "subject-domain");
    }
    pcre2_match_data_free(md);
}

enum recog_status recognize(const struct mime_view *mv, struct acm_fields *f)
{
    memset(f, 0, sizeof(*f));
    struct state st;
    memset(&st, 0, sizeof(st));
    for (size_t i = 0; i < mv->nparts; i++)
        scan_part(&st, &mv->parts[i]);
    f->have_url = st.any_url;
    if (!st.any_url)
        return RECOG_NOT_ACM;
    if (mv->defect)
        note(&st, &st.malformed, mv->defect);

    struct fields *a = &st.all;
    if (!st.bad_url && !st.malformed) {
        const char *missing = !a->host[0]      ? "approval-link"
                              : !a->fqdn[0]    ? "domain"
                              : !a->account[0] ? "account"
                              : !a->region[0]  ? "region"
                              : !a->cert[0]    ? "certificate-identifier"
                                               : NULL;
        if (missing) {
            snprintf(f->detail, sizeof(f->detail), "missing-%s", missing);
            return RECOG_INCOMPLETE;
        }
    }
    if (!st.bad_url && !st.malformed && !st.inconsistent) {
        /* cross-field checks: ARN vs account/region, partition vs region and host */
        struct arn arn;
        if (strncmp(a->cert, "arn:", 4) == 0) {
            arn_parse(a->cert, false, &arn);
        } else {
            memset(&arn, 0, sizeof(arn));
            const char *p = region_partition(a->region);
            str_copy(arn.partition, sizeof(arn.partition), p ? p : "aws");
            str_copy(arn.region, sizeof(arn.region), a->region);
            str_copy(arn.account, sizeof(arn.account), a->account);
            str_copy(arn.certid, sizeof(arn.certid), a->cert);
        }
        const char *rp = region_partition(a->region);
        if (strcmp(arn.region, a->region) != 0)
            note(&st, &st.inconsistent, "arn-region");
        else if (strcmp(arn.account, a->account) != 0)
            note(&st, &st.inconsistent, "arn-account");
        else if (!rp || strcmp(rp, arn.partition) != 0)
            note(&st, &st.inconsistent, "arn-partition");
        f->arn = arn;
        arn_format(&arn, f->arn_text, sizeof(f->arn_text));
        subject_check(&st, mv->subject);
    }
    if (st.bad_url) {
        str_copy(f->detail, sizeof(f->detail), st.detail);
        return RECOG_BAD_URL;
    }
    if (st.malformed || st.inconsistent) {
        str_copy(f->detail, sizeof(f->detail), st.detail);
        /* copy what is known for the log line */
        str_copy(f->fqdn, sizeof(f->fqdn), a->fqdn);
        str_copy(f->account, sizeof(f->account), a->account);
        str_copy(f->region, sizeof(f->region), a->region);
        return st.malformed ? RECOG_MALFORMED : RECOG_INCONSISTENT;
    }
    str_copy(f->fqdn, sizeof(f->fqdn), a->fqdn);
    str_copy(f->requested_domain, sizeof(f->requested_domain), a->req);
    str_copy(f->account, sizeof(f->account), a->account);
    str_copy(f->region, sizeof(f->region), a->region);
    str_copy(f->host, sizeof(f->host), a->host);
    str_copy(f->code, sizeof(f->code), a->code);
    str_copy(f->context, sizeof(f->context), a->context);
    f->renewal = a->renewal;
    return RECOG_OK;
}
