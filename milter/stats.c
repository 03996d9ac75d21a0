/*
 * stats - see stats.h for the contract.
 */
#include "stats.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "queue.h"

static atomic_ulong seen, watched, recognized, approve, ignore, other_deny;
static const char *const deny_reasons[] = {"bad-url",   "incomplete",      "malformed",
                                           "inconsistent", "domain-mismatch", "unauthenticated",
                                           "not-allowlisted"};
#define NDENY (sizeof(deny_reasons) / sizeof(deny_reasons[0]))
static atomic_ulong deny[NDENY];
static const char *const outcomes[] = {"queued", "duplicate", "approved", "already-approved",
                                       "retry", "expired", "failed"};
#define NOUT (sizeof(outcomes) / sizeof(outcomes[0]))
static atomic_ulong outcome[NOUT];

void stats_seen(void)
{
    atomic_fetch_add(&seen, 1);
}

void stats_watched(void)
{
    atomic_fetch_add(&watched, 1);
}

void stats_decision(const struct decision *d)
{
    if (d->recognized)
        atomic_fetch_add(&recognized, 1);
    if (d->verdict == V_APPROVE) {
        atomic_fetch_add(&approve, 1);
    } else if (d->verdict == V_IGNORE) {
        atomic_fetch_add(&ignore, 1);
    } else {
        for (size_t i = 0; i < NDENY; i++)
            if (strcmp(d->reason, deny_reasons[i]) == 0) {
                atomic_fetch_add(&deny[i], 1);
                return;
            }
        atomic_fetch_add(&other_deny, 1);
    }
}

void stats_approval(const char *o)
{
    for (size_t i = 0; i < NOUT; i++)
        if (strcmp(o, outcomes[i]) == 0)
            atomic_fetch_add(&outcome[i], 1);
}

void stats_log(const char *why, const char *spool_dir)
{
    struct kvline kv;
    kv_init(&kv);
    kv_add(&kv, "stats", why);
    kv_addf(&kv, "seen", "%lu", atomic_load(&seen));
    kv_addf(&kv, "watched", "%lu", atomic_load(&watched));
    kv_addf(&kv, "recognized", "%lu", atomic_load(&recognized));
    kv_addf(&kv, "approve", "%lu", atomic_load(&approve));
    unsigned long denied = atomic_load(&other_deny);
    for (size_t i = 0; i < NDENY; i++)
        denied += atomic_load(&deny[i]);
    kv_addf(&kv, "deny", "%lu", denied);
    for (size_t i = 0; i < NDENY; i++) {
        char k[40];
        snprintf(k, sizeof(k), "deny.%s", deny_reasons[i]);
        kv_addf(&kv, k, "%lu", atomic_load(&deny[i]));
    }
    kv_addf(&kv, "ignore", "%lu", atomic_load(&ignore));
    for (size_t i = 0; i < NOUT; i++) {
        char k[40];
        snprintf(k, sizeof(k), "approval.%s", outcomes[i]);
        kv_addf(&kv, k, "%lu", atomic_load(&outcome[i]));
    }
    kv_addf(&kv, "queue", "%ld", spool_dir ? queue_pending_count(spool_dir, NULL) : -1L);
    log_info("%s", kv.buf);
}
