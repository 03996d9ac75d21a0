/*
 * html - text and links of an HTML document, through libxml2's HTML parser (read from its
 * parser events: no tree is built, and the reading is the one of the tree libxml2 would
 * build, see html.c).
 *
 * Contract: html_extract() renders the document to plain text the way a reader sees it
 * closely enough for label matching: tags stripped, entities decoded, a newline at block
 * boundaries and <br>, script/style dropped; and it lists every <a href> value (tabs, CR and
 * LF removed as browsers do) with the offset in the text where its element starts.
 * html_extract_all() is the reading of a mail part, in three sections: the whole rendering
 * (hidden elements included, comments, scripts and styles left out, so that they cannot cut
 * a label in two); then what a reader sees (without elements hidden by the hidden attribute
 * or an inline style such as display:none, font-size:0, and without head and title); then
 * what a reader does not see, or only at times (comments, script and style contents, and the
 * attribute texts alt, title, aria-label, placeholder, value, label, summary, abbr and an
 * iframe's srcdoc, each on its own lines). `main_len`
 * is the length of the first section, where the links' positions lie. It lists every link
 * attribute (href and xlink:href of any element, form action, frame and iframe src), and
 * every attribute a mail program may fetch or follow without a click (src, srcset, poster,
 * background, data, cite, ping, formaction, a style's url(), a refresh's content, ...) when
 * its value looks like an approval link ("approval", "code=", "context=",
 * "acm-certificates"). Tabs and line breaks are removed from links, as browsers do.
 * Limits are reported, never hidden: `limit` names the first one reached ("html-links": more
 * than HTML_MAX_HREFS links; "html-depth": elements nested deeper than HTML_MAX_DEPTH, where
 * libxml2 stops reading; "html-text": the rendered text outgrew its cap) and the output is
 * then incomplete. Never fails on bad markup (libxml2 recovers); returns false only on
 * allocation failure. No network access (HTML_PARSE_NONET). Output is bounded by the input
 * size (2 n + 1024 bytes; 5 n + 4096 for the three sections of html_extract_all).
 * html_init() once before threads start.
 */
#ifndef ACM_HTML_H
#define ACM_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define HTML_MAX_HREFS 256
#define HTML_MAX_DEPTH 200

struct html_text {
    struct sbuf text;
    struct strlist hrefs;
    size_t *href_pos;      /* href_pos[i]: offset in text where the element of hrefs.v[i] starts */
    size_t main_len;       /* the first section of text (see html_extract_all) */
    const char *limit;     /* NULL, or the first limit reached (static string) */
};

void html_init(void);
bool html_extract(const char *html, size_t len, struct html_text *out);
bool html_extract_all(const char *html, size_t len, struct html_text *out);
void html_text_free(struct html_text *t);

#endif
