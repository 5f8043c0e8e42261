/* Private to the model layer. */
#ifndef CLIENTELE_MODEL_INTERNAL_H
#define CLIENTELE_MODEL_INTERNAL_H

#include "clientele/model.h"

/* The ordered indexes of the model's spec (indexes.c), by position. */
enum { ORDER_DUE, ORDER_INTERACTIONS, ORDER_BIRTHDAYS, ORDER_COUNT };

#endif
