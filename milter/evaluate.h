/*
 * evaluate - one whole message in, one decision out: the same code path for the milter
 * (at end of headers and at end of message), for `acm-milter -t` and for the tests.
 *
 * Contract: no logging, no file I/O; the message is a memory buffer. The one I/O that can
 * happen under evaluate() is DKIM's key look-up in DNS (dkimv_verify(), SenderAuth dkim,
 * only for a message that could otherwise be approved, never when offline without
 * DKIMTestKeys). evaluate_headers() does no I/O at all. `raw` is the message as the MTA
 * sent it (header fields, blank line, body); `too_large` says the milter stopped
 * buffering it at MaxMessageSize.
 */
#ifndef ACM_EVALUATE_H
#define ACM_EVALUATE_H

#include "policy.h"

/* Initializes GMime, libxml2 and the PCRE2 patterns; once, before threads start. */
bool evaluate_init(void);
/* -t: no network. DKIM is then verified only with DKIMTestKeys. */
void evaluate_set_offline(bool offline);
void evaluate_shutdown(void);
void evaluate(const struct config *c, const struct envelope *env, const char *raw, size_t len,
              bool too_large, struct decision *d);

/* The end-of-headers decision. `hdrs` is the header block alone (the fields, then the blank
 * line). Returns true, with the decision in d, when the header fields decide by themselves
 * (more than MIME_MAX_HEADERS fields: too-large; policy_rule_out() on the parsed From list,
 * the first Content-Type and the first Subject: not-acm); false when the body must be read.
 * evaluate() takes this very decision first, on the same parsed header fields: whether the
 * milter decides at end of headers or at end of message, and for `-t`, the line is the same.
 * The fields are read without a MIME parse (mime_parse_fields(): the From list through
 * GMime's address parser), which yields the same values as GMime's parse of the block; a
 * block with anything but plain fields (a NUL, a line that is no field, a fold with no
 * field before it, more than MIME_MAX_HEADERS fields, no blank line) is parsed by GMime
 * whole. Out of memory: false (read on; evaluate() decides). */
bool evaluate_headers(const struct config *c, const struct envelope *env, const char *hdrs,
                      size_t len, struct decision *d);
/* As evaluate_headers(); when the headers do not decide, *from (if not NULL) gets the From
 * list they were read with, for evaluate_from() on the same message (mime_from_free()). */
bool evaluate_headers_from(const struct config *c, const struct envelope *env,
                           const char *hdrs, size_t len, struct decision *d,
                           struct mime_from *from);
/* As evaluate(), the From list of the same header section already read (from, or NULL):
 * the same decision, without parsing the list again. */
void evaluate_from(const struct config *c, const struct envelope *env, const char *raw,
                   size_t len, bool too_large, const struct mime_from *from, struct decision *d);
/* The MIME view evaluate() decides on: mime_parse_split(), the view of mime_parse() with
 * GMime given only the MIME fields and the body when the header section is plain fields.
 * Exposed for tests. */
struct mime_view *evaluate_parse(const char *raw, size_t len);
/* Length of the header block of a whole message (the fields and the blank line, CRLF or LF),
 * or len when there is no blank line: what evaluate_headers() takes (tests, fuzzing). */
size_t evaluate_header_len(const char *raw, size_t len);

#endif
