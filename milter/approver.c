/*
 * approver - see approver.h for the contract.
 */
#include "approver.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "allowlist.h"
#include "page.h"
#include "recognizer.h"

#ifndef ACM_VERSION
#define ACM_VERSION "0"
#endif

bool approver_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static atomic_bool cancelled;

void approver_cancel(void)
{
    atomic_store(&cancelled, true);
}

/* libcurl calls this about once a second, and more often while data flows. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)arg, (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load(&cancelled) ? 1 : 0;   /* 1: CURLE_ABORTED_BY_CALLBACK */
}

const char *approval_verdict_name(enum approval_verdict v)
{
    switch (v) {
    case AV_APPROVED: return "approved";
    case AV_ALREADY: return "already-approved";
    case AV_RETRY: return "retry";
    case AV_EXPIRED: return "expired";
    case AV_FAILED: return "failed";
    }
    return "?";
}

void approval_outcome_free(struct approval_outcome *o)
{
    sbuf_free(&o->page);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct sbuf *b = arg;
    size_t len = size * n;
    if (!sbuf_append(b, data, len))
        return 0;   /* over the cap: CURLE_WRITE_ERROR */
    return len;
}

static void verdict(struct approval_outcome *o, enum approval_verdict v, const char *detail)
{
    o->v = v;
    str_copy(o->detail, sizeof(o->detail), detail);
}

/* Maps a libcurl failure to retry or failed. */
static void curl_failure(struct approval_outcome *o, CURLcode rc)
{
    char d[48];
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: verdict(o, AV_RETRY, "timeout"); return;
    case CURLE_ABORTED_BY_CALLBACK: verdict(o, AV_RETRY, "stopped"); return;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: verdict(o, AV_RETRY, "connect"); return;
    case CURLE_SSL_CONNECT_ERROR: verdict(o, AV_RETRY, "tls"); return;
    case CURLE_PEER_FAILED_VERIFICATION: verdict(o, AV_RETRY, "tls-verify"); return;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED: verdict(o, AV_FAILED, "page-too-large"); return;
    case CURLE_UNSUPPORTED_PROTOCOL: verdict(o, AV_FAILED, "protocol"); return;
    default:
        snprintf(d, sizeof(d), "curl-%d", (int)rc);
        verdict(o, AV_RETRY, d);
        return;
    }
}

/* HTTP status classes shared by the GET and the POST; false when the status decided. */
static bool status_ok(struct approval_outcome *o, long status)
{
    char d[32];
    if (status >= 200 && status < 300)
        return true;
    if (status >= 300 && status < 400)
        verdict(o, AV_FAILED, "redirect");
    else if (status == 400 || status == 410) {
        snprintf(d, sizeof(d), "http-%ld", status);
        verdict(o, AV_EXPIRED, d);
    } else if (status == 429 || status >= 500) {
        snprintf(d, sizeof(d), "http-%ld", status);
        verdict(o, AV_RETRY, d);
    } else {
        snprintf(d, sizeof(d), "http-%ld", status);
        verdict(o, AV_FAILED, d);
    }
    return false;
}

static bool same_origin(const char *a, const char *b)
{
    CURLU *ua = curl_url(), *ub = curl_url();
    bool same = false;
    char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
    if (ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
        curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK &&
        curl_url_get(ua, CURLUPART_SCHEME, &sa, 0) == CURLUE_OK &&
        curl_url_get(ub, CURLUPART_SCHEME, &sb, 0) == CURLUE_OK &&
        curl_url_get(ua, CURLUPART_HOST, &ha, 0) == CURLUE_OK &&
        curl_url_get(ub, CURLUPART_HOST, &hb, 0) == CURLUE_OK &&
        curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        char *ua_user = NULL;
        bool userinfo = curl_url_get(ub, CURLUPART_USER, &ua_user, 0) == CURLUE_OK;
        curl_free(ua_user);
        same = !userinfo && strcmp(sa, "https") == 0 && strcmp(sa, sb) == 0 &&
               str_ieq(ha, hb) && strcmp(pa, pb) == 0;
    }
    curl_free(sa), curl_free(sb), curl_free(ha), curl_free(hb), curl_free(pa), curl_free(pb);
    curl_url_cleanup(ua);
    curl_url_cleanup(ub);
    return same;
}

/* Resolves action against base into out; false when it cannot. */
static bool resolve(const char *base, const char *action, char *out, size_t outsz)
{
    CURLU *u = curl_url();
    char *s = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_URL, action, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK && str_copy(out, outsz, s);
    curl_free(s);
    curl_url_cleanup(u);
    return ok;
}

static void common_options(CURL *h, const struct config *c, struct sbuf *body)
{
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    /* An empty proxy string turns off the *_proxy environment variables. */
    curl_easy_setopt(h, CURLOPT_PROXY, c->https_proxy ? c->https_proxy : "");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->approval_timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->approval_timeout < 10 ? c->approval_timeout : 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "acm-milter/" ACM_VERSION);
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");   /* in-memory cookies for this attempt only */
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)APPROVER_MAX_PAGE);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
}

/* What the page must state: this request. */
static struct page_want want_of(const struct request *r)
{
    const struct page_want w = {r->domain,  r->account, r->region,          r->arn,
                                r->code,    r->context, r->requested_domain};
    return w;
}

/* Safety rule 6: every source the page offers states this request (why: page_check()'s
 * answer for the page, NULL when it does), and the allowlist still wants it (arn: the
 * request's, parsed). */
static bool page_matches(const struct config *c, const struct request *r,
                         const struct arn *arn, const char *why, struct approval_outcome *o)
{
    if (why) {
        verdict(o, AV_FAILED, why);
        if (strcmp(why, "page-unknown-layout") == 0)
            o->action = APPROVER_ACTION_BY_HAND;
        return false;
    }
    const char *domains[2] = {r->domain, r->requested_domain};
    size_t nd = r->requested_domain[0] ? 2 : 1;
    if (allowlist_match(c->allowlist, arn, domains, nd))
        return true;
    verdict(o, AV_FAILED, "not-allowlisted");
    return false;
}

/* The detail when page_check() found the page stating another request anywhere (even a
 * page without a form); NULL otherwise. */
static const char *other_request(const char *why)
{
    return why && strncmp(why, "page-mismatch-", 14) == 0 ? why : NULL;
}

static const char *states_other(const struct page_info *pi, const struct request *r)
{
    const struct page_want w = want_of(r);
    return other_request(page_check(pi, &w));
}

/* Keeps the pages of this attempt for the operator, each under a comment naming it. */
static void keep(struct approval_outcome *o, const struct sbuf *page, const struct sbuf *answer,
                 const struct sbuf *again)
{
    const struct {
        const char *what;
        const struct sbuf *b;
    } parts[] = {{"the approval page", page},
                 {"the answer to the approving POST", answer},
                 {"the approval page fetched again", again}};
    bool several = answer != NULL;   /* else the file is the page itself, as fetched */
    sbuf_reset(&o->page);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!parts[i].b || !parts[i].b->data)
            continue;
        if (several)
            sbuf_printf(&o->page, "<!-- acm-milter: %s -->\n", parts[i].what);
        sbuf_append(&o->page, parts[i].b->data, parts[i].b->len);
        if (several)
            sbuf_putc(&o->page, '\n');
    }
}

/* The url-encoded body of the click, or NULL (and the verdict): nothing is left out. */
static char *form_body(CURL *h, const struct page_form *f, struct approval_outcome *o)
{
    struct sbuf b;
    sbuf_init(&b, APPROVER_MAX_PAGE);
    sbuf_puts(&b, "");
    bool escaped = true;
    for (size_t i = 0; i < f->names.n && escaped; i++) {
        char *n = curl_easy_escape(h, f->names.v[i], 0);
        char *v = curl_easy_escape(h, f->values.v[i], 0);
        escaped = n && v;
        if (escaped)
            sbuf_printf(&b, "%s%s=%s", i ? "&" : "", n, v);
        curl_free(n);
        curl_free(v);
    }
    if (!escaped || b.overflow || !b.data) {
        bool big = b.overflow && b.len >= APPROVER_MAX_PAGE / 2;
        verdict(o, big ? AV_FAILED : AV_RETRY, big ? "page-form-too-large" : "no-memory");
        sbuf_free(&b);
        return NULL;
    }
    return b.data;
}

/* One exchange with url (the request as h is set up), the answer into body: false (and the
 * verdict) when it failed below HTTP; the HTTP status in *status. */
static bool perform(CURL *h, const char *url, struct sbuf *body, struct approval_outcome *o,
                    long *status)
{
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_URL, url);
    CURLcode rc = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (rc != CURLE_OK) {
        curl_failure(o, body->overflow ? CURLE_WRITE_ERROR : rc);
        return false;
    }
    return true;
}

/* GETs url into body; false (and the verdict) when it did not answer 2xx. */
static bool get(CURL *h, const char *url, struct sbuf *body, struct approval_outcome *o)
{
    long status;
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    return perform(h, url, body, o, &status) && status_ok(o, status);
}

/* A Content-Type a browser renders as HTML (text/html, application/xhtml+xml), with no
 * charset or a UTF-8 one (the page is read as UTF-8: another would decode otherwise). */
static bool html_type(const char *t)
{
    static const char *const types[] = {"text/html", "application/xhtml+xml"};
    while (*t == ' ' || *t == '\t')
        t++;
    bool html = false;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]) && !html; i++) {
        size_t n = strlen(types[i]);
        html = strncasecmp(t, types[i], n) == 0 &&
               (t[n] == '\0' || t[n] == ';' || t[n] == ' ' || t[n] == '\t');
    }
    if (!html)
        return false;
    for (const char *p = strchr(t, ';'); p; p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, "charset", 7) != 0)
            continue;
        q += 7;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t' || *q == '"')
            q++;
        size_t n = strcspn(q, "\"; \t");
        if (!page_charset_ok(q, n))
            return false;
    }
    return true;
}

/* Where a click posts: the action resolved against <base href> (itself against the page URL),
 * an empty action being the page URL itself, as a browser does. */
static bool target_of(const char *url, const struct page_form *f, char *out, size_t outsz)
{
    char base[1200];
    if (!f->action[0] || (f->action[0] == '#' && !f->base[0]))   /* the page itself */
        return str_copy(out, outsz, url);
    if (!f->base[0])
        return resolve(url, f->action, out, outsz);
    return resolve(url, f->base, base, sizeof(base)) && resolve(base, f->action, out, outsz);
}

void approver_run(const struct config *c, const struct request *r, struct approval_outcome *o)
{
    memset(o, 0, sizeof(*o));
    sbuf_init(&o->page, 3 * (size_t)APPROVER_MAX_PAGE + 1024);
    if (atomic_load(&cancelled)) {
        verdict(o, AV_RETRY, "stopped");
        return;
    }
    struct arn a;
    if (!arn_parse(r->arn, false, &a)) {
        verdict(o, AV_FAILED, "spool-entry-arn");
        return;
    }
    /* Safety rule 2: rebuild the URL from validated parts only; re-check it against the
     * pinned form. */
    char url[600];
    if (c->approval_endpoint) {
        snprintf(url, sizeof(url), "%s/approvals?code=%s&context=%s", c->approval_endpoint,
                 r->code, r->context);
    } else {
        const char *suffix = partition_approval_suffix(a.partition);
        snprintf(url, sizeof(url), "https://%s.%s/approvals?code=%s&context=%s", r->region,
                 suffix ? suffix : "invalid", r->code, r->context);
        if (!approval_url_parse(url, NULL, 0, NULL, 0, NULL, 0, NULL, 0)) {
            verdict(o, AV_FAILED, "bad-url");
            return;
        }
    }
    CURL *h = curl_easy_init();
    if (!h) {
        verdict(o, AV_RETRY, "no-memory");
        return;
    }
    struct sbuf page, answer, again;
    sbuf_init(&page, APPROVER_MAX_PAGE);
    sbuf_init(&answer, APPROVER_MAX_PAGE);
    sbuf_init(&again, APPROVER_MAX_PAGE);
    common_options(h, c, &page);
    if (!get(h, url, &page, o))
        goto out;
    char *ctype = NULL;   /* a browser renders a form only from an HTML page */
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
    if (ctype && !html_type(ctype)) {
        verdict(o, AV_FAILED, "page-unknown-layout");
        o->action = APPROVER_ACTION_BY_HAND;
        keep(o, &page, NULL, NULL);
        goto out;
    }
    struct page_info pi;
    page_read(page.data ? page.data : "", page.len, &pi);
    const struct page_want w = want_of(r);
    const char *why = page_check(&pi, &w);
    /* "already approved" counts only from a page that states nothing of another request */
    if (pi.already && !pi.form.found && !other_request(why)) {
        verdict(o, AV_ALREADY, "page");
        page_free(&pi);
        goto out;
    }
    if (!page_matches(c, r, &a, why, o)) {
        keep(o, &page, NULL, NULL);
        page_free(&pi);
        goto out;
    }
    char target[1200];
    if (!target_of(url, &pi.form, target, sizeof(target)) || !same_origin(url, target)) {
        verdict(o, AV_FAILED, "form-action-host");
        keep(o, &page, NULL, NULL);
        page_free(&pi);
        goto out;
    }
    char *body = form_body(h, &pi.form, o);
    page_free(&pi);
    if (!body) {
        if (o->v == AV_FAILED)
            keep(o, &page, NULL, NULL);
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_REFERER, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    long status;
    bool posted = perform(h, target, &answer, o, &status);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(h, CURLOPT_REFERER, NULL);
    free(body);
    if (!posted)
        goto out;
    bool moved = status >= 300 && status < 400;   /* never followed: the page is asked */
    if (!moved && !status_ok(o, status))
        goto out;
    if (!moved) {
        struct page_info done;
        page_read(answer.data ? answer.data : "", answer.len, &done);
        /* an answer that still offers the approve button approved nothing, whatever it says
         * ("After you have approved ...") */
        bool success = done.success && !done.form.found;
        bool already = done.already && !done.form.found;
        /* an answer that names another request approved nothing of this one */
        const char *other = states_other(&done, r);
        page_free(&done);
        if (other) {
            verdict(o, AV_FAILED, other);
            keep(o, &page, &answer, NULL);
            goto out;
        }
        if (success) {
            verdict(o, AV_APPROVED, "");
            goto out;
        }
        if (already) {
            verdict(o, AV_ALREADY, "after-post");
            goto out;
        }
    }
    /* 2xx without a marker we know, or a redirect: the approval page says whether it took */
    struct approval_outcome probe;
    memset(&probe, 0, sizeof(probe));
    bool fetched = get(h, url, &again, &probe);
    struct page_info now;
    page_read(again.data ? again.data : "", again.len, &now);
    if (fetched && now.already && !now.form.found && !states_other(&now, r))
        verdict(o, AV_APPROVED, "confirmed-by-refetch");
    else {
        verdict(o, AV_FAILED, moved ? "redirect" : "no-success-marker");
        keep(o, &page, &answer, &again);
    }
    page_free(&now);
out:
    if (o->v != AV_FAILED)
        sbuf_reset(&o->page);
    sbuf_free(&page);
    sbuf_free(&answer);
    sbuf_free(&again);
    curl_easy_cleanup(h);
}
