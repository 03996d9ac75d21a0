/*
 * allowlist - see allowlist.h for the contract.
 */
#include "allowlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

#define AL_MAX_FILE (4u << 20)
#define AL_MAX_LINE 4096

static void add_err(struct strlist *errors, const char *name, unsigned line, const char *fmt,
                    const char *arg)
{
    char msg[512], full[800];
    snprintf(msg, sizeof(msg), fmt, arg);
    snprintf(full, sizeof(full), "%s:%u: %s", name, line, msg);
    if (errors)
        strlist_add(errors, full);
}

bool domain_pattern_match(const char *pattern, const char *domain)
{
    if (pattern[0] == '*' && pattern[1] == '.') {
        const char *parent = pattern + 2;
        return dns_name_at_or_below(domain, parent) && strlen(domain) > strlen(parent);
    }
    return str_ieq(pattern, domain);
}

static bool parse_line(struct allowlist *al, const char *name, unsigned lineno, char *line,
                       struct strlist *errors)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    char *tok = strtok_r(line, " \t\r", &save);
    if (!tok)
        return true;
    struct al_rule rule;
    memset(&rule, 0, sizeof(rule));
    rule.line = lineno;
    if (!arn_parse(tok, true, &rule.pattern)) {
        char clean[200];
        str_sanitize(clean, sizeof(clean), tok, 150);
        add_err(errors, name, lineno,
                "malformed certificate pattern \"%s\" (want "
                "arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID, each of the four may be *)",
                clean);
        return false;
    }
    bool ok = true;
    while ((tok = strtok_r(NULL, " \t\r", &save))) {
        char clean[300];
        str_sanitize(clean, sizeof(clean), tok, 260);
        str_lower(tok);
        if (!dns_name_valid(tok, true)) {
            add_err(errors, name, lineno,
                    "malformed domain pattern \"%s\" (want name or *.name)", clean);
            ok = false;
            continue;
        }
        if (!strlist_add(&rule.domains, tok)) {
            add_err(errors, name, lineno, "%s", "out of memory");
            ok = false;
        }
    }
    if (!ok) {
        strlist_free(&rule.domains);
        return false;
    }
    struct al_rule *r = realloc(al->rules, (al->n + 1) * sizeof(*r));
    if (!r) {
        strlist_free(&rule.domains);
        add_err(errors, name, lineno, "%s", "out of memory");
        return false;
    }
    al->rules = r;
    al->rules[al->n++] = rule;
    return true;
}

struct allowlist *allowlist_parse(const char *name, const char *text, size_t len,
                                  struct strlist *errors)
{
    struct allowlist *al = calloc(1, sizeof(*al));
    if (!al)
        return NULL;
    al->path = strdup(name);
    bool ok = al->path != NULL;
    unsigned lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (l >= AL_MAX_LINE) {
            add_err(errors, name, lineno, "%s", "line too long");
            ok = false;
        } else if (memchr(text + pos, '\0', l)) {
            add_err(errors, name, lineno, "%s", "NUL byte in line");
            ok = false;
        } else {
            char line[AL_MAX_LINE];
            memcpy(line, text + pos, l);
            line[l] = '\0';
            if (!parse_line(al, name, lineno, line, errors))
                ok = false;
        }
        pos += l + 1;
    }
    if (!ok) {
        allowlist_free(al);
        return NULL;
    }
    return al;
}

struct allowlist *allowlist_load(const char *path, struct strlist *errors)
{
    struct sbuf b;
    switch (file_read(path, AL_MAX_FILE, &b)) {
    case FILE_OK:
        break;
    case FILE_OPEN_ERROR:
        add_err(errors, path, 0, "cannot open: %s",
                errno == EINVAL ? "not a regular file" : strerror(errno));
        return NULL;
    case FILE_READ_ERROR:
        add_err(errors, path, 0, "%s", "read error");
        return NULL;
    case FILE_TOO_LARGE:
        add_err(errors, path, 0, "%s", "file too large (limit 4 MiB)");
        return NULL;
    }
    struct allowlist *al = allowlist_parse(path, b.data ? b.data : "", b.len, errors);
    sbuf_free(&b);
    return al;
}

void allowlist_free(struct allowlist *al)
{
    if (!al)
        return;
    for (size_t i = 0; i < al->n; i++)
        strlist_free(&al->rules[i].domains);
    free(al->rules);
    free(al->path);
    free(al);
}

static bool field_match(const char *pattern, const char *value)
{
    return strcmp(pattern, "*") == 0 || strcmp(pattern, value) == 0;
}

const struct al_rule *allowlist_match(const struct allowlist *al, const struct arn *arn,
                                      const char *const *domains, size_t ndomains)
{
    if (!al)
        return NULL;
    for (size_t i = 0; i < al->n; i++) {
        const struct al_rule *r = &al->rules[i];
        if (!field_match(r->pattern.partition, arn->partition) ||
            !field_match(r->pattern.region, arn->region) ||
            !field_match(r->pattern.account, arn->account) ||
            !field_match(r->pattern.certid, arn->certid))
            continue;
        if (r->domains.n == 0)
            return r;
        bool all = ndomains > 0;
        for (size_t d = 0; d < ndomains && all; d++) {
            bool one = false;
            for (size_t k = 0; k < r->domains.n && !one; k++)
                one = domain_pattern_match(r->domains.v[k], domains[d]);
            all = one;
        }
        if (all)
            return r;
    }
    return NULL;
}
