/*
 * main - command line, start-up order, signals and reload.
 *
 * Start-up order (after clamav-milter): configuration and UserID (config_resolve_user():
 * never uid 0); socket opened under a tight umask, then chowned/chmodded for the MTA; the
 * spool prepared; fork to the background (unless -f: the parent waits on a pipe until the
 * daemon has started, and exits with its status); PID file; privilege drop (initgroups,
 * setgid, setuid); the queue; the signal thread; smfi_main(). Every error of configuration
 * or environment on the way is one log_fatal() line (exit 1). libmilter stops on SIGHUP,
 * SIGINT and SIGTERM; SIGUSR1 reloads the configuration and allowlist, swapping in a fully
 * validated new snapshot or keeping the old one (restart-only keys keep their values).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "evaluate.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "mime.h"
#include "notify.h"
#include "policy.h"
#include "queue.h"
#include "approver.h"
#include "stats.h"
#include "util.h"

#ifndef ACM_VERSION
#define ACM_VERSION "0.1.0"
#endif

static const char *conf_path = CONF_DEFAULT_PATH;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: acm-milter [-x CONFIG] [-f] [-n] [-q] [-V] [-t MESSAGE [-r RCPT]... [-s SENDER]]\n"
            "  -x CONFIG  configuration file (default %s)\n"
            "  -f         stay in the foreground, log to stderr as well as syslog\n"
            "  -n         check the configuration and the allowlist, then exit 0 or 1\n"
            "  -q         list the approval queue (pending, approved, failed, expired ...)\n"
            "  -t MESSAGE evaluate one saved message offline ('-' for stdin) and print the "
            "decision\n"
            "  -r RCPT    envelope recipient for -t (repeatable; default: To and Cc)\n"
            "  -s SENDER  envelope sender for -t (default: Return-Path, else From)\n"
            "  -V         print the version\n",
            CONF_DEFAULT_PATH);
}

static struct config *load_or_report(const char *path)
{
    struct strlist errors = {0};
    struct config *c = config_load(path, &errors);
    for (size_t i = 0; i < errors.n; i++)
        fprintf(stderr, "acm-milter: %s\n", errors.v[i]);
    strlist_free(&errors);
    return c;
}

/* ---- -t: one message offline --------------------------------------------------------- */

static int offline(struct config *c, const char *file, struct strlist *rcpts, const char *sender)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "acm-milter: %s: %s\n", file, strerror(errno));
        return 1;
    }
    struct sbuf raw;
    sbuf_init(&raw, (size_t)c->max_message_size);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sbuf_append(&raw, chunk, n);
    bool rerr = ferror(f);
    if (f != stdin)
        fclose(f);
    if (rerr) {
        fprintf(stderr, "acm-milter: %s: read error\n", file);
        sbuf_free(&raw);
        return 1;
    }
    struct envelope env = {.sender = sender};
    struct mime_view *mv = NULL;
    if (rcpts->n == 0 || !sender)
        mv = mime_parse(raw.data ? raw.data : "", raw.len);
    if (rcpts->n) {
        env.rcpts = *rcpts;
    } else if (mv) {
        const char *v;
        for (size_t k = 0; (v = mime_header(mv, "To", k)); k++)
            mime_addresses(v, &env.rcpts);
        for (size_t k = 0; (v = mime_header(mv, "Cc", k)); k++)
            mime_addresses(v, &env.rcpts);
    }
    struct strlist rp = {0};
    if (!sender && mv) {
        const char *v = mime_header(mv, "Return-Path", 0);
        if (v && mime_addresses(v, &rp) == 1 && rp.n == 1)
            env.sender = rp.v[0];
        else if (mv->from_addr)
            env.sender = mv->from_addr;
    }
    struct decision d;
    evaluate(c, &env, raw.data ? raw.data : "", raw.len, raw.overflow, &d);
    struct kvline kv;
    kv_init(&kv);
    decision_format(&d, &kv);
    printf("offline: %s\n", kv.buf);
    fflush(stdout);
    if (env.rcpts.v != rcpts->v)
        strlist_free(&env.rcpts);
    strlist_free(&rp);
    mime_free(mv);
    sbuf_free(&raw);
    return 0;
}

/* ---- daemon ------------------------------------------------------------------------- */

static bool started_as_root;   /* UserID applies (and a reload checks it as -n does) */

/* The main thread waits for signals; smfi_main() runs in its own thread. A signal sent to
 * the process goes to the main thread first when it waits for it, so SIGTERM, SIGHUP and
 * SIGINT reach this loop rather than libmilter's own signal thread (which would leave the
 * listener in its 5 s select()). Returns the stop signal. */
static pthread_t main_tid;
static atomic_int milter_done;
static int milter_rc = MI_SUCCESS;

static void *milter_thread(void *arg)
{
    (void)arg;
    milter_rc = smfi_main();
    atomic_store(&milter_done, 1);
    pthread_kill(main_tid, SIGTERM);   /* wakes the signal loop if libmilter stopped alone */
    return NULL;
}

static int signal_loop(const sigset_t *set)
{
    time_t next_stats = time(NULL) + 3600;
    for (;;) {
        struct timespec ts = {.tv_sec = next_stats - time(NULL), .tv_nsec = 0};
        if (ts.tv_sec < 0)
            ts.tv_sec = 0;
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGHUP || sig == SIGINT)
            return sig;
        if (sig < 0 || sig == SIGUSR2) {
            if (sig < 0 && errno != EAGAIN)
                continue;
            struct config *c = config_current();
            stats_log(sig < 0 ? "hourly" : "signal", c ? c->spool_dir : NULL);
            config_unref(c);
            if (sig == SIGUSR2)
                metrics_kick();   /* MetricsFile now, not at the next minute */
            if (sig < 0)
                next_stats = time(NULL) + 3600;
            continue;
        }
        if (sig != SIGUSR1)
            continue;
        struct strlist errors = {0};
        struct config *nc = config_load(conf_path, &errors);
        struct config_user u;
        if (nc && !config_resolve_user(nc, started_as_root, &u, &errors)) {
            config_unref(nc);   /* the next start would refuse it: say so now */
            nc = NULL;
        }
        if (!nc) {
            for (size_t i = 0; i < errors.n; i++)
                log_err("reload rejected: %s", errors.v[i]);
            log_err("reload rejected: keeping the previous configuration");
            strlist_free(&errors);
            continue;
        }
        strlist_free(&errors);
        struct config *old = config_current();
        struct strlist changed = {0};
        if (old && !config_keep_restart_keys(nc, old, &changed)) {
            log_err("reload rejected: out of memory; keeping the previous configuration");
            strlist_free(&changed);
            config_unref(nc);
            config_unref(old);
            continue;
        }
        for (size_t i = 0; i < changed.n; i++)
            log_warn("reload: the change of %s takes effect only at restart", changed.v[i]);
        strlist_free(&changed);
        if (old && old->facility != nc->facility)
            log_set_facility(nc->facility);
        config_unref(old);
        log_set_debug(nc->log_debug);
        size_t rules = nc->allowlist->n;
        char *alpath = str_dup(nc->allowlist_path);
        const char *mode = config_mode_name(nc->mode);
        config_install(nc);   /* first swap, then say so: the line means "in effect" */
        log_info("reloaded %s: %zu allowlist rules from %s, mode %s", conf_path, rules,
                 alpath ? alpath : "?", mode);
        free(alpath);
    }
}

/* The listening socket's address, to wake libmilter's listener at stop. */
static struct sockaddr_storage listen_addr;
static socklen_t listen_len;

static void find_listener(void)
{
    for (int fd = 3; fd < 1024; fd++) {
        int listening = 0, type = 0;
        socklen_t l = sizeof(listening), lt = sizeof(type);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) == 0 && listening &&
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &lt) == 0 && type == SOCK_STREAM &&
            getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
            (ss.ss_family == AF_UNIX || ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
            listen_addr = ss;
            listen_len = sl;
            return;
        }
    }
}

static void *stopper(void *arg)
{
    (void)arg;
    smfi_stop();   /* sets the stop flag, then waits for the listener's select() to end */
    return NULL;
}

/* Stops libmilter promptly: smfi_stop(), then a connection of our own so the listener's
 * select() returns now and sees the flag (it would otherwise wait up to 5 s). */
static void stop_milter(void)
{
    if (atomic_load(&milter_done))
        return;
    pthread_t th;
    if (pthread_create(&th, NULL, stopper, NULL) == 0)
        pthread_detach(th);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    for (int i = 0; i < 20 && !atomic_load(&milter_done); i++) {
        if (listen_len) {
            int fd = socket(listen_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd >= 0) {
                connect(fd, (struct sockaddr *)&listen_addr, listen_len);
                close(fd);
            }
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
        sigtimedwait(&term, NULL, &ts);   /* milter_thread's wake-up, or 50 ms */
    }
}

static const char *socket_path(const char *spec)
{
    if (strncmp(spec, "unix:", 5) == 0)
        return spec + 5;
    if (strncmp(spec, "local:", 6) == 0)
        return spec + 6;
    if (spec[0] == '/')
        return spec;
    return NULL;
}

/* libmilter answers end of message with several small packets (a header to add, then the
 * verdict) that the MTA does not acknowledge one by one: over TCP, Nagle then holds the
 * last one until the MTA's delayed ACK, ~40 ms per recognized message. libmilter does not
 * expose its listening socket, so find it (a TCP socket in listening state) and set
 * TCP_NODELAY there; accepted connections inherit it. Returns how many were set. */
static int set_nodelay_on_listener(void)
{
    int n = 0;
    for (int fd = 3; fd < 1024; fd++) {
        int listening = 0, type = 0;
        socklen_t l = sizeof(listening), lt = sizeof(type);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) != 0 || !listening ||
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &lt) != 0 || type != SOCK_STREAM ||
            getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
            (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
            continue;
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
            n++;
    }
    return n;
}

/* Does a process accept connections on the unix socket at path? */
static bool unix_socket_live(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path))
        return false;
    str_copy(sa.sun_path, sizeof(sa.sun_path), path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return live;
}

static void write_pidfile(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        log_fatal("PidFile %s: cannot create it: %s", path, strerror(errno));
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n)
        log_fatal("PidFile %s: write failed", path);
    close(fd);
}

/* A background start: until start-up is complete, the child's stderr is a pipe to the
 * parent, which copies what comes through to its own stderr and exits 0 when the child says
 * it has started (one NUL byte: log lines never hold one), or with the child's status when
 * the child exits first (clamav-milter does the same). */
static bool waiting_parent;

static void daemonize(const sigset_t *blocked)
{
    int p[2];
    if (pipe(p) != 0)
        log_fatal("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        log_fatal("fork: %s", strerror(errno));
    if (pid > 0) {
        pthread_sigmask(SIG_UNBLOCK, blocked, NULL);   /* Ctrl-C still stops the wait */
        close(p[1]);
        char buf[4096];
        for (;;) {
            ssize_t n = read(p[0], buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            char *nul = memchr(buf, '\0', (size_t)n);
            size_t m = nul ? (size_t)(nul - buf) : (size_t)n;
            if (m && write(STDERR_FILENO, buf, m) < 0)
                break;
            if (nul)
                _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(st))
            fprintf(stderr, "acm-milter: start-up failed: the daemon was killed by signal %d\n",
                    WTERMSIG(st));
        _exit(WIFEXITED(st) && WEXITSTATUS(st) != 0 ? WEXITSTATUS(st) : 1);
    }
    close(p[0]);
    if (setsid() < 0)
        log_fatal("setsid: %s", strerror(errno));
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        if (fd > 2)
            close(fd);
    }
    if (p[1] != STDERR_FILENO) {
        dup2(p[1], STDERR_FILENO);
        close(p[1]);
    }
    waiting_parent = true;
}

/* Start-up is complete: release the waiting parent (exit 0) and leave stderr. */
static void started(void)
{
    if (!waiting_parent)
        return;
    log_set_stderr(false);
    ssize_t w = write(STDERR_FILENO, "", 1);
    (void)w;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        if (fd > 2)
            close(fd);
    }
    waiting_parent = false;
}

static int run_daemon(struct config *c, bool foreground)
{
    mem_init();   /* before any thread: message buffers go back to the system when freed */
    metrics_set_start_time((long)time(NULL));
    /* start-up messages go to stderr too, also for a background start (its parent copies
     * them); the daemon stops writing there once started in the background */
    log_init(c->facility, true);
    log_set_debug(c->log_debug);
    if (c->approval_endpoint)
        log_warn("ApprovalEndpoint %s replaces the ACM approval site: for tests only",
                 c->approval_endpoint);
    if (c->dkim_test_keys)
        log_warn("DKIMTestKeys %s replaces DNS for DKIM keys: for tests only", c->dkim_test_keys);
    if (c->sender_auth & SA_NONE)
        log_warn("SenderAuth none: the sender of validation messages is not authenticated");

    /* Before any thread exists, block the signals the main thread waits for (USR1, USR2,
     * and the stop signals HUP, TERM, INT, which libmilter's signal thread also waits
     * for): every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (smfi_setconn(c->socket) != MI_SUCCESS)
        log_fatal("Socket %s: not a valid socket specification", c->socket);
    if (smfi_register(acm_milter_desc) != MI_SUCCESS)
        log_fatal("smfi_register failed");
    smfi_settimeout(300);

    /* UserID user[:group]: the socket gets that group (e.g. postfix) and mode 0660. */
    bool root = geteuid() == 0;
    started_as_root = root;
    struct config_user u;
    struct strlist uerr = {0};
    if (!config_resolve_user(c, root, &u, &uerr)) {
        for (size_t i = 0; i + 1 < uerr.n; i++)
            log_err("%s", uerr.v[i]);
        log_fatal("%s", uerr.n ? uerr.v[uerr.n - 1] : "UserID: cannot resolve");
    }
    strlist_free(&uerr);
    gid_t gid = u.gid;
    const char *path = socket_path(c->socket);
    if (path) {
        char dir[PATH_MAX];
        str_copy(dir, sizeof(dir), path);
        char *slash = strrchr(dir, '/');   /* config.c: an absolute path */
        if (slash)
            slash[slash == dir ? 1 : 0] = '\0';
        struct stat st;
        if (stat(dir, &st) != 0)
            log_fatal("Socket %s: folder %s: %s (create it first, e.g. with systemd-tmpfiles)",
                      c->socket, dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            log_fatal("Socket %s: %s is not a folder", c->socket, dir);
        /* libmilter replaces an old socket file: never one a live daemon listens on */
        if (lstat(path, &st) == 0) {
            if (!S_ISSOCK(st.st_mode))
                log_fatal("Socket %s: %s exists and is not a socket", c->socket, path);
            if (unix_socket_live(path))
                log_fatal("Socket %s: another process listens there (acm-milter already "
                          "running?); stop it first", c->socket);
        }
    }
    mode_t old = umask(0177);
    if (smfi_opensocket(true) != MI_SUCCESS) {
        if (path)
            log_fatal("Socket %s: cannot create the socket file (may this user write its folder?)",
                      c->socket);
        log_fatal("Socket %s: cannot listen there (port in use, or a host that is not a local "
                  "address?)", c->socket);
    }
    umask(old);
    if (!path && set_nodelay_on_listener() == 0)
        log_warn("could not set TCP_NODELAY on %s: recognized messages may wait ~40 ms",
                 c->socket);
    if (path) {
        /* owner: the service user; group: its group; mode 0660 (never world-writable).
         * Let the MTA in by adding its user to that group. */
        if (root && chown(path, u.uid, gid) != 0)
            log_fatal("chown %s: %s", path, strerror(errno));
        if (chmod(path, 0660) != 0)
            log_fatal("chmod %s: %s", path, strerror(errno));
    }
    if (root) {
        /* The spool belongs to the service user: create it (and its folders) if missing. */
        if (!queue_prepare(c->spool_dir, true, u.uid, gid))
            log_fatal("cannot prepare SpoolDir %s for %s", c->spool_dir, c->user);
        if (!notify_prepare(c->spool_dir, true, u.uid, gid))
            log_err("notices to NotifyAddress will be off: cannot prepare %s/notify",
                    c->spool_dir);
    }
    if (!foreground)
        daemonize(&set);
    if (c->pidfile)
        write_pidfile(c->pidfile);
    if (root) {
        if (initgroups(u.name, gid) != 0 || setgid(gid) != 0 || setuid(u.uid) != 0)
            log_fatal("cannot drop privileges to %s: %s", c->user, strerror(errno));
        /* config_resolve_user() refused uid 0: regaining root here is a broken invariant */
        if (setuid(0) == 0)
            log_panic("privileges were not dropped");
    } else {
        if (!u.found || u.uid != geteuid())
            log_warn("not started as root: running as uid %ld, not as UserID %s",
                     (long)geteuid(), c->user);
    }
    umask(0077);
    if (!queue_start(c))
        log_fatal("cannot use SpoolDir %s (it must be writable by %s)", c->spool_dir, c->user);
    /* notices and metrics each have their own thread: a slow NotifyCommand or file system
     * never holds up mail or approvals */
    if (!notify_start(c->spool_dir))
        log_err("notices to NotifyAddress are off: cannot use %s/notify", c->spool_dir);
    metrics_start();

    find_listener();
    log_info("starting acm-milter %s on %s: %zu allowlist rules from %s, mode %s", ACM_VERSION,
             c->socket, c->allowlist->n, c->allowlist_path, config_mode_name(c->mode));
    char *pidfile = str_dup(c->pidfile);
    long grace = c->approval_timeout;
    config_install(c);
    main_tid = pthread_self();
    started();
    pthread_t th;
    if (pthread_create(&th, NULL, milter_thread, NULL) != 0)
        log_fatal("cannot start the milter thread");
    signal_loop(&set);
    /* Stop: libmilter within a second, the approval in flight within ApprovalTimeout
     * (finished, or logged as approval=retry detail=stopped). */
    time_t t0 = time(NULL);
    stop_milter();
    queue_stop(grace - (long)(time(NULL) - t0));
    /* libmilter serves no session once stopped: a message still in progress is cut (the MTA
     * applies its default action to it), and what its thread may still use is never freed. */
    int cut = callbacks_in_progress();
    int rc = atomic_load(&milter_done) ? milter_rc : MI_SUCCESS;
    if (cut)
        log_info("stopping acm-milter (%s; %d messages in progress cut: the MTA applies its "
                 "default action for them)",
                 rc == MI_SUCCESS ? "clean" : "libmilter error", cut);
    else
        log_info("stopping acm-milter (%s)", rc == MI_SUCCESS ? "clean" : "libmilter error");
    if (pidfile)
        unlink(pidfile);   /* may fail after the privilege drop; systemd cleans /run */
    free(pidfile);
    if (cut)
        _exit(rc == MI_SUCCESS ? 0 : 1);   /* never free what a running session still uses */
    return rc == MI_SUCCESS ? 0 : 1;
}

int main(int argc, char **argv)
{
    bool foreground = false, check = false, list = false;
    const char *test_file = NULL, *sender = NULL;
    struct strlist rcpts = {0};
    int opt;
    while ((opt = getopt(argc, argv, "x:fnqVt:r:s:h")) != -1) {
        switch (opt) {
        case 'x': conf_path = optarg; break;
        case 'f': foreground = true; break;
        case 'n': check = true; break;
        case 'q': list = true; break;
        case 'V': printf("acm-milter %s\n", ACM_VERSION); return 0;
        case 't': test_file = optarg; break;
        case 'r':
            if (!strlist_add(&rcpts, optarg))
                return 1;
            break;
        case 's': sender = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || ((rcpts.n || sender) && !test_file)) {
        usage(stderr);
        return 2;
    }
    struct config *c = load_or_report(conf_path);
    if (!c)
        return 1;
    if (check) {
        /* what the start would refuse too */
        struct config_user u;
        struct strlist errors = {0};
        bool ok = config_resolve_user(c, geteuid() == 0, &u, &errors);
        for (size_t i = 0; i < errors.n; i++)
            fprintf(stderr, "acm-milter: %s\n", errors.v[i]);
        strlist_free(&errors);
        if (!ok) {
            config_unref(c);
            return 1;
        }
        printf("%s: OK, %zu allowlist rules in %s\n", conf_path, c->allowlist->n,
               c->allowlist_path);
        config_unref(c);
        return 0;
    }
    if (list) {
        int n = queue_list(c->spool_dir, stdout, stderr);   /* names what it cannot read */
        config_unref(c);
        return n < 0 ? 1 : 0;
    }
    if (!evaluate_init() || !approver_init()) {
        fprintf(stderr, "acm-milter: cannot compile the recognizer patterns\n");
        return 1;
    }
    int rc;
    if (test_file) {
        evaluate_set_offline(true);
        rc = offline(c, test_file, &rcpts, sender);
        config_unref(c);
    } else {
        rc = run_daemon(c, foreground);
    }
    strlist_free(&rcpts);
    evaluate_shutdown();
    return rc;
}
