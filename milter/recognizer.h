/*
 * recognizer - from a decoded message to the fields of an ACM validation request.
 *
 * Contract: pure functions, no I/O, no global state but the PCRE2 patterns compiled once by
 * recognizer_init() (before threads start; read-only afterwards). recognize() reads every
 * decoded text part of the view (inline or attachment, nested, attached messages; HTML
 * through html.c with its comments, scripts, styles, titles and hidden elements). Each part is
 * one reading: its own fields and links. A label's value is the whole white-space-delimited
 * token after it; a present label with a value the checks cannot read is malformed, never
 * skipped. Every approval-like link is parsed strictly; in a part that carries the template
 * (a label or "To approve this request") the first link after that sentence must be a valid
 * approval URL, and the part must have its own approval link and every field another part
 * has. Every occurrence of every field is checked against every other (safety rule 5).
 * Returns:
 *   RECOG_NOT_ACM       no approval-like link anywhere: not a validation request
 *   RECOG_BAD_URL       an approval-like link (or the link after the approval sentence) that
 *                       is not exactly the pinned ACM form
 *   RECOG_INCOMPLETE    a valid link, but a required field is missing everywhere
 *   RECOG_MALFORMED     a field value that is not syntactically valid, a NUL or invisible
 *                       character, a broken MIME structure, or any limit reached (MIME parts,
 *                       depth, headers, HTML links or depth, pattern matches): then even
 *                       without a link, since what was not read is never assumed harmless
 *   RECOG_INCONSISTENT  two places disagree (parts, repeated labels, URL/ARN/region/context),
 *                       or a part lacks a field or the approval link that another part has
 *   RECOG_OK            all fields present and consistent; `f` is filled in
 * `f->detail` names the failing check in one short word-list for the log.
 */
#ifndef ACM_RECOGNIZER_H
#define ACM_RECOGNIZER_H

#include <stdbool.h>

#include "arn.h"
#include "mime.h"

enum recog_status {
    RECOG_NOT_ACM,
    RECOG_BAD_URL,
    RECOG_INCOMPLETE,
    RECOG_MALFORMED,
    RECOG_INCONSISTENT,
    RECOG_OK,
};

#define DOMAIN_MAX 256

struct acm_fields {
    char fqdn[DOMAIN_MAX];
    char requested_domain[DOMAIN_MAX];   /* "" when the message does not say */
    char account[13];
    char region[ARN_REGION_MAX];
    struct arn arn;
    char arn_text[ARN_TEXT_MAX];
    char host[128];                      /* approval host, e.g. us-east-1.acm-certificates.amazon.com */
    char code[37];                       /* secret: never log */
    char context[128];                   /* secret: never log */
    bool renewal;
    bool have_url;                       /* an approval link was found (valid or not) */
    char detail[160];
};

bool recognizer_init(void);
void recognizer_free(void);
enum recog_status recognize(const struct mime_view *mv, struct acm_fields *f);
const char *recog_status_name(enum recog_status s);

/* Exposed for unit tests: strict check of one approval URL; fills host/region/code/context. */
bool approval_url_parse(const char *url, char *host, size_t hostsz, char *region,
                        size_t regionsz, char *code, size_t codesz, char *context,
                        size_t contextsz);

#endif
