/* Text in other character sets made UTF-8. The conversion itself is glibc's
 * iconv(3), the tested converter; what is ours is the choice of character set
 * for a file that does not say: its byte-order mark, valid UTF-8, the NULs of
 * UTF-16, or the letters Windows-1250 has where Windows-1252 has symbols. */
#include "codec/import.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

/* ISO-8859-1 is read as Windows-1252, as browsers do: files labelled
 * Latin-1 by Windows programs hold 1252's quotes and euro sign at 0x80–0x9F,
 * where Latin-1 has control codes nobody types. */
static const char *iconv_name(const char *charset)
{
    if (!strncasecmp(charset, "ISO-8859-1", 10) && charset[10] == 0)
        return "WINDOWS-1252";
    if (!strcasecmp(charset, "LATIN1") || !strcasecmp(charset, "ISO8859-1"))
        return "WINDOWS-1252";
    return charset;
}

static int put(cl_buf *out, const void *p, size_t n)
{
    return cl_buf_put(out, p, n) ? cl_seterr(CL_ENOMEM, "out of memory") : CL_OK;
}

/* Whether p is UTF-8 by its byte structure (controls and NULs are the
 * parser's to judge, not a sign of another character set). */
static bool utf8_shaped(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char b = p[i];
        size_t k = b < 0x80 ? 0 : (b & 0xE0) == 0xC0 ? 1 : (b & 0xF0) == 0xE0 ? 2 : (b & 0xF8) == 0xF0 ? 3 : 9;
        if (k == 9 || (k && b < 0xC2) || b > 0xF4 || i + k >= n)
            return false;
        for (size_t j = 1; j <= k; j++)
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

int cl_charset_to_utf8(const char *charset, const void *in, size_t n, cl_buf *out)
{
    iconv_t cd = iconv_open("UTF-8", iconv_name(charset));
    if (cd == (iconv_t)-1)
        return cl_seterr(CL_EINVAL, "the character set %s is not supported", charset);
    char *src = (char *)in;
    size_t left = n;
    int rc = CL_OK;
    while (!rc && left) { /* each round converts or grows: bounded by n */
        if (cl_buf_reserve(out, left * 2 + 16)) {
            rc = cl_seterr(CL_ENOMEM, "out of memory");
            break;
        }
        char *dst = (char *)out->data + out->len;
        size_t room = out->cap - out->len, before = room;
        size_t r = iconv(cd, &src, &left, &dst, &room);
        out->len += before - room;
        if (r == (size_t)-1 && errno != E2BIG)
            rc = cl_seterr(CL_EINVAL, "byte %zu is not %s text", n - left + 1, charset);
    }
    iconv_close(cd);
    return rc ? rc : put(out, "", 0); /* data is never NULL, even for "" */
}

/* UTF-16 without a byte-order mark: most of the first bytes' odd (LE) or
 * even (BE) positions are NUL, as ASCII text in UTF-16 is. */
static const char *utf16_guess(const unsigned char *p, size_t len)
{
    size_t n = len < 4096 ? len & ~(size_t)1 : 4096, odd = 0, even = 0;
    for (size_t i = 0; i < n; i += 2)
        even += !p[i], odd += !p[i + 1];
    if (n < 4)
        return NULL;
    return odd * 4 >= n ? "UTF-16LE" : even * 4 >= n ? "UTF-16BE" : NULL;
}

/* Bytes that are letters in Windows-1250 (Ł Ą Ş Ż ł ą ş Ľ ľ ż Ť Ź ť) and
 * symbols in 1252 (£ ¥ ª ¯ ³ ¹ º ¼ ¾ ¿ and unused): beside a letter they
 * show a Central European text. */
static bool cp1250_sign(unsigned char b)
{
    return memchr("\xA3\xA5\xAA\xAF\xB3\xB9\xBA\xBC\xBE\xBF\x8D\x8F\x9D", b, 13) != NULL;
}

static bool ascii_letter(unsigned char b)
{
    return (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
}

static const char *single_byte_guess(const unsigned char *p, size_t len)
{
    for (size_t i = 1; i + 1 < len; i++)
        if (cp1250_sign(p[i]) && (ascii_letter(p[i - 1]) || ascii_letter(p[i + 1])))
            return "WINDOWS-1250";
    return "WINDOWS-1252";
}

int cl_text_decode(const char *data, size_t len, const char *encoding, cl_buf *out, const char **assumed)
{
    const unsigned char *p = (const unsigned char *)data;
    const char *cs = encoding;
    *assumed = NULL;
    if (!cs && len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        return put(out, data + 3, len - 3) ? CL_ENOMEM : put(out, "", 0);
    if (!cs && len >= 2 && (!memcmp(p, "\xFF\xFE", 2) || !memcmp(p, "\xFE\xFF", 2))) {
        cs = p[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
        p += 2, len -= 2;
    }
    if (!cs && utf8_shaped(p, len) && !utf16_guess(p, len))
        return put(out, data, len) ? CL_ENOMEM : put(out, "", 0);
    if (!cs && !(cs = utf16_guess(p, len)))
        cs = single_byte_guess(p, len);
    if (!encoding)
        *assumed = cs;
    if (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "UTF8")) {
        if (!utf8_shaped(p, len))
            return cl_seterr(CL_EINVAL, "the file is not valid UTF-8");
        return put(out, p, len) ? CL_ENOMEM : put(out, "", 0);
    }
    int rc = cl_charset_to_utf8(cs, p, len, out);
    if (!rc && out->len >= 3 && !memcmp(out->data, "\xEF\xBB\xBF", 3)) { /* a BOM the user's --encoding kept */
        memmove(out->data, out->data + 3, out->len - 3);
        out->len -= 3;
    }
    return rc;
}
