/*
 * html - see html.h for the contract.
 */
#include "html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

void html_init(void)
{
    xmlInitParser();
}

static bool is_block(const char *name)
{
    static const char *const blocks[] = {
        "address", "blockquote", "body", "br",  "center", "dd", "div",   "dl",    "dt",
        "form",    "h1",         "h2",   "h3",  "h4",     "h5", "h6",    "head",  "hr",
        "html",    "li",         "ol",   "p",   "pre",    "section", "table", "tbody", "td",
        "tfoot",   "th",         "thead", "title", "tr",  "ul",
    };
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        if (strcmp(name, blocks[i]) == 0)
            return true;
    return false;
}

/* In the reading of a mail part, what a reader does not see stands on lines of its own. */
static bool is_block_all(const char *name, bool all)
{
    return is_block(name) ||
           (all && (strcmp(name, "noscript") == 0 || strcmp(name, "textarea") == 0));
}

static void set_limit(struct html_text *out, const char *what)
{
    if (!out->limit)
        out->limit = what;
}

static void add_href(struct html_text *out, const char *v)
{
    if (out->hrefs.n >= HTML_MAX_HREFS) {
        set_limit(out, "html-links");
        return;
    }
    size_t n = strlen(v);
    char *c = malloc(n + 1);
    size_t *pos = realloc(out->href_pos, (out->hrefs.n + 1) * sizeof(*pos));
    if (pos)
        out->href_pos = pos;
    if (!c || !pos) {
        free(c);
        set_limit(out, "html-links");
        return;
    }
    /* a browser removes tabs and line breaks from a URL; the recognizer's input has its
     * CR LF turned into a space and LF (same length), so a space before LF goes too */
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] != '\t' && v[i] != '\r' && v[i] != '\n' && !(v[i] == ' ' && v[i + 1] == '\n'))
            c[o++] = v[i];
    c[o] = '\0';
    char *t = str_trim(c);
    out->href_pos[out->hrefs.n] = out->text.len;
    if (!strlist_add(&out->hrefs, t))
        set_limit(out, "html-links");
    free(c);
}

static void add_attr_link(struct html_text *out, xmlNodePtr n, const char *attr)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
    if (v) {
        add_href(out, (const char *)v);
        xmlFree(v);
    }
}

/* An attribute that may hold a URL a reader's program fetches or follows, but that is not
 * a link of the text (images, media, objects, refresh, styles): listed only when it looks
 * like an approval link, so that such a URL on any other host or form is bad-url, while a
 * logo between the sentence and its link is not taken for the link. */
static bool suspect_url(const char *v)
{
    static const char *const marks[] = {"approval", "code=", "context=", "acm-certificates"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strcasestr(v, marks[i]))
            return true;
    return false;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

/* One pass over an element's attributes (HTML attribute names are lower case): the URL
 * attributes that look like an approval link go to the links (a frame's src is listed
 * apart, whatever it looks like), the texts a reader may see at times to `unseen`. */
static void add_attrs(struct html_text *out, struct sbuf *unseen, xmlNodePtr n, bool frame)
{
    static const char *const url_attrs[] = {
        "src",  "srcset",   "poster",   "background", "data",     "cite",   "longdesc",
        "ping", "manifest", "formaction", "action",   "codebase", "dynsrc", "lowsrc",
        "style", "content", "icon",     "profile",    "archive",  "classid", "usemap",
    };
    static const char *const text_attrs[] = {"alt",         "title",  "aria-label",
                                             "placeholder", "value",  "srcdoc",
                                             "label",       "summary", "abbr"};
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        if (!a->name)
            continue;
        const char *name = (const char *)a->name;
        bool url = !(frame && strcmp(name, "src") == 0) &&
                   in_list(name, url_attrs, sizeof(url_attrs) / sizeof(url_attrs[0]));
        bool text = in_list(name, text_attrs, sizeof(text_attrs) / sizeof(text_attrs[0]));
        if (!url && !text)
            continue;
        xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
        if (v && url && suspect_url((const char *)v))
            add_href(out, (const char *)v);
        if (v && text && *v) {
            sbuf_putc(unseen, '\n');
            sbuf_puts(unseen, (const char *)v);
            sbuf_putc(unseen, '\n');
        }
        xmlFree(v);
    }
}

static bool style_hides_norm(const char *c);

/* Hidden from a reader: the hidden attribute, or an inline style that hides the element. */
static bool style_hides(const char *st)
{
    char *c = malloc(strlen(st) + 1);   /* the whole attribute, however long */
    if (!c)
        return true;   /* no memory: say hidden, so the reader's copy lacks it (stricter) */
    size_t k = 0;
    for (const char *p = st; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            c[k++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    c[k] = '\0';
    bool h = style_hides_norm(c);
    free(c);
    return h;
}

static bool style_hides_norm(const char *c)
{
    if (strstr(c, "display:none") || strstr(c, "visibility:hidden") || strstr(c, "mso-hide:all"))
        return true;
    static const char *const zero[] = {"font-size:0", "opacity:0", "max-height:0"};
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
        for (const char *h = strstr(c, zero[i]); h; h = strstr(h + 1, zero[i])) {
            char next = h[strlen(zero[i])];
            if (next != '.' && (next < '0' || next > '9'))
                return true;   /* 0, 0px, 0em, 0; but not 0.9em or 05 */
        }
    }
    return false;
}

static bool hides(xmlNodePtr n, const char *name)
{
    if (strcmp(name, "head") == 0 || strcmp(name, "title") == 0 || strcmp(name, "template") == 0 ||
        xmlHasProp(n, (const xmlChar *)"hidden"))
        return true;
    xmlChar *st = xmlGetProp(n, (const xmlChar *)"style");
    bool h = st && style_hides((const char *)st);
    xmlFree(st);
    return h;
}

static bool read_html(const char *html, size_t len, bool all, struct html_text *out)
{
    memset(out, 0, sizeof(*out));
    /* all: the three sections, each bounded as one rendering is */
    sbuf_init(&out->text, all ? len * 5 + 4096 : len * 2 + 1024);
    /* the reading of a mail part: what a reader sees (hidden elements left out), and what
     * nobody sees (comments, scripts, styles), each appended after the whole rendering */
    struct sbuf reader, unseen;
    sbuf_init(&reader, len * 2 + 1024);
    sbuf_init(&unseen, len + 1024);
    if (len > (size_t)0x7fffffff) {
        sbuf_free(&reader);
        sbuf_free(&unseen);
        return false;
    }
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (!doc) {
        sbuf_free(&reader);
        sbuf_free(&unseen);
        return !out->text.overflow;
    }
    /* Iterative pre-order walk (no recursion, so nesting depth costs no stack). */
    xmlNodePtr n = xmlDocGetRootElement(doc);
    /* the root's siblings (comments before <html>) are read too: start at the first */
    if (all)
        while (n && n->prev)
            n = n->prev;
    int depth = 0;
    int hidden_at = -1;   /* depth of the element that hides its subtree from a reader */
    int raw_at = -1;      /* depth of the script or style element being read */
    while (n) {
        bool descend = true;
        if (depth > HTML_MAX_DEPTH)
            set_limit(out, "html-depth");
        if (n->type == XML_ELEMENT_NODE && n->name) {
            const char *name = (const char *)n->name;
            bool raw = strcmp(name, "script") == 0 || strcmp(name, "style") == 0;
            if (!all && raw)
                descend = false;
            if (all && raw && raw_at < 0)
                raw_at = depth;
            if (all && hidden_at < 0 && hides(n, name))
                hidden_at = depth;
            if (is_block_all(name, all)) {
                sbuf_putc(&out->text, '\n');
                if (all && hidden_at < 0)
                    sbuf_putc(&reader, '\n');
            }
            if (!all) {
                if (strcmp(name, "a") == 0)
                    add_attr_link(out, n, "href");
            } else {
                if (xmlHasProp(n, (const xmlChar *)"href"))
                    add_attr_link(out, n, "href");
                if (xmlHasProp(n, (const xmlChar *)"xlink:href"))
                    add_attr_link(out, n, "xlink:href");
                if (strcmp(name, "form") == 0)
                    add_attr_link(out, n, "action");
                bool frame = strcmp(name, "iframe") == 0 || strcmp(name, "frame") == 0;
                if (frame)
                    add_attr_link(out, n, "src");
                add_attrs(out, &unseen, n, frame);
            }
        } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content && all && raw_at >= 0) {
                sbuf_putc(&unseen, '\n');
                sbuf_puts(&unseen, (const char *)n->content);
                sbuf_putc(&unseen, '\n');
            } else if (n->content) {
                sbuf_puts(&out->text, (const char *)n->content);
                if (all && hidden_at < 0)
                    sbuf_puts(&reader, (const char *)n->content);
            }
        } else if (all && n->type == XML_COMMENT_NODE && n->content) {
            sbuf_putc(&unseen, '\n');
            sbuf_puts(&unseen, (const char *)n->content);
            sbuf_putc(&unseen, '\n');
        }
        if (descend && n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            depth++;
            continue;
        }
        /* go to next sibling, climbing up as needed; emit block-close newlines */
        while (n) {
            if (n->type == XML_ELEMENT_NODE && n->name) {
                if (is_block_all((const char *)n->name, all)) {
                    sbuf_putc(&out->text, '\n');
                    if (all && hidden_at < 0)
                        sbuf_putc(&reader, '\n');
                }
                if (depth == hidden_at)
                    hidden_at = -1;
                if (depth == raw_at)
                    raw_at = -1;
            }
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            depth--;
            if (n && n->type != XML_ELEMENT_NODE)
                n = NULL;
        }
    }
    xmlFreeDoc(doc);
    out->main_len = out->text.len;
    if (all) {
        sbuf_putc(&out->text, '\n');
        sbuf_append(&out->text, reader.data ? reader.data : "", reader.len);
        sbuf_putc(&out->text, '\n');
        sbuf_append(&out->text, unseen.data ? unseen.data : "", unseen.len);
        if (reader.overflow || unseen.overflow)
            set_limit(out, "html-text");
    }
    sbuf_free(&reader);
    sbuf_free(&unseen);
    if (out->text.overflow)
        set_limit(out, "html-text");
    return true;
}

bool html_extract(const char *html, size_t len, struct html_text *out)
{
    return read_html(html, len, false, out);
}

bool html_extract_all(const char *html, size_t len, struct html_text *out)
{
    return read_html(html, len, true, out);
}

void html_text_free(struct html_text *t)
{
    sbuf_free(&t->text);
    strlist_free(&t->hrefs);
    free(t->href_pos);
    t->href_pos = NULL;
}
