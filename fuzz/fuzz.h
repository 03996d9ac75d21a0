/*
 * fuzz.h - helpers shared by the fuzz targets (fuzz/fuzz_*.c).
 */
#ifndef ACM_FUZZ_H
#define ACM_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Aborts (a finding) unless the fixed field s of size bytes is NUL-terminated. */
static inline void fuzz_check_str(const char *s, size_t size)
{
    if (memchr(s, '\0', size) == NULL)
        abort();
}

/* The input as a malloc'd C string (an embedded NUL ends it), or NULL. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
