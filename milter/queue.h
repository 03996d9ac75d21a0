/*
 * queue - the durable approval queue in SpoolDir, and its worker thread.
 *
 * Contract: queue_submit() never touches the network and never fails the message. It turns
 * an approve decision into one spool entry (request.h), keyed by the SHA-256 of (code,
 * context), written atomically under SpoolDir/pending/; the five to eight copies ACM sends
 * become one entry (the others log approval=duplicate). In Mode dry-run the entry is recorded
 * as done (state dry-run) and never sent. The worker thread works pending entries with the
 * approver: it writes the attempt to the entry before each exchange (a kill -9 during it is
 * counted after the restart, which logs "resuming N pending entries"), retries transient
 * failures with exponential backoff and jitter, ends entries older than MaxAge as expired,
 * moves finished ones to SpoolDir/done/ (removing the very file it read) and prunes history
 * older than QUEUE_HISTORY. It works only valid entries (request_load()): anything else in
 * pending/ is moved once to SpoolDir/bad/ with one log line and never worked. Every spool
 * operation that fails is handled: a spool the worker cannot use is one error line at start
 * and at each change of state (not each pass), and what could not be written (attempt,
 * backoff, end) is kept in memory so nothing is worked sooner or twice. queue_stop() ends
 * the worker: an exchange in flight is given up to the grace time to finish, else logged as
 * approval=retry detail=stopped. Code and context live only in the spool files (mode 0600).
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
/* After the privilege drop: makes the spool folders that are missing (false when it cannot:
 * logged), logs once when they cannot be used, and starts the worker. */
bool queue_start(const struct config *c);
void queue_submit(const struct config *c, const char *qid, const struct decision *d);
/* Stops the worker (SIGTERM): waits at most grace seconds for an exchange in flight. */
void queue_stop(long grace);
/* Operator view (-q): one line per entry on out (valid entries by state, others as bad);
 * returns the number of entries, or -1 after naming on err each folder or entry that could
 * not be read (or the missing spool). */
int queue_list(const char *spool, FILE *out, FILE *err);
/* Entries waiting in SpoolDir/pending/ (-1: cannot read it); with oldest, the age in
 * seconds of the oldest one (0 when none). */
long queue_pending_count(const char *spool, long *oldest);

#endif
