/*
 * fileio - a whole file read into memory, and a whole buffer written to a descriptor, for
 * the modules that read a file of their own (configuration, allowlist) or write spool files.
 *
 * Contract: file_read() opens only a regular file (O_NONBLOCK: a FIFO never blocks the open,
 * and it is refused before any read; a device could never end), reads at most cap bytes and
 * reports a larger file as FILE_TOO_LARGE, never a truncated buffer. write_all() writes every
 * byte or reports a failure (EINTR is retried). No logging: the callers word the errors.
 */
#ifndef ACM_FILEIO_H
#define ACM_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum file_read_status {
    FILE_OK,
    FILE_OPEN_ERROR,   /* errno says why; EINVAL: not a regular file */
    FILE_READ_ERROR,
    FILE_TOO_LARGE,    /* more than cap bytes (or no memory for them) */
};

/* Reads path into out (initialized here with cap; the caller frees it on FILE_OK only). */
enum file_read_status file_read(const char *path, size_t cap, struct sbuf *out);

bool write_all(int fd, const char *s, size_t n);

#endif
