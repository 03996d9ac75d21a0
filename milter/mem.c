/*
 * mem - see mem.h for the contract.
 */
#include "mem.h"

#include <malloc.h>
#include <stdatomic.h>
#include <time.h>

static atomic_size_t charged;
static atomic_long last_trim;
static atomic_bool trim_due;   /* idle, but trimmed less than a second ago */

void mem_init(void)
{
    /* A fixed mmap threshold: blocks of 128 KiB and more are mapped and unmapped on their
     * own (glibc would otherwise raise the threshold after the first large free, and keep
     * every later message buffer in the heap). Fixing it also fixes the trim threshold. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024);
    /* One arena per thread up to 8 x cores keeps what each session freed; a few suffice. */
    mallopt(M_ARENA_MAX, 4);
}

size_t mem_budget(size_t max_message)
{
    size_t eight = max_message * 8;
    return MEM_CHARGE * (eight > MEM_MESSAGES_MIN ? eight : MEM_MESSAGES_MIN);
}

bool mem_reserve(size_t n, size_t budget)
{
    size_t cur = atomic_load(&charged);
    do {
        if (n > budget || cur > budget - n)
            return false;
    } while (!atomic_compare_exchange_weak(&charged, &cur, cur + n));
    return true;
}

void mem_release(size_t n)
{
    if (!n)
        return;
    if (atomic_fetch_sub(&charged, n) != n)
        return;
    /* idle: give free memory back, at most once a second */
    long now = (long)time(NULL);
    long last = atomic_load(&last_trim);
    if (now != last && atomic_compare_exchange_strong(&last_trim, &last, now)) {
        atomic_store(&trim_due, false);
        malloc_trim(0);
    } else {
        atomic_store(&trim_due, true);
    }
}

void mem_maintain(void)
{
    if (atomic_load(&trim_due) && atomic_load(&charged) == 0) {
        atomic_store(&trim_due, false);
        atomic_store(&last_trim, (long)time(NULL));
        malloc_trim(0);
    }
}
