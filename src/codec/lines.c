/* Content lines of vCard and iCalendar (lines.h). Written by hand: no
 * Debian C library reads both with the lenience real files need (vCard 2.1
 * quoted-printable soft breaks, iOS's CR CR LF, bare parameters). */
#include "codec/lines.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ----- reading lines ----- */

/* The next physical line, without its end: LF, CR LF, CR CR LF (what iOS
 * writes) or a CR alone (old Macs). */
static void phys_line(vreader *r, const char **s, size_t *n)
{
    const char *e = r->p;
    while (e < r->end && *e != '\n' && *e != '\r')
        e++;
    const char *next = e;
    while (next < r->end && *next == '\r')
        next++;
    if (next < r->end && *next == '\n')
        next++;
    *s = r->p;
    *n = (size_t)(e - r->p);
    r->p = next;
    r->line++;
}

/* Does the name-and-parameters part of a line ask for quoted-printable? */
static bool wants_qp(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t len = colon ? (size_t)(colon - s) : n;
    for (size_t i = 0; i + 16 <= len; i++)
        if (!strncasecmp(s + i, "QUOTED-PRINTABLE", 16))
            return true;
    return false;
}

/* The next logical line: folded lines joined (CRLF + space or tab), and for
 * quoted-printable values the soft line breaks ('=' at the end) too. */
int vline_next(vreader *r, cl_buf *out, size_t *lineno)
{
    const char *s;
    size_t n;
    cl_buf_reset(out);
    *lineno = r->line;
    phys_line(r, &s, &n);
    if (cl_buf_put(out, s, n))
        return CL_ENOMEM;
    bool qp = wants_qp(s, n);
    while (r->p < r->end) {
        if (qp && out->len && out->data[out->len - 1] == '=') {
            out->data[--out->len] = 0;
            phys_line(r, &s, &n);
        } else if (*r->p == ' ' || *r->p == '\t') {
            phys_line(r, &s, &n);
            s++, n--;
        } else {
            break;
        }
        if (cl_buf_put(out, s, n))
            return CL_ENOMEM;
    }
    return CL_OK;
}

/* ----- one content line: [group.]NAME *(;param[=value]) : value ----- */

static void upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Split line (modified in place) into p. */
int vline_parse(char *line, vprop *p, const char *format)
{
    memset(p, 0, sizeof *p);
    char *q = line;
    while (name_char(*q))
        q++;
    if (q == line || (*q != ';' && *q != ':'))
        return cl_seterr(CL_EINVAL, "not a %s line (NAME:value expected)", format);
    char *dot = memrchr(line, '.', (size_t)(q - line));
    p->name = dot ? dot + 1 : line;
    p->group = dot ? line : NULL;
    while (*q == ';') {
        *q++ = 0;
        if (p->nparams == VLINE_MAX_PARAMS)
            return cl_seterr(CL_EINVAL, "more than %d parameters", VLINE_MAX_PARAMS);
        vparam *pa = &p->params[p->nparams++];
        pa->name = q;
        while (*q && *q != '=' && *q != ';' && *q != ':')
            q++;
        if (*q == '=') {
            *q++ = 0;
            pa->value = q;
            for (bool quoted = false; *q && (quoted || (*q != ';' && *q != ':')); q++)
                quoted ^= *q == '"';
        }
        if (!*q)
            return cl_seterr(CL_EINVAL, "a parameter is not closed by ':'");
    }
    if (*q != ':')
        return cl_seterr(CL_EINVAL, "not a %s line (NAME:value expected)", format);
    *q++ = 0;
    if (dot)
        *dot = 0;
    p->value = q;
    upper(p->name);
    for (size_t i = 0; i < p->nparams; i++)
        upper(p->params[i].name);
    return CL_OK;
}

const char *vprop_param(const vprop *p, const char *name)
{
    for (size_t i = 0; i < p->nparams; i++)
        if (!strcmp(p->params[i].name, name) && p->params[i].value)
            return p->params[i].value;
    return NULL;
}

/* Undo \\ \, \; \n \N (CR/LF become a newline); trims the ends. */
char *vtext_unescape(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[++i];
            *o++ = c == 'n' || c == 'N' ? '\n' : c;
        } else if (s[i] != '\r') {
            *o++ = s[i];
        }
    }
    while (o > out && isspace((unsigned char)o[-1]))
        o--;
    *o = 0;
    char *b = out;
    while (isspace((unsigned char)*b))
        b++;
    memmove(out, b, (size_t)(o - b) + 1);
    return out;
}

/* Split on sep where it is not escaped; each part unescaped. Returns the
 * count (at most max); parts are malloc'd. */
size_t vtext_split(const char *s, char sep, char **parts, size_t max)
{
    size_t k = 0;
    while (k < max) {
        const char *e = s;
        while (*e && *e != sep)
            e += e[0] == '\\' && e[1] ? 2 : 1;
        parts[k++] = vtext_unescape(s, (size_t)(e - s));
        if (!*e)
            break;
        s = e + 1;
    }
    return k;
}

void vtext_free_parts(char **parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
}

/* Text with \ , ; and line breaks escaped (RFC 6350 §3.4). */
int vtext_escape(cl_buf *b, const char *v)
{
    for (; v && *v; v++) {
        int rc = *v == '\\' || *v == ',' || *v == ';' ? cl_buf_put_u8(b, '\\') || cl_buf_put_u8(b, (uint8_t)*v)
               : *v == '\n' ? cl_buf_puts(b, "\\n")
               : *v == '\r' ? CL_OK : cl_buf_put_u8(b, (uint8_t)*v);
        if (rc)
            return CL_ENOMEM;
    }
    return CL_OK;
}

/* Write one content line folded at 75 octets, never inside a UTF-8 sequence. */
void vline_write(FILE *out, const cl_buf *b)
{
    size_t i = 0, col = 0;
    while (i < b->len) {
        size_t n = 1;
        while (i + n < b->len && (b->data[i + n] & 0xC0) == 0x80)
            n++;
        if (col + n > 75) {
            fputs("\r\n ", out);
            col = 1;
        }
        fwrite(b->data + i, 1, n, out);
        col += n;
        i += n;
    }
    fputs("\r\n", out);
}

