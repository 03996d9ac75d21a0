/*
 * policy - the decision: approve, deny or ignore, with one reason word.
 *
 * The safety rules. The policy never bends them; the sources cite them as "safety rule N"
 * with these numbers:
 *   1. Only a message with a watched envelope recipient is examined, and the validated
 *      domain is that recipient's domain or below it (a full-address Recipients entry, such
 *      as a WHOIS contact, matches any domain).
 *   2. The approval URL is exactly https://REGION.acm-certificates.amazon.com/approvals
 *      ?code=...&context=... (amazonaws.cn in the China partition), REGION the ARN's region;
 *      nothing else is ever fetched; TLS is verified and no redirect is followed.
 *   3. The account in the body is the ARN's account; the region in the body, in the ARN and
 *      in the URL is one and the same.
 *   4. The sender passes SenderAuth.
 *   5. Every field agrees wherever it appears: text and HTML parts, URL, ARN, and the region
 *      tail of context (hex of the region name). Any disagreement is denied as inconsistent.
 *   6. Nothing is posted unless the approval page shows the same domain, account, region and
 *      certificate as the message and the allowlist, in its labels and in the form that
 *      would be posted; otherwise the page is kept in the spool for the operator. What is
 *      posted is exactly what the approve button sends. Only a clear success marker, or a
 *      fresh fetch that says "already approved", counts as approved.
 *   7. The validation code and context are secrets: never written in full to the log, a
 *      header or stdout (a short digest, req=, names a request).
 *   8. Fail open: the milter never rejects, discards or delays mail because of its own
 *      failure, and the SMTP transaction never waits for the approval site (approvals go
 *      through the queue).
 *
 * Contract: pure functions of (configuration snapshot, envelope, decoded message,
 * recognizer result, DKIM result); no I/O. The checks run in a fixed order and the first
 * failing one decides: not-acm, bad-url, incomplete, malformed, inconsistent (the
 * recognizer's verdict: rules 2, 3, 5), not-watched (rule 1: no watched recipient),
 * domain-mismatch (rule 1), unauthenticated (rule 4), not-allowlisted; only a message
 * passing all of them is approved (reason allowlisted, with the matching rule as
 * FILE:LINE). evaluate() decides too-large before any of them. policy_rule_out() is the
 * cheaper check made on the header fields alone (evaluate_headers()).
 */
#ifndef ACM_POLICY_H
#define ACM_POLICY_H

#include <limits.h>
#include <stdbool.h>

#include "config.h"
#include "dkimv.h"
#include "log.h"
#include "mime.h"
#include "recognizer.h"
#include "util.h"

enum verdict { V_IGNORE, V_DENY, V_APPROVE };

struct envelope {
    const char *sender;          /* may be NULL */
    struct strlist rcpts;        /* every envelope recipient */
};

struct decision {
    enum verdict verdict;
    const char *reason;          /* static string */
    char detail[160];
    bool recognized;             /* an approval link was found: header is added */
    struct acm_fields f;
    char rcpt[320];
    char rule[PATH_MAX + 16];
    char req[9];                 /* digest of code and context, never the secrets */
    bool authenticated;          /* the sender passed SenderAuth (none: never counts) */
};

const char *verdict_name(enum verdict v);

/* End-of-headers shortcut: true (with a detail word) when the headers alone show that this
 * message is not an ACM validation request: a Content-Type that cannot carry one, or a From
 * outside SenderDomains (when SenderAuth is not none) together with a Subject that is not
 * ACM's. A look-alike with ACM's Subject is examined, and denied, in full. from_addr is the
 * single From mailbox (NULL if none or several); content_type and subject the raw top-level
 * values or NULL. */
bool policy_rule_out(const struct config *c, const char *from_addr, const char *content_type,
                     const char *subject, char *detail, size_t detailsz);

/* dk: the DKIM verification of this message (SenderAuth dkim), or NULL when none ran. */
void policy_decide(const struct config *c, const struct envelope *env,
                   const struct mime_view *mv, enum recog_status st,
                   const struct acm_fields *f, const struct dkim_result *dk,
                   struct decision *d);

/* `decision=... reason=... domain=...` for the log and -t. */
void decision_format(const struct decision *d, struct kvline *kv);
/* Value of the X-ACM-Milter header. */
void decision_header(const struct decision *d, struct kvline *kv);

#endif
