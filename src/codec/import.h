/* Shared machinery of the importers (vcard.c, csv.c, backup.c): the state of
 * one import transaction, messages with line numbers, finding records by
 * name, duplicate detection. Private to src/codec/. */
#ifndef CLIENTELE_CODEC_IMPORT_H
#define CLIENTELE_CODEC_IMPORT_H

#include "clientele/codec.h"

typedef struct idmap idmap;

/* What an import wrote to one record, for `undo-import` (undo.c): whether
 * it created the record, else the record's fields as they were before. */
typedef struct imp_field_was {
    uint8_t field;
    uint64_t hlc;          /* of the winning write then */
    char *value;           /* owned */
    uint32_t len;
} imp_field_was;
typedef struct imp_touched {
    cl_record_id id;
    bool created;
    imp_field_was *was;    /* every field it had, when not created */
    size_t nwas;
} imp_touched;

/* The state of one run of an import transaction. The transaction function may
 * run more than once (map growth), so imp_begin resets the result. */
typedef struct imp {
    cl_txn *t;
    const cl_import_opts *o;
    const char *name;                /* file name for messages */
    cl_import_result *res;
    idmap *dups;                     /* "e:email" / "p:digits" → contact id */
    idmap *labels[CL_T_MAX + 1];     /* exact label → record id, built on first use */
    idmap *fresh;                    /* record id text → id: created by this import (companies too) */
    idmap *company_keys;             /* a company's name as people read it → id (import.c) */
    struct dup_keys *keys;           /* scratch of the duplicate check (20 KB: not one per row) */
    idmap *touched;                  /* record id text → id: here before, written by this import */
    imp_touched *journal;            /* those and the fresh ones, in the order first written */
    size_t njournal, capjournal;
    size_t last_pct;                 /* progress already reported, in ‰ */
    const cl_record_id *whole;       /* cl_vcard_put: the card is the whole of this record */
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

/* The rows (or cards) of an import under dry_run / skip_bad: which were
 * refused and why. An import runs in passes: a pass imports every row not
 * yet refused; a row refused in a pass marks it and the pass is rolled back
 * (what the row had written with it); a pass with no new refusal is kept
 * (skip_bad) or rolled back too (dry_run). Each pass refuses one row more
 * than the last, so there are at most n + 1. */
typedef struct imp_rows {
    size_t n;
    bool *bad;             /* n */
    char **why;            /* n: the message of a refused row */
    bool again;            /* this pass refused a row */
} imp_rows;

int imp_rows_init(imp_rows *r, size_t n);
void imp_rows_free(imp_rows *r);
/* Whether the import collects refusals (dry_run or skip_bad). */
bool imp_collecting(const imp *m);
/* After row i failed with rc: CL_OK when the import collects refusals and rc
 * is the row's fault (CL_EINVAL: the row is marked, its message kept), else
 * rc. */
int imp_row_failed(imp *m, imp_rows *r, size_t i, int rc);
/* Row i refused before it wrote anything (a card the parser refused): marked
 * with its message, and the pass need not be run again. */
int imp_row_refused(imp_rows *r, size_t i, const char *why);
/* Run fn in passes as above (plain imp_run when not collecting); the
 * refusals go to res->problems in row order, then finish(arg) (may be NULL)
 * adds what it needs (the refused rows' file) inside the last pass. */
int imp_run_rows(cl_store *s, int (*fn)(cl_txn *t, void *arg), int (*finish)(void *arg), void *arg,
                 imp_rows *rows, const cl_import_opts *o, cl_import_result *res);

/* Add a notice "NAME: line N: …" to the result. */
int imp_notice(imp *m, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix the current error message with "NAME: line N: "; returns rc. */
int imp_fail(imp *m, size_t line, int rc);
/* Report progress when it moved by at least 0.5 %. */
void imp_progress(imp *m, size_t done, size_t total);

/* The id of a live record of type whose label (name or title) is exactly
 * label. CL_ENOTFOUND when there is none. */
int imp_find_label(imp *m, uint8_t type, const char *label, cl_record_id *id);
/* The company named name: exactly, else the same but for case, punctuation
 * and a legal form at its end ("Acme, Inc." is "ACME Inc."; a notice at
 * line says so, once per spelling), else created (with the id want when not
 * NULL: the id another book gave it, so that importing that book's
 * companies later updates it instead of adding a second one). */
int imp_company(imp *m, size_t line, const char *name, const cl_record_id *want, cl_record_id *id);

/* A contact that is very likely the same person: exactly this name and the
 * same email or phone (compared as for duplicates). CL_ENOTFOUND if none. */
int imp_same_contact(imp *m, const char *name, const char *email, const char *phone, cl_record_id *id);

/* A contact of exactly this name that was here before this import (a row
 * of the file is never matched with another row). CL_ENOTFOUND if none. */
int imp_same_name(imp *m, const char *name, cl_record_id *id);

/* Create or update a record (cl_record_put_in), count it as created, updated
 * or unchanged, remember its label, and for a new contact report a possible
 * duplicate (same email or phone as another contact). *out (may be NULL)
 * gets its id. */
int imp_put(imp *m, size_t line, uint8_t type, const cl_record_id *id, const cl_assign *a,
            size_t n, cl_record_id *out);

/* At the end of an import that is kept: what it did, in the folder's meta
 * table, so that `undo-import` can take it back (undo.c). */
int imp_journal_save(imp *m);

/* Store one card (vcard.c): the record its UID names, or the one it very
 * likely is (then only filling empty fields and adding new items), or a new
 * one; values a field refuses go to notes with a notice. Edits the card. */
int imp_card(imp *m, cl_vcard *c);
/* Free what a card holds (not the card itself). */
void imp_card_clear(cl_vcard *c);

/* A column of our own CSV layout (csv.c): a field ("phone"), for a field
 * of several items the preferred item's label ("phone label") and the other
 * items in order ("phone 2", "phone 2 label"), beside a reference the name
 * of the record it names ("company name"). */
enum { CSV_VALUE, CSV_LABEL, CSV_NAME };
typedef struct csv_col {
    const cl_field_def *f;   /* NULL: not a column of ours */
    uint8_t role;            /* CSV_VALUE, CSV_LABEL, CSV_NAME */
    uint8_t item;            /* several items: 0 the preferred one, then the others */
} csv_col;
/* Read a header cell (trimmed; our export writes lower case) as a column of
 * type; false when it is none. */
bool csv_column(uint8_t type, const char *header, csv_col *out);

/* Foreign CSV layouts (csv_map.c). */
typedef struct csv_map csv_map;
/* Whether a contact header is another program's (some cell that is no
 * field name is one csv_map reads). */
bool csv_header_foreign(const cl_csv *c);
/* Map the header of c onto a contact's fields (o->map first, then the
 * header's words). *order_guessed: dates like 03/04/1988 were taken day first
 * without the file or the user saying so. */
int csv_map_header(const cl_csv *c, const cl_import_opts *o, csv_map **out, bool *order_guessed);
/* Line i of the mapping's summary: *target ("name", "emails", … "kept in
 * notes") and into out the columns that fill it ("'First Name', 'Last
 * Name'"; empty when none). CL_ENOTFOUND after the last line. */
int csv_map_describe(const csv_map *m, const cl_csv *c, size_t i, const char **target, cl_buf *out);
/* Row r as a card (owned by the caller: imp_card_clear). */
int csv_map_row(const csv_map *m, const cl_csv *c, size_t r, cl_vcard *card);
void csv_map_free(csv_map *m);

#endif
