/*
 * request - one approval request as a spool record, and the layout of the spool.
 *
 * Contract: SpoolDir holds the folders tmp/ (files being written), pending/ (work), done/
 * (history), pages/ (approval pages kept for the operator) and bad/ (entries set aside).
 * An entry is FOLDER/KEY.req, where KEY is the 64 lowercase hex digits of the SHA-256 of
 * code|context (request_key()). spool_path() is the one place that builds a path to an
 * entry, and it refuses any key that is not exactly that. request_write() writes an entry
 * atomically (a new temporary file in tmp/, fsync, rename, directory fsync), mode 0600,
 * through folders opened without following links, and never writes through a link or into
 * a file that was already there. request_load() reads an entry only as what it must be: opened without
 * following links (O_NOFOLLOW, O_NONBLOCK: a FIFO never blocks), a regular file with one
 * link and at most REQUEST_MAX bytes, every line a known field given once with a value that
 * fits and is well-formed, key= equal to the file name and to the digest of its code and
 * context. Anything else is reported as bad with one reason word, never half-read. No
 * network and no logging here; code and context are secrets the caller wipes.
 */
#ifndef ACM_REQUEST_H
#define ACM_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "arn.h"
#include "recognizer.h"

#define REQUEST_MAX 4096   /* bytes in one entry file */
#define KEY_HEX 64

enum spool_folder { SF_TMP, SF_PENDING, SF_DONE, SF_PAGES, SF_BAD, SF_COUNT };

struct request {
    char key[KEY_HEX + 1];
    char state[24];          /* pending, approved, already-approved, expired, failed, dry-run */
    long created, updated, next;
    int attempts;
    char qid[64];
    char domain[DOMAIN_MAX];
    char requested_domain[DOMAIN_MAX];
    char account[13];
    char region[ARN_REGION_MAX];
    char arn[ARN_TEXT_MAX];
    char code[37];
    char context[128];
    char detail[96];
};

const char *spool_folder_name(enum spool_folder f);   /* "tmp", "pending", ... */

/* The entry key of (code, context): 64 lowercase hex digits. */
void request_key(const char *code, const char *context, char key[KEY_HEX + 1]);
/* true when s is exactly 64 lowercase hex digits. */
bool key_valid(const char *s);

/* SPOOL/FOLDER (key NULL) or SPOOL/FOLDER/KEY.req; false (and out = "") when the key is not
 * valid, the folder unknown, or the path does not fit. */
bool spool_path(char *out, size_t outsz, const char *spool, enum spool_folder f,
                const char *key);

/* SPOOL/FOLDER opened as a directory without following a link (a folder replaced by a link
 * out of the spool is refused: ELOOP or ENOTDIR); -1 with errno set. The caller closes it. */
int spool_folder_fd(const char *spool, enum spool_folder f);

/* Writes r (state and key included) as SPOOL/FOLDER/KEY.req through SPOOL/tmp/. false with
 * errno set on failure (the temporary file is removed); EINVAL for a record that would not
 * read back as a valid entry (it is never written). */
bool request_write(const char *spool, enum spool_folder f, const struct request *r);

enum load_result { LOAD_OK, LOAD_BAD, LOAD_ERROR };
/* Reads SPOOL/FOLDER/NAME (NAME as readdir gave it). LOAD_OK: r holds the entry.
 * LOAD_BAD: the entry is not a valid one; *why is one word (not-an-entry-name, symlink,
 * not-a-file, hard-link, too-large, empty, garbage, field, key-mismatch, key-digest,
 * unreadable; the queue adds state for a finished entry found in pending/). LOAD_ERROR: the spool could not be read now (errno set; *why = "io"):
 * leave the entry where it is. r is wiped unless LOAD_OK. */
enum load_result request_load(const char *spool, enum spool_folder f, const char *name,
                              struct request *r, const char **why);
/* The same from bytes (tests, fuzzing): name is the file name the bytes came from. */
enum load_result request_parse(const char *data, size_t len, const char *name,
                               struct request *r, const char **why);

#endif
