/*
 * stats - counters of what the milter saw and decided, logged as one line on SIGUSR2 and
 * every hour.
 *
 * Contract: the stats_* counters are lock-free (atomic) and may be called from any thread.
 * stats_log() writes one `stats:` line of key=value pairs: messages seen, watched,
 * recognized, decisions (approve, deny by reason, ignore), approval outcomes, and the
 * number of entries pending in the spool.
 */
#ifndef ACM_STATS_H
#define ACM_STATS_H

#include "policy.h"

void stats_seen(void);
void stats_watched(void);
void stats_decision(const struct decision *d);
void stats_approval(const char *outcome);   /* approved, already-approved, retry, ... */
void stats_log(const char *why, const char *spool_dir);

#endif
