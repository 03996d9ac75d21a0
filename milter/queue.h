/*
 * queue - hand-off of approve decisions to the approver.
 *
 * Contract: queue_submit() never blocks on the network and never fails the message: it
 * records the request (code and context included; they never reach the log) and logs one
 * `approval=` line under the message's queue id. This build logs `approval=queued` and keeps
 * nothing: the durable spool and the HTTPS approver are the next stage of the data path.
 */
#ifndef ACM_QUEUE_H
#define ACM_QUEUE_H

#include "config.h"
#include "policy.h"

void queue_submit(const struct config *c, const char *qid, const struct decision *d);

#endif
