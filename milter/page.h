/*
 * page - what the ACM approval page says, read with libxml2's HTML parser.
 *
 * Contract: pure function, no I/O. page_read() renders the page to lines (html.c) and takes
 * label/value pairs wherever they stand (table cells, <dt>/<dd>, "Label: value" lines), with
 * labels matched case-insensitively over the known wordings; it notes the "already approved"
 * and success markers, and finds the approval form: the one holding an element whose class,
 * id or name is approve-button (or the old approval_button), or an "I Approve" submit. Its
 * fields are what a browser would send on that click. A label seen twice with two values
 * is recorded as a conflict. Bounded: at most PAGE_MAX_FIELDS form fields.
 */
#ifndef ACM_PAGE_H
#define ACM_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "arn.h"
#include "util.h"

#define PAGE_MAX_FIELDS 64

struct page_form {
    bool found;
    char action[512];
    char method[16];
    struct strlist names;
    struct strlist values;
};

struct page_info {
    char domain[256];
    char account[32];
    char region[ARN_REGION_MAX];
    char cert[ARN_TEXT_MAX];
    bool conflict;
    bool already;
    bool success;
    struct page_form form;
};

void page_read(const char *html, size_t len, struct page_info *pi);
void page_free(struct page_info *pi);

#endif
