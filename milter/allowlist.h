/*
 * allowlist - the operator's list of certificates (and optionally domains) to approve.
 *
 * Contract: allowlist_load() reads a file of rules `ARN-PATTERN [DOMAIN-PATTERN...]`, `#`
 * comments, and returns NULL when any line is malformed, after adding one "file:line: why"
 * string per problem to `errors` (every problem, not only the first). A loaded allowlist is
 * immutable and so safe to share between threads. allowlist_match() is default-deny: it
 * returns the first rule whose ARN pattern matches and, when the rule lists domains, under
 * which every given domain matches one of them; NULL otherwise.
 */
#ifndef ACM_ALLOWLIST_H
#define ACM_ALLOWLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "arn.h"
#include "util.h"

struct al_rule {
    struct arn pattern;      /* fields may be "*" */
    struct strlist domains;  /* empty: any domain */
    unsigned line;
};

struct allowlist {
    char *path;
    struct al_rule *rules;
    size_t n;
};

struct allowlist *allowlist_load(const char *path, struct strlist *errors);
/* Parses rules from memory; `name` is used in messages. */
struct allowlist *allowlist_parse(const char *name, const char *text, size_t len,
                                  struct strlist *errors);
void allowlist_free(struct allowlist *al);
const struct al_rule *allowlist_match(const struct allowlist *al, const struct arn *arn,
                                      const char *const *domains, size_t ndomains);
bool domain_pattern_match(const char *pattern, const char *domain);

#endif
