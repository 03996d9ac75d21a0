/*
 * metrics - MetricsFile: the counters of stats and the state of the spool in the
 * Prometheus text format (node_exporter's textfile collector reads it).
 *
 * Contract: metrics_format() is a pure function of the counters it is given a snapshot
 * of; metrics_write() replaces the file atomically (temporary file in the same folder,
 * fsync, rename), so a reader never sees half a file. The names are fixed (README, DESIGN):
 * acm_milter_messages_total, _decisions_total, _approvals_total, _notices_total,
 * _queue_pending, _queue_oldest_pending_seconds, _start_time_seconds,
 * _config_load_time_seconds, _info; every one has HELP and TYPE lines. Counters come from
 * stats, which a reload never resets. metrics_start() runs one thread that rewrites the
 * file every METRICS_INTERVAL seconds and whenever metrics_kick() (SIGUSR2) asks; a failure
 * to write logs one line, then nothing until a write succeeds again.
 */
#ifndef ACM_METRICS_H
#define ACM_METRICS_H

#include <stdbool.h>

#include "util.h"

#define METRICS_INTERVAL 60

struct metrics_gauges {
    long start_time;          /* process start */
    long config_load_time;    /* when the live configuration was read */
    long pending;             /* -1: the spool could not be read */
    long oldest_pending_age;  /* seconds; 0 when nothing is pending */
    const char *version;
};

bool metrics_format(const struct metrics_gauges *g, struct sbuf *out);
/* Writes the file now; false (errno set) on failure. */
bool metrics_write(const char *path, const struct metrics_gauges *g);
/* Gauges of now, from the live configuration and its spool. */
void metrics_gauges_now(struct metrics_gauges *g);

void metrics_set_start_time(long t);
bool metrics_start(void);
void metrics_kick(void);

#endif
