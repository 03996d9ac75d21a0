/*
 * recognizer - see recognizer.h for the contract.
 *
 * Shape: each decoded part becomes one normalized text of the same length (CR -> LF or
 * space, NBSP -> two spaces, NUL -> space, each noted; HTML rendered by html.c with its
 * comments, scripts and styles, whose links are checked too). Each part is one reading: its
 * links (white-space-delimited tokens that look like URLs, and HTML link attributes, each
 * with its position) and its labelled fields (a PCRE2 pattern finds the label, the value is
 * the whole token after it, read and validated here). Then:
 *  - every approval-like link anywhere is parsed strictly (joining a relay's hard line wrap
 *    when the first line alone does not parse); in a part that carries the template, the
 *    first link after "To approve this request" must be a valid approval URL too;
 *  - all values of one field, in all parts, must be equal;
 *  - a part that carries the template (a label or that sentence) must have its own approval
 *    link and every field that another part has.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "recognizer.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
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
    P_APPROVE,
    P_FOLLOW,
    P_COUNT,
};

/* Labels only: the value after each one is read by value_token(), to a white-space
 * boundary, so that nothing glued to a value and no unreadable value goes unnoticed. */

static const char *const pat_src[P_COUNT] = {
    [P_FQDN] = "\\bdomain[ \\t]*:",
    [P_REQ] = "request\\s+to\\s+issue\\s+an\\s+SSL/TLS\\s+certificate\\s+for(?=\\s)",
    [P_ACCT] = "\\b(?:AWS|Amazon\\s+Web\\s+Services)\\s+account\\s+(?:ID|number)\\s*:",
    [P_REGION] = "\\b(?:AWS|Amazon\\s+Web\\s+Services)\\s+Region(?:\\s+name)?\\s*:",
    [P_CERT] = "\\bCertificate\\s+Identifier\\s*:",
    [P_RENEW] = "in\\s+order\\s+to\\s+renew",
    [P_SUBJ] = "\\bCertificate\\s+(?:request|approval)\\s+for\\s+(\\S+)",
    [P_APPROVE] = "\\bTo\\s+approve\\s+this\\s+request\\b",
    [P_FOLLOW] = "\\band\\s+follow\\s+the\\s+instructions\\b",
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

/* ---- approval URL (safety rule 2) ------------------------------------------------- */

enum url_check { URL_BAD, URL_CTX_NUL, URL_CTX_MISMATCH, URL_GOOD };

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* A digit lower_hex() accepted. */
static unsigned hex_value(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
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
    /* decoded bytes are compared with their length: a 00 never ends the region early */
    char dec[ARN_REGION_MAX];
    size_t dl = tl / 2;
    bool nul = false;
    for (size_t i = 0; i < dl; i++) {
        unsigned v = hex_value(tail[2 * i]) * 16 + hex_value(tail[2 * i + 1]);
        dec[i] = (char)v;
        if (v == 0)
            nul = true;
    }
    if (host)
        str_copy(host, hostsz, hbuf);
    if (region)
        str_copy(region, regionsz, reg);
    if (code)
        str_ncopy(code, codesz, c, 36);
    if (context)
        str_copy(context, contextsz, x);
    if (nul)
        return URL_CTX_NUL;
    return dl == strlen(reg) && memcmp(dec, reg, dl) == 0 ? URL_GOOD : URL_CTX_MISMATCH;
}

bool approval_url_parse(const char *url, char *host, size_t hostsz, char *region,
                        size_t regionsz, char *code, size_t codesz, char *context,
                        size_t contextsz)
{
    return url_check(url, host, hostsz, region, regionsz, code, codesz, context, contextsz) ==
           URL_GOOD;
}

/* ---- per-part readings ---------------------------------------------------------------- */

enum fld { F_FQDN, F_REQ, F_ACCT, F_REGION, F_CERT, F_URL, F_COUNT };

static const char *const fld_name[F_COUNT] = {
    [F_FQDN] = "domain",       [F_REQ] = "requested-domain",
    [F_ACCT] = "account",      [F_REGION] = "region",
    [F_CERT] = "certificate-identifier", [F_URL] = "approval-link",
};

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

#define MAX_LINKS_PART 512   /* links of one part kept for the approval-position check */
#define MAX_SENTENCES 64      /* "To approve this request" sentences of one part */

struct link {
    size_t pos;          /* offset in the part's text */
    bool good;           /* a valid approval URL */
};

/* What one part says. */
struct reading {
    bool seen[F_COUNT];      /* the field has a value in this part */
    bool label;              /* a field label appears (valid value or not) */
    bool sentence;           /* "To approve this request" appears */
    bool invisible;          /* a zero-width, bidi-control or soft-hyphen character */
    struct link *links;      /* grown as links come, up to MAX_LINKS_PART */
    size_t nlinks, links_cap;
    size_t sentences[MAX_SENTENCES];
    size_t nsentences;
    size_t follows[MAX_SENTENCES];    /* "and follow the instructions": the sentence's end */
    size_t nfollows;
    size_t main_len;         /* the first section of the text: where positions are compared */
};

struct state {
    struct fields all;           /* merged over every part */
    bool any_seen[F_COUNT];
    bool bad_url, malformed, inconsistent, any_url;
    bool limit;                  /* a limit was reached: malformed even without a link */
    char d_bad[160], d_mal[160], d_inc[160], d_lim[160];   /* the first detail of each kind */
    struct reading *cur;         /* the part being read */
};

static void bad(struct state *st, const char *what)
{
    if (!st->bad_url)
        str_copy(st->d_bad, sizeof(st->d_bad), what);
    st->bad_url = true;
}

static void malformed(struct state *st, const char *what)
{
    if (!st->malformed)
        str_copy(st->d_mal, sizeof(st->d_mal), what);
    st->malformed = true;
}

/* A limit reached (or memory exhausted): part of the message was not read. */
static void limit(struct state *st, const char *what)
{
    if (!st->limit)
        str_copy(st->d_lim, sizeof(st->d_lim), what);
    st->limit = true;
    malformed(st, what);
}

static void inconsistent(struct state *st, const char *what)
{
    if (!st->inconsistent)
        str_copy(st->d_inc, sizeof(st->d_inc), what);
    st->inconsistent = true;
}

/* Records one value of a field; a different earlier value anywhere is an inconsistency. */
static void set_field(struct state *st, enum fld which, char *slot, size_t slotsz,
                      const char *v, const char *name)
{
    st->cur->seen[which] = true;
    st->any_seen[which] = true;
    if (slot[0] && strcmp(slot, v) != 0) {
        char d[64];
        snprintf(d, sizeof(d), "%s-differs", name);
        inconsistent(st, d);
        return;
    }
    str_copy(slot, slotsz, v);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f';
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0)
        return true;
    /* the first byte first: a library call at every position was a tenth of an ACM
     * message's instructions */
    unsigned char first = (unsigned char)needle[0] | 0x20, other = first;
    if (first >= 'a' && first <= 'z')
        other = (unsigned char)(first - 0x20);
    else
        first = other = (unsigned char)needle[0];
    for (size_t i = 0; i + k <= n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c == first || c == other) && g_ascii_strncasecmp(s + i, needle, k) == 0)
            return true;
    }
    return false;
}

/* Looks like an approval link, wherever it stands. */
static bool approval_like(const char *u, size_t n)
{
    return contains_ci(u, n, "approval") || contains_ci(u, n, "certificates.") ||
           (contains_ci(u, n, "code=") && contains_ci(u, n, "context="));
}

/* A link the recognizer takes as a candidate approval URL: one that looks like it, or in a
 * template part any with code= or context=. */
static bool takes_url(const char *u, size_t n, bool template)
{
    return approval_like(u, n) ||
           (template && (contains_ci(u, n, "code=") || contains_ci(u, n, "context=")));
}

/* A token that is a link: a scheme separator (also with backslashes, which browsers read
 * as slashes), or ACM's host or path without one; in a template part also code=/context=. */
static bool link_token(const char *t, size_t n, bool template)
{
    /* Every string below has a ':', '/', '-' or '=': a token without one of them (most
     * words of a text) is no link, and needs none of the eight scans. */
    size_t k = 0;
    while (k < n && t[k] != ':' && t[k] != '/' && t[k] != '-' && t[k] != '=')
        k++;
    if (k == n)
        return false;
    if (contains_ci(t, n, "://") || contains_ci(t, n, ":\\") || contains_ci(t, n, "http:") ||
        contains_ci(t, n, "https:") || contains_ci(t, n, "acm-certificates") ||
        contains_ci(t, n, "/approvals"))
        return true;
    return template && (contains_ci(t, n, "code=") || contains_ci(t, n, "context="));
}

/* The token (maximal run of non-white-space bytes) starting at or after p on the same line,
 * after `> ` quote marks when p is a line start. */
static size_t token_at(const char *t, size_t l, size_t p, size_t *start)
{
    while (p < l && (t[p] == ' ' || t[p] == '\t' || t[p] == '>'))
        p++;
    size_t s = p;
    while (p < l && !is_ws(t[p]))
        p++;
    *start = s;
    return p - s;
}

/* The first token of the line after the one holding p (a value hard-wrapped onto the next
 * line), as token_at(); 0 when there is no next line or it starts with no token. */
static size_t next_line_token(const char *t, size_t l, size_t p, size_t *start)
{
    while (p < l && t[p] != '\n')
        p++;
    if (p >= l)
        return 0;
    return token_at(t, l, p + 1, start);
}

static bool rest_blank(const char *t, size_t l, size_t p)
{
    while (p < l && (t[p] == ' ' || t[p] == '\t'))
        p++;
    return p >= l || t[p] == '\n';
}

/* Strips what encloses a URL token: one opener ( < [ " ' and its closer, and sentence
 * punctuation after it. Everything else stays glued and makes the URL invalid. */
static void strip_url(const char **u, size_t *n, bool *unclosed)
{
    static const char open[] = "(<[\"'", close[] = ")>]\"'";
    const char *s = *u;
    size_t k = *n;
    char closer = 0;
    const char *o = k ? strchr(open, s[0]) : NULL;
    if (o && *o) {
        closer = close[o - open];
        s++, k--;
    }
    while (k && strchr(".,;:!?", s[k - 1]))
        k--;
    *unclosed = false;
    if (closer && k && s[k - 1] == closer) {
        k--;
        while (k && strchr(".,;:!?", s[k - 1]))
            k--;
    } else if (closer) {
        *unclosed = true;   /* "(" without ")": the link goes on, on the next line */
    }
    *u = s;
    *n = k;
}

static enum url_check check_span(const char *u, size_t n)
{
    char *z = str_ndup(u, n);
    if (!z)
        return URL_BAD;
    enum url_check r = url_check(z, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
    free(z);
    return r;
}

static void add_link(struct state *st, size_t pos, bool good)
{
    struct reading *r = st->cur;
    if (r->nlinks >= MAX_LINKS_PART) {
        limit(st, "link-count");
        return;
    }
    if (r->nlinks == r->links_cap) {
        struct link *l = grow_array(r->links, &r->links_cap, sizeof(*l), 16);
        if (!l) {
            limit(st, "no-memory");
            return;
        }
        r->links = l;
    }
    r->links[r->nlinks].pos = pos;
    r->links[r->nlinks].good = good;
    r->nlinks++;
}

/* One approval-like link (a C string): strictly parsed, and its parts recorded. */
static bool take_url(struct state *st, const char *u)
{
    char host[128], region[ARN_REGION_MAX], code[37], context[128];
    enum url_check r = url_check(u, host, sizeof(host), region, sizeof(region), code,
                                 sizeof(code), context, sizeof(context));
    st->any_url = true;
    if (r == URL_BAD) {
        bad(st, "approval-link");
        return false;
    }
    if (r == URL_CTX_NUL) {
        malformed(st, "context-nul");
        return true;   /* an approval URL in form; the NUL decides */
    }
    if (r == URL_CTX_MISMATCH)
        inconsistent(st, "context-region");
    set_field(st, F_URL, st->all.host, sizeof(st->all.host), host, "url");
    set_field(st, F_URL, st->all.code, sizeof(st->all.code), code, "url");
    set_field(st, F_URL, st->all.context, sizeof(st->all.context), context, "url");
    /* the URL's region is one more place that names the region (not the Region field) */
    set_field(st, F_URL, st->all.region, sizeof(st->all.region), region, "region");
    return true;   /* an approval URL (a context naming another region is inconsistent) */
}

static bool take_span(struct state *st, const char *u, size_t n)
{
    char *z = str_ndup(u, n);
    if (!z) {
        limit(st, "no-memory");
        return false;
    }
    bool good = take_url(st, z);
    free(z);
    return good;
}

static void scan_urls(struct state *st, const char *text, size_t len, bool template)
{
    size_t i = 0;
    while (i < len) {
        size_t s;
        size_t n = token_at(text, len, i, &s);
        if (!n) {
            i = s + 1;
            continue;
        }
        size_t e = s + n;
        i = e;
        if (!link_token(text + s, n, template))
            continue;
        const char *u = text + s;
        size_t ul = n;
        bool unclosed;
        strip_url(&u, &ul, &unclosed);
        struct sbuf joined;
        sbuf_init(&joined, 0);
        if (unclosed || check_span(u, ul) != URL_GOOD) {
            /* A relay may have hard-wrapped the link: try up to eight continuation lines.
             * An opening parenthesis (or < [ " ') without its closer says the link goes on:
             * then the joined link up to the closer is the one, valid or not; otherwise the
             * first joined form that is a valid approval URL. */
            sbuf_append(&joined, text + s, n);
            size_t p = e;
            for (int k = 0; k < 8 && rest_blank(text, len, p); k++) {
                size_t cs;
                size_t cn = next_line_token(text, len, p, &cs);
                if (!cn)
                    break;
                sbuf_append(&joined, text + cs, cn);
                p = cs + cn;
                const char *ju = joined.data;
                size_t jl = joined.len;
                bool junclosed;
                strip_url(&ju, &jl, &junclosed);
                if (joined.overflow)
                    break;
                if (unclosed ? !junclosed : check_span(ju, jl) == URL_GOOD) {
                    u = ju;
                    ul = jl;
                    i = p;
                    break;
                }
            }
        }
        bool good;
        if (takes_url(u, ul, template))
            good = take_span(st, u, ul);
        else
            good = false;   /* another link: it matters where it stands (scan_part) */
        add_link(st, s, good);
        sbuf_free(&joined);
    }
}

/* The matches of one pattern in a text, all found before any is acted on (the patterns
 * only read the text): at most MAX_MATCHES + 1, one more than MAX_MATCHES being the
 * match-count limit; and whether a PCRE2 limit ended the search. The same search counts a
 * label in the text and in its skeleton (disguised_labels()). */
#define MAX_MATCHES 200
typedef void (*match_fn)(struct state *st, const char *text, size_t len, size_t ms,
                         size_t me, enum fld arg);
struct matches {
    size_t n, cap;
    PCRE2_SIZE *span;   /* span[2i], span[2i + 1]: start and end of match i */
    bool pcre_limit;
    bool no_memory;
};

static void find_matches(enum pat p, const char *text, size_t len, pcre2_match_data *md,
                         struct matches *m)
{
    m->n = 0;
    m->pcre_limit = m->no_memory = false;
    if (!md) {
        m->no_memory = true;
        return;
    }
    PCRE2_SIZE off = 0;
    while (off <= len && m->n <= MAX_MATCHES) {
        int rc = pcre2_match(pat[p], (PCRE2_SPTR)text, len, off, 0, md, mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            m->pcre_limit = true;
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (m->n == m->cap) {
            PCRE2_SIZE *sp = grow_array(m->span, &m->cap, 2 * sizeof(*sp), 8);   /* pairs */
            if (!sp) {
                m->no_memory = true;
                return;
            }
            m->span = sp;
        }
        m->span[2 * m->n] = ov[0];
        m->span[2 * m->n + 1] = ov[1];
        m->n++;
        off = ov[1] > off ? ov[1] : off + 1;
    }
}

/* Calls fn for every match found, with its (start, end) and arg (a label's field). More
 * matches than MAX_MATCHES, or a PCRE2 limit, is malformed. */
static void act_on(struct state *st, const struct matches *m, const char *text, size_t len,
                   match_fn fn, enum fld arg)
{
    if (m->no_memory) {
        limit(st, "no-memory");
        return;
    }
    for (size_t i = 0; i < m->n && i < MAX_MATCHES; i++)
        fn(st, text, len, m->span[2 * i], m->span[2 * i + 1], arg);
    if (m->n > MAX_MATCHES)
        limit(st, "match-count");
    else if (m->pcre_limit)
        limit(st, "match-limit");
}

/* The value after a label ending at p: blanks and at most two line ends may come first (a
 * value on the next line). Returns the token's length (0: none) and its start in *vs. */
static size_t value_token(const char *t, size_t l, size_t p, size_t *vs)
{
    int lines = 0;
    *vs = p;
    while (p < l && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n')) {
        if (t[p] == '\n' && ++lines > 2)
            return 0;
        p++;
    }
    if (lines)
        while (p < l && (t[p] == '>' || t[p] == ' '))
            p++;
    size_t s = p;
    while (p < l && !is_ws(t[p]))
        p++;
    *vs = s;
    return p - s;
}

/* A domain value: letters, digits, hyphens, dots (one closing dot allowed), maybe *. */
static bool read_domain(const char *v, size_t vl, char *out, size_t outsz)
{
    if (vl && v[vl - 1] == '.')
        vl--;
    if (!vl || !str_ncopy(out, outsz, v, vl))
        return false;
    str_lower(out);
    return dns_name_valid(out, true);
}

static void on_label_value(struct state *st, const char *t, size_t l, size_t me, enum fld which)
{
    st->cur->label = true;
    size_t vs;
    size_t vl = value_token(t, l, me, &vs);
    const char *v = t + vs;
    size_t end = vs + vl;
    char buf[DOMAIN_MAX];
    bool ok = vl > 0;
    switch (which) {
    case F_FQDN:
        ok = ok && read_domain(v, vl, buf, sizeof(buf)) && rest_blank(t, l, end);
        if (ok)
            set_field(st, F_FQDN, st->all.fqdn, sizeof(st->all.fqdn), buf, "domain");
        break;
    case F_REQ: {
        /* a sentence: the value ends at white space, after one closing dot */
        char d[DOMAIN_MAX];
        ok = ok && read_domain(v, vl, d, sizeof(d));
        if (ok)
            set_field(st, F_REQ, st->all.req, sizeof(st->all.req), d, "requested-domain");
        break;
    }
    case F_ACCT: {
        /* twelve digits, or the old 1234-5678-9012 */
        char a[13];
        size_t n = 0;
        bool dashed = vl == 14 && v[4] == '-' && v[9] == '-';
        ok = ok && (vl == 12 || dashed) && rest_blank(t, l, end);
        for (size_t i = 0; ok && i < vl; i++) {
            if (dashed && (i == 4 || i == 9))
                continue;
            if (v[i] < '0' || v[i] > '9')
                ok = false;
            else
                a[n++] = v[i];
        }
        if (ok) {
            a[n] = '\0';
            set_field(st, F_ACCT, st->all.account, sizeof(st->all.account), a, "account");
        }
        break;
    }
    case F_REGION: {
        char r[ARN_REGION_MAX];
        ok = ok && str_ncopy(r, sizeof(r), v, vl) && (str_lower(r), region_valid(r)) &&
             rest_blank(t, l, end);
        if (ok)
            set_field(st, F_REGION, st->all.region, sizeof(st->all.region), r, "region");
        break;
    }
    case F_CERT: {
        struct sbuf c;
        sbuf_init(&c, ARN_TEXT_MAX - 1);
        sbuf_append(&c, v, vl);
        bool good = false;
        for (int k = 0; ok && !c.overflow; k++) {
            while (c.len && strchr(".,;", c.data[c.len - 1]))
                c.data[--c.len] = '\0';
            str_lower(c.data);
            struct arn a;
            good = arn_parse(c.data, false, &a) || uuid_valid(c.data, c.len);
            if (good || k == 2 || !rest_blank(t, l, end))
                break;
            /* a hard-wrapped ARN: join the next line's token */
            size_t cs;
            size_t cn = next_line_token(t, l, end, &cs);
            if (!cn)
                break;
            sbuf_append(&c, t + cs, cn);
            end = cs + cn;
        }
        ok = ok && good && !c.overflow && rest_blank(t, l, end);
        if (ok)
            set_field(st, F_CERT, st->all.cert, sizeof(st->all.cert), c.data, "certificate");
        sbuf_free(&c);
        break;
    }
    default:
        break;
    }
    if (!ok)
        malformed(st, fld_name[which]);
}

/* A label of the template (Domain:, AWS account ID:, ...) and the value after it. */
static void on_label(struct state *st, const char *t, size_t l, size_t ms, size_t me,
                     enum fld which)
{
    (void)ms;
    on_label_value(st, t, l, me, which);
}

static void on_renew(struct state *st, const char *t, size_t l, size_t ms, size_t me,
                     enum fld arg)
{
    (void)t, (void)l, (void)ms, (void)me, (void)arg;
    st->all.renewal = true;
}

static void on_follow(struct state *st, const char *t, size_t l, size_t ms, size_t me,
                      enum fld arg)
{
    (void)t, (void)l, (void)me, (void)arg;
    struct reading *r = st->cur;
    if (r->nfollows < MAX_SENTENCES)
        r->follows[r->nfollows++] = ms;
    else
        limit(st, "match-count");
}

static void on_approve(struct state *st, const char *t, size_t l, size_t ms, size_t me,
                       enum fld arg)
{
    (void)t, (void)l, (void)ms, (void)arg;
    struct reading *r = st->cur;
    r->sentence = true;
    if (r->nsentences < MAX_SENTENCES)
        r->sentences[r->nsentences++] = me;
    else
        limit(st, "match-count");
}

/* Characters that a reader does not see or that reorder what they see: zero-width spaces
 * and joiners, bidi controls, the soft hyphen, word joiners, BOM (but at the very start),
 * tag characters. Their UTF-8 length at t[i], or 0. */
static size_t invisible_at(const unsigned char *t, size_t len, size_t i)
{
    unsigned char a = t[i], b = i + 1 < len ? t[i + 1] : 0, c = i + 2 < len ? t[i + 2] : 0;
    if (a == 0xc2 && b == 0xad)
        return 2;                                          /* U+00AD soft hyphen */
    if (a == 0xcd && b == 0x8f)
        return 2;                                          /* U+034F grapheme joiner */
    if (a == 0xe1 && b == 0xa0 && c == 0x8e)
        return 3;                                          /* U+180E */
    if (a == 0xe2 && b == 0x80 && ((c >= 0x8b && c <= 0x8f) || (c >= 0xa8 && c <= 0xae)))
        return 3;                                          /* U+200B-200F, U+2028-202E */
    if (a == 0xe2 && b == 0x81 && c >= 0xa0 && c <= 0xaf)
        return 3;                                          /* U+2060-206F */
    if (a == 0xef && b == 0xbb && c == 0xbf && i > 0)
        return 3;                                          /* U+FEFF not at the start */
    if (a == 0xf3 && b == 0xa0)
        return 4;                                          /* U+E0000-E0FFF tags */
    return 0;
}

#define NORM_PAD 64

/* Eight bytes at a time: the word at p, and the bytes of v that are c (the high bit of each
 * byte that is c, and maybe of bytes above one that is: nonzero exactly when one is). */
#define BYTES_ONES 0x0101010101010101ULL
#define BYTES_HIGHS 0x8080808080808080ULL
static uint64_t word_at(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t bytes_eq(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (BYTES_ONES * c);
    return (x - BYTES_ONES) & ~x & BYTES_HIGHS;
}

/* No byte of the 8 at p is one normalize() changes or looks at again: none is a CR, a NUL or
 * 0x80 and above (a superset of the UTF-8 lead bytes from 0xc2 that it reads). */
static bool plain8(const char *p)
{
    uint64_t v = word_at(p);
    return (bytes_eq(v, '\0') | bytes_eq(v, '\r') | (v & BYTES_HIGHS)) == 0;
}

/* Same length out as in: CR LF -> space LF, CR -> LF, UTF-8 NBSP -> two spaces,
 * NUL -> space (noted), so offsets stay those of the input. */
static char *normalize(struct state *st, const char *in, size_t len)
{
    /* PCRE2's JIT may read ahead past the subject: zeros after it, inside the block */
    char *out = malloc(len + 1 + NORM_PAD);
    if (!out)
        return NULL;
    memcpy(out, in, len);   /* most bytes: as they are */
    memset(out + len, 0, 1 + NORM_PAD);
    for (size_t i = 0; i < len; i++) {
        while (i + 8 <= len && plain8(in + i))
            i += 8;
        if (i >= len)
            break;
        unsigned char c = (unsigned char)in[i];
        if (c != '\r' && c != 0 && c < 0xc2)
            continue;
        if (c == '\r') {
            out[i] = i + 1 < len && in[i + 1] == '\n' ? ' ' : '\n';
        } else if (c == 0xc2 && i + 1 < len && (unsigned char)in[i + 1] == 0xa0) {
            out[i] = out[i + 1] = ' ';
            i++;
        } else if (c == 0) {
            out[i] = ' ';
            malformed(st, "nul-byte");
        } else if (invisible_at((const unsigned char *)in, len, i)) {
            st->cur->invisible = true;
        }
    }
    return out;
}

/* Look-alikes of the template's ASCII: what a reader takes for a label although the
 * patterns do not. The skeleton of a text maps each to its ASCII original and drops the
 * invisible characters; a label found more often in the skeleton than in the text is a
 * disguised one (Cyrillic "о" in "Dоmain", a full-width colon or a semicolon, a zero-width
 * space). */
static const struct { const char *u; char a; } lookalike[] = {
    {"\xd0\xb0", 'a'}, {"\xd0\xb5", 'e'}, {"\xd0\xbe", 'o'}, {"\xd1\x80", 'p'}, {"\xd1\x81", 'c'},
    {"\xd1\x83", 'y'}, {"\xd1\x85", 'x'}, {"\xd1\x96", 'i'}, {"\xd1\x98", 'j'}, {"\xd1\x95", 's'},
    {"\xd4\x81", 'd'}, {"\xd5\xb8", 'n'}, {"\xd0\x90", 'A'}, {"\xd0\x92", 'B'}, {"\xd0\x95", 'E'},
    {"\xd0\x9a", 'K'}, {"\xd0\x9c", 'M'}, {"\xd0\x9d", 'H'}, {"\xd0\x9e", 'O'}, {"\xd0\xa0", 'P'},
    {"\xd0\xa1", 'C'}, {"\xd0\xa2", 'T'}, {"\xd0\xa5", 'X'}, {"\xd0\x86", 'I'}, {"\xd0\x85", 'S'},
    {"\xce\xbf", 'o'}, {"\xce\xb1", 'a'}, {"\xce\xb9", 'i'}, {"\xce\xbd", 'v'}, {"\xce\x91", 'A'},
    {"\xce\x92", 'B'}, {"\xce\x95", 'E'}, {"\xce\x99", 'I'}, {"\xce\x9a", 'K'}, {"\xce\x9c", 'M'},
    {"\xce\x9d", 'N'}, {"\xce\x9f", 'O'}, {"\xce\xa1", 'P'}, {"\xce\xa4", 'T'}, {"\xce\xa7", 'X'},
    {"\xce\x96", 'Z'}, {"\xce\x97", 'H'}, {"\xef\xb9\x95", ':'}, {"\xea\x9e\x89", ':'},
    {"\xe2\x88\xb6", ':'}, {"\xcb\x90", ':'}, {"\xe2\x80\x90", '-'}, {"\xe2\x80\x91", '-'},
    {"\xe2\x80\x92", '-'}, {"\xe2\x80\x93", '-'}, {"\xe2\x80\x94", '-'}, {"\xe2\x88\x92", '-'},
    {"\xe3\x80\x80", ' '}, {"\xe2\x80\xaf", ' '}, {"\xe2\x81\x9f", ' '},
};

static char *skeleton(const char *t, size_t n, size_t *outn)
{
    char *o = calloc(1, n + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x80) {
            o[k++] = c == ';' ? ':' : (char)c;   /* "Domain; x" reads as a label too */
            i++;
            continue;
        }
        size_t inv = invisible_at((const unsigned char *)t, n, i);
        if (inv) {
            i += inv;
            continue;
        }
        if (c == 0xef && i + 2 < n && (((unsigned char)t[i + 1] == 0xbc &&
                                         (unsigned char)t[i + 2] >= 0x81) ||
                                        ((unsigned char)t[i + 1] == 0xbd &&
                                         (unsigned char)t[i + 2] <= 0x9e))) {
            /* full-width ASCII U+FF01-FF5E */
            unsigned v = ((unsigned char)t[i + 1] == 0xbc ? 0x21 : 0x60) +
                         ((unsigned char)t[i + 2] - ((unsigned char)t[i + 1] == 0xbc ? 0x81 : 0x80));
            o[k++] = (char)v;
            i += 3;
            continue;
        }
        if (c == 0xe2 && i + 2 < n && (unsigned char)t[i + 1] == 0x80 &&
            (unsigned char)t[i + 2] >= 0x80 && (unsigned char)t[i + 2] <= 0x8a) {
            o[k++] = ' ';   /* U+2000-200A spaces */
            i += 3;
            continue;
        }
        bool mapped = false;
        for (size_t m = 0; m < sizeof(lookalike) / sizeof(lookalike[0]) && !mapped; m++) {
            size_t ml = strlen(lookalike[m].u);
            if (i + ml <= n && memcmp(t + i, lookalike[m].u, ml) == 0) {
                o[k++] = lookalike[m].a;
                i += ml;
                mapped = true;
            }
        }
        if (!mapped)
            o[k++] = t[i++];
    }
    *outn = k;
    return o;
}

/* A label that a reader sees but the patterns do not is malformed, never skipped: one
 * found more often in the text's skeleton than in the text (`found`, by pattern). */
/* No byte of t is one skeleton() changes: all are ASCII, none is a ';' (the skeleton is the
 * text itself). */
static bool own_skeleton(const char *t, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = word_at(t + i);
        if (bytes_eq(v, ';') | (v & BYTES_HIGHS))
            return false;
    }
    for (; i < n; i++)
        if ((unsigned char)t[i] >= 0x80 || t[i] == ';')
            return false;
    return true;
}

static void disguised_labels(struct state *st, const char *text, size_t len,
                             const struct matches *found, pcre2_match_data *md)
{
    if (own_skeleton(text, len))
        return;   /* it finds what the text does */
    size_t sl;
    char *sk = skeleton(text, len, &sl);
    if (!sk) {
        limit(st, "no-memory");
        return;
    }
    static const struct { enum pat p; const char *what; } labels[] = {
        {P_FQDN, "domain-label"},   {P_REQ, "requested-domain-label"},
        {P_ACCT, "account-label"},  {P_REGION, "region-label"},
        {P_CERT, "certificate-identifier-label"}, {P_APPROVE, "approval-sentence"},
    };
    /* a skeleton that is the text itself finds what the text does */
    if (sl != len || memcmp(sk, text, len) != 0) {
        struct matches m = {0};
        for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
            find_matches(labels[i].p, sk, sl, md, &m);
            /* (a search that ran out of memory counts what it found, as the text's did) */
            if (m.n > found[labels[i].p].n) {
                st->cur->label = true;
                malformed(st, labels[i].what);
            }
        }
        free(m.span);
    }
    free(sk);
}

static void scan_fields(struct state *st, const char *text, size_t len)
{
    /* every pattern's matches first, then what they mean, in the order below */
    static const enum pat used[] = {P_APPROVE, P_FOLLOW, P_FQDN, P_REQ, P_ACCT, P_REGION,
                                    P_CERT,    P_RENEW};
    struct matches found[P_COUNT];
    memset(found, 0, sizeof(found));
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);   /* room for any group */
    for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
        find_matches(used[i], text, len, md, &found[used[i]]);
    disguised_labels(st, text, len, found, md);
    /* F_COUNT: the callbacks of sentences and markers take no field */
    act_on(st, &found[P_APPROVE], text, len, on_approve, F_COUNT);
    act_on(st, &found[P_FOLLOW], text, len, on_follow, F_COUNT);
    static const struct { enum pat p; enum fld f; } labels[] = {
        {P_FQDN, F_FQDN}, {P_REQ, F_REQ}, {P_ACCT, F_ACCT}, {P_REGION, F_REGION}, {P_CERT, F_CERT},
    };
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        act_on(st, &found[labels[i].p], text, len, on_label, labels[i].f);
    act_on(st, &found[P_RENEW], text, len, on_renew, F_COUNT);
    for (size_t i = 0; i < P_COUNT; i++)
        free(found[i].span);
    pcre2_match_data_free(md);
}

/* After the whole part is read: the link that follows each "To approve this request" must
 * be a valid approval URL (whatever host it names), never skipped for another part's; and
 * so must every link up to "and follow the instructions", where the sentence ends (in the
 * HTML part: the <a href> and the URL shown next to it). */
static void check_positions(struct state *st)
{
    struct reading *r = st->cur;
    for (size_t k = 0; k < r->nsentences; k++) {
        size_t from = r->sentences[k];
        /* the copies after the first section (what a reader sees, what nobody sees) hold
         * no <a href>: there every link up to the sentence's end must be good, if any */
        bool main = from < r->main_len;
        size_t lim = main ? r->main_len : SIZE_MAX;
        size_t to = lim;
        bool bounded = false;
        for (size_t j = 0; j < r->nfollows; j++)
            if (r->follows[j] >= from && r->follows[j] < to) {
                to = r->follows[j];
                bounded = true;
            }
        if (!main && !bounded)
            to = from + 400;
        const struct link *first = NULL;
        bool all_good = true, any = false;
        for (size_t i = 0; i < r->nlinks; i++) {
            const struct link *l = &r->links[i];
            if (l->pos < from || l->pos >= lim)
                continue;
            if (!first || l->pos < first->pos)
                first = l;
            if (l->pos < to) {
                any = true;
                if (!l->good)
                    all_good = false;
            }
        }
        if (main && first) {
            st->any_url = true;
            if (!first->good || (bounded && (!all_good || first->pos >= to)))
                bad(st, "approval-link");
        } else if (!main && any) {
            st->any_url = true;
            if (!all_good)
                bad(st, "approval-link");
        }
    }
}

/* RFC 3676: a line that ends in a space is continued by the next one (of the same quote
 * depth); quote marks and the stuffed space are not part of the text; with delsp=yes the
 * ending space goes too. Returns the unflowed text, a newline, and the input as it is. */
static char *unflow(const char *t, size_t n, bool delsp, size_t *outn)
{
    /* each line gives at most its bytes and two newlines: 2n + 2, then a newline and t */
    char *o = calloc(1, 3 * n + 4);
    if (!o)
        return NULL;
    size_t k = 0, i = 0;
    int prev_depth = -1;
    bool joining = false;
    while (i < n) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        size_t p = i;
        int depth = 0;
        while (p < e && t[p] == '>')
            p++, depth++;
        if (p < e && t[p] == ' ')
            p++;   /* space-stuffing */
        size_t le = e > p && t[e - 1] == '\r' ? e - 1 : e;
        bool sig = le - p == 3 && memcmp(t + p, "-- ", 3) == 0;
        bool soft = le > p && t[le - 1] == ' ' && !sig;
        if (joining && depth != prev_depth)
            o[k++] = '\n';   /* a quote depth change ends the paragraph */
        if (soft && delsp)
            le--;
        memcpy(o + k, t + p, le - p);
        k += le - p;
        joining = soft;
        if (!soft)
            o[k++] = '\n';
        prev_depth = depth;
        i = e + 1;
    }
    o[k++] = '\n';
    memcpy(o + k, t, n);
    k += n;
    *outn = k;
    return o;
}

static void scan_part(struct state *st, const struct mime_text *part)
{
    if (!part->html) {
        /* format=flowed: what a flowed reader shows, then the lines as sent: both count */
        size_t tl = part->len;
        char *flowed = part->flowed ? unflow(part->text, part->len, part->delsp, &tl) : NULL;
        if (part->flowed && !flowed) {
            limit(st, "no-memory");
            return;
        }
        char *t = normalize(st, flowed ? flowed : part->text, tl);
        free(flowed);
        if (!t) {
            limit(st, "no-memory");
            return;
        }
        st->cur->main_len = part->flowed ? tl - part->len - 1 : tl;
        scan_fields(st, t, tl);
        scan_urls(st, t, tl, st->cur->label || st->cur->sentence);
        check_positions(st);
        free(t);
        return;
    }
    char *norm = normalize(st, part->text, part->len);
    if (!norm) {
        limit(st, "no-memory");
        return;
    }
    struct html_text ht;
    if (!html_extract_all(norm, part->len, &ht)) {
        limit(st, "no-memory");
    } else {
        if (ht.limit)
            limit(st, ht.limit);
        size_t tl = ht.text.data ? ht.text.len : 0;
        st->cur->main_len = ht.main_len;
        char *t2 = normalize(st, ht.text.data ? ht.text.data : "", tl);
        if (!t2) {
            limit(st, "no-memory");
        } else {
            scan_fields(st, t2, tl);
            bool template = st->cur->label || st->cur->sentence;
            for (size_t i = 0; i < ht.hrefs.n; i++) {
                const char *h = ht.hrefs.v[i];
                size_t hl = strlen(h);
                bool good = false;
                if (takes_url(h, hl, template))
                    good = take_url(st, h);
                add_link(st, ht.href_pos[i], good);
            }
            scan_urls(st, t2, tl, template);
            check_positions(st);
            free(t2);
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
        if (!read_domain(subject + ov[2], ov[3] - ov[2], d, sizeof(d)) ||
            (strcmp(d, st->all.fqdn) != 0 && strcmp(d, st->all.req) != 0))
            inconsistent(st, "subject-domain");
    }
    pcre2_match_data_free(md);
}

/* Every part that carries the template, or an approval link, says everything another part
 * says: its own approval link and each field. */
static void check_parts(struct state *st, const struct reading *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct reading *p = &r[i];
        bool template = p->label || p->sentence;
        if (!template && !p->seen[F_URL])
            continue;
        if (p->invisible)
            malformed(st, "invisible-character");
        static const enum fld order[F_COUNT] = {F_URL, F_FQDN, F_ACCT, F_REGION, F_CERT, F_REQ};
        for (int k = 0; k < F_COUNT; k++) {
            enum fld f = order[k];
            if (st->any_seen[f] && !p->seen[f]) {
                char d[64];
                snprintf(d, sizeof(d), "%s-missing-in-part", fld_name[f]);
                inconsistent(st, d);
            }
        }
    }
}

static enum recog_status finish(struct state *st, const struct mime_view *mv,
                                struct acm_fields *f)
{
    f->have_url = st->any_url;
    /* something was not read: never decide on the rest, link or not */
    if (mv->unread)
        limit(st, mv->unread);
    if (mv->defect && strcmp(mv->defect, "mime-no-boundary") == 0)
        limit(st, mv->defect);   /* the parts were never told apart */
    if (mv->nul_header) {
        char d[64];
        snprintf(d, sizeof(d), "nul-in-%s", mv->nul_header);
        str_lower(d);
        limit(st, d);
    }
    if (!st->any_url && !st->limit)
        return RECOG_NOT_ACM;
    if (!st->any_url) {
        str_copy(f->detail, sizeof(f->detail), st->d_lim);
        return RECOG_MALFORMED;
    }
    if (mv->defect)
        malformed(st, mv->defect);
    if (mime_header(mv, "Subject", 1))
        malformed(st, "subject-repeated");   /* which one a reader shows is anyone's guess */

    struct fields *a = &st->all;
    if (!st->bad_url && !st->malformed) {
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
    if (!st->bad_url && !st->malformed && !st->inconsistent) {
        /* cross-field checks (safety rules 3 and 5): ARN vs account/region, partition vs
         * region and host */
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
            inconsistent(st, "arn-region");
        else if (strcmp(arn.account, a->account) != 0)
            inconsistent(st, "arn-account");
        else if (!rp || strcmp(rp, arn.partition) != 0)
            inconsistent(st, "arn-partition");
        f->arn = arn;
        arn_format(&arn, f->arn_text, sizeof(f->arn_text));
        subject_check(st, mv->subject);
    }
    if (st->bad_url) {
        str_copy(f->detail, sizeof(f->detail), st->d_bad);
        return RECOG_BAD_URL;
    }
    if (st->malformed || st->inconsistent) {
        /* a limit (something not read) is named before what was read wrong */
        str_copy(f->detail, sizeof(f->detail),
                 st->limit ? st->d_lim : st->malformed ? st->d_mal : st->d_inc);
        /* copy what is known for the log line */
        str_copy(f->fqdn, sizeof(f->fqdn), a->fqdn);
        str_copy(f->account, sizeof(f->account), a->account);
        str_copy(f->region, sizeof(f->region), a->region);
        return st->malformed ? RECOG_MALFORMED : RECOG_INCONSISTENT;
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

enum recog_status recognize(const struct mime_view *mv, struct acm_fields *f)
{
    memset(f, 0, sizeof(*f));
    struct state *st = calloc(1, sizeof(*st));
    struct reading *r = calloc(mv->nparts ? mv->nparts : 1, sizeof(*r));
    if (!st || !r) {
        free(st);
        free(r);
        str_copy(f->detail, sizeof(f->detail), "no-memory");
        return RECOG_MALFORMED;
    }
    for (size_t i = 0; i < mv->nparts; i++) {
        st->cur = &r[i];
        scan_part(st, &mv->parts[i]);
    }
    if (st->any_url) {
        check_parts(st, r, mv->nparts);
    }
    enum recog_status s = finish(st, mv, f);
    memset(st, 0, sizeof(*st));   /* codes and contexts: no copy left behind */
    free(st);
    for (size_t i = 0; i < mv->nparts; i++)
        free(r[i].links);
    free(r);
    return s;
}
