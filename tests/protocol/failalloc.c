/*
 * failalloc.so - an LD_PRELOAD shim for protocol case t12 (never part of the product).
 *
 * calloc() returns NULL (ENOMEM) when it is called directly from the code of one function
 * of the main executable, at most ACM_FAILALLOC_COUNT times; every other call goes to
 * glibc's calloc. run.sh finds the function's offset and size with nm(1) and passes
 *   ACM_FAILALLOC_START=0xOFFSET ACM_FAILALLOC_END=0xOFFSET+SIZE ACM_FAILALLOC_COUNT=N
 * so the daemon under test is the real binary, and only the allocation the test is about
 * fails: the calloc() of the connection state in cb_negotiate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

extern void *__libc_calloc(size_t n, size_t size);

static atomic_int state;            /* 0: not set up, 1: armed, 2: off */
static uintptr_t lo, hi;
static atomic_long left;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uintptr_t *)data = (uintptr_t)info->dlpi_addr;   /* the main executable comes first */
    return 1;
}

static void setup(void)
{
    const char *s = getenv("ACM_FAILALLOC_START"), *e = getenv("ACM_FAILALLOC_END");
    const char *c = getenv("ACM_FAILALLOC_COUNT");
    if (!s || !e || !c) {
        atomic_store(&state, 2);
        return;
    }
    uintptr_t base = 0;
    dl_iterate_phdr(first_object, &base);
    lo = base + (uintptr_t)strtoull(s, NULL, 0);
    hi = base + (uintptr_t)strtoull(e, NULL, 0);
    atomic_store(&left, strtol(c, NULL, 0));
    atomic_store(&state, 1);
}

void *calloc(size_t n, size_t size)
{
    uintptr_t ra = (uintptr_t)__builtin_return_address(0);
    int st = atomic_load(&state);
    if (st == 0) {
        setup();   /* getenv, strtoull and dl_iterate_phdr do not allocate */
        st = atomic_load(&state);
    }
    if (st == 1 && ra >= lo && ra < hi && atomic_fetch_sub(&left, 1) > 0) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}
