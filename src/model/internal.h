/* Private to the model layer. */
#ifndef CLIENTELE_MODEL_INTERNAL_H
#define CLIENTELE_MODEL_INTERNAL_H

#include "clientele/model.h"

/* A loaded record's field of several items (multi.c): r->items[f] gets the
 * list (concurrent heads merged per item, their conflicts dropped from r),
 * r->values[f] the preferred item's value. winner: the winning head's op. */
int model_load_items(cl_txn *t, cl_record *r, const cl_field_def *f, const cl_op_id *winner);

/* The ordered indexes of the model's spec (indexes.c), by position. */
enum {
    ORDER_DUE, ORDER_INTERACTIONS, ORDER_BIRTHDAYS, ORDER_ANNIVERSARIES, ORDER_PROMISES,
    ORDER_OPEN_DEALS, ORDER_CADENCE_CONTACTS, ORDER_CADENCE_COMPANIES, ORDER_COMPANY_NAMES, ORDER_CONTACT_NAMES,
    ORDER_COUNT
};

#endif
