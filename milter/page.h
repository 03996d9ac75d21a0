/*
 * page - what the ACM approval page says, read with libxml2's HTML parser, and whether it
 * may be posted.
 *
 * Contract: pure functions, no I/O, nothing logged. page_read() reads every source the page
 * offers:
 *  - the visible labels: the page rendered to lines twice (a line break around every element
 *    that is not inline, and one at every element boundary but <wbr>, aria-labels and the
 *    values of text boxes on lines of their own; html.c only for its limits),
 *    label/value pairs wherever they stand (table rows and columns, <dt>/<dd>, a label in an
 *    element of its own followed by its value, "Label: value" and "Label - value" lines),
 *    labels matched case-insensitively over the known wordings ("Domain name", "AWS Account
 *    number", "AWS Region", "Certificate Identifier", ...), Unicode blanks read as blanks and
 *    invisible format characters dropped; hidden elements count; a NUL reads as U+FFFD;
 *  - the approval form: the one form that owns the one approve button. A submit button
 *    (<button>, <input type=submit>) is the approve button when it stands in an element whose
 *    class or id is approve-button (or the old approval_button), or its text or value is
 *    "I Approve" / "APPROVED", and nothing on it says reject, deny, decline or cancel. Its
 *    fields are exactly what a browser sends on a click of that button: the form's named,
 *    enabled controls (also those outside it that name it with form=), checked boxes only,
 *    selected options, and the name=value of that button only, in document order; the
 *    button's formaction/formmethod/formenctype win over the form's, and <base href> counts.
 *    Known field names (domainName, accountId, region, certificateIdentifier, validationArn,
 *    validationToken or validation_token, context; case, '_' and '-' ignored) are the form's
 *    source.
 * It also notes every account number (12 digits, or dddd-dddd-dddd) and ARN that stands anywhere
 * in the visible text, a title, aria-label, alt or placeholder, or in the value of any control
 * (a textarea's text) of the page, and the known field names of
 * every control, in any form, posted or not (pi->elsewhere). A value stated twice with two values by one source is a conflict of that field. It notes the
 * "already approved" and success markers, in what a reader sees only (no hidden element,
 * template, noscript, comment or script) and stated plainly (not in a question or a sentence
 * with "if", "not", "unless", ...). A page whose approval form cannot be posted the way
 * a browser would (no approve button, two different ones, a GET or multipart form, nested
 * forms, a control it does not know, a required field left unfilled (no novalidate), an
 * action or base with a backslash or a scheme but https,
 * a meta refresh to elsewhere, a srcdoc frame) has no usable form and says why (pi->layout).
 * Bounded: at most PAGE_MAX_FIELDS fields, PAGE_MAX_FORMS forms; beyond, a refusal.
 *
 * page_check() is safety rule 6 on what page_read() found: every source present states the
 * request's domain, account, region, certificate, code and context (code and context
 * compared in constant time), no posted field (nor a pair of the action's query) names
 * another certificate ARN or says
 * reject, no account number, known region or ARN posted or shown anywhere is another one, and
 * nothing else shares the approve button's name. It never reads the allowlist
 * (the approver does).
 */
#ifndef ACM_PAGE_H
#define ACM_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "arn.h"
#include "util.h"

#define PAGE_MAX_FIELDS 64
#define PAGE_MAX_FORMS 32
#define PAGE_VALUE_MAX 256   /* longest value of a known field (domain names are 253) */

enum page_field {
    PAGE_DOMAIN,
    PAGE_ACCOUNT,
    PAGE_REGION,
    PAGE_CERT,      /* certificate ARN or its id (labels, certificateIdentifier) */
    PAGE_ARN,       /* certificate ARN only (validationArn) */
    PAGE_CODE,      /* validationToken, validation_token: secret */
    PAGE_CONTEXT,   /* context: secret */
    PAGE_NFIELDS
};

struct page_value {
    bool seen;
    bool conflict;   /* stated twice with two values, or longer than PAGE_VALUE_MAX */
    char v[PAGE_VALUE_MAX + 1];
};

struct page_source {
    struct page_value f[PAGE_NFIELDS];
};

struct page_form {
    bool found;             /* an approval form that can be posted as a browser would */
    bool too_large;         /* more than PAGE_MAX_FIELDS fields, or one too long */
    char action[1024];      /* the button's formaction, else the form's action (raw) */
    char base[1024];        /* the page's <base href>, "" when none */
    char method[16];        /* lower case */
    struct strlist names;   /* what a click posts, in order (the button included) */
    struct strlist values;
    size_t button;          /* index of the approve button's pair, or names.n when nameless */
    struct strlist qnames;  /* the pairs of the action's own query (sent with the POST) */
    struct strlist qvalues;
    struct page_source fields;
};

struct page_info {
    struct page_source labels;
    struct page_source elsewhere;   /* known field names on any control of the page, posted
                                     * or not (other forms, disabled fields) */
    bool already;
    bool success;
    bool scripted;          /* <script> or <noscript> present */
    struct strlist text_ids;   /* account numbers and ARNs anywhere in the visible text */
    bool text_ids_overflow;    /* more than PAGE_MAX_FIELDS of them */
    const char *layout;     /* why there is no usable form ("" when there is one) */
    const char *limit;      /* html.c's limit that left the reading incomplete, or NULL */
    struct page_form form;
};

/* What the request says, for page_check(). */
struct page_want {
    const char *domain, *account, *region, *arn, *code, *context;
    const char *requested;   /* the requested domain when it differs (NULL or ""): the page
                              * may name either (the allowlist covers both) */
};

void page_read(const char *html, size_t len, struct page_info *pi);
/* A charset name (n bytes) the page can be read as: UTF-8 or US-ASCII. A page that declares
 * another (HTTP Content-Type, byte order mark, <meta>) is not understood. */
bool page_charset_ok(const char *name, size_t n);
void page_free(struct page_info *pi);

/* NULL when the page may be posted; else the detail: "page-mismatch-FIELD" (domain, account,
 * region, certificate, code, context, button) on any disagreement, "page-too-deep" (elements
 * nested deeper than HTML_MAX_DEPTH: the reading is incomplete), "page-unknown-layout"
 * without a usable form, "page-form-too-large", "page-incomplete" when neither source states
 * the domain, account, region or certificate (page-unknown-layout when the page has scripts:
 * it needs JavaScript). A disagreement is reported before the rest. */
const char *page_check(const struct page_info *pi, const struct page_want *w);

/* Name of a field in details ("domain", ..., "certificate" for PAGE_CERT and PAGE_ARN). */
const char *page_field_name(enum page_field f);

#endif
