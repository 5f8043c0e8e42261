/* Text helpers: folding for search, UTF-8 validation. */
#include "clientele/util.h"

#include <string.h>

/* Base letters of U+00C0..U+017F ('\0' where the character has no plain
 * letter, '*' where it folds to two letters: see fold_pair). */
static const char LATIN[] =
    "aaaaaa*ceeeeiiiidnooooo\0ouuuuy**" /* C0..DF */
    "aaaaaa*ceeeeiiiidnooooo\0ouuuuy*y" /* E0..FF */
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkkllllllllll"
    "nnnnnnnnnoooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

static const char *fold_pair(uint32_t cp)
{
    switch (cp) {
    case 0xC6: case 0xE6: return "ae";
    case 0xDE: case 0xFE: return "th";
    case 0xDF: return "ss";
    case 0x132: case 0x133: return "ij";
    case 0x152: case 0x153: return "oe";
    }
    return NULL;
}

/* Decode one UTF-8 sequence at s (n bytes left); returns its length, or 0 if
 * it is malformed. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!len || len > n || s[0] > 0xF4)
        return 0;
    uint32_t v = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

int cl_fold(cl_buf *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    int rc = cl_buf_reserve(out, n);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) { /* plain ASCII, the common case: no decoding */
            out->data[out->len++] = (unsigned char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
            out->data[out->len] = 0;
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (!len) { /* keep stray bytes as they are */
            rc = cl_buf_put_u8(out, s[i++]);
        } else if (cp < 0x80) {
            rc = cl_buf_put_u8(out, (uint8_t)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
        } else if (cp >= 0x300 && cp <= 0x36F) {
            rc = CL_OK; /* combining accents (decomposed text) */
        } else if (cp >= 0xC0 && cp <= 0x17F && LATIN[cp - 0xC0] == '*') {
            rc = cl_buf_puts(out, fold_pair(cp));
        } else if (cp >= 0xC0 && cp <= 0x17F && LATIN[cp - 0xC0]) {
            rc = cl_buf_put_u8(out, (uint8_t)LATIN[cp - 0xC0]);
        } else if (cp >= 0x218 && cp <= 0x21B) { /* Romanian ș ț with comma */
            rc = cl_buf_put_u8(out, cp < 0x21A ? 's' : 't');
        } else {
            rc = cl_buf_put(out, s + i, len);
        }
        if (rc)
            return rc;
        i += len ? len : 0;
    }
    return CL_OK;
}

bool cl_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (!len)
            return false;
        if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
            return false;
        if (cp == 0x7f)
            return false;
        i += len;
    }
    return true;
}

int cl_escape_controls(cl_buf *out, const char *str, size_t n, bool keep_lines)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        bool line = c == '\n' || c == '\t' || (c == '\r' && i + 1 < n && s[i + 1] == '\n');
        int rc;
        if (c == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
            rc = cl_buf_printf(out, "\\u%04x", s[++i]);
        else if ((c < 0x20 || c == 0x7F) && !(keep_lines && line))
            rc = cl_buf_printf(out, "\\x%02x", c);
        else
            rc = cl_buf_put_u8(out, c);
        if (rc)
            return rc;
    }
    return CL_OK;
}

bool cl_name_valid(const char *s, size_t n)
{
    if (n > CL_NAME_MAX || !cl_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] <= 0x9F))
            return false;
    }
    return true;
}
