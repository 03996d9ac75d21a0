/*
 * dkimv - in-process DKIM verification with libopendkim.
 *
 * Contract: dkimv_lib_new() makes the library handle of one configuration snapshot (key
 * look-ups through libopendkim's resolver with a bounded timeout, or from the DKIMTestKeys
 * file); it is shared by the threads using that snapshot. dkimv_verify() feeds one raw
 * message (header fields, blank line, body) to the verifier and reports the domains (d=)
 * of the signatures that pass completely: cryptographically valid, body hash matching,
 * covering the whole body (no l= shorter than it), not expired, and signing the From and
 * Subject fields. A look-up failure is reported separately, so the caller can say a human
 * must look. It does no alignment: that is the policy's job.
 */
#ifndef ACM_DKIMV_H
#define ACM_DKIMV_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct config;

#define DKIMV_MAX_SIGS 16

struct dkim_result {
    bool ran;                    /* verification was attempted */
    struct strlist passed;       /* d= of every fully passing signature (lower case) */
    int nsigs;                   /* signatures seen */
    bool dns_failure;            /* a key look-up failed (not "no key": a failure) */
    char detail[64];             /* why nothing passed, for the log */
};

void *dkimv_lib_new(const char *test_keys, long timeout, char *err, size_t errsz);
void dkimv_lib_free(void *lib);
void dkimv_verify(void *lib, const char *raw, size_t len, struct dkim_result *out);
void dkim_result_free(struct dkim_result *r);

#endif
