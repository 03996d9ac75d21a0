/*
 * html - text and links of an HTML document, through libxml2's HTML parser.
 *
 * Contract: html_extract() renders the document to plain text the way a reader sees it
 * closely enough for label matching: tags stripped, entities decoded, a newline at block
 * boundaries and <br>, script/style dropped; and it lists every <a href> value (tabs, CR and
 * LF removed as browsers do). Never fails on bad markup (libxml2 recovers); returns false
 * only on allocation failure. No network access (HTML_PARSE_NONET). Output is bounded by
 * the input size. html_init() once before threads start.
 */
#ifndef ACM_HTML_H
#define ACM_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct html_text {
    struct sbuf text;
    struct strlist hrefs;
};

void html_init(void);
bool html_extract(const char *html, size_t len, struct html_text *out);
void html_text_free(struct html_text *t);

#endif
