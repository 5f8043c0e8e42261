/* Shared by the fuzz harnesses (tests/fuzz/fuzz_*.c): the libFuzzer entry
 * point, and a scratch store in a temporary folder for the harnesses that
 * apply what they decode. The store lives for the whole process (opening an
 * LMDB environment per input would cost more than the input), is emptied
 * every FUZZ_STORE_ROUNDS inputs so it stays small, and is removed at exit.
 * Durability is not under test here: CLIENTELE_NOSYNC skips fsync. */
#ifndef CLIENTELE_FUZZ_H
#define CLIENTELE_FUZZ_H

#include "clientele/codec.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch store (created on first use). Aborts when it cannot be made:
 * a harness that cannot run must not pass silently. Borrowed. */
cl_store *fuzz_store(void);
/* Count one input; every FUZZ_STORE_ROUNDS calls the store starts empty. */
void fuzz_store_tick(void);
#define FUZZ_STORE_ROUNDS 2000

/* Ops in the store's log. State is a function of the op set and ops are
 * only ever added, so an unchanged count means an unchanged store: the
 * cheap way to check that a refused input stored nothing (a digest costs
 * a walk of the whole store). */
uint64_t fuzz_op_count(cl_store *s);

/* The input as a NUL-terminated string (malloc'd; abort on failure). */
char *fuzz_cstr(const uint8_t *data, size_t size);

#endif
