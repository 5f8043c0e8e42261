/* CSV (RFC 4180) in and out: a header row of field names, one record a row. */
#include "codec/import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ----- parsing ----- */

typedef struct csv_parser {
    const char *p, *end;
    const char *name;
    size_t line;          /* the line p is on */
    cl_csv *c;
    size_t cap_rows, cap_off;
    size_t row_cells;     /* cells of the row being read */
} csv_parser;

static int csv_err(csv_parser *ps, size_t line, const char *fmt, const char *arg)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, arg);
    return cl_seterr(CL_EINVAL, "%s: line %zu: %s", ps->name, line, msg);
}

/* The delimiter the header line uses most (outside quotes): ',' by default. */
static char detect_delim(const char *p, const char *end)
{
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted)
            comma += *p == ',', semi += *p == ';', tab += *p == '\t';
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}

static int push_cell(csv_parser *ps, cl_buf *cell)
{
    cl_csv *c = ps->c;
    if (cl_reserve(&c->off, &ps->cap_off, c->nrows * c->ncols + ps->row_cells + 1, sizeof *c->off))
        return CL_ENOMEM;
    size_t at = c->text.len;
    if (cl_buf_put(&c->text, cell->data ? cell->data : (unsigned char *)"", cell->len) ||
        cl_buf_put_u8(&c->text, 0))
        return cl_seterr(CL_ENOMEM, "out of memory");
    if (!cl_utf8_valid((char *)cell->data, cell->len))
        return csv_err(ps, ps->line, "%snot valid UTF-8 text (save the file as UTF-8)", "");
    /* header cells are counted freely; data rows must match the header */
    c->off[(c->ncols ? c->nrows * c->ncols : 0) + ps->row_cells++] = at;
    cl_buf_reset(cell);
    return CL_OK;
}

/* A quoted field: "" is a quote; anything else, line breaks included, as is. */
static int read_quoted(csv_parser *ps, cl_buf *cell)
{
    size_t start = ps->line;
    ps->p++;
    for (;;) {
        const char *q = memchr(ps->p, '"', (size_t)(ps->end - ps->p));
        if (!q)
            return csv_err(ps, start, "%sa quoted field is not closed (missing \")", "");
        for (const char *k = ps->p; k < q; k++)
            ps->line += *k == '\n';
        if (cl_buf_put(cell, ps->p, (size_t)(q - ps->p)))
            return cl_seterr(CL_ENOMEM, "out of memory");
        ps->p = q + 1;
        if (ps->p < ps->end && *ps->p == '"') {
            if (cl_buf_put_u8(cell, '"'))
                return cl_seterr(CL_ENOMEM, "out of memory");
            ps->p++;
            continue;
        }
        return CL_OK;
    }
}

static bool at_eol(const csv_parser *ps)
{
    return ps->p == ps->end || *ps->p == '\n' || *ps->p == '\r';
}

static void skip_eol(csv_parser *ps)
{
    if (ps->p < ps->end && *ps->p == '\r')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '\n')
        ps->p++;
    ps->line++;
}

/* One cell; leaves p on the delimiter or the end of the line. */
static int read_cell(csv_parser *ps, cl_buf *cell)
{
    char d = ps->c->delim;
    if (ps->p < ps->end && *ps->p == '"') {
        int rc = read_quoted(ps, cell);
        if (rc)
            return rc;
        if (!at_eol(ps) && *ps->p != d)
            return csv_err(ps, ps->line, "%stext after the closing quote of a field", "");
        return CL_OK;
    }
    const char *s = ps->p;
    while (!at_eol(ps) && *ps->p != d) {
        if (*ps->p == '"')
            return csv_err(ps, ps->line, "%sa quote inside an unquoted field (quote the field and double the quote)", "");
        if (!*ps->p)
            return csv_err(ps, ps->line, "%sbinary data (a NUL byte): not a CSV file", "");
        ps->p++;
    }
    return cl_buf_put(cell, s, (size_t)(ps->p - s)) ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

static const char *cell_at(const cl_csv *c, size_t i)
{
    return (const char *)c->text.data + c->off[i];
}

static int end_row(csv_parser *ps, size_t line)
{
    cl_csv *c = ps->c;
    /* Thunderbird ends every row with a delimiter: an empty last cell more */
    if (c->ncols && ps->row_cells == c->ncols + 1 && !*cell_at(c, c->nrows * c->ncols + c->ncols))
        ps->row_cells--;
    if (!c->ncols)
        c->ncols = ps->row_cells;
    else if (ps->row_cells != c->ncols) {
        char n[64];
        snprintf(n, sizeof n, "%zu fields where the header has %zu", ps->row_cells, c->ncols);
        return csv_err(ps, line, "%s", n);
    }
    if (cl_reserve(&c->line, &ps->cap_rows, c->nrows + 1, sizeof *c->line))
        return CL_ENOMEM;
    c->line[c->nrows++] = line;
    ps->row_cells = 0;
    return CL_OK;
}

static int read_row(csv_parser *ps, cl_buf *cell)
{
    size_t line = ps->line;
    int rc;
    for (;;) {
        if ((rc = read_cell(ps, cell)) || (rc = push_cell(ps, cell)))
            return rc;
        if (at_eol(ps))
            break;
        ps->p++; /* the delimiter */
    }
    skip_eol(ps);
    return end_row(ps, line);
}

void cl_csv_free(cl_csv *c)
{
    if (!c)
        return;
    free(c->line);
    free(c->off);
    cl_buf_free(&c->text);
    free(c);
}

const char *cl_csv_cell(const cl_csv *c, size_t row, size_t col)
{
    return (const char *)c->text.data + c->off[row * c->ncols + col];
}

/* Lines before the header that a few programs write (LinkedIn's
 * "Notes:" and a quoted paragraph): rows of one cell, at most this many,
 * followed by a row of several. */
#define PREAMBLE_ROWS 10

/* Read every row from start. When a row of several cells follows a header of
 * one within PREAMBLE_ROWS rows, *header_at gets where that row starts (and
 * CL_EINVAL is returned): the caller reads again from there. */
static int parse_from(csv_parser *ps, const char *start, size_t line, const char **header_at, size_t *header_line)
{
    cl_csv *c = ps->c;
    cl_buf_reset(&c->text);
    c->nrows = c->ncols = 0;
    ps->p = start, ps->line = line, ps->row_cells = 0;
    c->delim = detect_delim(ps->p, ps->end);
    cl_buf cell = {0};
    int rc = CL_OK;
    while (!rc && ps->p < ps->end) {
        if (at_eol(ps)) { /* an empty line separates nothing: skip it */
            skip_eol(ps);
            continue;
        }
        const char *row = ps->p;
        size_t row_line = ps->line;
        rc = read_row(ps, &cell);
        if (rc == CL_EINVAL && c->ncols == 1 && c->nrows <= PREAMBLE_ROWS && ps->row_cells > 1 && header_at) {
            *header_at = row;
            *header_line = row_line;
        }
    }
    cl_buf_free(&cell);
    return rc;
}

int cl_csv_parse(const char *data, size_t len, const char *name, cl_csv **out)
{
    csv_parser ps = {data, data + len, name ? name : "input", 1, calloc(1, sizeof(cl_csv)), 0, 0, 0};
    if (!ps.c)
        return cl_seterr(CL_ENOMEM, "out of memory");
    const char *start = data;
    if (len >= 3 && !memcmp(start, "\xEF\xBB\xBF", 3))
        start += 3; /* the byte-order mark spreadsheets write */
    const char *header = NULL;
    size_t header_line = 1;
    int rc = parse_from(&ps, start, 1, &header, &header_line);
    if (rc && header) { /* the rows of one cell were a preamble: read again from the header */
        ps.c->preamble = header_line - 1;
        rc = parse_from(&ps, header, header_line, NULL, NULL);
    }
    if (!rc && !ps.c->nrows)
        rc = cl_seterr(CL_EINVAL, "%s: the file is empty (a CSV file starts with a header row)", ps.name);
    if (rc) {
        cl_csv_free(ps.c);
        return rc;
    }
    *out = ps.c;
    return CL_OK;
}

/* ----- importing ----- */

typedef struct csv_import {
    const char *data;
    size_t len;
    const cl_import_opts *o;
    cl_import_result *res;
    uint8_t type;
    cl_csv *c;
    csv_col *cols;               /* ncols; .f NULL for the id column */
    size_t idcol;                /* ncols when absent */
    bool listed[CL_F_MAX + 1];   /* several items: a column beyond the preferred value */
    size_t nlisted;
    size_t refcol[CL_F_MAX + 1], namecol[CL_F_MAX + 1]; /* references: column + 1, 0 when none */
    const char *assumed;         /* the character set guessed, or NULL */
    imp_rows rows;               /* by row number: refused under dry_run / skip_bad */
} csv_import;

static void trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

static int field_list(uint8_t type, char *out, size_t cap)
{
    size_t n, k = 0;
    const cl_field_def *f = cl_type_fields(type, &n);
    out[0] = 0;
    for (size_t i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", f[i].name);
    return CL_OK;
}

/* The header cell j, trimmed and lowercased, into h. */
static void header_name(const cl_csv *c, size_t j, char *h, size_t cap)
{
    snprintf(h, cap, "%s", cl_csv_cell(c, 0, j));
    trim(h);
    for (char *p = h; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/* Another type whose fields the whole header names: a hint for the user who
 * forgot --type. 0 when none. */
static uint8_t fitting_type(const cl_csv *c, uint8_t not)
{
    for (uint8_t t = 1; t <= CL_T_MAX; t++) {
        bool fits = t != not;
        for (size_t j = 0; fits && j < c->ncols; j++) {
            char h[128];
            header_name(c, j, h, sizeof h);
            fits = !*h || !strcmp(h, "id") || cl_field_lookup(t, h);
        }
        if (fits)
            return t;
    }
    return 0;
}

/* "phone 2" → "phone", 2; 0 when the text does not end in such a number. */
static unsigned item_number(char *base)
{
    char *sp = strrchr(base, ' ');
    if (!sp || !isdigit((unsigned char)sp[1]) || strlen(sp + 1) > 2)
        return 0;
    unsigned n = (unsigned)atoi(sp + 1);
    if (n < 2 || n > CL_ITEMS_MAX)
        return 0;
    *sp = 0;
    return n;
}

/* The field named exactly base (not by its list's name). */
static const cl_field_def *field_named(uint8_t type, const char *base)
{
    const cl_field_def *f = cl_field_lookup(type, base);
    return f && !strcmp(f->name, base) ? f : NULL;
}

bool csv_column(uint8_t type, const char *header, csv_col *out)
{
    char base[128];
    *out = (csv_col){cl_field_lookup(type, header), CSV_VALUE, 0};
    if (out->f || snprintf(base, sizeof base, "%s", header) >= (int)sizeof base)
        return out->f != NULL;
    char *sp = strrchr(base, ' ');
    if (sp && !strcmp(sp, " name")) {
        *sp = 0;
        out->f = field_named(type, base), out->role = CSV_NAME;
        return out->f && out->f->kind == CL_K_REF ? true : (out->f = NULL, false);
    }
    if (sp && !strcmp(sp, " label"))
        *sp = 0, out->role = CSV_LABEL;
    unsigned n = item_number(base);
    out->item = (uint8_t)(n ? n - 1 : 0);
    if (!n && out->role != CSV_LABEL)
        return false;
    out->f = field_named(type, base);
    return out->f && out->f->multi ? true : (out->f = NULL, false);
}

static bool same_column(const csv_col *a, const csv_col *b)
{
    return a->f == b->f && a->role == b->role && a->item == b->item;
}

/* What a column of the header tells the rows: a reference's id or name, a
 * list given whole. */
static void note_column(csv_import *ci, size_t j)
{
    const csv_col *k = &ci->cols[j];
    if (k->f->multi && (k->role == CSV_LABEL || k->item) && !ci->listed[k->f->id])
        ci->listed[k->f->id] = true, ci->nlisted++;
    if (k->f->kind == CL_K_REF)
        (k->role == CSV_NAME ? ci->namecol : ci->refcol)[k->f->id] = j + 1;
}

/* Map header cells to fields: names are matched ignoring case and spaces. */
static int read_header(csv_import *ci, const char *name)
{
    cl_csv *c = ci->c;
    ci->idcol = c->ncols;
    if (!(ci->cols = calloc(c->ncols, sizeof *ci->cols)))
        return cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t j = 0; j < c->ncols; j++) {
        char h[128], list[512];
        header_name(c, j, h, sizeof h);
        if (!*h)
            continue; /* "name,email," as spreadsheets write: must stay empty */
        if (!strcmp(h, "id")) {
            if (ci->idcol != c->ncols)
                return cl_seterr(CL_EINVAL, "%s: line %zu: the column 'id' appears twice", name, c->line[0]);
            ci->idcol = j;
            continue;
        }
        if (!csv_column(ci->type, h, &ci->cols[j])) {
            uint8_t other = fitting_type(c, ci->type);
            if (other)
                return cl_seterr(CL_EINVAL, "%s: line %zu: %s has no field '%s' (the header fits --type %s)",
                                 name, c->line[0], cl_type_name(ci->type), h, cl_type_name(other));
            field_list(ci->type, list, sizeof list);
            return cl_seterr(CL_EINVAL, "%s: line %zu: %s has no field '%s' (the header names fields: id, %s)",
                             name, c->line[0], cl_type_name(ci->type), h, list);
        }
        for (size_t k = 0; k < j; k++)
            if (same_column(&ci->cols[k], &ci->cols[j]))
                return cl_seterr(CL_EINVAL, "%s: line %zu: the column '%s' appears twice", name, c->line[0], h);
        note_column(ci, j);
    }
    return CL_OK;
}

static bool row_empty(const cl_csv *c, size_t r)
{
    for (size_t j = 0; j < c->ncols; j++)
        if (*cl_csv_cell(c, r, j))
            return false;
    return true;
}

/* ----- spreadsheet formulas -----
 * Spreadsheets take a cell that starts with = + - @ (or a tab or carriage
 * return) for a formula when they open a CSV file: a note
 * "=HYPERLINK(…)" typed on a colleague's device would run on the machine
 * of whoever opens the export ("CSV injection"). Such cells are exported
 * behind a ' (which spreadsheets read as "text") and the importer takes one
 * ' off again, so that export → import gives every value back. Numbers, dates
 * and phone numbers ("+40 268 000 111", "-12.50") are left as they are:
 * digits and punctuation alone make no formula that can call anything. */
static bool formula_like(const char *v)
{
    if (*v == '=' || *v == '@' || *v == '\t' || *v == '\r')
        return true;
    if (*v != '+' && *v != '-')
        return false;
    return v[1 + strspn(v + 1, "0123456789 ()./,+-")] != '\0';
}

/* Exported behind a ': formula-like once leading 's are set aside (so that
 * a value that itself starts with ' comes back whole from the importer). */
static bool guarded(const char *v)
{
    return formula_like(v + strspn(v, "'"));
}

static const char *unguard(const char *v)
{
    return *v == '\'' && guarded(v + 1) ? v + 1 : v;
}

/* Whether id is a record of this book (*live: not deleted, of that type). */
static int record_here(cl_txn *t, uint8_t type, const cl_record_id *id, bool *here, bool *live)
{
    cl_record_meta meta;
    int rc = cl_txn_record(t, id, &meta);
    *here = rc == CL_OK;
    *live = *here && !meta.deleted && meta.type == type;
    return rc == CL_ENOTFOUND ? CL_OK : rc;
}

/* A reference: the record id of the id cell when this book has it; else the
 * record the name cell names exactly (the id cell's text when it is no id),
 * a company created when missing, with the file's id when it has one. An id
 * without a name is given on as it is (validation names what is wrong). */
static int resolve_ref(imp *m, size_t line, const cl_field_def *f, const char *idv, const char *namev,
                       char out[CL_RECORD_ID_TEXT])
{
    cl_record_id id;
    bool is_id = *idv && cl_record_id_parse(idv, &id) == CL_OK, here = false, live = false;
    int rc = is_id && *namev ? record_here(m->t, f->ref_type, &id, &here, &live) : CL_OK;
    if (rc)
        return rc;
    if (live || (is_id && !*namev)) {
        snprintf(out, CL_RECORD_ID_TEXT, "%s", idv);
        return CL_OK;
    }
    const char *label = is_id || !*idv ? namev : idv;
    if (f->ref_type == CL_T_COMPANY)
        rc = imp_company(m, line, label, is_id && !here ? &id : NULL, &id);
    else
        rc = imp_find_label(m, f->ref_type, label, &id);
    if (rc)
        return cl_wraperr(rc, "%s", f->name);
    cl_record_id_format(&id, out);
    return CL_OK;
}

static const char *cell_of(const csv_import *ci, size_t r, size_t col1)
{
    return col1 ? unguard(cl_csv_cell(ci->c, r, col1 - 1)) : "";
}

/* A row cannot say where the preferred item stands among the others (it is
 * the field's own column): items the record has keep their places (so that
 * importing an export again changes nothing), new ones follow. */
static int keep_order(uint8_t kind, const cl_items *have, cl_items *it)
{
    size_t at[CL_ITEMS_MAX];
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < it->n; i++)
        rc = cl_items_find(kind, have, it->v[i].value, &at[i]);
    for (size_t i = 1; !rc && i < it->n; i++) /* insertion sort: stable, n ≤ 20 */
        for (size_t k = i; k && at[k - 1] > at[k]; k--) {
            cl_item x = it->v[k];
            size_t a = at[k];
            it->v[k] = it->v[k - 1], at[k] = at[k - 1];
            it->v[k - 1] = x, at[k - 1] = a;
        }
    return rc;
}

/* The list a row gives a field of several items, in the order of have (the
 * record's list, may be NULL). CL_OK with nothing added when all its cells
 * are empty: the field is left alone. */
static int row_list(const csv_import *ci, size_t r, const cl_field_def *f, const cl_items *have, cl_buf *out)
{
    const char *value[CL_ITEMS_MAX] = {0}, *label[CL_ITEMS_MAX] = {0};
    for (size_t j = 0; j < ci->c->ncols; j++)
        if (ci->cols[j].f == f && ci->cols[j].role != CSV_NAME)
            (ci->cols[j].role == CSV_LABEL ? label : value)[ci->cols[j].item] = cell_of(ci, r, j + 1);
    cl_items it = {0};
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < CL_ITEMS_MAX; i++)
        if (value[i] && *value[i])
            rc = cl_items_add(&it, value[i], label[i] && *label[i] ? label[i] : NULL, i == 0);
    if (!rc && have)
        rc = keep_order(f->kind, have, &it);
    cl_buf_reset(out);
    if (!rc && it.n)
        rc = cl_items_format(&it, out);
    cl_items_free(&it);
    return rc ? rc : out->err;
}

/* What one row needs while it is read: its assignments and the texts they
 * point to. */
typedef struct native_row {
    cl_assign *a;                                  /* ncols */
    char refs[CL_F_MAX + 1][CL_RECORD_ID_TEXT];
    cl_buf lists[CL_F_MAX + 1];
    /* A type that refers to its own kind (referred_by): a row may name one
     * that a later row brings. Those references wait for the end. */
    bool *late;                                    /* by row; NULL for other types */
    cl_record_id *made;                            /* by row: the record it wrote */
} native_row;

static bool refers_to_itself(uint8_t type)
{
    size_t n;
    const cl_field_def *f = cl_type_fields(type, &n);
    for (size_t i = 0; i < n; i++)
        if (f[i].kind == CL_K_REF && f[i].ref_type == type)
            return true;
    return false;
}

/* An id that names no record yet (a later row may bring it). */
static bool not_yet_here(cl_txn *t, const char *v)
{
    cl_record_id id;
    cl_record_meta meta;
    return *v && cl_record_id_parse(v, &id) == CL_OK && cl_txn_record(t, &id, &meta) == CL_ENOTFOUND;
}

/* A row's references and lists, one assignment each (none when their cells
 * are empty). id: the record the row updates, or NULL. */
static int row_composed(imp *m, csv_import *ci, size_t r, const cl_record_id *id, native_row *w, size_t *n)
{
    size_t nf;
    const cl_field_def *f = cl_type_fields(ci->type, &nf);
    cl_record *had = NULL;
    int rc = id && ci->nlisted ? cl_record_load(m->t, id, &had) : CL_OK;
    if (rc == CL_ENOTFOUND)
        rc = CL_OK;
    for (size_t i = 0; !rc && i < nf; i++) {
        uint8_t fid = f[i].id;
        const char *v = NULL, *idv = cell_of(ci, r, ci->refcol[fid]), *namev = cell_of(ci, r, ci->namecol[fid]);
        if (f[i].kind == CL_K_REF && f[i].ref_type == ci->type && w->late && not_yet_here(m->t, idv))
            w->late[r] = true;
        else if (f[i].kind == CL_K_REF && (*idv || *namev))
            rc = resolve_ref(m, ci->c->line[r], &f[i], idv, namev, w->refs[fid]), v = w->refs[fid];
        else if (ci->listed[fid] && !(rc = row_list(ci, r, &f[i], had ? &had->items[fid] : NULL, &w->lists[fid])) &&
                 w->lists[fid].len)
            v = (const char *)w->lists[fid].data;
        if (!rc && v)
            w->a[*n].name = ci->listed[fid] ? f[i].list : f[i].name, w->a[(*n)++].value = v;
    }
    if (had)
        cl_record_free(had);
    return rc;
}

static int import_row(imp *m, csv_import *ci, size_t r, native_row *w)
{
    cl_csv *c = ci->c;
    size_t line = c->line[r], n = 0;
    cl_record_id id, *idp = NULL;
    int rc;
    if (ci->idcol < c->ncols && *cl_csv_cell(c, r, ci->idcol)) {
        if (cl_record_id_parse(cl_csv_cell(c, r, ci->idcol), &id))
            return imp_fail(m, line, CL_EINVAL);
        idp = &id;
    }
    for (size_t j = 0; j < c->ncols; j++) {
        const cl_field_def *f = ci->cols[j].f;
        const char *v = unguard(cl_csv_cell(c, r, j));
        if (!f && j != ci->idcol && *v)
            return cl_seterr(CL_EINVAL, "%s: line %zu: a value in column %zu, which has no name in the header",
                             m->name, line, j + 1);
        /* An empty cell leaves the field alone: a sheet that fills some
         * columns for some rows must not wipe the rest (clear with put). */
        if (!f || !*v || f->kind == CL_K_REF || ci->listed[f->id] || ci->cols[j].role != CSV_VALUE)
            continue;
        w->a[n].name = f->name;
        w->a[n++].value = v;
    }
    if ((rc = row_composed(m, ci, r, idp, w, &n)))
        return imp_fail(m, line, rc);
    return imp_put(m, line, ci->type, idp, w->a, n, w->made ? &w->made[r] : NULL);
}

/* The references that waited: every row is in now. */
static int late_refs(imp *m, csv_import *ci, size_t r, native_row *w)
{
    size_t nf, n = 0;
    const cl_field_def *f = cl_type_fields(ci->type, &nf);
    int rc = CL_OK;
    for (size_t i = 0; !rc && i < nf; i++) {
        uint8_t fid = f[i].id;
        const char *idv = cell_of(ci, r, ci->refcol[fid]), *namev = cell_of(ci, r, ci->namecol[fid]);
        if (f[i].kind != CL_K_REF || f[i].ref_type != ci->type || !(*idv || *namev))
            continue;
        if (!(rc = resolve_ref(m, ci->c->line[r], &f[i], idv, namev, w->refs[fid])))
            w->a[n].name = f[i].name, w->a[n++].value = w->refs[fid];
    }
    if (!rc && n)
        rc = cl_record_put_in(m->t, ci->type, &w->made[r], w->a, n, NULL);
    return rc ? imp_fail(m, ci->c->line[r], rc) : CL_OK;
}

static int each_late_row(imp *m, csv_import *ci, native_row *w)
{
    int rc = CL_OK;
    for (size_t r = 1; !rc && w->late && r < ci->c->nrows; r++)
        if (w->late[r] && !ci->rows.bad[r])
            rc = imp_row_failed(m, &ci->rows, r, late_refs(m, ci, r, w));
    return rc;
}

static int encoding_notice(imp *m, const csv_import *ci)
{
    if (!ci->assumed)
        return CL_OK;
    return imp_notice(m, 1, "the file is not UTF-8: read as %s (say --encoding if its letters look wrong)",
                      ci->assumed);
}

/* Every row that is not empty and not yet refused, through one(); a row
 * that fails is refused and the rest go on when the import collects
 * refusals (imp_row_failed), else its error ends the import. */
static int each_row(imp *m, csv_import *ci, int (*one)(imp *m, csv_import *ci, size_t r, void *ctx), void *ctx)
{
    int rc = CL_OK;
    for (size_t r = 1; !rc && r < ci->c->nrows; r++) {
        if (!row_empty(ci->c, r) && !ci->rows.bad[r])
            rc = imp_row_failed(m, &ci->rows, r, one(m, ci, r, ctx));
        imp_progress(m, r, ci->c->nrows - 1);
    }
    return rc;
}

static int native_one(imp *m, csv_import *ci, size_t r, void *ctx)
{
    return import_row(m, ci, r, ctx);
}

static int csv_import_fn(cl_txn *t, void *arg)
{
    csv_import *ci = arg;
    imp m;
    int rc = imp_begin(&m, t, ci->o, ci->res);
    if (!rc)
        rc = encoding_notice(&m, ci);
    native_row *w = calloc(1, sizeof *w);
    bool self = refers_to_itself(ci->type);
    if (w && (!(w->a = calloc(ci->c->ncols, sizeof *w->a)) ||
              (self && (!(w->late = calloc(ci->c->nrows, 1)) || !(w->made = calloc(ci->c->nrows, sizeof *w->made))))))
        free(w->a), free(w->late), free(w->made), free(w), w = NULL;
    if (!w && !rc)
        rc = cl_seterr(CL_ENOMEM, "out of memory");
    if (!rc)
        rc = each_row(&m, ci, native_one, w);
    if (!rc)
        rc = each_late_row(&m, ci, w);
    if (!rc)
        rc = imp_journal_save(&m);
    for (size_t i = 0; w && i <= CL_F_MAX; i++)
        cl_buf_free(&w->lists[i]);
    if (w)
        free(w->a), free(w->late), free(w->made);
    free(w);
    imp_end(&m);
    return rc;
}

/* ----- another program's layout (csv_map.c) ----- */

typedef struct foreign_import {
    csv_import *ci;
    csv_map *map;
    bool order_guessed;
} foreign_import;

static int foreign_notices(imp *m, foreign_import *fi)
{
    cl_csv *c = fi->ci->c;
    cl_buf how = {0};
    const char *target;
    int rc;
    for (size_t i = 0; (rc = csv_map_describe(fi->map, c, i, &target, &how)) == CL_OK; i++)
        if (how.len && (rc = imp_notice(m, c->line[0], "%s ← %s", target, (const char *)how.data)))
            break;
    rc = rc == CL_ENOTFOUND ? CL_OK : rc;
    cl_buf_free(&how);
    if (!rc && c->preamble)
        rc = imp_notice(m, c->line[0], "the %zu line%s before the header skipped", c->preamble,
                        c->preamble == 1 ? "" : "s");
    if (!rc && fi->order_guessed)
        rc = imp_notice(m, c->line[0], "dates such as 03/04/1988 read day first (say --date-order mdy if the "
                                       "month comes first)");
    return rc;
}

static int foreign_one(imp *m, csv_import *ci, size_t r, void *ctx)
{
    const csv_map *map = ctx;
    cl_vcard card;
    int rc = csv_map_row(map, ci->c, r, &card);
    if (rc)
        return rc;
    rc = *card.values[CL_F_NAME] ? imp_card(m, &card)
                                 : imp_notice(m, card.line, "a row with nothing to name it by: skipped");
    imp_card_clear(&card);
    return rc;
}

static int foreign_import_fn(cl_txn *t, void *arg)
{
    foreign_import *fi = arg;
    csv_import *ci = fi->ci;
    imp m;
    int rc = imp_begin(&m, t, ci->o, ci->res);
    if (!rc)
        rc = encoding_notice(&m, ci);
    if (!rc)
        rc = foreign_notices(&m, fi);
    if (!rc)
        rc = each_row(&m, ci, foreign_one, fi->map);
    if (!rc)
        rc = imp_journal_save(&m);
    imp_end(&m);
    return rc;
}

static void put_cell(FILE *out, const char *v);

/* The refused rows as a CSV file of the same header, to fix and import. */
static int refused_rows(void *arg)
{
    csv_import *ci = arg;
    cl_csv *c = ci->c;
    FILE *out = open_memstream(&ci->res->refused, &ci->res->refused_len);
    if (!out)
        return cl_seterr(CL_ENOMEM, "out of memory");
    for (size_t r = 0; r < c->nrows; r++) {
        if (r && !ci->rows.bad[r])
            continue;
        for (size_t j = 0; j < c->ncols; j++) {
            if (j)
                fputc(',', out);
            put_cell(out, cl_csv_cell(c, r, j));
        }
        fputs("\r\n", out);
    }
    if (fclose(out)) {
        free(ci->res->refused);
        ci->res->refused = NULL;
        return cl_seterr(CL_ENOMEM, "out of memory");
    }
    return CL_OK;
}

static int foreign_refused(void *arg)
{
    return refused_rows(((foreign_import *)arg)->ci);
}

static int import_native(cl_store *s, csv_import *ci, const char *name)
{
    int rc = read_header(ci, name);
    return rc ? rc : imp_run_rows(s, csv_import_fn, refused_rows, ci, &ci->rows, ci->o, ci->res);
}

static int import_foreign(cl_store *s, csv_import *ci)
{
    foreign_import fi = {ci, NULL, false};
    int rc = csv_map_header(ci->c, ci->o, &fi.map, &fi.order_guessed);
    if (!rc)
        rc = imp_run_rows(s, foreign_import_fn, foreign_refused, &fi, &ci->rows, ci->o, ci->res);
    csv_map_free(fi.map);
    return rc;
}

int cl_csv_import(cl_store *s, const char *data, size_t len, const cl_import_opts *o,
                  cl_import_result *res)
{
    const char *name = o && o->name ? o->name : "input";
    csv_import ci = {.data = data, .len = len, .o = o, .res = res, .type = o && o->type ? o->type : CL_T_CONTACT};
    memset(res, 0, sizeof *res);
    if (!cl_type_name(ci.type))
        return cl_seterr(CL_EINVAL, "unknown record type");
    cl_buf text = {0};
    int rc = cl_text_decode(data, len, o ? o->encoding : NULL, &text, &ci.assumed);
    if (rc)
        rc = cl_wraperr(rc, "%s", name);
    if (!rc)
        rc = cl_csv_parse((const char *)text.data, text.len, name, &ci.c);
    bool foreign = !rc && ci.type == CL_T_CONTACT && ((o && o->map) || csv_header_foreign(ci.c));
    if (!rc)
        rc = imp_rows_init(&ci.rows, ci.c->nrows);
    if (!rc)
        rc = foreign ? import_foreign(s, &ci) : import_native(s, &ci, name);
    if (rc)
        cl_import_result_free(res);
    imp_rows_free(&ci.rows);
    free(ci.cols);
    cl_csv_free(ci.c);
    cl_buf_free(&text);
    return rc;
}

/* ----- exporting ----- */

static bool needs_quotes(const char *v)
{
    if (!*v)
        return false;
    if (strpbrk(v, ",;\"\r\n\t"))
        return true;
    return isspace((unsigned char)v[0]) || isspace((unsigned char)v[strlen(v) - 1]);
}

static void put_cell(FILE *out, const char *v)
{
    bool quoted = needs_quotes(v);
    if (quoted)
        fputc('"', out);
    if (guarded(v))
        fputc('\'', out);
    if (!quoted) {
        fputs(v, out);
        return;
    }
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

/* What the export writes beyond the fields: per field of several items the
 * most items a record has and whether any has a label (the columns "phone
 * label", "phone 2", …), found in a first pass over the records. */
typedef struct csv_export {
    cl_txn *t;
    FILE *out;
    const cl_field_def *defs;
    size_t ndefs, count;
    size_t most[CL_F_MAX + 1];
    bool labelled[CL_F_MAX + 1];
} csv_export;

static int measure_row(void *arg, const cl_record_id *id)
{
    csv_export *e = arg;
    cl_record *r;
    int rc = cl_record_load(e->t, id, &r);
    for (size_t i = 0; !rc && i < e->ndefs; i++) {
        const cl_items *it = &r->items[e->defs[i].id];
        if (!e->defs[i].multi)
            continue;
        e->most[e->defs[i].id] = it->n > e->most[e->defs[i].id] ? it->n : e->most[e->defs[i].id];
        for (size_t k = 0; k < it->n; k++)
            e->labelled[e->defs[i].id] |= it->v[k].label != NULL;
    }
    if (!rc)
        cl_record_free(r);
    return rc;
}

static void put_header(const csv_export *e)
{
    fputs("id", e->out);
    for (size_t i = 0; i < e->ndefs; i++)
        fprintf(e->out, ",%s", e->defs[i].name);
    for (size_t i = 0; i < e->ndefs; i++)
        if (e->defs[i].kind == CL_K_REF)
            fprintf(e->out, ",%s name", e->defs[i].name);
    for (size_t i = 0; i < e->ndefs; i++) {
        const char *f = e->defs[i].name;
        bool labels = e->labelled[e->defs[i].id];
        if (labels)
            fprintf(e->out, ",%s label", f);
        for (size_t k = 2; k <= e->most[e->defs[i].id]; k++)
            labels ? fprintf(e->out, ",%s %zu,%s %zu label", f, k, f, k) : fprintf(e->out, ",%s %zu", f, k);
    }
    fputs("\r\n", e->out);
}

/* The name of the record a reference names ("" when it is not here). */
static int put_ref_name(csv_export *e, const char *v)
{
    cl_record_id id;
    cl_record *r;
    if (!v || cl_record_id_parse(v, &id)) {
        fputc(',', e->out);
        return CL_OK;
    }
    int rc = cl_record_load(e->t, &id, &r);
    if (rc == CL_ENOTFOUND) {
        fputc(',', e->out);
        return CL_OK;
    }
    if (rc)
        return rc;
    fputc(',', e->out);
    put_cell(e->out, r->deleted ? "" : cl_record_label(r));
    cl_record_free(r);
    return CL_OK;
}

/* The preferred item's label, then the other items in order (the preferred
 * one's value is the field's own column). */
static void put_items(const csv_export *e, const cl_field_def *f, const cl_items *it)
{
    const cl_item *pref = cl_items_preferred(it);
    bool labels = e->labelled[f->id];
    size_t put = 1;
    if (labels)
        fputc(',', e->out), put_cell(e->out, pref && pref->label ? pref->label : "");
    for (size_t k = 0; k < it->n; k++) {
        if (&it->v[k] == pref)
            continue;
        fputc(',', e->out), put_cell(e->out, it->v[k].value);
        if (labels)
            fputc(',', e->out), put_cell(e->out, it->v[k].label ? it->v[k].label : "");
        put++;
    }
    for (; put < e->most[f->id]; put++)
        fputs(labels ? ",," : ",", e->out);
}

static int export_row(void *arg, const cl_record_id *id)
{
    csv_export *e = arg;
    cl_record *r;
    int rc = cl_record_load(e->t, id, &r);
    if (rc)
        return rc;
    char text[CL_RECORD_ID_TEXT];
    cl_record_id_format(id, text);
    fputs(text, e->out);
    for (size_t i = 0; i < e->ndefs; i++) {
        fputc(',', e->out);
        const char *v = r->values[e->defs[i].id];
        put_cell(e->out, v ? v : "");
    }
    for (size_t i = 0; !rc && i < e->ndefs; i++)
        if (e->defs[i].kind == CL_K_REF)
            rc = put_ref_name(e, r->values[e->defs[i].id]);
    for (size_t i = 0; !rc && i < e->ndefs; i++)
        if (e->defs[i].multi)
            put_items(e, &e->defs[i], &r->items[e->defs[i].id]);
    fputs("\r\n", e->out);
    cl_record_free(r);
    e->count++;
    if (!rc && ferror(e->out))
        rc = cl_seterr(CL_EIO, "cannot write the export");
    return rc;
}

int cl_csv_export(cl_txn *t, uint8_t type, FILE *out, size_t *count)
{
    csv_export e = {.t = t, .out = out};
    if (!(e.defs = cl_type_fields(type, &e.ndefs)))
        return cl_seterr(CL_EINVAL, "unknown record type");
    int rc = cl_query_list(t, type, NULL, NULL, 0, measure_row, &e, NULL);
    if (!rc)
        put_header(&e);
    if (!rc)
        rc = cl_query_list(t, type, NULL, NULL, 0, export_row, &e, NULL);
    if (!rc && fflush(out))
        rc = cl_seterr(CL_EIO, "cannot write the export");
    if (count)
        *count = e.count;
    return rc;
}
