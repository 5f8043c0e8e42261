/*
 * clientele — model layer: record types and their fields, validation, record
 * ids, and the queries the product answers (list, search, due tasks, history,
 * conflicts). Built on store.h; errors follow util.h (CL_EINVAL messages are
 * meant for the user: "contact: birthday: not a date (YYYY-MM-DD): 2026-13-01").
 */
#ifndef CLIENTELE_MODEL_H
#define CLIENTELE_MODEL_H

#include "clientele/store.h"

/* Record types. Part of the storage and wire format: never renumber. */
enum cl_type {
    CL_T_NONE = 0,
    CL_T_COMPANY = 1,
    CL_T_CONTACT = 2,
    CL_T_INTERACTION = 3,
    CL_T_TASK = 4,
    CL_T_DEAL = 5,
    CL_T_MAX = 5,
};

/* Field numbers, shared by all types (CL_F_DELETED, 0, is the store's).
 * Part of the storage and wire format: never renumber; a new field takes the
 * next number and one line in the schema table (src/model/schema.c). */
enum cl_field {
    CL_F_NAME = 1, CL_F_INDUSTRY, CL_F_WEBSITE, CL_F_EMAIL, CL_F_PHONE,
    CL_F_ADDRESS, CL_F_NOTES, CL_F_TAGS, CL_F_TITLE, CL_F_COMPANY,
    CL_F_BIRTHDAY, CL_F_REFERRED_BY, CL_F_KIND, CL_F_DATE, CL_F_SUMMARY,
    CL_F_CONTACT, CL_F_DEAL, CL_F_DUE, CL_F_DONE, CL_F_STAGE,
    CL_F_AMOUNT, CL_F_CURRENCY, CL_F_CLOSE_DATE, CL_F_PROMISED_BY, CL_F_CITY,
    CL_F_NICKNAME, CL_F_GIVEN_NAME, CL_F_FAMILY_NAME, CL_F_DEPARTMENT, CL_F_ANNIVERSARY,
    CL_F_PROFILE, CL_F_CADENCE,
    CL_F_MAX = CL_F_CADENCE,
};

enum cl_kind {
    CL_K_TEXT,      /* free text, one line or many */
    CL_K_DATE,      /* YYYY-MM-DD */
    CL_K_DATETIME,  /* YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM) */
    CL_K_BOOL,      /* stored "true" / "false" */
    CL_K_ENUM,      /* one of a fixed list */
    CL_K_REF,       /* the id of a record of ref_type */
    CL_K_DECIMAL,   /* "1200", "-3.50" */
    CL_K_CURRENCY,  /* ISO 4217: three capital letters */
    CL_K_TAGS,      /* comma-separated list */
    CL_K_EMAIL,
    CL_K_URL,
    CL_K_PHONE,
    CL_K_DAYS,      /* a whole number of days, 1 … CL_DAYS_MAX ("30") */
};
#define CL_DAYS_MAX 3650

/* One field of one type: everything any layer needs to know of it. The
 * schema table (src/model/schema.c) is the only place fields are described;
 * the store's indexes, the codecs, the API's /api/schema and the page are
 * all derived from it. */
typedef struct cl_field_def {
    const char *name;
    uint8_t id;            /* enum cl_field */
    uint8_t kind;          /* enum cl_kind */
    uint8_t ref_type;      /* for CL_K_REF: the type it refers to */
    bool required;
    bool searchable;       /* folded into the record's search text */
    bool multiline;        /* text people write in paragraphs (edited in a text area) */
    bool multi;            /* holds several labelled items (items.c): `name` is the
                            * preferred one's value, `list` the whole list */
    const char *list;      /* multi: the list's name in the API and CLI ("phones") */
    uint32_t max_len;      /* bytes */
    const char *const *choices; /* for CL_K_ENUM, NULL-terminated */
} cl_field_def;

const char *cl_kind_name(uint8_t kind);      /* "text", "date", … */

/* What the store must index for the model (derived from the schema table),
 * and a book opened with it: what every layer above the model opens. */
const cl_index_spec *cl_model_indexes(void);
int cl_book_open(const char *dir, const cl_device_id *self, cl_store **out);

const char *cl_type_name(uint8_t type);      /* NULL for an unknown type */
int cl_type_parse(const char *name, uint8_t *type); /* CL_EINVAL with the list */
/* The fields of a type, in display order. */
const cl_field_def *cl_type_fields(uint8_t type, size_t *n);
/* By name, or for a multi field also by its list's name ("phones"). */
const cl_field_def *cl_field_lookup(uint8_t type, const char *name);
const cl_field_def *cl_field_by_id(uint8_t type, uint8_t field);
/* The field that names a record of this type (name, title or summary). */
uint8_t cl_type_label_field(uint8_t type);

/* ----- fields of several items (the schema's `multi` flag: src/model/items.c) ----- */

/* One item: a value, an optional label ("work", "home", "mobile", "other" or
 * the user's own) and whether it is the preferred one. Strings owned. */
typedef struct cl_item {
    char *value;
    char *label;   /* NULL: none */
    bool pref;
} cl_item;
typedef struct cl_items {
    cl_item *v;
    size_t n;
} cl_items;

/* Read a multi field's stored text: a JSON array of {"value","label","pref"}
 * (text that starts "[{" or "[]"), or else a plain value (one item without
 * a label, as folders before issue 16 hold). Empty items are dropped.
 * CL_EINVAL for a list that is not such an array. */
int cl_items_parse(const char *text, size_t len, cl_items *out);
/* Whether stored text is a list (else it is one plain value): no allocation. */
bool cl_items_is_list(const char *text, size_t len);
/* The canonical stored text (appended to out): "" for none, the plain value
 * for one unlabelled item, else the JSON array. */
int cl_items_format(const cl_items *it, cl_buf *out);
int cl_items_add(cl_items *it, const char *value, const char *label, bool pref);
/* *at = the position of the item that is the same as value (as the merge
 * compares them), or it->n. */
int cl_items_find(uint8_t kind, const cl_items *it, const char *value, size_t *at);
/* At most CL_ITEMS_MAX items in a field; a label has at most CL_ITEM_LABEL_MAX
 * bytes on one line. */
#define CL_ITEMS_MAX 20
#define CL_ITEM_LABEL_MAX 40
/* A stored list as people read it, appended to out: the preferred item
 * first, "value (label)" each, "; " between ("+40 1 (mobile); +40 2"); one
 * unlabelled item is its plain value. History shows lists this way. */
int cl_items_readable(const char *text, size_t len, cl_buf *out);
/* The preferred item, else the first; NULL when there is none. Borrowed. */
const cl_item *cl_items_preferred(const cl_items *it);
void cl_items_free(cl_items *it);
/* Merge two concurrent versions of one list against the version both came
 * from: items added on either side are kept, an item removed on one side
 * goes unless the other side changed it, an item both changed takes the
 * winner's (the later write by (hlc, origin)). Items are the same when their
 * values are (phones: by digits; others ignoring case, accents and spaces).
 * The result is the same on every device for the same three inputs. */
int cl_items_merge3(uint8_t kind, const cl_items *base, const cl_items *loser, const cl_items *winner,
                    cl_items *out);

/* ----- writing ----- */

typedef struct cl_assign {
    const char *name;   /* field name */
    const char *value;  /* "" clears the field */
} cl_assign;

/* Create (id == NULL: a new id is written to *out_id) or update a record with
 * the given fields, all in one transaction. Every value is validated first;
 * on any error nothing is stored. Updating a deleted record restores it.
 * Values are normalised (booleans to "true"/"false", emails trimmed, …). */
int cl_record_put(cl_store *s, uint8_t type, const cl_record_id *id,
                  const cl_assign *fields, size_t n, cl_record_id *out_id);
/* The same inside a caller's write transaction (used for batched imports). */
int cl_record_put_in(cl_txn *t, uint8_t type, const cl_record_id *id,
                     const cl_assign *fields, size_t n, cl_record_id *out_id);
/* Validate one value for a field; *norm (caller frees) is the value to store. */
int cl_field_check(cl_txn *t, uint8_t type, const cl_field_def *f, const char *value, char **norm);
/* Whether a peer's op may be stored: the value it writes is what a local
 * write of this version would store (valid UTF-8 without NUL, within the
 * field's length, of its kind, already normalised; references well formed,
 * though their record may not have arrived yet). A field number this version
 * does not know (> CL_F_MAX) is a newer version's: accepted, kept, not
 * shown. CL_EPROTO with the reason. */
int cl_op_check_remote(const cl_op *op);
/* Delete a record (an ordinary write of its hidden deleted field). */
int cl_record_delete(cl_store *s, const cl_record_id *id);
int cl_record_delete_in(cl_txn *t, const cl_record_id *id); /* inside a caller's write transaction */

/* ----- reading ----- */

typedef struct cl_conflict {
    uint8_t field;
    char *value;               /* owned */
    cl_device_id origin;       /* the device that wrote it */
    uint64_t hlc;
    cl_op_id op;               /* the head's op */
} cl_conflict;

typedef struct cl_record {
    cl_record_id id;
    uint8_t type;
    bool deleted;
    uint64_t created, updated;
    char *values[CL_F_MAX + 1];       /* owned; NULL when unset or empty */
    uint64_t hlcs[CL_F_MAX + 1];      /* of the winning write */
    cl_device_id by[CL_F_MAX + 1];    /* author of the winning write */
    cl_conflict *conflicts;           /* owned; the losing concurrent values (none
                                       * for fields of several items: merged) */
    size_t nconflicts;
    cl_items items[CL_F_MAX + 1];     /* fields of several items: the whole list
                                       * (values[] has the preferred one's value) */
} cl_record;

/* Load a record (deleted ones too: check ->deleted). CL_ENOTFOUND. */
int cl_record_load(cl_txn *t, const cl_record_id *id, cl_record **out);
void cl_record_free(cl_record *r);
/* The record's display name ("(unnamed)" when empty). Borrowed from r. */
const char *cl_record_label(const cl_record *r);

/* Records of a type that are not deleted and match query (NULL or "" matches
 * all; otherwise every word of the query must occur in the record's folded
 * text or the name of the company it references), in id order, after `after`,
 * at most limit (0: no limit). *more tells whether more remain. */
int cl_query_list(cl_txn *t, uint8_t type, const char *query, const cl_record_id *after,
                  size_t limit, int (*fn)(void *ctx, const cl_record_id *id), void *ctx,
                  bool *more);
/* The name order of the lists of companies and contacts: the first
 * CL_NAME_KEY bytes of the folded name, then the id. A position in it is a
 * page's cursor. */
#define CL_NAME_KEY 16
typedef struct cl_list_pos {
    unsigned char key[CL_NAME_KEY];
    cl_record_id id;
} cl_list_pos;
/* As cl_query_list, in name order (companies and contacts; CL_EINVAL for the
 * other types), after the position `after` (NULL: from the first); *last
 * (may be NULL) gets the position of the last record fn took (fn returning
 * non-zero has not taken it: a full page). */
int cl_query_list_by_name(cl_txn *t, uint8_t type, const char *query, const cl_list_pos *after, size_t limit,
                          int (*fn)(void *ctx, const cl_record_id *id), void *ctx, bool *more, cl_list_pos *last);
/* Open tasks due on or before today (local date), oldest first. */
int cl_query_due(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx);
/* Interactions, newest date first, at most limit (0: all); those without a
 * date are left out. */
int cl_query_recent(cl_txn *t, size_t limit, int (*fn)(void *ctx, const cl_record_id *id), void *ctx);
/* Contacts whose birthday comes within `days` days of today (local date;
 * 0: today only), soonest first, with the days until it. */
int cl_query_birthdays(cl_txn *t, int days, int (*fn)(void *ctx, const cl_record_id *id, int in_days),
                       void *ctx);

/* ----- the today view's questions (src/model/agenda.c) ----- */

/* The today view's spans: deals that have not moved for CL_STUCK_DAYS are
 * stuck, a promise due within CL_PROMISE_DAYS is at risk, "this week" is the
 * CL_WEEK_DAYS after today. */
#define CL_STUCK_DAYS 30
#define CL_PROMISE_DAYS 2
#define CL_WEEK_DAYS 7
/* Today (local date) plus days, as YYYY-MM-DD. */
void cl_day_offset(int days, char out[11]);
/* Open tasks due from `from` to `to`, both included (YYYY-MM-DD; NULL: no
 * bound), earliest first. */
int cl_query_tasks_due(cl_txn *t, const char *from, const char *to,
                       int (*fn)(void *ctx, const cl_record_id *id), void *ctx);
/* Deals neither won nor lost whose promised_by is on or before `by`,
 * earliest first: promises at risk. */
int cl_query_promises(cl_txn *t, const char *by, int (*fn)(void *ctx, const cl_record_id *id), void *ctx);
/* Deals neither won nor lost whose stage was last set `days` or more days
 * ago (by the stamp of the write that set it), with those days. */
int cl_query_stuck(cl_txn *t, int days, int (*fn)(void *ctx, const cl_record_id *id, int days_in_stage),
                   void *ctx);

/* A contact or company whose cadence has passed since it was last in touch. */
typedef struct cl_touch {
    cl_record_id id;
    int cadence;            /* days */
    char last[11];          /* date of the latest interaction with it; "" none */
    int days_since;         /* since that interaction, or (none) since it was added */
} cl_touch;
/* People to get back to: contacts and companies with a cadence whose latest
 * interaction (an interaction referring to them; logging one clears the
 * reminder) is cadence or more days old, longest past due first. Costs the
 * records with a cadence and their interactions, not the book. */
int cl_query_keep_in_touch(cl_txn *t, int (*fn)(void *ctx, const cl_touch *tc), void *ctx);

/* A contact's birthday or anniversary to come. */
typedef struct cl_occasion {
    cl_record_id id;
    uint8_t field;          /* CL_F_BIRTHDAY or CL_F_ANNIVERSARY */
    int in_days;            /* 0: today */
    int years;              /* the age or the years it marks then; 0 unknown */
} cl_occasion;
/* Birthdays and anniversaries within `days` of today, soonest first. */
int cl_query_occasions(cl_txn *t, int days, int (*fn)(void *ctx, const cl_occasion *o), void *ctx);

/* ----- the Reports view's numbers (src/model/reports.c) ----- */

#define CL_REPORT_STAGES 5          /* lead, proposal, negotiation, won, lost */
#define CL_REPORT_CURRENCIES 8      /* sums kept per tally; more sets overflow */
#define CL_REPORT_SCALE 10000       /* amounts are summed in 1/10,000 … */
#define CL_REPORT_SCALE_DIGITS 4    /* … further decimals cut (as the page's sums) */

typedef struct cl_sum {
    char currency[4];               /* "" for amounts without a currency */
    int64_t units;
} cl_sum;
/* Deals counted, and their amounts summed per currency. */
typedef struct cl_tally {
    uint32_t count;
    size_t nsums;
    cl_sum sums[CL_REPORT_CURRENCIES];
    bool overflow;                  /* a sum did not fit, or too many currencies */
} cl_tally;
typedef struct cl_report_month {
    char month[8];                  /* "2026-12" */
    cl_tally tally;
} cl_report_month;
typedef struct cl_report_outcome {
    char month[8];
    cl_tally won, lost;
} cl_report_outcome;
typedef struct cl_report_count {
    char month[8];
    uint32_t count;
} cl_report_count;
typedef struct cl_report {
    cl_tally stages[CL_REPORT_STAGES];   /* every live deal by stage (none: lead) */
    cl_report_month *closing;            /* open deals by the month of close_date */
    size_t nclosing;
    cl_report_outcome *outcomes;         /* won and lost deals by the month their stage was set */
    size_t noutcomes;
    cl_report_count *interactions;       /* interactions by the (UTC) month of their date */
    size_t ninteractions;
} cl_report;                             /* months ascending; arrays owned */
int cl_report_build(cl_txn *t, cl_report *out);
void cl_report_free(cl_report *r);
const char *cl_report_stage(size_t i);   /* "lead" … "lost" */

/* Live records with conflicts to show (concurrent heads of fields of several
 * items merge and are not conflicts), from the store's index of them. */
int cl_query_conflicted(cl_txn *t, int (*fn)(void *ctx, const cl_record_id *id), void *ctx);
/* Records that refer to id (not deleted), with the field that does, in
 * record order: costs what is related, not the size of the book. */
int cl_query_related(cl_txn *t, const cl_record_id *id,
                     int (*fn)(void *ctx, const cl_record_id *rec, uint8_t field), void *ctx);
/* Records that referred to id once and no longer do (not deleted), with the
 * field: a company's former people. The same on every device that holds the
 * same ops. */
int cl_query_formerly_related(cl_txn *t, const cl_record_id *id,
                              int (*fn)(void *ctx, const cl_record_id *rec, uint8_t field), void *ctx);

typedef struct cl_change {
    uint8_t field;             /* CL_F_DELETED for delete / restore */
    const char *field_name;    /* "deleted" for the hidden field */
    const char *from;          /* previous winning value ("" when none); borrowed */
    const char *to;            /* borrowed */
    cl_device_id origin;
    uint64_t seq, hlc;
    bool concurrent;           /* made without seeing the value it replaced */
    /* a reference's change: the names of the records (borrowed; "" for none,
     * "(unknown record)" for one not here); NULL for other fields */
    const char *from_name, *to_name;
    uint32_t group;            /* changes written together (a record created with
                                * its fields, an import) share it: 1, 2, … */
} cl_change;

/* Every change of a record, oldest first. `from` is the value its author
 * replaced — the one that author had seen, which after concurrent edits is
 * not always the value the previous change in this order wrote. */
int cl_history(cl_txn *t, const cl_record_id *id,
               int (*fn)(void *ctx, const cl_change *c), void *ctx);

/* ==========================================================================
 * MERGING TWO RECORDS (issue 5; src/model/merge.c)
 * ========================================================================== */

typedef struct cl_merge_result {
    size_t refs_moved;      /* reference fields of other records moved to keep */
    size_t fields_filled;   /* keep's empty fields filled from drop */
} cl_merge_result;

/* Merge record drop into record keep (same type, neither deleted), in one
 * transaction: every reference to drop (interactions, tasks, deals, contacts'
 * company and referred_by) is moved to keep; keep's empty fields are filled
 * from drop's, tags are united, and drop's values that differ from keep's are
 * appended to keep's notes (where the type has notes) so nothing is lost;
 * then drop is deleted. CL_ENOTFOUND, or CL_EINVAL (same record, different
 * types, deleted). res may be NULL. */
int cl_record_merge(cl_store *s, const cl_record_id *keep, const cl_record_id *drop,
                    cl_merge_result *res);
/* The same inside a caller's write transaction. */
int cl_record_merge_in(cl_txn *t, const cl_record_id *keep, const cl_record_id *drop,
                       cl_merge_result *res);

#endif
