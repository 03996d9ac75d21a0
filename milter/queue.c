/*
 * queue - see queue.h for the contract.
 *
 * Layout of SpoolDir (request.h): tmp/, pending/KEY.req (work), done/KEY.req (history:
 * approved, already-approved, expired, failed, dry-run), pages/KEY-TIME.html (approval pages
 * kept for the operator), bad/ (entries set aside). One mutex serializes the spool between
 * the milter threads (submit), the worker and queue_stop(); the network exchange runs
 * without it. What the worker could not write to disk (an attempt, a backoff, the end of an
 * entry) it keeps in memory (memo), so a spool that cannot be written never makes it work
 * an entry again sooner or twice.
 */
#include "queue.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "approver.h"
#include "fileio.h"
#include "log.h"
#include "mem.h"
#include "notify.h"
#include "stats.h"

#define RETRY_CAP 3600L
#define WORKER_IDLE 5      /* seconds between spool scans when nothing is due */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;   /* new work, or stop */
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;   /* the exchange in flight ended */

/* Under lock. */
static bool stopping, worker_running, abandoned;
static bool inflight_active;
static struct request inflight;   /* the entry of the exchange in flight (no code/context) */
static GHashTable *memo;          /* key -> struct memo: what the disk could not keep */
static GHashTable *unmovable;     /* pending/ names that are bad and could not be moved */
static unsigned long generation;  /* pass number, to forget what was not seen again */

struct memo {
    int attempts;
    long next;
    char done_state[24];   /* finished, but done/ could not be written: "" otherwise */
    char detail[96];
    unsigned long seen;
};

/* Worker only: the first problem of this pass, and the last one logged. */
static char pass_problem[600], last_problem[600];
static bool state_reported;

/* ---- entry files -------------------------------------------------------------------- */

/* ---- spool state and bad entries ---------------------------------------------------- */

/* Notes a problem of this pass (the first one counts); logged at the end of the pass only
 * when it differs from the last one logged. */
static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
    if (pass_problem[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pass_problem, sizeof(pass_problem), fmt, ap);
    va_end(ap);
}

static void report_state(const struct config *c)
{
    if (strcmp(pass_problem, last_problem) != 0 || !state_reported) {
        if (pass_problem[0])
            log_err("SpoolDir %s cannot be used: %s (approvals wait until it can)", c->spool_dir,
                    pass_problem);
        else if (state_reported)
            log_info("SpoolDir %s can be used again", c->spool_dir);
        str_copy(last_problem, sizeof(last_problem), pass_problem);
    }
    state_reported = true;
    pass_problem[0] = '\0';
}

/* Every folder the worker needs: a real directory (not a link), usable by this user. */
static void check_spool(const struct config *c)
{
    for (int i = 0; i < SF_COUNT; i++) {
        char p[4200];
        if (!spool_path(p, sizeof(p), c->spool_dir, (enum spool_folder)i, NULL)) {
            problem("%s/%s: path too long", c->spool_dir, spool_folder_name((enum spool_folder)i));
            return;
        }
        struct stat st;
        if (lstat(p, &st) != 0) {
            problem("%s: %s", p, strerror(errno));
            return;
        }
        if (!S_ISDIR(st.st_mode)) {
            problem("%s is not a directory", p);
            return;
        }
        int need = i == SF_PAGES || i == SF_TMP ? W_OK | X_OK : R_OK | W_OK | X_OK;
        if (access(p, need) != 0) {
            problem("%s is not %s: %s", p, need & R_OK ? "readable and writable" : "writable",
                    strerror(errno));
            return;
        }
    }
}

/* Moves pending/NAME (not a valid entry) to bad/ once, with one line; never worked. When it
 * cannot be moved, one line too, and it is left alone. Under lock. */
static void set_aside(const struct config *c, const char *name, const char *why)
{
    char shown[200];
    str_sanitize(shown, sizeof(shown), name, 150);
    if (!unmovable)
        unmovable = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (g_hash_table_contains(unmovable, name)) {
        g_hash_table_insert(unmovable, g_strdup(name), GSIZE_TO_POINTER(generation));
        return;
    }
    char pdir[4200], bdir[4200], to[300];
    spool_path(pdir, sizeof(pdir), c->spool_dir, SF_PENDING, NULL);
    spool_path(bdir, sizeof(bdir), c->spool_dir, SF_BAD, NULL);
    int pfd = spool_folder_fd(c->spool_dir, SF_PENDING);
    int bfd = pfd >= 0 ? spool_folder_fd(c->spool_dir, SF_BAD) : -1;
    int err = errno;
    for (int i = 0; pfd >= 0 && bfd >= 0 && i < 1000; i++) {
        if (i == 0)
            str_copy(to, sizeof(to), name);
        else
            snprintf(to, sizeof(to), "%.250s.%d", name, i);
        int rc = renameat2(pfd, name, bfd, to, RENAME_NOREPLACE);
        if (rc != 0 && errno == EINVAL) {   /* a file system without RENAME_NOREPLACE */
            struct stat st;
            if (fstatat(bfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
                errno = EEXIST;
            else
                rc = renameat(pfd, name, bfd, to);
        }
        if (rc == 0) {
            fsync(bfd);
            fsync(pfd);
            close(pfd);
            close(bfd);
            char shown_to[200];
            str_sanitize(shown_to, sizeof(shown_to), to, 160);
            log_warn("approval queue entry %s/%s is not valid (%s): moved to %s/%s, not worked",
                     pdir, shown, why, bdir, shown_to);
            return;
        }
        err = errno;
        if (err != EEXIST)
            break;
    }
    if (pfd >= 0)
        close(pfd);
    if (bfd >= 0)
        close(bfd);
    log_err("approval queue entry %s/%s is not valid (%s) and cannot be moved to %s: %s; "
            "not worked",
            pdir, shown, why, bdir, strerror(err));
    g_hash_table_insert(unmovable, g_strdup(name), GSIZE_TO_POINTER(generation));
}

/* ---- submit ------------------------------------------------------------------------- */

/* `QID: approval=WHAT domain= arn= attempt= [mid] req= [extra]` */
static void approval_line2(const struct request *r, const char *what, const char *mid,
                           const char *extra)
{
    struct kvline kv;
    kv_init(&kv);
    kv_add(&kv, "approval", what);
    kv_add(&kv, "domain", r->domain);
    kv_add(&kv, "arn", r->arn);
    if (r->attempts)
        kv_addf(&kv, "attempt", "%d", r->attempts);
    if (mid) {
        if (kv.len + strlen(mid) + 2 < KV_MAX) {
            kv.buf[kv.len++] = ' ';
            memcpy(kv.buf + kv.len, mid, strlen(mid) + 1);
            kv.len += strlen(mid);
        }
    }
    char req[9];
    str_copy(req, sizeof(req), r->key);   /* the key is the SHA-256 of code|context */
    kv_add(&kv, "req", req);
    char line[KV_MAX + 4900];
    snprintf(line, sizeof(line), "%s: %s%s%s", r->qid[0] ? r->qid : "NOQUEUE", kv.buf,
             extra ? " " : "", extra ? extra : "");
    log_info("%s", line);
    stats_approval(what);
    notify_approval(r, what, line);   /* failed, expired: a person must act */
}

static void approval_line(const struct request *r, const char *what, const char *extra)
{
    approval_line2(r, what, NULL, extra);
}

void queue_submit(const struct config *c, const char *qid, const struct decision *d)
{
    struct request r;
    memset(&r, 0, sizeof(r));
    request_key(d->f.code, d->f.context, r.key);
    bool dry = c->mode == MODE_DRY_RUN;
    str_copy(r.state, sizeof(r.state), dry ? "dry-run" : "pending");
    r.created = r.updated = r.next = (long)time(NULL);
    str_sanitize(r.qid, sizeof(r.qid), qid ? qid : "", sizeof(r.qid) - 1);
    for (char *q = r.qid; *q; q++)
        if (*q == ' ')
            *q = '?';
    str_copy(r.domain, sizeof(r.domain), d->f.fqdn);
    str_copy(r.requested_domain, sizeof(r.requested_domain), d->f.requested_domain);
    str_copy(r.account, sizeof(r.account), d->f.account);
    str_copy(r.region, sizeof(r.region), d->f.region);
    str_copy(r.arn, sizeof(r.arn), d->f.arn_text);
    str_copy(r.code, sizeof(r.code), d->f.code);
    str_copy(r.context, sizeof(r.context), d->f.context);

    char name[KEY_HEX + 8];
    snprintf(name, sizeof(name), "%s.req", r.key);
    struct request old;
    const char *why;
    pthread_mutex_lock(&lock);
    enum load_result in_pending = request_load(c->spool_dir, SF_PENDING, name, &old, &why);
    if (in_pending == LOAD_BAD)
        set_aside(c, name, why);   /* a tampered file in the new entry's place */
    if (in_pending == LOAD_OK ||
        request_load(c->spool_dir, SF_DONE, name, &old, &why) == LOAD_OK) {
        pthread_mutex_unlock(&lock);
        explicit_bzero(&old, sizeof(old));
        approval_line(&r, "duplicate", NULL);
        explicit_bzero(&r, sizeof(r));
        return;
    }
    bool ok = request_write(c->spool_dir, dry ? SF_DONE : SF_PENDING, &r);
    int saved = errno;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    if (!ok) {
        char e[160];
        snprintf(e, sizeof(e), "detail=spool-write error=\"%s\" action=\"approve by hand\"",
                 strerror(saved));
        approval_line(&r, "failed", e);
        log_err("%s: cannot write the approval queue in %s: %s", qid, c->spool_dir,
                strerror(saved));
        explicit_bzero(&r, sizeof(r));
        return;
    }
    approval_line(&r, "queued", dry ? "mode=dry-run" : NULL);
    explicit_bzero(&r, sizeof(r));
}

/* ---- worker ------------------------------------------------------------------------- */

static long backoff(const struct config *c, int attempts)
{
    long d = c->retry_interval;
    for (int i = 1; i < attempts && d < RETRY_CAP; i++)
        d *= 2;
    if (d > RETRY_CAP)
        d = RETRY_CAP;
    long jitter = d / 5;
    if (jitter > 0)
        d += g_random_int_range((gint32)-jitter, (gint32)jitter + 1);
    return d < 1 ? 1 : d;
}

static struct memo *memo_get(const char *key, bool create)
{
    if (!memo)
        memo = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    struct memo *m = g_hash_table_lookup(memo, key);
    if (!m && create) {
        m = g_new0(struct memo, 1);
        g_hash_table_insert(memo, g_strdup(key), m);
    }
    if (m)
        m->seen = generation;
    return m;
}

/* Writes r to pending/ (the attempt or the backoff); what cannot be written is kept in
 * memory. Under lock. */
static void save_pending(const struct config *c, const struct request *r, const char *what)
{
    if (request_write(c->spool_dir, SF_PENDING, r)) {
        struct memo *m = memo_get(r->key, false);
        if (m && !m->done_state[0])
            g_hash_table_remove(memo, r->key);
        return;
    }
    problem("cannot record the %s of %s in %s/pending: %s", what, r->qid, c->spool_dir,
            strerror(errno));
    struct memo *m = memo_get(r->key, true);
    m->attempts = r->attempts;
    m->next = r->next;
}

static void keep_page(const struct config *c, const struct request *r, const struct sbuf *page,
                      char *path, size_t pathsz)
{
    path[0] = '\0';
    char dir[4200], name[KEY_HEX + 40];
    if (!page->len || !spool_path(dir, sizeof(dir), c->spool_dir, SF_PAGES, NULL))
        return;
    snprintf(name, sizeof(name), "%s-%ld.html", r->key, (long)time(NULL));
    if ((size_t)snprintf(path, pathsz, "%s/%s", dir, name) >= pathsz) {
        path[0] = '\0';
        return;
    }
    /* a new file in the real pages/ folder: never through a link, never over a file */
    int dfd = spool_folder_fd(c->spool_dir, SF_PAGES);
    int fd = dfd < 0 ? -1
                     : openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || !write_all(fd, page->data, page->len)) {
        log_warn("%s: cannot keep the approval page in %s: %s", r->qid, path, strerror(errno));
        path[0] = '\0';
    }
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
}

/* Removes pending/KEY.req once done/ holds the entry. Under lock. */
static void remove_pending(const struct config *c, const struct request *r)
{
    char name[KEY_HEX + 8], dir[4200];
    snprintf(name, sizeof(name), "%s.req", r->key);
    spool_path(dir, sizeof(dir), c->spool_dir, SF_PENDING, NULL);
    int dfd = spool_folder_fd(c->spool_dir, SF_PENDING);
    if (dfd < 0 || (unlinkat(dfd, name, 0) != 0 && errno != ENOENT)) {
        problem("cannot remove the finished entry of %s from %s: %s", r->qid, dir,
                strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return;
    }
    fsync(dfd);
    close(dfd);
}

/* Ends an entry: written to done/, then the very file that was read is removed from
 * pending/ (the name checked equal to the key). When done/ cannot be written, the end is
 * kept in memory and written on a later pass; the entry is never worked again. */
static void finish(const struct config *c, struct request *r, const char *state)
{
    str_copy(r->state, sizeof(r->state), state);
    r->updated = (long)time(NULL);
    r->next = 0;
    pthread_mutex_lock(&lock);
    if (!request_write(c->spool_dir, SF_DONE, r)) {
        problem("cannot record the end (%s) of %s in %s/done: %s", state, r->qid,
                c->spool_dir, strerror(errno));
        struct memo *m = memo_get(r->key, true);
        str_copy(m->done_state, sizeof(m->done_state), state);
        str_copy(m->detail, sizeof(m->detail), r->detail);
    } else {
        struct memo *m = memo_get(r->key, false);
        if (m)
            m->done_state[0] = '\0';
        remove_pending(c, r);
    }
    pthread_mutex_unlock(&lock);
}

/* Works one entry; returns when it is due again (0: finished or stopped). */
static long work_one(const struct config *c, struct request *r)
{
    long now = (long)time(NULL);
    if (now - r->created > c->max_age) {
        str_copy(r->detail, sizeof(r->detail), "max-age");
        finish(c, r, "expired");
        approval_line(r, "expired", "detail=max-age");
        return 0;
    }
    /* The attempt is on disk before the exchange: a kill -9 during it still counts it, and
     * the entry waits its backoff after a restart. */
    r->attempts++;
    long wait = backoff(c, r->attempts);
    r->updated = now;
    r->next = now + wait;
    if (r->next - r->created > c->max_age)
        r->next = r->created + c->max_age + 1;
    pthread_mutex_lock(&lock);
    if (stopping) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    save_pending(c, r, "attempt");
    inflight = *r;
    explicit_bzero(inflight.code, sizeof(inflight.code));
    explicit_bzero(inflight.context, sizeof(inflight.context));
    inflight_active = true;
    pthread_mutex_unlock(&lock);

    struct approval_outcome o;
    approver_run(c, r, &o);

    pthread_mutex_lock(&lock);
    inflight_active = false;
    bool gone = abandoned;   /* queue_stop() gave up waiting and logged it as stopped */
    pthread_cond_broadcast(&idle);
    pthread_mutex_unlock(&lock);
    if (gone) {
        approval_outcome_free(&o);
        return 0;
    }
    str_copy(r->detail, sizeof(r->detail), o.detail);
    char extra[4800];
    switch (o.v) {
    case AV_APPROVED:
        finish(c, r, "approved");
        snprintf(extra, sizeof(extra), "detail=%s", o.detail);
        approval_line(r, "approved", o.detail[0] ? extra : NULL);
        break;
    case AV_ALREADY:
        finish(c, r, "already-approved");
        approval_line(r, "already-approved", NULL);
        break;
    case AV_EXPIRED:
        finish(c, r, "expired");
        snprintf(extra, sizeof(extra), "detail=%s", o.detail);
        approval_line(r, "expired", extra);
        break;
    case AV_FAILED: {
        char page[4300];
        keep_page(c, r, &o.page, page, sizeof(page));
        finish(c, r, "failed");
        snprintf(extra, sizeof(extra),
                 "detail=%s%s%s action=\"%s\"", o.detail, page[0] ? " page=" : "", page,
                 o.action ? o.action : "a human must check this request in the ACM console");
        approval_line(r, "failed", extra);
        break;
    }
    case AV_RETRY: {
        now = (long)time(NULL);
        r->next = now + wait;
        r->updated = now;
        if (r->next - r->created > c->max_age)
            r->next = r->created + c->max_age + 1;
        pthread_mutex_lock(&lock);
        save_pending(c, r, "backoff");
        pthread_mutex_unlock(&lock);
        char mid[32];
        snprintf(mid, sizeof(mid), "next=%ld", wait);
        snprintf(extra, sizeof(extra), "detail=%s", o.detail);
        approval_line2(r, "retry", mid, extra);
        break;
    }
    }
    approval_outcome_free(&o);
    explicit_bzero(r->code, sizeof(r->code));
    explicit_bzero(r->context, sizeof(r->context));
    return o.v == AV_RETRY ? r->next : 0;
}

static void prune(const struct config *c)
{
    long now = (long)time(NULL);
    const enum spool_folder folders[2] = {SF_DONE, SF_PAGES};
    for (int k = 0; k < 2; k++) {
        char dir[4200];
        spool_path(dir, sizeof(dir), c->spool_dir, folders[k], NULL);
        DIR *d = opendir(dir);
        if (!d) {
            problem("cannot read %s: %s", dir, strerror(errno));
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char p[4500];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode) &&
                now - (long)st.st_mtime > QUEUE_HISTORY && unlink(p) != 0 && errno != ENOENT)
                problem("cannot remove old history %s: %s", p, strerror(errno));
        }
        closedir(d);
    }
}

static gboolean not_seen(gpointer k, gpointer v, gpointer arg)
{
    (void)k;
    (void)arg;
    return ((struct memo *)v)->seen != generation;
}

static gboolean name_not_seen(gpointer k, gpointer v, gpointer arg)
{
    (void)k;
    (void)arg;
    return GPOINTER_TO_SIZE(v) != generation;
}

/* One pass over pending/ (after check_spool() of the same generation): sets aside what is
 * not a valid entry, works every due one; returns seconds until the next is due. */
static long pass(const struct config *c)
{
    char dir[4200];
    spool_path(dir, sizeof(dir), c->spool_dir, SF_PENDING, NULL);
    long soonest = WORKER_IDLE;
    DIR *d = opendir(dir);
    if (!d) {
        problem("cannot read %s: %s", dir, strerror(errno));
        return soonest;
    }
    struct strlist names = {0};
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            strlist_add(&names, e->d_name);
    if (errno)
        problem("cannot read %s: %s", dir, strerror(errno));
    closedir(d);
    for (size_t i = 0; i < names.n; i++) {
        pthread_mutex_lock(&lock);
        if (stopping) {
            pthread_mutex_unlock(&lock);
            break;
        }
        struct request r;
        const char *why;
        enum load_result lr = request_load(c->spool_dir, SF_PENDING, names.v[i], &r, &why);
        if (lr == LOAD_BAD)
            set_aside(c, names.v[i], why);
        if (lr == LOAD_ERROR && errno != ENOENT) {
            char shown[200];
            str_sanitize(shown, sizeof(shown), names.v[i], 150);
            problem("cannot read %s/%s: %s", dir, shown, strerror(errno));
        }
        if (lr != LOAD_OK) {
            pthread_mutex_unlock(&lock);
            continue;
        }
        struct memo *m = memo_get(r.key, false);
        struct request fin;
        const char *fwhy;
        bool finished = request_load(c->spool_dir, SF_DONE, names.v[i], &fin, &fwhy) == LOAD_OK;
        explicit_bzero(&fin, sizeof(fin));
        if (finished) {
            /* done/ has it: what is left in pending/ is never worked again */
            remove_pending(c, &r);
            pthread_mutex_unlock(&lock);
            explicit_bzero(&r, sizeof(r));
            continue;
        }
        if (strcmp(r.state, "pending") != 0) {
            set_aside(c, names.v[i], "state");   /* a finished entry has no place in pending/ */
            pthread_mutex_unlock(&lock);
            explicit_bzero(&r, sizeof(r));
            continue;
        }
        if (m && m->done_state[0]) {
            /* finished earlier, but done/ could not be written: try again, quietly */
            char state[24];
            str_copy(state, sizeof(state), m->done_state);
            str_copy(r.detail, sizeof(r.detail), m->detail);
            pthread_mutex_unlock(&lock);
            finish(c, &r, state);
            explicit_bzero(&r, sizeof(r));
            continue;
        }
        if (m && m->attempts >= r.attempts) {
            r.attempts = m->attempts;   /* the disk could not keep the last attempt */
            r.next = m->next;
        }
        pthread_mutex_unlock(&lock);
        long now = (long)time(NULL);
        long due = r.next;
        if (r.next <= now || now - r.created > c->max_age)
            due = work_one(c, &r);   /* a retried entry counts with its new time */
        now = (long)time(NULL);
        if (due && due - now < soonest)
            soonest = due - now;
        explicit_bzero(&r, sizeof(r));
    }
    strlist_free(&names);
    pthread_mutex_lock(&lock);
    if (memo)
        g_hash_table_foreach_remove(memo, not_seen, NULL);
    if (unmovable)
        g_hash_table_foreach_remove(unmovable, name_not_seen, NULL);
    pthread_mutex_unlock(&lock);
    return soonest < 1 ? 1 : soonest;
}

static void *worker(void *arg)
{
    (void)arg;
    time_t last_prune = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        if (stopping) {
            worker_running = false;
            pthread_cond_broadcast(&idle);
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        pthread_mutex_unlock(&lock);
        struct config *c = config_current();
        long wait = WORKER_IDLE;
        if (!c) {
            /* started just before the configuration is installed: look again very soon */
            struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        generation++;
        check_spool(c);
        if (c->mode == MODE_APPROVE)
            wait = pass(c);
        if (time(NULL) - last_prune > 3600) {
            prune(c);
            last_prune = time(NULL);
        }
        report_state(c);
        config_unref(c);
        mem_maintain();   /* memory a flood left behind goes back when idle */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait;
        pthread_mutex_lock(&lock);
        if (!stopping)
            pthread_cond_timedwait(&wake, &lock, &ts);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

bool queue_prepare(const char *spool, bool give_to, uid_t uid, gid_t gid)
{
    for (int i = -1; i < SF_COUNT; i++) {
        char p[4200];
        if (i < 0)
            str_copy(p, sizeof(p), spool);
        else
            spool_path(p, sizeof(p), spool, (enum spool_folder)i, NULL);
        if ((mkdir(p, 0700) != 0 && errno != EEXIST) || (give_to && chown(p, uid, gid) != 0)) {
            log_err("SpoolDir %s: %s", p, strerror(errno));
            return false;
        }
    }
    return true;
}

bool queue_start(const struct config *c)
{
    /* A spool whose folders cannot even be made is a start that fails. One that exists but
     * cannot be used is one error line now and at each change: the milter runs on (mail is
     * never delayed for it) and approvals wait until it can be used. */
    if (!queue_prepare(c->spool_dir, false, 0, 0))
        return false;
    check_spool(c);
    report_state(c);
    if (c->mode == MODE_APPROVE) {
        long n = queue_pending_count(c->spool_dir, NULL);
        if (n > 0)
            log_info("resuming %ld pending entries from %s/pending", n, c->spool_dir);
    }
    pthread_mutex_lock(&lock);
    stopping = abandoned = false;
    worker_running = true;
    pthread_mutex_unlock(&lock);
    pthread_t th;
    if (pthread_create(&th, NULL, worker, NULL) != 0) {
        worker_running = false;
        return false;
    }
    pthread_detach(th);
    return true;
}

void queue_stop(long grace)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += grace > 0 ? grace : 0;
    pthread_mutex_lock(&lock);
    stopping = true;
    approver_cancel();
    pthread_cond_broadcast(&wake);
    while (worker_running)   /* until the worker has logged and saved what it was doing */
        if (pthread_cond_timedwait(&idle, &lock, &dl) == ETIMEDOUT)
            break;
    if (inflight_active && !abandoned) {
        abandoned = true;
        struct request r = inflight;
        pthread_mutex_unlock(&lock);
        approval_line2(&r, "retry", NULL, "detail=stopped");
        return;
    }
    pthread_mutex_unlock(&lock);
}

/* ---- operator view ------------------------------------------------------------------ */

static void iso(long t, char *out, size_t sz)
{
    if (!t) {
        str_copy(out, sz, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int queue_list(const char *spool, FILE *out, FILE *err)
{
    int n = 0;
    bool failed = false;
    struct stat st;
    if (stat(spool, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(err, "acm-milter: no approval queue in %s: %s\n", spool,
                errno ? strerror(errno) : "not a directory");
        return -1;
    }
    const enum spool_folder folders[3] = {SF_PENDING, SF_DONE, SF_BAD};
    for (int k = 0; k < 3; k++) {
        char dir[4200];
        spool_path(dir, sizeof(dir), spool, folders[k], NULL);
        DIR *d = opendir(dir);
        if (!d) {
            if (folders[k] == SF_BAD && errno == ENOENT)
                continue;   /* made at the next start */
            fprintf(err, "acm-milter: cannot read %s: %s\n", dir, strerror(errno));
            failed = true;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char shown[200];
            str_sanitize(shown, sizeof(shown), e->d_name, 150);
            n++;
            if (folders[k] == SF_BAD) {
                fprintf(out, "bad %s/%s\n", spool_folder_name(folders[k]), shown);
                continue;
            }
            struct request r;
            const char *why;
            enum load_result lr = request_load(spool, folders[k], e->d_name, &r, &why);
            if (lr == LOAD_ERROR && errno == ENOENT) {
                n--;
                continue;
            }
            if (lr != LOAD_OK) {
                if (lr == LOAD_ERROR) {
                    fprintf(err, "acm-milter: cannot read %s/%s: %s\n", dir, shown,
                            strerror(errno));
                    failed = true;
                }
                fprintf(out, "bad %s/%s detail=%s\n", spool_folder_name(folders[k]), shown,
                        lr == LOAD_ERROR ? "unreadable" : why);
                continue;
            }
            char next[32], created[32], req[9];
            iso(strcmp(r.state, "pending") == 0 ? r.next : 0, next, sizeof(next));
            iso(r.created, created, sizeof(created));
            str_copy(req, sizeof(req), r.key);
            fprintf(out, "%s %s %s attempts=%d next=%s created=%s req=%s%s%s\n", r.state,
                    r.domain, r.arn, r.attempts, next, created, req, r.detail[0] ? " detail=" : "",
                    r.detail);
            explicit_bzero(&r, sizeof(r));
        }
        closedir(d);
    }
    return failed ? -1 : n;
}

long queue_pending_count(const char *spool, long *oldest)
{
    if (oldest)
        *oldest = 0;
    char dir[4200];
    if (!spool_path(dir, sizeof(dir), spool, SF_PENDING, NULL))
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0, first = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct request r;
        const char *why;
        if (request_load(spool, SF_PENDING, e->d_name, &r, &why) != LOAD_OK)
            continue;
        if (strcmp(r.state, "pending") == 0) {
            n++;
            if (!first || r.created < first)
                first = r.created;
        }
        explicit_bzero(&r, sizeof(r));
    }
    closedir(d);
    if (oldest && first) {
        long age = (long)time(NULL) - first;
        *oldest = age > 0 ? age : 0;
    }
    return n;
}
