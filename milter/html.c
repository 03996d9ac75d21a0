/*
 * html - see html.h for the contract.
 */
#include "html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
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

/* The name of an element as libxml2's tree builder keeps it (xmlSplitQName(), in HTML too):
 * the part after the first colon ("x:script" is a script element), unless the name starts
 * with a colon or ends at its first one. */
static const char *local_name(const char *tag)
{
    const char *c = tag[0] == ':' ? NULL : strchr(tag, ':');
    return c && c[1] ? c + 1 : tag;
}

static unsigned element_flags(const char *name)
{
    return flags_of(local_name(name), elements, sizeof(elements) / sizeof(elements[0]));
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

/* An attribute of the element being read, as the parser hands it over: name, value pairs,
 * the value NULL for an attribute written without one. */
static const char *attr_of(const xmlChar **atts, const char *name, bool *present)
{
    *present = false;
    for (size_t i = 0; atts && atts[i]; i += 2)
        if (strcmp((const char *)atts[i], name) == 0) {
            *present = true;
            return (const char *)atts[i + 1];
        }
    return NULL;
}

/* A link attribute's value as a reader takes it: an attribute without a value is the
 * empty link. */
static void add_attr_link(struct html_text *out, const xmlChar **atts, const char *attr)
{
    bool present;
    const char *v = attr_of(atts, attr, &present);
    if (present)
        add_href(out, v ? v : "");
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

/* What a reader does not see stands on lines of its own. */
static void put_unseen(struct sbuf *b, const char *v)
{
    sbuf_putc(b, '\n');
    sbuf_puts(b, v);
    sbuf_putc(b, '\n');
}

/* One pass over an element's attributes: the URL attributes that look like an approval
 * link go to the links (a frame's src is listed apart, whatever it looks like), the texts
 * a reader may see at times to `unseen`. */
static void add_attrs(struct html_text *out, struct sbuf *unseen, const xmlChar **atts,
                      bool frame)
{
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const char *name = (const char *)atts[i], *v = (const char *)atts[i + 1];
        unsigned f = flags_of(name, attributes, sizeof(attributes) / sizeof(attributes[0]));
        bool url = (f & A_URL) && !(frame && strcmp(name, "src") == 0);
        bool text = f & A_TEXT;
        if (!v || (!url && !text))
            continue;
        if (url && suspect_url(v))
            add_href(out, v);
        if (text && *v)
            put_unseen(unseen, v);
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

static bool hides(const xmlChar **atts, unsigned flags)
{
    bool present;
    if ((flags & E_HIDES) || (attr_of(atts, "hidden", &present), present))
        return true;
    const char *st = attr_of(atts, "style", &present);
    return st && style_hides(st);
}

/* The tree builder stops the parser when an element would nest deeper than this
 * (libxml2's xmlParserMaxDepth without XML_PARSE_HUGE), leaving that element out. */
#define XML_MAX_DEPTH_READ 256

/* The reading, from libxml2's SAX events (no tree is built): the events are those its tree
 * builder turns into the document, and the reading is the one a walk of that tree in
 * document order gives, depths included (the first element is at 0). Where the tree is not
 * the events' nesting, the builder's placement is followed:
 *   - text outside every element has no node;
 *   - a top-level element after the first one (text or tags after </html>) becomes the last
 *     child of the first, unless the document's first node is something else (a DOCTYPE,
 *     which the builder puts first even when it comes late, a comment or a processing
 *     instruction), where it is a top-level node of its own; the first element's end (its
 *     line end, the end of what it hides) then comes after it, and the top-level comments
 *     that came between come after that;
 *   - top-level comments before the first element are read only if an element follows
 *     (a walk starts at the root element);
 *   - text events that follow each other under one element are one node;
 *   - an element nested deeper than XML_MAX_DEPTH_READ stops the reading, and the elements
 *     still open end there;
 *   - an element's name is the part after its namespace prefix (local_name()).
 * One difference is deliberate: the builder stopped without a word at a text node over
 * 10,000,000 bytes (XML_MAX_TEXT_LENGTH); this reading goes on, and html-text names the
 * limit where its own bounds are reached. */
struct reading {
    struct html_text *out;
    struct sbuf reader, unseen;
    bool all;
    int depth;       /* elements open (events) */
    int hidden_at;   /* depth of the element that hides its subtree from a reader, or -1 */
    int raw_at;      /* depth of the script or style element being read, or -1 */
    int skip_at;     /* html_extract(): depth of the script or style element skipped, or -1 */
    int open_text;   /* the text node of unseen being written: 0 none, else its type */
    bool root_seen;  /* the first element has started */
    bool not_first;  /* the document's first node is not the first element */
    bool root_open;  /* the first element has ended, but later top-level elements go into it */
    struct sbuf pre;   /* unseen: top-level comments before the first element */
    struct sbuf post;  /* unseen: top-level comments after the first element, while root_open */
    xmlParserCtxtPtr ctxt;
    bool stopped;      /* nesting beyond the tree builder's limit: reading stopped there */
    unsigned open[XML_MAX_DEPTH_READ + 2];   /* the flags of the elements open, by depth */
};

static void node_at(struct reading *r, int depth)
{
    if (depth > HTML_MAX_DEPTH)
        set_limit(r->out, "html-depth");
}

/* The tree depth of a node opened now: one more under a first element still taking
 * children. */
static int tree_depth(const struct reading *r)
{
    return r->depth + (r->root_open ? 1 : 0);
}

/* A text node of unseen stands on lines of its own; it ends at any event but text of its
 * type. */
static void end_text(struct reading *r)
{
    if (r->open_text) {
        sbuf_putc(&r->unseen, '\n');
        r->open_text = 0;
    }
}

/* An element's end: the line end of a block, and the end of what it hides or holds raw. */
static void close_element(struct reading *r, unsigned flags, int depth)
{
    if (is_block_all(flags, r->all)) {
        sbuf_putc(&r->out->text, '\n');
        if (r->all && r->hidden_at < 0)
            sbuf_putc(&r->reader, '\n');
    }
    if (depth == r->hidden_at)
        r->hidden_at = -1;
    if (depth == r->raw_at)
        r->raw_at = -1;
}

/* The first element's end, put off while later top-level elements went into it. */
static void close_root(struct reading *r)
{
    if (!r->root_open)
        return;
    r->root_open = false;
    close_element(r, r->open[0], 0);
    sbuf_append(&r->unseen, r->post.data ? r->post.data : "", r->post.len);
    sbuf_reset(&r->post);
}

static void on_start(void *ctx, const xmlChar *tag, const xmlChar **atts)
{
    struct reading *r = ctx;
    if (r->stopped)
        return;
    end_text(r);
    if (r->depth > XML_MAX_DEPTH_READ) {
        r->stopped = true;   /* as the tree builder does: this element is left out */
        xmlStopParser(r->ctxt);
        return;
    }
    if (r->depth == 0) {
        if (!r->root_seen) {
            r->root_seen = true;
            sbuf_append(&r->unseen, r->pre.data ? r->pre.data : "", r->pre.len);
        } else if (r->root_open && r->not_first) {
            close_root(r);   /* a late DOCTYPE came first: a top-level element of its own */
        }
    }
    int depth = tree_depth(r);
    if (depth >= (int)(sizeof(r->open) / sizeof(r->open[0]))) {   /* cannot happen */
        r->stopped = true;
        xmlStopParser(r->ctxt);
        set_limit(r->out, "html-depth");
        return;
    }
    unsigned f = tag ? element_flags((const char *)tag) : 0;
    r->open[depth] = f;
    r->depth++;
    if (r->skip_at >= 0 || !tag)
        return;
    node_at(r, depth);
    struct html_text *out = r->out;
    bool all = r->all;
    bool raw = f & E_RAW;
    if (!all && raw)
        r->skip_at = depth;
    if (all && raw && r->raw_at < 0)
        r->raw_at = depth;
    if (all && r->hidden_at < 0 && hides(atts, f))
        r->hidden_at = depth;
    if (is_block_all(f, all)) {
        sbuf_putc(&out->text, '\n');
        if (all && r->hidden_at < 0)
            sbuf_putc(&r->reader, '\n');
    }
    if (!all) {
        if (f & E_A)
            add_attr_link(out, atts, "href");
        return;
    }
    add_attr_link(out, atts, "href");
    add_attr_link(out, atts, "xlink:href");
    if (f & E_FORM)
        add_attr_link(out, atts, "action");
    bool frame = f & E_FRAME;
    if (frame)
        add_attr_link(out, atts, "src");
    add_attrs(out, &r->unseen, atts, frame);
}

static void on_end(void *ctx, const xmlChar *tag)
{
    (void)tag;
    struct reading *r = ctx;
    if (r->stopped || r->depth == 0)
        return;
    end_text(r);
    r->depth--;
    int depth = tree_depth(r);
    if (r->skip_at >= 0 && depth > r->skip_at)
        return;
    if (r->skip_at == depth)
        r->skip_at = -1;
    if (r->depth == 0 && !r->root_open && !r->not_first) {
        r->root_open = true;   /* the first element: later top-level elements go into it */
        return;
    }
    close_element(r, r->open[depth], depth);
}

static void on_text(struct reading *r, const xmlChar *ch, int len, int type)
{
    /* text outside every element has no node (the tree builder drops it) */
    if (r->stopped || r->depth == 0 || r->skip_at >= 0 || len <= 0)
        return;
    if (r->open_text && r->open_text != type)
        end_text(r);
    node_at(r, tree_depth(r));
    const char *t = (const char *)ch;
    size_t n = (size_t)len;
    const char *nul = memchr(t, '\0', n);   /* a node's text is read as a C string */
    if (nul)
        n = (size_t)(nul - t);
    if (r->all && r->raw_at >= 0) {
        if (!r->open_text) {
            sbuf_putc(&r->unseen, '\n');
            r->open_text = type;
        }
        sbuf_append(&r->unseen, t, n);
        return;
    }
    sbuf_append(&r->out->text, t, n);
    if (r->all && r->hidden_at < 0)
        sbuf_append(&r->reader, t, n);
}

static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    on_text(ctx, ch, len, XML_TEXT_NODE);
}

static void on_cdata(void *ctx, const xmlChar *ch, int len)
{
    on_text(ctx, ch, len, XML_CDATA_SECTION_NODE);
}

/* A comment's or a processing instruction's node: false when it is not read (after a stop,
 * or inside a skipped element). At the top level before any element it makes the
 * document's first node another than the first element. */
static bool other_node(struct reading *r)
{
    if (r->stopped)
        return false;
    end_text(r);
    if (r->skip_at >= 0)
        return false;
    if (r->depth == 0 && !r->root_seen)
        r->not_first = true;
    if (r->depth > 0)
        node_at(r, tree_depth(r));
    return true;
}

static void on_comment(void *ctx, const xmlChar *value)
{
    struct reading *r = ctx;
    if (!other_node(r) || !r->all || !value)
        return;
    struct sbuf *to = &r->unseen;
    if (r->depth == 0 && !r->root_seen)
        to = &r->pre;
    else if (r->depth == 0 && r->root_open)
        to = &r->post;
    put_unseen(to, (const char *)value);
}

static void on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
    (void)target, (void)data;
    other_node(ctx);
}

/* The builder makes the DOCTYPE's node the document's first, wherever it stands. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *id, const xmlChar *sys)
{
    (void)name, (void)id, (void)sys;
    struct reading *r = ctx;
    if (r->stopped)
        return;
    end_text(r);
    r->not_first = true;
}

static bool read_html(const char *html, size_t len, bool all, struct html_text *out)
{
    memset(out, 0, sizeof(*out));
    if (len > (size_t)0x7fffffff)
        return false;
    /* all: the three sections, each bounded as one rendering is */
    sbuf_init(&out->text, all ? len * 5 + 4096 : len * 2 + 1024);
    /* the reading of a mail part: what a reader sees (hidden elements left out), and what
     * nobody sees (comments, scripts, styles), each appended after the whole rendering */
    struct reading r = {.out = out, .all = all, .hidden_at = -1, .raw_at = -1, .skip_at = -1};
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(html, (int)len);
    r.ctxt = ctxt;
    sbuf_init(&r.reader, len * 2 + 1024);
    sbuf_init(&r.unseen, len + 1024);
    sbuf_init(&r.pre, len + 1024);
    sbuf_init(&r.post, len + 1024);
    /* htmlReadMemory() with these handlers in place of the tree builder's */
    if (!ctxt || !ctxt->sax) {
        if (ctxt)
            xmlFreeParserCtxt(ctxt);
        sbuf_free(&r.reader);
        sbuf_free(&r.unseen);
        sbuf_free(&r.pre);
        sbuf_free(&r.post);
        return false;
    }
    memset(ctxt->sax, 0, sizeof(*ctxt->sax));
    ctxt->sax->initialized = 1;   /* SAX1 callbacks, as the HTML parser calls them */
    ctxt->sax->startElement = on_start;
    ctxt->sax->endElement = on_end;
    ctxt->sax->characters = on_characters;
    ctxt->sax->cdataBlock = on_cdata;
    ctxt->sax->comment = on_comment;
    ctxt->sax->processingInstruction = on_pi;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->userData = &r;
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_NONET);
    ctxt->html = 1;
    xmlCharEncodingHandlerPtr utf8 = xmlFindCharEncodingHandler("UTF-8");
    if (utf8)
        xmlSwitchToEncoding(ctxt, utf8);
    htmlParseDocument(ctxt);
    end_text(&r);
    /* what is still open ends here (after a stop, or at the end of a document) */
    while (r.depth > 0) {
        r.depth--;
        int depth = tree_depth(&r);
        if (r.skip_at < 0 || depth <= r.skip_at) {
            if (r.skip_at == depth)
                r.skip_at = -1;
            close_element(&r, r.open[depth], depth);
        }
    }
    close_root(&r);
    if (r.pre.overflow || r.post.overflow)
        r.unseen.overflow = true;
    if (ctxt->myDoc)
        xmlFreeDoc(ctxt->myDoc);
    xmlFreeParserCtxt(ctxt);
    out->main_len = out->text.len;
    if (all) {
        sbuf_putc(&out->text, '\n');
        sbuf_append(&out->text, r.reader.data ? r.reader.data : "", r.reader.len);
        sbuf_putc(&out->text, '\n');
        sbuf_append(&out->text, r.unseen.data ? r.unseen.data : "", r.unseen.len);
        if (r.reader.overflow || r.unseen.overflow)
            set_limit(out, "html-text");
    }
    sbuf_free(&r.reader);
    sbuf_free(&r.unseen);
    sbuf_free(&r.pre);
    sbuf_free(&r.post);
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
