/*
 * policy - the decision: approve, deny or ignore, with one reason word.
 *
 * Contract: pure functions of (configuration snapshot, envelope, decoded message,
 * recognizer result); no I/O. The safety rules of DESIGN.md are applied in a fixed order
 * and the first failing one decides: too-large, not-acm, bad-url, incomplete, malformed,
 * inconsistent, domain-mismatch, unauthenticated, not-allowlisted; only a message passing
 * all of them is approved (reason allowlisted, with the matching rule as FILE:LINE).
 * policy_rule_out() is the cheaper check the milter makes at end of headers.
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
