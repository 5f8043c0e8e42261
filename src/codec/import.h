/* Shared machinery of the importers (vcard.c, csv.c, backup.c): the state of
 * one import transaction, messages with line numbers, finding records by
 * name, duplicate detection. Private to src/codec/. */
#ifndef CLIENTELE_CODEC_IMPORT_H
#define CLIENTELE_CODEC_IMPORT_H

#include "clientele/codec.h"

typedef struct idmap idmap;

/* The state of one run of an import transaction. The transaction function may
 * run more than once (map growth), so imp_begin resets the result. */
typedef struct imp {
    cl_txn *t;
    const cl_import_opts *o;
    const char *name;                /* file name for messages */
    cl_import_result *res;
    idmap *dups;                     /* "e:email" / "p:digits" → contact id */
    idmap *labels[CL_T_MAX + 1];     /* exact label → record id, built on first use */
    size_t last_pct;                 /* progress already reported, in ‰ */
} imp;

/* What an import reads and where its result goes: the argument of the
 * transaction functions of the vCard and backup importers. */
typedef struct imp_input {
    const char *data;
    size_t len;
    const cl_import_opts *o;
    cl_import_result *res;
} imp_input;

/* Run an importer's transaction function fn(t, arg), all or nothing: on
 * failure *res is emptied (no counts or notices of an import that did not
 * happen). */
int imp_run(cl_store *s, int (*fn)(cl_txn *t, void *arg), void *arg, cl_import_result *res);
int imp_begin(imp *m, cl_txn *t, const cl_import_opts *o, cl_import_result *res);
void imp_end(imp *m);

/* Add a notice "NAME: line N: …" to the result. */
int imp_notice(imp *m, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix the current error message with "NAME: line N: "; returns rc. */
int imp_fail(imp *m, size_t line, int rc);
/* Report progress when it moved by at least 0.5 %. */
void imp_progress(imp *m, size_t done, size_t total);

/* The id of a live record of type whose label (name or title) is exactly
 * label. CL_ENOTFOUND when there is none. */
int imp_find_label(imp *m, uint8_t type, const char *label, cl_record_id *id);
/* The company named exactly name, created when there is none. */
int imp_company(imp *m, const char *name, cl_record_id *id);

/* A contact that is very likely the same person: exactly this name and the
 * same email or phone (compared as for duplicates). CL_ENOTFOUND if none. */
int imp_same_contact(imp *m, const char *name, const char *email, const char *phone, cl_record_id *id);

/* Create or update a record (cl_record_put_in), count it as created, updated
 * or unchanged, remember its label, and for a new contact report a possible
 * duplicate (same email or phone as another contact). *out (may be NULL)
 * gets its id. */
int imp_put(imp *m, size_t line, uint8_t type, const cl_record_id *id, const cl_assign *a,
            size_t n, cl_record_id *out);

#endif
