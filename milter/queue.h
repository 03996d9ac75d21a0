/*
 * queue - the durable approval queue in SpoolDir, and its worker thread.
 *
 * Contract: queue_submit() never touches the network and never fails the message. It turns
 * an approve decision into one spool entry, keyed by the SHA-256 of (code, context), written
 * atomically (temporary file, fsync, rename, directory fsync) under SpoolDir/pending/; the
 * five to eight copies ACM sends become one entry (the others log approval=duplicate). In
 * Mode dry-run the entry is recorded as done (state dry-run) and never sent. The worker
 * thread works pending entries with the approver, retries transient failures with
 * exponential backoff and jitter, ends entries older than MaxAge as expired, moves finished
 * ones to SpoolDir/done/ and prunes history older than QUEUE_HISTORY. Entries survive
 * restarts and kill -9. Code and context live only in the spool files (mode 0600).
 */
#ifndef ACM_QUEUE_H
#define ACM_QUEUE_H

#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "policy.h"
#include "request.h"

#define QUEUE_HISTORY (30L * 86400)

/* Creates SpoolDir and its folders if missing; with give_to, chowns them to uid:gid (when
 * still root, before the privilege drop). Logs and returns false on failure. */
bool queue_prepare(const char *spool, bool give_to, uid_t uid, gid_t gid);
/* Checks the spool folders are usable (after the privilege drop) and starts the worker. */
bool queue_start(const struct config *c);
void queue_submit(const struct config *c, const char *qid, const struct decision *d);
/* Operator view (-q): one line per entry; returns the number of entries or -1. */
int queue_list(const char *spool, FILE *out);
/* Entries waiting in SpoolDir/pending/ (-1: cannot read it); with oldest, the age in
 * seconds of the oldest one (0 when none). */
long queue_pending_count(const char *spool, long *oldest);

#endif
