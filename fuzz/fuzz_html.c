/*
 * fuzz_html - html_extract() (the text and links of an HTML part) and page_read() (the
 * approval page: label/value pairs, markers, the approval form) on the same input.
 * The input is passed as is (not NUL-terminated) with its length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "page.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    html_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct html_text ht;
    if (html_extract((const char *)data, size, &ht)) {
        /* contract: output bounded by the input size; text NUL-terminated when present */
        if (ht.text.data && (ht.text.data[ht.text.len] != '\0' || ht.text.len > size * 2 + 1024))
            abort();
        for (size_t i = 0; i < ht.hrefs.n; i++)
            if (strpbrk(ht.hrefs.v[i], "\t\r\n"))   /* tabs, CR, LF removed from hrefs */
                abort();
    }
    html_text_free(&ht);

    /* the reading of a mail part: also comments, scripts, styles and every link attribute;
     * each link's position lies within the text, limits are named, never a silent cut */
    if (html_extract_all((const char *)data, size, &ht)) {
        if (ht.text.data && (ht.text.data[ht.text.len] != '\0' || ht.text.len > size * 5 + 4096 ||
                             ht.main_len > ht.text.len))
            abort();
        if (ht.hrefs.n > HTML_MAX_HREFS)
            abort();
        for (size_t i = 0; i < ht.hrefs.n; i++)
            if (strpbrk(ht.hrefs.v[i], "\t\r\n") || ht.href_pos[i] > ht.text.len ||
                (i && ht.href_pos[i] < ht.href_pos[i - 1]))
                abort();
        if (ht.text.overflow && !ht.limit)
            abort();
    }
    html_text_free(&ht);

    struct page_info pi;
    page_read((const char *)data, size, &pi);
    for (int f = 0; f < PAGE_NFIELDS; f++) {
        fuzz_check_str(pi.labels.f[f].v, sizeof(pi.labels.f[f].v));
        fuzz_check_str(pi.form.fields.f[f].v, sizeof(pi.form.fields.f[f].v));
    }
    fuzz_check_str(pi.form.action, sizeof(pi.form.action));
    fuzz_check_str(pi.form.method, sizeof(pi.form.method));
    if (pi.form.names.n != pi.form.values.n || pi.form.names.n > PAGE_MAX_FIELDS)
        abort();
    if (pi.form.found && pi.form.button > pi.form.names.n)
        abort();
    /* the cross-check never passes a page that names another account */
    const struct page_want w = {"www.example.com", "123456789012", "us-east-1",
                                "arn:aws:acm:us-east-1:123456789012:certificate/"
                                "3b4d78e1-0882-4f51-954a-298ee44ff369",
                                "11e23c40-7a2b-4754-a97c-1607e8e78a6c", "ctx", NULL};
    const char *why = page_check(&pi, &w);
    if (!why && ((pi.form.fields.f[PAGE_ACCOUNT].seen &&
                  strcmp(pi.form.fields.f[PAGE_ACCOUNT].v, "123456789012") != 0) ||
                 !pi.form.found))
        abort();
    page_free(&pi);
    return 0;
}
