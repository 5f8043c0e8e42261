/* Content lines, the syntax vCard (RFC 6350 §3.3) and iCalendar (RFC 5545
 * §3.1) share: folded physical lines, [group.]NAME;param=value:value, the
 * backslash escapes of text values. Read by vcard.c and ical.c, written the
 * same way by both. Private to src/codec/. */
#ifndef CLIENTELE_CODEC_LINES_H
#define CLIENTELE_CODEC_LINES_H

#include "clientele/util.h"

#include <stdio.h>

#define VLINE_MAX_PARAMS 32

typedef struct vreader {
    const char *p, *end;
    size_t line;            /* the line p is on */
} vreader;

/* The next logical line into out: folded lines joined (CRLF + space or tab),
 * and for quoted-printable values (vCard 2.1) the soft line breaks too.
 * *lineno is the physical line it starts on. */
int vline_next(vreader *r, cl_buf *out, size_t *lineno);

typedef struct vparam {
    char *name;    /* uppercase; for a bare 2.1 parameter, the value (WORK) */
    char *value;   /* NULL for a bare parameter */
} vparam;

typedef struct vprop {
    char *group;   /* NULL when none */
    char *name;    /* uppercase */
    vparam params[VLINE_MAX_PARAMS];
    size_t nparams;
    char *value;   /* raw: still encoded and escaped */
} vprop;

/* Split line (modified in place: p points into it) into p. CL_EINVAL "not a
 * <format> line" when it is not NAME[;params]:value. */
int vline_parse(char *line, vprop *p, const char *format);
/* A parameter's value, NULL when absent or bare. */
const char *vprop_param(const vprop *p, const char *name);

/* A text value with \\ \, \; \n \N undone (CR dropped), its ends trimmed;
 * malloc'd, NULL when out of memory. */
char *vtext_unescape(const char *s, size_t n);
/* Split on sep where it is not escaped, each part unescaped: the count (at
 * most max); the parts are malloc'd (free with vtext_free_parts). */
size_t vtext_split(const char *s, char sep, char **parts, size_t max);
void vtext_free_parts(char **parts, size_t n);

/* Text with \ , ; and line breaks escaped, appended to b. CL_ENOMEM. */
int vtext_escape(cl_buf *b, const char *v);
/* b written as one content line folded at 75 octets (never inside a UTF-8
 * sequence), CRLF at its end. */
void vline_write(FILE *out, const cl_buf *b);

#endif
