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

/* {"id","type","fields":{…},"conflicts":[…],"created","updated","deleted"} */
cJSON *cl_json_record(const cl_record *r);
/* {"field","from","to","device","at","seq","concurrent"} */
cJSON *cl_json_change(const cl_change *c);

/* Read a JSON object of field values into assignments for type. Strings are
 * taken as they are, booleans as "true"/"false", null as "" (clear); any other
 * JSON type is CL_EINVAL naming the field. *out holds n entries whose strings
 * are owned by the array: free with cl_assigns_free(). */
int cl_json_assigns(uint8_t type, const cJSON *fields, cl_assign **out, size_t *n);
void cl_assigns_free(cl_assign *a, size_t n);

/* Print JSON followed by a newline to stdout. */
int cl_json_print(const cJSON *j);

#endif
