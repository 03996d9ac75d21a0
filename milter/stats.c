/*
 * stats - see stats.h for the contract.
 */
#include "stats.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "queue.h"

static atomic_ulong seen, watched, recognized;

/* decision, reason: every pair the policy can produce, then one "other" per decision */
static const char *const pairs[][2] = {
    {"approve", "allowlisted"},     {"deny", "bad-url"},          {"deny", "incomplete"},
    {"deny", "malformed"},          {"deny", "inconsistent"},     {"deny", "domain-mismatch"},
    {"deny", "unauthenticated"},    {"deny", "not-allowlisted"},  {"ignore", "not-acm"},
    {"ignore", "not-watched"},      {"ignore", "too-large"},      {"ignore", "no-memory"},
    {"approve", "other"},           {"deny", "other"},            {"ignore", "other"},
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))
static atomic_ulong pair_n[NPAIRS];

static const char *const outcomes[] = {"queued",  "duplicate", "approved", "already-approved",
                                       "retry",   "expired",   "failed",   "other"};
#define NOUT (sizeof(outcomes) / sizeof(outcomes[0]))
static atomic_ulong outcome[NOUT];

static const char *const results[] = {"sent", "failed", "suppressed"};
#define NRES (sizeof(results) / sizeof(results[0]))
static atomic_ulong result_n[NRES];

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
    const char *v = verdict_name(d->verdict);
    size_t other = NPAIRS;
    for (size_t i = 0; i < NPAIRS; i++) {
        if (strcmp(pairs[i][0], v) != 0)
            continue;
        if (d->reason && strcmp(pairs[i][1], d->reason) == 0) {
            atomic_fetch_add(&pair_n[i], 1);
            return;
        }
        if (strcmp(pairs[i][1], "other") == 0)
            other = i;
    }
    if (other < NPAIRS)
        atomic_fetch_add(&pair_n[other], 1);
}

void stats_approval(const char *o)
{
    for (size_t i = 0; i < NOUT; i++)
        if (strcmp(o, outcomes[i]) == 0 || i == NOUT - 1) {
            atomic_fetch_add(&outcome[i], 1);
            return;
        }
}

void stats_notice(const char *r)
{
    for (size_t i = 0; i < NRES; i++)
        if (strcmp(r, results[i]) == 0)
            atomic_fetch_add(&result_n[i], 1);
}

size_t stats_messages(struct stats_counter *out, size_t max)
{
    const struct stats_counter all[3] = {{"seen", NULL, atomic_load(&seen)},
                                         {"watched", NULL, atomic_load(&watched)},
                                         {"recognized", NULL, atomic_load(&recognized)}};
    size_t n = 0;
    for (; n < 3 && n < max; n++)
        out[n] = all[n];
    return n;
}

size_t stats_decisions(struct stats_counter *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < NPAIRS && n < max; i++, n++)
        out[n] = (struct stats_counter){pairs[i][0], pairs[i][1], atomic_load(&pair_n[i])};
    return n;
}

size_t stats_approvals(struct stats_counter *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < NOUT && n < max; i++, n++)
        out[n] = (struct stats_counter){outcomes[i], NULL, atomic_load(&outcome[i])};
    return n;
}

size_t stats_notices(struct stats_counter *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < NRES && n < max; i++, n++)
        out[n] = (struct stats_counter){results[i], NULL, atomic_load(&result_n[i])};
    return n;
}

void stats_log(const char *why, const char *spool_dir)
{
    struct kvline kv;
    kv_init(&kv);
    kv_add(&kv, "stats", why);
    kv_addf(&kv, "seen", "%lu", atomic_load(&seen));
    kv_addf(&kv, "watched", "%lu", atomic_load(&watched));
    kv_addf(&kv, "recognized", "%lu", atomic_load(&recognized));
    unsigned long approve = 0, denied = 0, ignore = 0;
    for (size_t i = 0; i < NPAIRS; i++) {
        unsigned long v = atomic_load(&pair_n[i]);
        if (strcmp(pairs[i][0], "approve") == 0)
            approve += v;
        else if (strcmp(pairs[i][0], "deny") == 0)
            denied += v;
        else
            ignore += v;
    }
    kv_addf(&kv, "approve", "%lu", approve);
    kv_addf(&kv, "deny", "%lu", denied);
    for (size_t i = 0; i < NPAIRS; i++) {
        if (strcmp(pairs[i][0], "deny") != 0 || strcmp(pairs[i][1], "other") == 0)
            continue;
        char k[40];
        snprintf(k, sizeof(k), "deny.%s", pairs[i][1]);
        kv_addf(&kv, k, "%lu", atomic_load(&pair_n[i]));
    }
    kv_addf(&kv, "ignore", "%lu", ignore);
    for (size_t i = 0; i + 1 < NOUT; i++) {
        char k[40];
        snprintf(k, sizeof(k), "approval.%s", outcomes[i]);
        kv_addf(&kv, k, "%lu", atomic_load(&outcome[i]));
    }
    for (size_t i = 0; i < NRES; i++) {
        char k[40];
        snprintf(k, sizeof(k), "notify.%s", results[i]);
        kv_addf(&kv, k, "%lu", atomic_load(&result_n[i]));
    }
    kv_addf(&kv, "queue", "%ld", spool_dir ? queue_pending_count(spool_dir, NULL) : -1L);
    log_info("%s", kv.buf);
}
