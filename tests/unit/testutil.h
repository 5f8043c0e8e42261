/* Helpers shared by the unit tests: temporary data folders and stores. */
#ifndef CLIENTELE_TESTUTIL_H
#define CLIENTELE_TESTUTIL_H

#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clientele/model.h"
#include "clientele/net.h"

/* A fresh folder under $TMPDIR; removed by tu_rmdir. Caller frees. */
char *tu_tmpdir(void);
void tu_rmdir(const char *dir);
/* A store in a fresh folder for a device id made from `seed`. */
cl_store *tu_store(const char *dir, uint8_t seed);
cl_device_id tu_device(uint8_t seed);
/* One store (device 1) in a fresh folder: the state of cmocka tests that need
 * one, as cmocka_unit_test_setup_teardown(test, tu_store_setup, tu_store_teardown). */
typedef struct tu_fixture {
    char *dir;
    cl_store *s;
} tu_fixture;
int tu_store_setup(void **state);
int tu_store_teardown(void **state);
/* Three stores (devices 1, 2, 3) in fresh folders, for tests between replicas:
 * cmocka_unit_test_setup_teardown(test, tu_stores_setup, tu_stores_teardown). */
#define TU_STORES 3
typedef struct tu_stores {
    char *dir[TU_STORES];
    cl_store *s[TU_STORES];
} tu_stores;
int tu_stores_setup(void **state);
int tu_stores_teardown(void **state);
/* What export(t, type, file, NULL) writes for store s (cl_csv_export,
 * cl_vcard_export), as a string. Caller frees. */
char *tu_export(cl_store *s, uint8_t type, int (*export)(cl_txn *t, uint8_t type, FILE *out, size_t *count));
/* Everything written to the temporary file m, as a string (caller frees);
 * closes m. */
char *tu_slurp(FILE *m);
/* Hex digest of a store. out needs 65 bytes. */
void tu_digest(cl_store *s, char out[65]);
/* The merged record id in its own read transaction; fails the test if it is not there. */
cl_record *tu_load(cl_store *s, const cl_record_id *id);
/* A deterministic PRNG (xorshift64*) for property tests. */
uint64_t tu_rand(uint64_t *state);
/* The seed of a property test: argv --seed N, else $CLIENTELE_SEED, else time. */
uint64_t tu_seed(int argc, char **argv);

/* Property tests: K seeded schedules, from --seed N (or CLIENTELE_SEED, else
 * the time) and --schedules K (or CLIENTELE_SCHEDULES, else dflt). run calls
 * fn(seed) for each; tu_schedules_report, as the test's teardown, prints how
 * to replay the schedule that failed. One set of schedules per program. */
void tu_schedules_init(int argc, char **argv, long dflt);
void tu_schedules_run(void (*fn)(uint64_t seed));
long tu_schedules_count(void);
int tu_schedules_report(void **state);

#endif
