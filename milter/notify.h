/*
 * notify - mails a notice to NotifyAddress when a human must act: approval=failed,
 * approval=expired, a deny of an authenticated ACM request (not-allowlisted,
 * domain-mismatch) and deny unauthenticated detail=dkim-dns-failure.
 *
 * Contract: notify_decision() and notify_approval() never block on anything but a short
 * in-memory lock, never run a program and never affect the message or the approval: they
 * copy what the notice needs into a bounded queue (or log notify=suppressed
 * detail=queue-full). A notice never holds the validation code, the context or the approval
 * URL: only the request digest (SHA-256 of code and context) is kept, for de-duplication.
 * One thread (notify_start) takes notices off the queue, admits each at most once per
 * (request digest, outcome) and at most NOTIFY_PER_HOUR an hour (the rest are counted and
 * named in the next notice sent), keeps that state in SpoolDir/notify/state (rewritten
 * atomically, so it survives restarts), and runs NotifyCommand without a shell
 * (posix_spawn, the notice on stdin, its own process group, killed after NOTIFY_TIMEOUT
 * seconds). Every notice taken logs exactly one line: notify=sent, notify=failed
 * detail=... or notify=suppressed detail=...
 */
#ifndef ACM_NOTIFY_H
#define ACM_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"
#include "policy.h"
#include "request.h"
#include "util.h"

#define NOTIFY_PER_HOUR 20
#define NOTIFY_TIMEOUT 30          /* seconds for NotifyCommand to take one notice */
#define NOTIFY_QUEUE_MAX 64        /* notices waiting for the thread */
#define NOTIFY_SEEN_MAX 4096       /* (digest, outcome) pairs remembered */
#define NOTIFY_HELD_NAMES 50       /* held-back notices named one by one in the next */
#define NOTIFY_STATE_MAX (1L << 20) /* bytes of SpoolDir/notify/state read at most */

enum notify_what {
    NW_NONE,
    NW_APPROVAL_FAILED,
    NW_APPROVAL_EXPIRED,
    NW_DENY_NOT_ALLOWLISTED,
    NW_DENY_DOMAIN_MISMATCH,
    NW_DENY_DKIM_DNS_FAILURE,
};

struct notice {
    enum notify_what what;
    char key[65];              /* request digest, never the secrets */
    char req[9];               /* its first 8 characters, as in req= */
    long when;
    char qid[64];
    char domain[DOMAIN_MAX];
    char account[13];
    char region[ARN_REGION_MAX];
    char arn[ARN_TEXT_MAX];
    char rcpt[320];
    char detail[160];
    char line[KV_MAX + 80];    /* the decision or approval line, as logged */
};

/* Pure: fills n and returns true when d needs a person. */
bool notify_from_decision(const struct decision *d, const char *qid, struct notice *n);
/* Pure: fills n and returns true when outcome (failed, expired) needs a person; line is the
 * approval line as logged. */
bool notify_from_request(const struct request *r, const char *outcome, const char *line,
                         struct notice *n);

/* Milter side (any thread): enqueue, or log why not. No-ops unless NotifyAddress is set. */
void notify_decision(const struct config *c, const char *qid, const struct decision *d);
void notify_approval(const struct request *r, const char *outcome, const char *line);
/* Creates spool/notify/ if missing; with give_to, chowns it (as root, before the drop). */
bool notify_prepare(const char *spool_dir, bool give_to, uid_t uid, gid_t gid);
/* Starts the thread (after the privilege drop); state in spool/notify/. */
bool notify_start(const char *spool_dir);

/* "approval-failed", "deny-not-allowlisted", ...: the outcome word of the log and the key. */
const char *notify_outcome(enum notify_what w);
/* The ACTION of the Subject, e.g. "approve by hand". */
const char *notify_action(enum notify_what w);

/* ---- de-duplication and the hourly limit (exposed for tests) ------------------------ */

struct notify_seen {
    char key[65];
    char outcome[32];
    long when;
};
struct notify_state {
    struct notify_seen *seen;   /* oldest first */
    size_t nseen, aseen;
    long sent[NOTIFY_PER_HOUR]; /* times of the last attempts within the hour */
    size_t nsent;
    long held;                  /* notices held back since the last one sent */
    struct strlist held_names;  /* at most NOTIFY_HELD_NAMES of them, one line each */
};
enum notify_admit { NA_SEND, NA_DUPLICATE, NA_HELD };

void notify_state_init(struct notify_state *st);
void notify_state_free(struct notify_state *st);
/* A missing file is an empty state; a damaged one is read as far as it makes sense; a link,
 * a non-regular file or one over NOTIFY_STATE_MAX is refused (false, errno EINVAL or ELOOP). */
bool notify_state_load(struct notify_state *st, const char *path);
/* Atomic: temporary file in the same folder, fsync, rename. */
bool notify_state_save(const struct notify_state *st, const char *path);
/* Decides one notice at time now: a duplicate, held back (counted and named for the next),
 * or to send (its attempt is counted against the hour). */
enum notify_admit notify_state_admit(struct notify_state *st, const struct notice *n, long now);
/* After an attempt: a sent notice is remembered (its copies are duplicates) and the held
 * list, which it named, is cleared; a failed one is not remembered, so a copy retries. */
void notify_state_done(struct notify_state *st, const struct notice *n, long now, bool sent);

/* ---- the message and the command (exposed for tests) -------------------------------- */

/* The RFC 5322 notice (CRLF-free, LF lines, as sendmail -t takes it) into out. */
bool notify_format(const struct notice *n, const struct strlist *to, const char *host,
                   long now, const struct notify_state *st, struct sbuf *out);
/* Runs argv with data on stdin, without a shell; true on exit status 0. On failure,
 * detail gets a word (cannot-run, timeout, exit-status, killed-by-signal, stdin-closed) and
 * extra a few key=value pairs (status=, error=, output=). */
bool notify_run(const struct strlist *argv, const char *data, size_t len, int timeout,
                char *detail, size_t detailsz, char *extra, size_t extrasz);

#endif
