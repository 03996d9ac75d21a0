/*
 * fileio - see fileio.h for the contract.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens path for reading only when it is a regular file; NULL with errno (EINVAL: not a
 * regular file). */
static FILE *open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f)
        close(fd);
    return f;
}

enum file_read_status file_read(const char *path, size_t cap, struct sbuf *out)
{
    sbuf_init(out, cap);
    FILE *f = open_regular(path);
    if (!f)
        return FILE_OPEN_ERROR;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (!sbuf_append(out, chunk, n))
            break;
    bool rerr = ferror(f);
    fclose(f);
    if (rerr || out->overflow) {
        sbuf_free(out);
        return rerr ? FILE_READ_ERROR : FILE_TOO_LARGE;
    }
    return FILE_OK;
}

bool write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        s += w;
        n -= (size_t)w;
    }
    return true;
}
