/*
 * policy - see policy.h for the contract.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "authres.h"

const char *verdict_name(enum verdict v)
{
    switch (v) {
    case V_APPROVE: return "approve";
    case V_DENY: return "deny";
    case V_IGNORE: return "ignore";
    }
    return "?";
}

static const char *addr_domain(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at ? at + 1 : NULL;
}

static bool sender_domain_ok(const struct config *c, const char *from_addr)
{
    const char *dom = addr_domain(from_addr);
    if (!dom)
        return false;
    for (size_t i = 0; i < c->sender_domains.n; i++)
        if (dns_name_at_or_below(dom, c->sender_domains.v[i]))
            return true;
    return false;
}

/* "Certificate request for" / "Certificate approval for", any case, any blanks. */
static bool acm_subject(const char *subject)
{
    if (!subject)
        return false;
    char norm[512];
    size_t o = 0;
    for (const char *p = subject; *p && o + 1 < sizeof(norm); p++) {
        bool blank = *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
        if (blank && (o == 0 || norm[o - 1] == ' '))
            continue;
        norm[o++] = blank ? ' ' : *p;
    }
    norm[o] = '\0';
    str_lower(norm);
    return strstr(norm, "certificate request for") || strstr(norm, "certificate approval for");
}

bool policy_rule_out(const struct config *c, const char *from_addr, const char *content_type,
                     const char *subject, char *detail, size_t detailsz)
{
    if (content_type) {
        char t[64];
        size_t n = strcspn(content_type, ";");
        str_ncopy(t, sizeof(t), content_type, n);
        char *s = str_trim(t);
        str_lower(s);
        if (*s && strncmp(s, "text/", 5) != 0 && strncmp(s, "multipart/", 10) != 0) {
            str_copy(detail, detailsz, "content-type");
            return true;
        }
    }
    if (!(c->sender_auth & SA_NONE) && from_addr && !sender_domain_ok(c, from_addr) &&
        !acm_subject(subject)) {
        str_copy(detail, detailsz, "sender");
        return true;
    }
    return false;
}

/* Relaxed alignment without a public-suffix list: one name at or below the other, both
 * with at least two labels (dns_name_valid guarantees that for SenderDomains). */
static bool aligned(const char *d, const char *from_domain)
{
    if (!d || !*d || !strchr(d, '.'))
        return false;
    return dns_name_at_or_below(from_domain, d) || dns_name_at_or_below(d, from_domain);
}

/* The trust boundary (SenderAuth authres). This site's verifiers add their
 * Authentication-Results fields on top of the message, one field each: OpenDKIM and
 * OpenDMARC each insert their own, so with both the dmarc= field sits above the dkim= one.
 * Fields are read from the top down while their authserv-id is in TrustedAuthservIDs; the
 * first field that is not (another id, or a field that cannot be parsed) is the boundary,
 * and nothing at or below it counts, whatever id it names: it came with the message. Within
 * the trusted fields, the topmost one that reports any dkim result decides (one verifier's
 * verdict; a dkim=pass forged below it under the same id never overrides a fail or none):
 * it must hold dkim=pass for a d= (or i=) aligned with the From domain. */
static bool authres_pass(const struct config *c, const struct mime_view *mv,
                         const char *from_domain, char *detail, size_t detailsz)
{
    bool trusted_seen = false;
    for (size_t k = 0;; k++) {
        const char *v = mime_header(mv, "Authentication-Results", k);
        if (!v)
            break;
        struct ar_field ar;
        if (!authres_parse(v, &ar) || !strlist_contains_ci(&c->authserv_ids, ar.authserv_id))
            break;
        trusted_seen = true;
        bool has_dkim = false;
        for (size_t i = 0; i < ar.n; i++) {
            const struct ar_result *r = &ar.res[i];
            if (strcmp(r->method, "dkim") != 0)
                continue;
            has_dkim = true;
            if (strcmp(r->result, "pass") != 0)
                continue;
            const char *d = r->header_d[0] ? r->header_d : addr_domain(r->header_i);
            if (aligned(d, from_domain))
                return true;
        }
        if (has_dkim)
            break;
    }
    str_copy(detail, detailsz, trusted_seen ? "no-aligned-dkim-pass" : "no-trusted-authres");
    return false;
}

static void deny(struct decision *d, enum verdict v, const char *reason, const char *detail)
{
    d->verdict = v;
    d->reason = reason;
    if (detail && !d->detail[0])
        str_copy(d->detail, sizeof(d->detail), detail);
}

static bool dkim_pass(const struct dkim_result *dk, const char *from_domain, char *detail,
                      size_t detailsz)
{
    if (!dk || !dk->ran) {
        str_copy(detail, detailsz, dk && dk->detail[0] ? dk->detail : "dkim-not-run");
        return false;
    }
    for (size_t i = 0; i < dk->passed.n; i++)
        if (aligned(dk->passed.v[i], from_domain))
            return true;
    if (dk->dns_failure)
        str_copy(detail, detailsz, "dkim-dns-failure");
    else if (dk->passed.n)
        str_copy(detail, detailsz, "dkim-no-aligned-pass");   /* e.g. amazonses.com only */
    else
        str_copy(detail, detailsz, dk->detail[0] ? dk->detail : "dkim-fail");
    return false;
}

/* Safety rule 4: any one configured method passing is enough; why says what failed. */
static bool sender_authenticated(const struct config *c, const struct mime_view *mv,
                                 const struct dkim_result *dk, char *why, size_t whysz)
{
    bool ok = false;
    if (whysz)
        why[0] = '\0';   /* read below before any method writes it */
    if (!mv->from_addr)
        str_copy(why, whysz, mv->from_count ? "several-from" : "no-from");
    else if (!sender_domain_ok(c, mv->from_addr))
        str_copy(why, whysz, "from-domain");
    else {
        const char *fd = addr_domain(mv->from_addr);
        char w2[64] = "";
        if (c->sender_auth & SA_DKIM)
            ok = dkim_pass(dk, fd, why, whysz);
        if (!ok && (c->sender_auth & SA_AUTHRES)) {
            ok = authres_pass(c, mv, fd, w2, sizeof(w2));
            if (!ok && !why[0])
                str_copy(why, whysz, w2);
            else if (!ok && strcmp(why, "dkim-dns-failure") != 0) {
                char both[130];
                snprintf(both, sizeof(both), "%s,%s", why, w2);
                str_copy(why, whysz, both);
            }
        }
    }
    return ok;
}

void policy_decide(const struct config *c, const struct envelope *env,
                   const struct mime_view *mv, enum recog_status st,
                   const struct acm_fields *f, const struct dkim_result *dk,
                   struct decision *d)
{
    memset(d, 0, sizeof(*d));
    d->f = *f;
    d->recognized = f->have_url;
    if (f->code[0])
        digest8(f->code, f->context, d->req);   /* safety rule 7: a digest, never the secrets */

    /* the first watched recipient, for the log even when a later check fails */
    const char *first_watched = config_first_watched(c, &env->rcpts);
    if (first_watched)
        str_copy(d->rcpt, sizeof(d->rcpt), first_watched);

    switch (st) {
    case RECOG_NOT_ACM: deny(d, V_IGNORE, "not-acm", NULL); return;
    case RECOG_BAD_URL: deny(d, V_DENY, "bad-url", f->detail); return;
    case RECOG_INCOMPLETE: deny(d, V_DENY, "incomplete", f->detail); return;
    case RECOG_MALFORMED: deny(d, V_DENY, "malformed", f->detail); return;
    case RECOG_INCONSISTENT: deny(d, V_DENY, "inconsistent", f->detail); return;
    case RECOG_OK: break;
    }
    if (!first_watched) {
        deny(d, V_IGNORE, "not-watched", NULL);
        return;
    }

    /* Safety rule 1: the validated domain is the recipient's domain or below it (any domain
     * for a full-address Recipients entry). */
    const char *name = f->fqdn;
    if (strncmp(name, "*.", 2) == 0)
        name += 2;
    const char *match = NULL;
    for (size_t i = 0; i < env->rcpts.n && !match; i++) {
        const char *r = env->rcpts.v[i];
        if (!config_watched_rcpt(c, r))
            continue;
        bool full = false;
        for (size_t k = 0; k < c->recipients.n; k++)
            if (strchr(c->recipients.v[k], '@') && str_ieq(c->recipients.v[k], r))
                full = true;
        const char *rd = addr_domain(r);
        if (full || (rd && dns_name_at_or_below(name, rd)))
            match = r;
    }
    if (!match) {
        char why[64] = "";
        d->authenticated = !(c->sender_auth & SA_NONE) &&
                           sender_authenticated(c, mv, dk, why, sizeof(why));
        deny(d, V_DENY, "domain-mismatch", NULL);
        return;
    }
    str_copy(d->rcpt, sizeof(d->rcpt), match);

    /* Safety rule 4: sender authentication. */
    if (!(c->sender_auth & SA_NONE)) {
        char why[64] = "";
        if (!sender_authenticated(c, mv, dk, why, sizeof(why))) {
            deny(d, V_DENY, "unauthenticated", why);
            return;
        }
        d->authenticated = true;
    }

    /* The allowlist: default deny. */
    const char *domains[2] = {f->fqdn, f->requested_domain};
    size_t nd = f->requested_domain[0] ? 2 : 1;
    const struct al_rule *r = allowlist_match(c->allowlist, &f->arn, domains, nd);
    if (!r) {
        deny(d, V_DENY, "not-allowlisted", NULL);
        return;
    }
    snprintf(d->rule, sizeof(d->rule), "%s:%u", c->allowlist->path, r->line);
    deny(d, V_APPROVE, "allowlisted", NULL);
}

void decision_format(const struct decision *d, struct kvline *kv)
{
    kv_add(kv, "decision", verdict_name(d->verdict));
    kv_add(kv, "reason", d->reason);
    if (d->f.fqdn[0])
        kv_add(kv, "domain", d->f.fqdn);
    if (d->f.account[0])
        kv_add(kv, "account", d->f.account);
    if (d->f.region[0])
        kv_add(kv, "region", d->f.region);
    if (d->f.arn_text[0])
        kv_add(kv, "arn", d->f.arn_text);
    if (d->rcpt[0])
        kv_add(kv, "rcpt", d->rcpt);
    if (d->rule[0])
        kv_add(kv, "rule", d->rule);
    if (d->req[0])
        kv_add(kv, "req", d->req);
    if (d->f.renewal)
        kv_add(kv, "renewal", "yes");
    if (d->detail[0])
        kv_add(kv, "detail", d->detail);
    if (strstr(d->detail, "dkim-dns-failure"))
        kv_add(kv, "action", "the DKIM key look-up failed: a human must check and approve this request");
}

void decision_header(const struct decision *d, struct kvline *kv)
{
    kv_add(kv, "decision", verdict_name(d->verdict));
    kv_add(kv, "reason", d->reason);
    if (d->f.fqdn[0])
        kv_add(kv, "domain", d->f.fqdn);
    if (d->f.arn_text[0])
        kv_add(kv, "arn", d->f.arn_text);
    if (d->detail[0])
        kv_add(kv, "detail", d->detail);
}
