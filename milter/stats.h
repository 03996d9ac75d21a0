/*
 * stats - counters of what the milter saw and decided, logged as one line on SIGUSR2 and
 * every hour, and read by metrics for MetricsFile.
 *
 * Contract: the stats_* counters are lock-free (atomic) and may be called from any thread;
 * they only grow while the process lives (a reload does not reset them). stats_log() writes
 * one `stats:` line of key=value pairs: messages seen, watched, recognized, decisions
 * (approve, deny by reason, ignore), approval outcomes, and the number of entries pending in
 * the spool. Reasons and outcomes outside the known lists are counted as "other".
 */
#ifndef ACM_STATS_H
#define ACM_STATS_H

#include "policy.h"

void stats_seen(void);
void stats_watched(void);
void stats_decision(const struct decision *d);
void stats_approval(const char *outcome);   /* approved, already-approved, retry, ... */
void stats_notice(const char *result);      /* sent, failed, suppressed */
void stats_log(const char *why, const char *spool_dir);

/* Readers, for metrics. */
struct stats_counter {
    const char *a, *b;       /* labels: decision and reason; outcome or result (b NULL) */
    unsigned long n;
};
size_t stats_messages(struct stats_counter *out, size_t max);   /* seen, watched, recognized */
/* Fill out[] (at most max) and return how many: every known pair, also those at zero. */
size_t stats_decisions(struct stats_counter *out, size_t max);
size_t stats_approvals(struct stats_counter *out, size_t max);
size_t stats_notices(struct stats_counter *out, size_t max);

#endif
