/*
 * approver - one approval attempt over HTTPS with libcurl.
 *
 * Contract: approver_run() fetches only the approval URL rebuilt from the request's
 * validated parts (https://REGION.acm-certificates.amazon.com/approvals?code=..&context=..,
 * amazonaws.cn for aws-cn; ApprovalEndpoint replaces the origin in tests): HTTPS only, peer
 * and host verified, no redirect followed, ApprovalTimeout per exchange, at most
 * APPROVER_MAX_PAGE bytes read, cookies kept within the attempt, a User-Agent naming
 * acm-milter. It reads the page (page.c), checks it shows the request's domain, account,
 * region and certificate and that the allowlist still matches (safety rule 6), and only then
 * posts the approval form to the same host, with the page as Referer. It returns a verdict;
 * it logs nothing (the queue does). When nothing was posted because the page was not
 * understood, the page is handed back for the spool.
 */
#ifndef ACM_APPROVER_H
#define ACM_APPROVER_H

#include "config.h"
#include "request.h"
#include "util.h"

#define APPROVER_MAX_PAGE (1u << 20)

enum approval_verdict { AV_APPROVED, AV_ALREADY, AV_RETRY, AV_EXPIRED, AV_FAILED };

struct approval_outcome {
    enum approval_verdict v;
    char detail[96];
    struct sbuf page;   /* kept for the operator when v == AV_FAILED and the page was read */
};

bool approver_init(void);   /* curl_global_init, once before threads start */
void approver_run(const struct config *c, const struct request *r, struct approval_outcome *o);
void approval_outcome_free(struct approval_outcome *o);
const char *approval_verdict_name(enum approval_verdict v);

#endif
