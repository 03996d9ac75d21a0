/*
 * approver - one approval attempt over HTTPS with libcurl.
 *
 * Contract: approver_run() fetches only the approval URL rebuilt from the request's
 * validated parts (https://REGION.acm-certificates.amazon.com/approvals?code=..&context=..,
 * amazonaws.cn for aws-cn; ApprovalEndpoint replaces the origin in tests): HTTPS only, peer
 * and host verified, no redirect followed, ApprovalTimeout per exchange, at most
 * APPROVER_MAX_PAGE bytes read, cookies kept within the attempt, a User-Agent naming
 * acm-milter. It reads the page (page.c) and posts only when every source the page offers (its
 * visible labels and the approval form's fields) states the request's domain, account, region,
 * certificate, code and context and the allowlist still matches (safety rule 6); then it posts
 * exactly the approve click (the form's fields and the approve button's name=value) to the
 * form's action, which must be on the approval URL's own scheme, host and port, with the page
 * as Referer. Approved means a success marker in the answer, or, after a 2xx answer without
 * one, a second GET of the approval URL that now says "already approved" (once; never a loop).
 * It returns a verdict; it logs nothing (the queue does). When the attempt failed after the
 * page was read, the pages of the attempt are handed back for the spool.
 */
#ifndef ACM_APPROVER_H
#define ACM_APPROVER_H

#include "config.h"
#include "request.h"
#include "util.h"

#define APPROVER_MAX_PAGE (1u << 20)

enum approval_verdict { AV_APPROVED, AV_ALREADY, AV_RETRY, AV_EXPIRED, AV_FAILED };

/* The operator's task when the approver did not understand the page. */
#define APPROVER_ACTION_BY_HAND                                                                \
    "approve by hand in the ACM console or with the link of the message: the approval page " \
    "has a layout this milter does not know"

struct approval_outcome {
    enum approval_verdict v;
    char detail[96];
    const char *action;   /* for AV_FAILED: what the operator must do; NULL: the usual words */
    struct sbuf page;     /* kept for the operator when v == AV_FAILED and the page was read;
                           * after a POST without a success marker: the page, the answer and
                           * the page fetched again, each under an HTML comment naming it */
};

bool approver_init(void);   /* curl_global_init, once before threads start */
void approver_run(const struct config *c, const struct request *r, struct approval_outcome *o);
void approval_outcome_free(struct approval_outcome *o);
/* At stop: the exchange in flight is cut within about a second (libcurl's progress callback)
 * and no new one starts; the verdict is AV_RETRY with detail "stopped". */
void approver_cancel(void);
const char *approval_verdict_name(enum approval_verdict v);

#endif
