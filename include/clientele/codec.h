/*
 * clientele — codec layer: records, history and lists as JSON (cJSON) for the
 * CLI's --json, the HTTP API and the backup; the binary encodings for the wire
 * live in sync. Functions returning cJSON* hand ownership to the caller
 * (cJSON_Delete); NULL means out of memory.
 */
#ifndef CLIENTELE_CODEC_H
#define CLIENTELE_CODEC_H

#include "clientele/model.h"

#include <cjson/cJSON.h>

/* {"id","type","fields":{…},"conflicts":[…],"created","updated","deleted"}.
 * A field of several items appears twice in fields: under its name the
 * preferred item's value ("phone"), under its list's name every item
 * ("phones": [{"value","label"?,"pref"?}]). */
cJSON *cl_json_record(const cl_record *r);
/* {"field","from","to","device","at","seq","concurrent","group"}, and for a
 * reference "from_name","to_name" */
cJSON *cl_json_change(const cl_change *c);
/* The schema table: {"types":[{"name","label","fields":[{"name","id","kind",
 * "required","searchable","multiline","multi","max_len","ref"?,"list"?,
 * "choices"?}]}]} ("list": a multi field's list name, e.g. "phones")
 * (GET /api/schema: the page builds its field lists and editors from it). */
cJSON *cl_json_schema(void);

/* Read a JSON object of field values into assignments for type. Strings are
 * taken as they are, booleans as "true"/"false", null as "" (clear); any other
 * JSON type is CL_EINVAL naming the field. *out holds n entries whose strings
 * are owned by the array: free with cl_assigns_free(). */
int cl_json_assigns(uint8_t type, const cJSON *fields, cl_assign **out, size_t *n);
void cl_assigns_free(cl_assign *a, size_t n);

/* JSON from outside goes through this before cJSON sees it. cJSON parses
 * nested values by recursion, so a few KB of brackets overflow a small thread
 * stack (a civetweb worker's); and it cuts a string at \u0000, so a value
 * would be stored shorter than sent. CL_EINVAL (with a message) when text[0..n)
 * nests arrays and objects deeper than CL_JSON_MAX_DEPTH or a string holds
 * \u0000; CL_OK otherwise (validity is still cJSON's to judge). One pass, no
 * recursion, no allocation. */
#define CL_JSON_MAX_DEPTH 32
int cl_json_check(const char *text, size_t n);

/* Print JSON followed by a newline to stdout. */
int cl_json_print(const cJSON *j);

/* ==========================================================================
 * IMPORT AND EXPORT (issue 5): vCard, CSV and the JSON backup.
 * src/codec/vcard.c, csv.c, backup.c, import.c; the mappings are documented
 * in docs/import-export.md.
 *
 * Imports are all-or-nothing: the file is parsed and then applied in ONE
 * write transaction; any error (with "NAME: line N: reason" in cl_errmsg())
 * aborts it and nothing is stored. Exports read inside the caller's read
 * transaction, so they are a consistent snapshot, and write to a FILE* the
 * caller owns (CL_EIO when writing fails).
 * ========================================================================== */

#include <stdio.h>

typedef struct cl_import_opts {
    const char *name;   /* the file's name, for messages; NULL: "input" */
    uint8_t type;       /* CSV: the type of the rows (0: contact) */
    /* Called now and then with work done out of total (rows, cards or bytes);
     * may be NULL. Runs inside the write transaction: keep it quick. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *ctx;
    /* CSV of contacts in another program's layout (docs/import-export.md):
     * map: the user's "Their Column=field" pairs, one per line or ';' (NULL:
     * the header alone decides); date_order: 'd' or 'm' for dates such as
     * 03/04/1988 that the file leaves ambiguous (0: guessed, with a notice). */
    const char *map;
    char date_order;
    /* The file's character set (NULL: its byte-order mark, valid UTF-8, or a
     * guess among UTF-16 and Windows-1250/1252, with a notice). */
    const char *encoding;
    /* CSV and vCard: instead of refusing the whole file at its first bad row
     * or card, name every one (cl_import_result.problems) and import the
     * others (skip_bad), or store nothing at all and report what would be
     * created, updated and refused (dry_run). */
    bool dry_run, skip_bad;
} cl_import_opts;

/* What an import did. notices are lines for the user (possible duplicates,
 * values kept in notes); the struct owns them: cl_import_result_free(). */
typedef struct cl_import_result {
    size_t created, updated, unchanged;  /* records of the file's rows or cards */
    size_t companies;                    /* companies created for ORG or a company name */
    size_t ops;                          /* backup: ops that were new here */
    size_t duplicates;                   /* possible duplicates reported */
    char **notices;
    size_t nnotices;
    /* dry_run / skip_bad: the rows or cards refused, "NAME: line N: why"
     * each, in file order; refused: those rows again as a file of the same
     * format (the header first, for CSV) to fix and import; NULL if none. */
    char **problems;
    size_t nproblems;
    char *refused;
    size_t refused_len;
} cl_import_result;

void cl_import_result_free(cl_import_result *r);

/* ----- undoing an import (src/codec/undo.c) ----- */

/* A vCard or CSV import that is kept leaves a journal (the last 10 are
 * kept); cl_import_undo takes the newest back with ordinary writes: the
 * records it created are deleted, the fields it changed get their values
 * from before. A record or field written since the import is left as it is
 * (counted in kept). CL_ENOTFOUND when there is no import to undo. */
typedef struct cl_undo_result {
    char name[256];                /* the file the import read */
    uint64_t at;                   /* when it ran, ms since 1970 */
    size_t deleted, restored, kept; /* records deleted, fields restored, left */
} cl_undo_result;
int cl_import_undo(cl_store *s, cl_undo_result *res);

/* ----- vCard (RFC 2426, RFC 6350 and vCard 2.1) ----- */

/* One card, mapped onto clientele's fields but not yet stored. */
typedef struct cl_vcard {
    size_t line;                 /* the line of its BEGIN:VCARD */
    size_t at, len;              /* its text in the file: BEGIN:VCARD to END:VCARD's line end */
    char *refused;               /* parsed with keep_bad: why the card cannot be read, or NULL */
    bool org;                    /* describes an organisation: becomes a company */
    char *uid;                   /* UID as written, or NULL */
    char *company;               /* ORG's organisation name, or NULL */
    char *referred_by;           /* X-CLIENTELE-REFERRED-BY, or NULL */
    char *values[CL_F_MAX + 1];  /* by field number; NULL when absent. notes
                                  * include what has no field of its own */
    cl_items items[CL_F_MAX + 1]; /* fields of several items: every EMAIL, TEL,
                                   * ADR of the card, labelled, the preferred
                                   * one (also in values[]) marked */
    char **warnings;             /* lines for the user, e.g. a year-less birthday */
    size_t nwarnings;
} cl_vcard;

/* Parse every card of a vCard file (2.1, 3.0, 4.0; CRLF or LF; folded lines;
 * QUOTED-PRINTABLE and CHARSET; a UTF-8 byte-order mark). name is used in
 * messages. CL_EINVAL "NAME: line N: reason" for a malformed file. *cards
 * (n of them) belong to the caller: cl_vcards_free(). */
int cl_vcard_parse(const char *data, size_t len, const char *name, cl_vcard **cards, size_t *n);
/* The same, but a card whose content is wrong (a line that is not NAME:value,
 * text that is not UTF-8, an unknown VERSION, no name at all) does not refuse
 * the file: the card is returned with its message in refused. The file's
 * structure (BEGIN/END) is still checked as a whole. */
int cl_vcard_parse_keep_bad(const char *data, size_t len, const char *name, cl_vcard **cards, size_t *n);
void cl_vcards_free(cl_vcard *cards, size_t n);

/* Import the cards of a file as contacts (and companies: ORG finds a company
 * by its exact name or creates it; a card for an organisation becomes a
 * company). A card whose UID is the id of an existing record of its type
 * updates the fields the card has; a UID that is a record id unknown here
 * creates the record with that id; other UIDs are not kept. A card without
 * such a UID that matches a record by exact name (and, for a contact, the
 * same email or phone) only fills that record's empty fields. A value a
 * field refuses (an email without '@') is kept in notes with a notice. */
int cl_vcard_import(cl_store *s, const char *data, size_t len, const cl_import_opts *o,
                    cl_import_result *res);
/* Write the records of type (contact or company) that are not deleted as
 * vCard 4.0, UID = record id. *count (may be NULL) gets the number of cards. */
int cl_vcard_export(cl_txn *t, uint8_t type, FILE *out, size_t *count);

/* ----- one card at a time: the DAV address book (http/dav.c) ----- */

/* The record (a contact or company) as the card cl_vcard_export writes for
 * it, its UID uid (NULL: the record id). *out (*len bytes, NUL-terminated)
 * is the caller's to free. */
int cl_vcard_card(cl_txn *t, const cl_record *r, const char *uid, char **out, size_t *len);
/* Store one card (data, len) as the whole of record id, created with that id
 * when it is not here: every field a card says takes the card's value, and is
 * cleared when the card has none (industry and referred_by, X-CLIENTELE-
 * properties that address books drop, are left as they are); a field whose
 * value does not change writes nothing, so an address book's edit of one
 * field merges with another device's edit of another. ORG finds or creates
 * the company as an import does. *type gets the card's type (an organisation
 * card is a company; it must be the record's), *uid (caller frees; NULL when
 * it is the record id) the card's UID. CL_EINVAL for a body that is not one
 * card, or a value its field refuses (nothing is stored then). */
int cl_vcard_put(cl_txn *t, const cl_record_id *id, const char *data, size_t len, uint8_t *type, char **uid);

/* ----- iCalendar: the DAV task list and dates calendar (codec/ical.c) ----- */

/* One VTODO as a CalDAV client sends it, read but not yet stored. Strings
 * are NULL when the task does not say them; due is YYYY-MM-DD (a date-time
 * gives its date as written). The X-CLIENTELE- links are record ids as text. */
typedef struct cl_todo {
    char *uid, *summary, *due, *description;
    bool done;
    char *contact, *company, *deal;
} cl_todo;

/* Read a VCALENDAR that holds exactly one VTODO (a VTIMEZONE and the task's
 * VALARMs may come with it and are not kept). CL_EINVAL with the reason. */
int cl_ical_todo_parse(const char *data, size_t len, cl_todo *out);
void cl_todo_free(cl_todo *td);
/* The task r as a VCALENDAR with one VTODO, its UID uid (NULL: the record
 * id): SUMMARY, DUE, STATUS, DESCRIPTION (the linked contact, company and
 * deal by name, then the notes), the links as X-CLIENTELE- ids. *out (*len
 * bytes, NUL-terminated) is the caller's to free. */
int cl_ical_task(cl_txn *t, const cl_record *r, const char *uid, char **out, size_t *len);
/* Store one VTODO (data, len) as the whole of task id, created with that id
 * when it is not here: title, due, done and notes take the task's values
 * (cleared when absent; the names DESCRIPTION starts with, as cl_ical_task
 * wrote them, are not notes); links change only when the task carries its
 * X-CLIENTELE- ids. Unchanged fields write nothing. *uid (caller frees; NULL
 * when it is the record id) gets the task's UID. CL_EINVAL for a body that is
 * not one task or a value a field refuses (nothing is stored then). */
int cl_ical_task_put(cl_txn *t, const cl_record_id *id, const char *data, size_t len, char **uid);
/* The dates the calendar shows: a field of a type, the suffix its event's
 * UID adds to the record id, what its summary says, whether it recurs. */
typedef struct cl_ical_date {
    uint8_t type, field;
    const char *suffix, *label;
    bool yearly;
} cl_ical_date;
const cl_ical_date *cl_ical_dates(size_t *n);
/* One date of a record as an all-day VEVENT in a VCALENDAR: a contact's
 * birthday or anniversary (yearly), a deal's promised_by or close_date.
 * CL_ENOTFOUND when the record has no such date. */
int cl_ical_date_event(cl_txn *t, const cl_record *r, uint8_t field, char **out, size_t *len);

/* ----- character sets ----- */

/* Bytes in charset (any name iconv knows; ISO-8859-1 read as Windows-1252)
 * appended to out as UTF-8. CL_EINVAL for an unknown charset or bytes that
 * are not text in it. */
int cl_charset_to_utf8(const char *charset, const void *in, size_t n, cl_buf *out);
/* A file's text as UTF-8 into out: in encoding when given, else by its
 * byte-order mark (UTF-8, UTF-16 LE/BE), as UTF-8 when it is, else guessed
 * (UTF-16 by its NULs, Windows-1250 when its letters show, else 1252), and
 * *assumed names the guess (NULL when the file said or was UTF-8). */
int cl_text_decode(const char *data, size_t len, const char *encoding, cl_buf *out, const char **assumed);

/* ----- CSV (RFC 4180) ----- */

/* A parsed CSV file: row 0 is the header; every row has ncols cells. */
typedef struct cl_csv {
    size_t nrows, ncols;
    char delim;           /* ',' or ';' (detected from the header) or '\t' */
    size_t preamble;      /* lines skipped before the header (LinkedIn's notes) */
    size_t *line;         /* nrows: the line each row starts on */
    size_t *off;          /* nrows * ncols offsets into text */
    cl_buf text;          /* the cells, each NUL-terminated */
} cl_csv;

/* Parse CSV: quoted fields with doubled quotes and line breaks, CRLF or LF,
 * a UTF-8 byte-order mark, ',' ';' or tab as the delimiter (the one the header
 * line uses most). Empty lines are skipped. CL_EINVAL "NAME: line N: reason"
 * for a malformed file (unclosed quote, ragged row, invalid UTF-8).
 * *out belongs to the caller: cl_csv_free(). */
int cl_csv_parse(const char *data, size_t len, const char *name, cl_csv **out);
const char *cl_csv_cell(const cl_csv *c, size_t row, size_t col); /* borrowed */
void cl_csv_free(cl_csv *c);

/* Import rows of o->type: header cells are field names (and "id") and the
 * export's other columns. A row whose id names an existing record updates the
 * fields of its non-empty cells (an empty cell leaves its field alone); other
 * rows create records (with that id when one is given). A reference column
 * takes a record id or the exact name of the record (a company that does not
 * exist is created); beside it "company name" names the record when the id
 * is not in this book. A field of several items with columns beyond its own
 * ("phone label", "phone 2", …) takes the row's items as its whole list. */
int cl_csv_import(cl_store *s, const char *data, size_t len, const cl_import_opts *o,
                  cl_import_result *res);
/* Write the records of type that are not deleted: header "id" then the
 * type's fields (a field of several items: its preferred item), then the
 * name beside each reference ("company name"), then the other items of the
 * fields of several items ("phone label", "phone 2", "phone 2 label", as
 * many as the book needs); CRLF line ends, quoting where needed. */
int cl_csv_export(cl_txn *t, uint8_t type, FILE *out, size_t *count);

/* ----- the JSON backup: every op of every origin ----- */

/* {"format":"clientele-backup","version":1,"ops":[…]} with every op of the op
 * log, per origin in seq order. Nothing local-only (keys, peers, settings).
 * *count (may be NULL) gets the number of ops. */
int cl_backup_export(cl_txn *t, FILE *out, size_t *count);
/* Apply the ops of a backup like a sync would (known ops are skipped), in one
 * transaction: into an empty folder this restores an identical digest. */
int cl_backup_import(cl_store *s, const char *data, size_t len, const cl_import_opts *o,
                     cl_import_result *res);

#endif
