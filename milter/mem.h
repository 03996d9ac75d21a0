/*
 * mem - what all sessions together may buffer, and memory given back to the system.
 *
 * Contract: mem_init() (once, before threads start) makes the allocator hand large blocks
 * (message buffers) straight back to the system when they are freed, with few arenas, so a
 * flood leaves no retained heap behind. mem_reserve() charges a session's buffer against one
 * process-wide budget and refuses (false, nothing charged) what would go beyond it: the
 * caller then stops buffering that message (ignore too-large detail=busy) and lets the mail
 * through untouched. mem_release() gives a charge back; when nothing is charged any more
 * (the milter is idle), free memory is returned to the system (malloc_trim, at most once a
 * second; one put off is done by mem_maintain()). Lock-free, any thread. No logging.
 */
#ifndef ACM_MEM_H
#define ACM_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* The budget: MEM_CHARGE times the larger of MEM_MESSAGES_MIN and eight messages of
 * max_message bytes. */
#define MEM_MESSAGES_MIN ((size_t)32 << 20)
/* A buffered byte is charged this many times: the raw message, its decoded text and the
 * recognizer's normalized copy, which all exist while the message is evaluated (the copy of
 * the message that GMime parses lives only while GMime decodes the text, before the
 * normalized copy is made). */
#define MEM_CHARGE 3

void mem_init(void);
size_t mem_budget(size_t max_message);
bool mem_reserve(size_t n, size_t budget);
void mem_release(size_t n);
/* Called now and then by a background thread: the trim mem_release() put off. */
void mem_maintain(void);

#endif
