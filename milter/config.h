/*
 * config - the configuration file (`Key value` lines) and the allowlist it names, as one
 * immutable, reference-counted snapshot.
 *
 * Contract: config_load() parses the whole file with a table of keys (case-insensitive) that
 * also holds each key's default (applied first, by the same setter as a value from the file)
 * and whether it takes effect only at restart; it checks every value, loads the allowlist,
 * and returns a snapshot with one reference; on any problem it returns NULL and appends one
 * "file:line: why" per problem to `errors`. Only config_resolve_user() looks at the system's
 * user database.
 * A snapshot never changes after load, so any thread may read it while it holds a
 * reference. config_current() hands out a new reference to the live snapshot;
 * config_install() swaps a new one in (reload) and drops the old one, which is freed when
 * its last message finishes.
 */
#ifndef ACM_CONFIG_H
#define ACM_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "allowlist.h"
#include "util.h"

enum acm_mode { MODE_APPROVE, MODE_DRY_RUN };

#define SA_NONE 0x1u
#define SA_AUTHRES 0x2u
#define SA_DKIM 0x4u

#define CONF_DEFAULT_PATH "/etc/acm-milter/acm-milter.conf"

struct config {
    atomic_int refs;
    char *path;

    char *socket;
    char *allowlist_path;
    struct allowlist *allowlist;
    struct strlist recipients;       /* local parts, or full addresses (with '@') */
    enum acm_mode mode;
    unsigned sender_auth;            /* SA_* bits; any one passing is enough */
    struct strlist authserv_ids;
    struct strlist sender_domains;
    char *dkim_test_keys;
    char *spool_dir;
    char *user;
    char *pidfile;
    int facility;
    char *facility_name;
    long approval_timeout;           /* seconds */
    long max_age;                    /* seconds */
    long retry_interval;             /* first retry delay, seconds */
    char *ca_file;
    char *https_proxy;
    bool add_header;
    char *approval_endpoint;
    bool log_debug;
    long dns_timeout;                /* seconds for one DKIM key look-up */
    void *dkim;                      /* libopendkim handle of this snapshot (SA_DKIM) */
    long max_message_size;           /* bytes buffered per message */
    struct strlist notify_address;   /* who gets a notice when a human must act; empty: none */
    char *notify_command;            /* program and arguments, run without a shell */
    struct strlist notify_argv;      /* notify_command split into arguments */
    char *metrics_file;              /* Prometheus text file, or NULL */
    long loaded_at;                  /* time this snapshot was read (seconds since 1970) */
    struct config_given *given;      /* each key's value text and line (config.c) */
};

struct config *config_load(const char *path, struct strlist *errors);
/* Parses configuration text only (no allowlist, no DKIM handle): for tests and fuzzing. */
struct config *config_parse(const char *name, const char *text, size_t len,
                            struct strlist *errors);
struct config *config_ref(struct config *c);
void config_unref(struct config *c);

/* The live snapshot (new reference; NULL before the first install). */
struct config *config_current(void);
/* Installs c as the live snapshot, taking over the caller's reference. */
void config_install(struct config *c);

/* true when addr (local@domain) is a watched recipient under c. */
bool config_watched_rcpt(const struct config *c, const char *addr);
/* The first of rcpts that is watched, or NULL. */
const char *config_first_watched(const struct config *c, const struct strlist *rcpts);
/* Splits a command line into arguments, without a shell: blanks separate, '...' is literal,
 * "..." allows \" and \\, a backslash outside quotes escapes the next byte. Returns false
 * with a reason on an unterminated quote, an empty command or more than 32 arguments. */
bool config_split_argv(const char *cmd, struct strlist *argv, char *why, size_t whysz);
/* true when s is an address local@domain (dot-atom local part, DNS name domain). */
bool config_address_valid(const char *s);
/* Reload: for each key that takes effect only at restart (Socket, UserID, SpoolDir,
 * PidFile) whose value differs between the running snapshot old and the new nc (not yet
 * installed), appends its name to changed and gives nc old's value back, so the running
 * value stays until a restart. False only when out of memory (then nc is not to be used). */
bool config_keep_restart_keys(struct config *nc, const struct config *old,
                              struct strlist *changed);
/* The value text of key (its default when the file did not give it; NULL when unset), and
 * in *line the line of the file that gave it (0: the default). */
const char *config_given(const struct config *c, const char *key, unsigned *line);

/* UserID, resolved. */
struct config_user {
    char name[64];                   /* the user name, without ":group" */
    uid_t uid;
    gid_t gid;                       /* the group's, or the user's primary group */
    bool found;
};
/* Resolves UserID. A user or group that does not exist is an error only with as_root (the
 * daemon applies UserID only when started as root: then found is set); a user with uid 0 or
 * a group with gid 0 always is. Errors are "file:line: why", the line of UserID (or the
 * file's, for the default). */
bool config_resolve_user(const struct config *c, bool as_root, struct config_user *u,
                         struct strlist *errors);
/* "approve" or "dry-run". */
const char *config_mode_name(enum acm_mode m);

#endif
