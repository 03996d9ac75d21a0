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

/* What an element's name means for the reading (HTML element names are lower case). */
enum {
    E_BLOCK = 1,       /* a line of its own */
    E_ALL_BLOCK = 2,   /* ... in the reading of a mail part only (noscript, textarea) */
    E_RAW = 4,         /* script, style: contents nobody sees */
    E_HIDES = 8,       /* head, title, template: hidden from a reader */
    E_FORM = 16,
    E_FRAME = 32,
    E_A = 64,
};
struct name_flags {
    const char *name;
    unsigned flags;
};
static const struct name_flags elements[] = {   /* sorted by name, for bsearch */
    {"a", E_A},          {"address", E_BLOCK},     {"blockquote", E_BLOCK},
    {"body", E_BLOCK},   {"br", E_BLOCK},          {"center", E_BLOCK},
    {"dd", E_BLOCK},     {"div", E_BLOCK},         {"dl", E_BLOCK},
    {"dt", E_BLOCK},     {"form", E_BLOCK | E_FORM}, {"frame", E_FRAME},
    {"h1", E_BLOCK},     {"h2", E_BLOCK},          {"h3", E_BLOCK},
    {"h4", E_BLOCK},     {"h5", E_BLOCK},          {"h6", E_BLOCK},
    {"head", E_BLOCK | E_HIDES}, {"hr", E_BLOCK},  {"html", E_BLOCK},
    {"iframe", E_FRAME}, {"li", E_BLOCK},          {"noscript", E_ALL_BLOCK},
    {"ol", E_BLOCK},     {"p", E_BLOCK},           {"pre", E_BLOCK},
    {"script", E_RAW},   {"section", E_BLOCK},     {"style", E_RAW},
    {"table", E_BLOCK},  {"tbody", E_BLOCK},       {"td", E_BLOCK},
    {"template", E_HIDES}, {"textarea", E_ALL_BLOCK}, {"tfoot", E_BLOCK},
    {"th", E_BLOCK},     {"thead", E_BLOCK},       {"title", E_BLOCK | E_HIDES},
    {"tr", E_BLOCK},     {"ul", E_BLOCK},
};

static int by_name(const void *key, const void *entry)
{
    return strcmp(key, ((const struct name_flags *)entry)->name);
}

static unsigned flags_of(const char *name, const struct name_flags *table, size_t n)
{
    const struct name_flags *e = bsearch(name, table, n, sizeof(*table), by_name);
    return e ? e->flags : 0;
}

static unsigned element_flags(const char *name)
{
    return flags_of(name, elements, sizeof(elements) / sizeof(elements[0]));
}

/* In the reading of a mail part, what a reader does not see stands on lines of its own. */
static bool is_block_all(unsigned flags, bool all)
{
    return (flags & E_BLOCK) || (all && (flags & E_ALL_BLOCK));
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

/* What an attribute's name means (HTML attribute names are lower case): a URL a mail
 * program may fetch or follow without a click, or a text a reader may see at times. */
enum { A_URL = 1, A_TEXT = 2 };
static const struct name_flags attributes[] = {   /* sorted by name, for bsearch */
    {"abbr", A_TEXT},       {"action", A_URL},      {"alt", A_TEXT},
    {"archive", A_URL},     {"aria-label", A_TEXT}, {"background", A_URL},
    {"cite", A_URL},        {"classid", A_URL},     {"codebase", A_URL},
    {"content", A_URL},     {"data", A_URL},        {"dynsrc", A_URL},
    {"formaction", A_URL},  {"icon", A_URL},        {"label", A_TEXT},
    {"longdesc", A_URL},    {"lowsrc", A_URL},      {"manifest", A_URL},
    {"ping", A_URL},        {"placeholder", A_TEXT}, {"poster", A_URL},
    {"profile", A_URL},     {"src", A_URL},         {"srcdoc", A_TEXT},
    {"srcset", A_URL},      {"style", A_URL},       {"summary", A_TEXT},
    {"title", A_TEXT},      {"usemap", A_URL},      {"value", A_TEXT},
};

/* One pass over an element's attributes: the URL attributes that look like an approval
 * link go to the links (a frame's src is listed apart, whatever it looks like), the texts
 * a reader may see at times to `unseen`. */
static void add_attrs(struct html_text *out, struct sbuf *unseen, xmlNodePtr n, bool frame)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        if (!a->name)
            continue;
        const char *name = (const char *)a->name;
        unsigned f = flags_of(name, attributes, sizeof(attributes) / sizeof(attributes[0]));
        bool url = (f & A_URL) && !(frame && strcmp(name, "src") == 0);
        bool text = f & A_TEXT;
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

static bool hides(xmlNodePtr n, unsigned flags)
{
    if ((flags & E_HIDES) || xmlHasProp(n, (const xmlChar *)"hidden"))
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
            unsigned f = element_flags((const char *)n->name);
            bool raw = f & E_RAW;
            if (!all && raw)
                descend = false;
            if (all && raw && raw_at < 0)
                raw_at = depth;
            if (all && hidden_at < 0 && hides(n, f))
                hidden_at = depth;
            if (is_block_all(f, all)) {
                sbuf_putc(&out->text, '\n');
                if (all && hidden_at < 0)
                    sbuf_putc(&reader, '\n');
            }
            if (!all) {
                if (f & E_A)
                    add_attr_link(out, n, "href");
            } else {
                add_attr_link(out, n, "href");
                add_attr_link(out, n, "xlink:href");
                if (f & E_FORM)
                    add_attr_link(out, n, "action");
                bool frame = f & E_FRAME;
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
                if (is_block_all(element_flags((const char *)n->name), all)) {
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
