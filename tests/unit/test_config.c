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

    CHECK(config_load("/nonexistent.conf", &errs) == NULL);
    CHECK(errs.n == 1 && strstr(errs.v[0], "/nonexistent.conf:0: cannot open"));
    strlist_free(&errs);

    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return t_done("test_config");
}
