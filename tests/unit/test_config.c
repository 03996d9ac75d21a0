/* Unit tests: the table-driven config parser, defaults, file:line errors, watched recipients,
 * reference counting and the live-snapshot swap. */
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "t.h"

static char dir[] = "/tmp/acm-test-config-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static struct config *load(const char *text, struct strlist *errs)
{
    char conf[600];
    snprintf(conf, sizeof(conf), "AllowList %s/al\n%s", dir, text);
    return config_load(write_file("c.conf", conf), errs);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    write_file("al", "arn:aws:acm:us-east-1:123456789012:certificate/*\n");
    struct strlist errs = {0};

    struct config *c = load("", &errs);
    CHECK(c != NULL);
    CHECK_STR(c->socket, "unix:/run/acm-milter/acm-milter.sock");
    CHECK(c->mode == MODE_APPROVE);
    CHECK(c->sender_auth == SA_DKIM);
    CHECK(c->dkim != NULL);
    CHECK(c->dns_timeout == 10);
    CHECK(c->approval_timeout == 30 && c->max_age == 72 * 3600);
    CHECK(c->add_header);
    CHECK(c->max_message_size == 1 << 20);
    CHECK(c->recipients.n == 5);
    CHECK(c->allowlist && c->allowlist->n == 1);
    CHECK(config_watched_rcpt(c, "admin@example.com"));
    CHECK(config_watched_rcpt(c, "PostMaster@Example.COM"));
    CHECK(config_watched_rcpt(c, "webmaster@sub.example.org"));
    CHECK(!config_watched_rcpt(c, "admins@example.com"));
    CHECK(!config_watched_rcpt(c, "someone@example.com"));
    CHECK(!config_watched_rcpt(c, "admin"));
    CHECK(!config_watched_rcpt(c, "@example.com"));
    config_unref(c);

    c = load("# comment\n"
             "socket inet:8894@127.0.0.1\n"
             "MODE dry-run\n"
             "Recipients admin, hostmaster@whois.example.net\n"
             "SenderAuth none\n"
             "TrustedAuthservIDs mx1.example.com mx2.example.com\n"
             "MaxAge 3d\n"
             "ApprovalTimeout 10\n"
             "AddHeader no\n"
             "SyslogFacility local3\n"
             "LogLevel debug\n"
             "MaxMessageSize 512k\n"
             "ApprovalEndpoint https://127.0.0.1:8443\n",
             &errs);
    CHECK(c != NULL);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.v[i]);
    if (c) {
        CHECK_STR(c->socket, "inet:8894@127.0.0.1");
        CHECK(c->mode == MODE_DRY_RUN);
        CHECK(c->sender_auth == SA_NONE);
        CHECK(c->authserv_ids.n == 2);
        CHECK(c->max_age == 3 * 86400);
        CHECK(c->approval_timeout == 10);
        CHECK(!c->add_header);
        CHECK(c->facility == LOG_LOCAL3);
        CHECK(c->log_debug);
        CHECK(c->max_message_size == 512 * 1024);
        CHECK(config_watched_rcpt(c, "hostmaster@whois.example.net"));
        CHECK(!config_watched_rcpt(c, "hostmaster@example.com"));
        CHECK(config_watched_rcpt(c, "admin@example.com"));
        config_unref(c);
    }

    /* every error, each with file:line; the allowlist is not read when the file is bad */
    strlist_free(&errs);
    c = load("Bogus 1\n"
             "Mode sometimes\n"
             "MaxAge forever\n"
             "SenderAuth dkim, magic\n"
             "AddHeader maybe\n"
             "Socket /tmp/x\n"
             "Mode approve\n"
             "ApprovalEndpoint http://127.0.0.1\n"
             "Recipients a b@\n"
             "SenderAuth none\n",
             &errs);
    CHECK(c == NULL);
    CHECK(errs.n >= 9);
    char want[600];
    snprintf(want, sizeof(want), "%s/c.conf:2: unknown key \"Bogus\"", dir);
    CHECK(errs.n > 0 && strcmp(errs.v[0], want) == 0);
    bool saw_line3 = false, saw_twice = false;
    for (size_t i = 0; i < errs.n; i++) {
        if (strstr(errs.v[i], "c.conf:3: Mode"))
            saw_line3 = true;
        if (strstr(errs.v[i], "given twice"))
            saw_twice = true;
    }
    CHECK(saw_line3);
    CHECK(saw_twice);
    strlist_free(&errs);

    /* a bad allowlist fails the whole load */
    write_file("al", "arn:aws:acm:us-east-1:1:certificate/*\n");
    c = load("", &errs);
    CHECK(c == NULL);
    CHECK(errs.n == 1 && strstr(errs.v[0], "/al:1: malformed certificate pattern"));
    strlist_free(&errs);
    write_file("al", "arn:aws:acm:us-east-1:123456789012:certificate/*\n");

    /* reference counting and swap: an old snapshot survives while referenced */
    struct config *a = load("", &errs);
    struct config *b = load("Mode dry-run\n", &errs);
    CHECK(a && b);
    config_install(a);
    struct config *held = config_current();
    CHECK(held == a);
    config_install(b);
    struct config *now = config_current();
    CHECK(now == b && now->mode == MODE_DRY_RUN);
    CHECK(held->mode == MODE_APPROVE);   /* still valid: in-flight message keeps it */
    config_unref(held);
    config_unref(now);
    config_install(NULL);

    /* defaults come from the table, through the setters: config_given() names them with
     * line 0; a value from the file carries its line */
    c = load("Mode dry-run\nUserID nobody:nogroup\n", &errs);
    CHECK(c != NULL);
    if (c) {
        unsigned line = 99;
        CHECK_STR(config_given(c, "Socket", &line), "unix:/run/acm-milter/acm-milter.sock");
        CHECK(line == 0);
        CHECK_STR(config_given(c, "maxage", &line), "72h");
        CHECK(c->max_age == 72 * 3600 && line == 0);
        CHECK_STR(config_given(c, "Mode", &line), "dry-run");
        CHECK(line == 2);
        CHECK_STR(config_given(c, "UserID", &line), "nobody:nogroup");
        CHECK(line == 3);
        CHECK(config_given(c, "PidFile", &line) == NULL && line == 0);
        CHECK(config_given(c, "NoSuchKey", &line) == NULL);
        CHECK(c->facility == LOG_MAIL && !c->log_debug && c->retry_interval == 60);
        CHECK(c->authserv_ids.n == 1 && c->authserv_ids.v[0][0]);   /* the host name */
        config_unref(c);
    }

    /* restart-only keys: a reload lists each one that changed, and only those */
    struct config *r1 = load("Socket unix:/run/a.sock\nSpoolDir /var/spool/a\nMode dry-run\n",
                             &errs);
    struct config *r2 = load("Socket unix:/run/b.sock\nSpoolDir /var/spool/a\n"
                             "PidFile /run/a.pid\nUserID nobody\nMaxAge 1d\n", &errs);
    CHECK(r1 && r2);
    if (r1 && r2) {
        struct strlist ch = {0};
        CHECK(config_keep_restart_keys(r2, r1, &ch));
        CHECK(ch.n == 3);
        CHECK(strlist_contains_ci(&ch, "Socket") && strlist_contains_ci(&ch, "PidFile") &&
              strlist_contains_ci(&ch, "UserID"));
        CHECK(!strlist_contains_ci(&ch, "SpoolDir") && !strlist_contains_ci(&ch, "Mode"));
        /* the new snapshot runs with the old values of those keys, and the new rest */
        CHECK_STR(r2->socket, "unix:/run/a.sock");
        CHECK(r2->pidfile == NULL && config_given(r2, "PidFile", NULL) == NULL);
        CHECK_STR(r2->user, "acm-milter");
        CHECK(r2->max_age == 86400 && r2->mode == MODE_APPROVE);
        strlist_free(&ch);
        CHECK(config_keep_restart_keys(r2, r1, &ch) && ch.n == 0);   /* nothing left to keep */
        /* and the other way round: a PidFile that was set stays set */
        struct config *r3 = load("PidFile /run/x.pid\n", &errs);
        struct config *r4 = load("", &errs);
        CHECK(r3 && r4 && config_keep_restart_keys(r4, r3, &ch) && ch.n == 1);
        if (r4)
            CHECK_STR(r4->pidfile, "/run/x.pid");
        strlist_free(&ch);
        config_unref(r3);
        config_unref(r4);
    }
    config_unref(r1);
    config_unref(r2);

    /* Socket and UserID syntax, with file:line */
    static const char *const bad_sockets[] = {
        "unix:", "local:rel.sock", "unix:relative/x.sock", "inet:", "inet:abc", "inet:0",
        "inet:65536@127.0.0.1", "inet:99999", "inet:25@", "inet:25@a@b", "inet6:", "tcp:25",
        "/run/x.sock",
        "unix:/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    };
    for (size_t i = 0; i < sizeof(bad_sockets) / sizeof(bad_sockets[0]); i++) {
        char text[300];
        snprintf(text, sizeof(text), "Mode approve\nSocket %s\n", bad_sockets[i]);
        c = load(text, &errs);
        CHECK(c == NULL);
        CHECK(errs.n >= 1 && strstr(errs.v[0], "c.conf:3: Socket"));
        if (c || errs.n == 0)
            fprintf(stderr, "Socket %s accepted\n", bad_sockets[i]);
        config_unref(c);
        strlist_free(&errs);
    }
    static const char *const good_sockets[] = {
        "unix:/run/acm-milter/acm-milter.sock", "local:/tmp/a.sock", "inet:8894",
        "inet:8894@127.0.0.1", "inet6:8894@::1", "inet:1@localhost", "inet:65535@[::1]",
    };
    for (size_t i = 0; i < sizeof(good_sockets) / sizeof(good_sockets[0]); i++) {
        char text[300];
        snprintf(text, sizeof(text), "Socket %s\n", good_sockets[i]);
        c = load(text, &errs);
        CHECK(c != NULL);
        if (!c)
            fprintf(stderr, "Socket %s refused: %s\n", good_sockets[i], errs.n ? errs.v[0] : "");
        config_unref(c);
        strlist_free(&errs);
    }
    static const char *const bad_users[] = {"root:", ":root", "a:b:c", "-rf", "a b", "a/b",
                                            "x\x01y"};
    for (size_t i = 0; i < sizeof(bad_users) / sizeof(bad_users[0]); i++) {
        char text[300];
        snprintf(text, sizeof(text), "UserID %s\n", bad_users[i]);
        c = load(text, &errs);
        CHECK(c == NULL && errs.n >= 1 && strstr(errs.v[0], "c.conf:2: UserID"));
        config_unref(c);
        strlist_free(&errs);
    }

    /* UserID resolved: uid 0 and gid 0 are refused whoever runs it; a missing user or group
     * only when UserID applies (started as root) */
    struct config_user u;
    c = load("Mode approve\nUserID root\n", &errs);
    CHECK(c != NULL);
    if (c) {
        CHECK(!config_resolve_user(c, true, &u, &errs));
        CHECK(errs.n == 1 && strstr(errs.v[0], "c.conf:3: UserID root") &&
              strstr(errs.v[0], "uid 0"));
        strlist_free(&errs);
        CHECK(!config_resolve_user(c, false, &u, &errs));
        strlist_free(&errs);
        config_unref(c);
    }
    c = load("UserID nobody:root\n", &errs);
    if (c) {
        CHECK(!config_resolve_user(c, true, &u, &errs));
        CHECK(errs.n == 1 && strstr(errs.v[0], "c.conf:2: UserID nobody:root") &&
              strstr(errs.v[0], "gid 0"));
        strlist_free(&errs);
        config_unref(c);
    }
    c = load("UserID nobody\n", &errs);
    if (c) {
        CHECK(config_resolve_user(c, true, &u, &errs) && u.found && u.uid != 0 && u.gid != 0);
        CHECK_STR(u.name, "nobody");
        CHECK(errs.n == 0);
        config_unref(c);
    }
    c = load("UserID no-such-user-acm\n", &errs);
    if (c) {
        CHECK(!config_resolve_user(c, true, &u, &errs));
        CHECK(errs.n == 1 && strstr(errs.v[0], "c.conf:2: UserID no-such-user-acm: no such user"));
        strlist_free(&errs);
        CHECK(config_resolve_user(c, false, &u, &errs) && !u.found && errs.n == 0);
        config_unref(c);
    }
    c = load("UserID nobody:no-such-group-acm\n", &errs);
    if (c) {
        CHECK(!config_resolve_user(c, true, &u, &errs));
        CHECK(errs.n == 1 && strstr(errs.v[0], "no such group no-such-group-acm"));
        strlist_free(&errs);
        config_unref(c);
    }

    CHECK(config_load("/nonexistent.conf", &errs) == NULL);
    CHECK(errs.n == 1 && strstr(errs.v[0], "/nonexistent.conf:0: cannot open"));
    strlist_free(&errs);

    CHECK(t_rmtree(dir) == 0);
    return t_done("test_config");
}
