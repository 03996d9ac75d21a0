/* Approval pages for the page reader's tests (test_approver.c, test_page_hostile.c): the
 * request they are checked against, a page around a form, the concatenation of markup
 * pieces, and what the approve click would post. */
#ifndef ACM_TEST_PAGES_H
#define ACM_TEST_PAGES_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "page.h"

#define DOM "www.example.com"
#define ACCT "123456789012"
#define REG "us-east-1"
#define CID "3b4d78e1-0882-4f51-954a-298ee44ff369"
#define ARN "arn:aws:acm:" REG ":" ACCT ":certificate/" CID
#define CODE "11e23c40-7a2b-4754-a97c-1607e8e78a6c"
#define CTX "111a222c-6e1d-4333-bbc4-40b961461df5-75732d656173742d31"
#define OTHER_ACCT "999988887777"
#define OTHER_ARN "arn:aws:acm:" REG ":" OTHER_ACCT ":certificate/" CID
#define ACTION "https://us-east-1.acm-certificates.amazon.com/approvevalidation"

static const struct page_want want = {DOM, ACCT, REG, ARN, CODE, CTX, NULL};

/* The concatenation of its arguments (up to NULL), in one of four rotating buffers. */
static inline const char *cat(const char *first, ...)
{
    static char bufs[4][16384];
    static int next;
    char *b = bufs[next++ % 4];
    va_list ap;
    va_start(ap, first);
    b[0] = '\0';
    for (const char *s = first; s; s = va_arg(ap, const char *))
        strncat(b, s, sizeof(bufs[0]) - strlen(b) - 1);
    va_end(ap);
    return b;
}

/* A page: before the form, extra form attributes, the form's inside, after it. */
static inline const char *pagef(const char *before, const char *formattrs, const char *inside,
                                const char *after)
{
    static char b[32768];
    snprintf(b, sizeof(b),
             "<!DOCTYPE html><html><head><title>Amazon Certificate Approvals</title></head><body>"
             "%s<form id='approval' method='post' %s>%s</form>%s</body></html>",
             before, formattrs, inside, after);
    return b;
}

/* The same with the approval form's action. */
static inline const char *page(const char *before, const char *inside, const char *after)
{
    return pagef(before, "action='" ACTION "'", inside, after);
}

/* The posted pairs, "a=1&b=2" (not escaped), for comparisons. */
static inline const char *posted(const char *html)
{
    static char b[8192];
    struct page_info pi;
    page_read(html, strlen(html), &pi);
    b[0] = '\0';
    for (size_t i = 0; i < pi.form.names.n; i++)
        snprintf(b + strlen(b), sizeof(b) - strlen(b), "%s%s=%s", i ? "&" : "",
                 pi.form.names.v[i], pi.form.values.v[i]);
    if (!pi.form.found)
        snprintf(b, sizeof(b), "(no form: %s)", pi.layout);
    page_free(&pi);
    return b;
}
#endif
