/*
 * mime - one RFC 5322 message, parsed with GMime into what the recognizer and the policy
 * read: the top-level header fields in order (but the Content-* ones, which GMime keeps
 * with the top-level part: `content_type` gives the first Content-Type), and every text
 * leaf part (text/anything, wherever it stands: inline or attachment, after the
 * alternative, inside nested multiparts and inside attached messages, message/rfc822; and a
 * multipart's preamble and epilogue text, as plain parts) decoded (Content-Transfer-Encoding undone,
 * quoted-printable transport padding deleted first as RFC 2045 6.7 (3) requires, charset
 * converted to UTF-8).
 *
 * Contract: mime_parse() never fails on bad input; it returns a view with whatever could be
 * decoded, and `unread` names the first reason something was not read or not decoded, so a
 * caller never decides on a partial reading unknowingly: "mime-parts" (more than
 * MIME_MAX_PARTS leaves, text or not, or multiparts), "mime-depth" (nesting deeper than MIME_MAX_DEPTH),
 * "mime-headers" (more than MIME_MAX_HEADERS top-level header fields: only those are read,
 * and `too_many_headers` says so; the milter calls such a message too large),
 * "mime-charset" (a charset that cannot be converted: the raw bytes are kept), "mime-decode"
 * (a part that could not be written out). `nul_header` names the first of From, Subject,
 * Authentication-Results, To, Cc and the top-level Content-* fields whose raw value holds a
 * NUL byte (GMime's C strings would cut it there), or whose RFC 2047 encoded words decode
 * to one; or it is "message" for a NUL anywhere else in the raw message. No I/O: the input is a memory
 * buffer. mime_init() must run once before threads start.
 */
#ifndef ACM_MIME_H
#define ACM_MIME_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_MAX_DEPTH 16
#define MIME_MAX_PARTS 64
#define MIME_MAX_HEADERS 2000

struct mime_header {
    char *name;
    char *value;     /* unfolded (CR/LF removed), not RFC 2047 decoded */
};

struct mime_text {
    bool html;
    bool flowed;     /* text/plain; format=flowed (RFC 3676) */
    bool delsp;      /* ... with delsp=yes */
    char *text;      /* UTF-8 (or raw bytes if the charset was unknown), NUL-terminated */
    size_t len;
};

struct mime_view {
    struct mime_header *hdrs;
    size_t nhdrs;
    struct mime_text *parts;
    size_t nparts;
    size_t nleaves;  /* leaf parts seen, text or not (more than MIME_MAX_PARTS: mime-parts) */
    char *subject;   /* RFC 2047 decoded, or NULL */
    char *content_type;  /* the first top-level Content-Type value, unfolded, or NULL (GMime
                            keeps the Content-* fields with the top-level part, not in hdrs) */
    char *from_addr; /* the single From mailbox address, or NULL (none, several, unparsable) */
    int from_count;  /* number of From mailboxes found over all From fields */
    bool too_deep;           /* unread is (or was also) mime-depth */
    const char *unread;      /* static string, see the contract */
    const char *nul_header;  /* static string, see the contract */
    bool too_many_headers;  /* more than MIME_MAX_HEADERS top-level fields (only those read) */
    const char *defect;  /* first structural defect GMime reported (truncated, conflicting
                            headers, multipart without boundary, ...), or NULL; before any of
                            them, a structure readers disagree on or GMime reads by where its
                            buffer reads fall: "mime-boundary-parameter" (a boundary parameter
                            readers may read otherwise), "mime-boundary-line" (a boundary
                            delimiter anywhere but as a delimiter line), "mime-invalid-header"
                            (a header line that is not a field, blanks before a part field's
                            colon, a CR that ends no line), in that order; never over
                            "mime-no-boundary" */
};

void mime_init(void);
void mime_shutdown(void);
struct mime_view *mime_parse(const char *raw, size_t len);
void mime_free(struct mime_view *mv);

/* The header section at the start of raw, field by field: fn gets each field with its
 * folded lines and line ends (field[0..flen)), its name being field[0..nlen) and field[nlen]
 * the colon. Returns the section's length, the blank line included, or 0 when it is not
 * plain fields, where a caller must leave the reading to mime_parse(): no blank line, a NUL,
 * a line that is neither a field (a name of printable ASCII but ':', then ':') nor a
 * continuation (a space or tab first) of one, or more than MIME_MAX_HEADERS fields. fn may
 * have been called for fields before the one that made it fail. */
typedef void (*mime_field_fn)(void *arg, const char *field, size_t nlen, size_t flen);
size_t mime_header_fields(const char *raw, size_t len, mime_field_fn fn, void *arg);

/* A view of the header fields alone, without a MIME parse: hdrs (those want accepts, all
 * when want is NULL; never the Content-* ones), content_type, from_addr and from_count, as
 * mime_parse() gives them for the same section; no parts, no subject, no nul_header (the
 * section has no NUL). NULL when mime_header_fields() refuses the section (or on
 * allocation failure): the caller then uses mime_parse(). */
struct mime_view *mime_parse_fields(const char *raw, size_t len,
                                    bool (*want)(const char *name, size_t n));

/* The same view as mime_parse(), for less work, when the header section is plain fields
 * (mime_header_fields()): the fields, the From list, the decoded Subject (the last one, as
 * GMime's) and GMime's check for conflicting copies of the fields RFC 5322 allows once are
 * taken from the section itself, and GMime reads the MIME structure and the parts from a
 * copy of the message whose other fields are overwritten in place (X... of the same
 * length, every line of the same kind): GMime's reading of a body depends on where its
 * buffer reads fall, so not a byte may move. Otherwise, mime_parse(). */
struct mime_from;
struct mime_view *mime_parse_split(const char *raw, size_t len, const struct mime_from *from);

/* A header section's From list as a view gives it (from_addr, from_count): the end-of-
 * headers reading hands it on to the end-of-message one, so that the list is parsed once.
 * Given to mime_parse_split() for the same section (known), it is taken as it is. */
struct mime_from {
    bool known;
    int count;
    char *addr;   /* or NULL */
};
void mime_from_keep(struct mime_from *f, const struct mime_view *mv);
void mime_from_free(struct mime_from *f);
/* NULL when the two views are the same (fields, From list, Subject, Content-Type, what was
 * not read, NUL, defect, parts byte for byte), else what differs first. For tests and the
 * fuzzer: mime_parse_split() must give mime_parse()'s view. */
const char *mime_view_differs(const struct mime_view *a, const struct mime_view *b);
/* The idx-th (0-based) header field called name (case-insensitive), or NULL. */
const char *mime_header(const struct mime_view *mv, const char *name, size_t idx);

/* Parses an address list (From/To/Cc value) and appends each mailbox address to out,
 * lower-casing the domain. Returns the number of mailboxes found. */
struct strlist;
int mime_addresses(const char *value, struct strlist *out);

/* Deletes quoted-printable transport padding (RFC 2045 6.7 (3)) in place: spaces and tabs
 * before a line end. Returns the new length. Exposed for tests. */
size_t mime_qp_strip_padding(char *s, size_t len);

#endif
