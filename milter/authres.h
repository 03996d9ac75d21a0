/*
 * authres - parser for one Authentication-Results header field value (RFC 8601).
 *
 * Contract: pure function. authres_parse() strips CFWS comments (nested, with quoted-pairs),
 * honours quoted strings, and returns the authserv-id and up to AR_MAX_RESULTS method
 * results, each with its result keyword and the header.d / header.i properties when given.
 * Returns false for a field it cannot parse (no authserv-id, unbalanced comment or quote,
 * over-long input); a caller must then ignore the whole field.
 */
#ifndef ACM_AUTHRES_H
#define ACM_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#define AR_MAX_RESULTS 32
#define AR_MAX_INPUT 8192

struct ar_result {
    char method[32];
    char result[32];
    char header_d[256];
    char header_i[256];
};

struct ar_field {
    char authserv_id[256];
    struct ar_result res[AR_MAX_RESULTS];
    size_t n;
};

bool authres_parse(const char *value, struct ar_field *out);

#endif
