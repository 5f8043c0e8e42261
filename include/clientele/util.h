/*
 * clientele — util layer: the error convention, growable buffers, identifiers,
 * text folding, time, hashing and randomness.
 *
 * THE ERROR CONVENTION (used by every layer of the engine)
 *   Functions that can fail return an int: CL_OK (0) on success or a negative
 *   CL_E* code. Before returning an error they record a one-line, human-readable
 *   message with cl_seterr(); the caller reads it with cl_errmsg() (thread-local,
 *   valid until the next cl_seterr() on the same thread). A caller that adds
 *   context re-records the message with a prefix and returns the same code.
 *   Functions that cannot fail return void or a value directly.
 *
 * OWNERSHIP
 *   Unless a comment says otherwise, pointers passed in are borrowed for the
 *   duration of the call, and pointers returned through out-parameters are owned
 *   by the caller and released with the matching *_free() (or free()).
 */
#ifndef CLIENTELE_UTIL_H
#define CLIENTELE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum cl_error {
    CL_OK = 0,
    CL_ENOMEM = -1,     /* out of memory */
    CL_EINVAL = -2,     /* bad input: a value, a field, a file, an argument */
    CL_ENOTFOUND = -3,  /* no such record, peer, key */
    CL_EIO = -4,        /* file system or socket failure */
    CL_ECORRUPT = -5,   /* stored or received bytes that do not decode */
    CL_EVERSION = -6,   /* data or protocol from an incompatible version */
    CL_ESTORE = -7,     /* LMDB failure */
    CL_ETLS = -8,       /* TLS failure */
    CL_EPROTO = -9,     /* peer broke the sync protocol */
    CL_EDENIED = -10,   /* not allowed: unpaired device, bad token, bad secret */
    CL_EEXIST = -11,    /* already exists */
    CL_ETIMEOUT = -12,  /* peer or operation took too long */
    CL_EFULL = -13,     /* disk or limit full */
    CL_EINTR = -14,     /* interrupted by a signal or shutdown */
    CL_EFORK = -15,     /* two different histories of one writer (a copied folder) */
};

/* What an iteration callback returns to stop early without an error: the
 * iterator stops and returns it unchanged, so the caller that asked for the
 * stop knows it was its own (and turns it into CL_OK). */
#define CL_STOP 1

/* Record an error message (printf-style) for this thread; returns code. */
int cl_seterr(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the current message with "what: "; returns code. */
int cl_wraperr(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message recorded on this thread ("" if none). Borrowed. */
const char *cl_errmsg(void);
/* A short symbolic name for an error code ("not_found", "invalid", ...). */
const char *cl_errname(int code);

/* An error kept across cleanup that may record messages of its own: save it
 * before the cleanup, restore it after, and the caller reports the error that
 * mattered. cl_err_restore returns the saved code. */
typedef struct cl_err_saved {
    int code;
    char msg[512];
} cl_err_saved;
void cl_err_save(cl_err_saved *e, int code);
int cl_err_restore(const cl_err_saved *e);

/* ---------------------------------------------------------------- buffers */

/* A growable byte buffer. Zero-initialise ({0}) before use; release with
 * cl_buf_free(). data is always NUL-terminated after any append (not counted
 * in len), so a buffer of text can be used as a C string. A buffer remembers
 * its first failure (err): a run of appends can be checked once at its end,
 * and what was appended before the failure stays valid. Reset and free clear
 * it. */
typedef struct cl_buf {
    unsigned char *data;
    size_t len, cap;
    int err; /* the first failed append's code: later appends do nothing and return it */
} cl_buf;

int cl_buf_reserve(cl_buf *b, size_t extra);
/* Room for `need` items of `size` bytes in the growable array whose address
 * is `items` (e.g. &v for `T *v`) and capacity *cap, doubling it as needed.
 * On failure the array is left as it was. CL_ENOMEM */
int cl_reserve(void *items, size_t *cap, size_t need, size_t size);
int cl_buf_put(cl_buf *b, const void *p, size_t n);
int cl_buf_puts(cl_buf *b, const char *s);
int cl_buf_printf(cl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cl_buf_put_u8(cl_buf *b, uint8_t v);
int cl_buf_put_be64(cl_buf *b, uint64_t v);
int cl_buf_put_varint(cl_buf *b, uint64_t v);
void cl_buf_reset(cl_buf *b);
void cl_buf_free(cl_buf *b);
/* Hand the bytes to the caller (malloc'd, NUL-terminated) and reset b; NULL
 * when an append failed (b->err), the bytes freed. */
char *cl_buf_steal(cl_buf *b);

/* A bounds-checked reader over borrowed bytes. All getters return CL_OK or
 * CL_ECORRUPT (without a message: callers say what was being decoded). */
typedef struct cl_reader {
    const unsigned char *p, *end;
} cl_reader;

void cl_reader_init(cl_reader *r, const void *p, size_t n);
int cl_get_u8(cl_reader *r, uint8_t *v);
int cl_get_be64(cl_reader *r, uint64_t *v);
int cl_get_varint(cl_reader *r, uint64_t *v);
int cl_get_bytes(cl_reader *r, size_t n, const unsigned char **p);
size_t cl_reader_left(const cl_reader *r);

void cl_be64_put(unsigned char out[8], uint64_t v);
uint64_t cl_be64_get(const unsigned char in[8]);
void cl_be32_put(unsigned char out[4], uint32_t v);
uint32_t cl_be32_get(const unsigned char in[4]);

/* ------------------------------------------------------------- identifiers */

#define CL_DEVICE_ID_LEN 20   /* first 160 bits of SHA-256(public key DER) */
#define CL_DEVICE_ID_TEXT 42  /* 35 symbols in 7 dash-separated groups + NUL */
#define CL_RECORD_ID_LEN 16   /* 48-bit time + 80 random bits */
#define CL_RECORD_ID_TEXT 27  /* 26 lowercase base32 symbols + NUL */

typedef struct cl_device_id { unsigned char b[CL_DEVICE_ID_LEN]; } cl_device_id;
typedef struct cl_record_id { unsigned char b[CL_RECORD_ID_LEN]; } cl_record_id;

/* "ABCDE-FGHIJ-…": 32 base32 symbols of the id, then 3 symbols of a CRC-15 over
 * them, which catches every single wrong symbol and every swap of neighbours. */
void cl_device_id_format(const cl_device_id *id, char out[CL_DEVICE_ID_TEXT]);
/* Accepts any case, spaces and dashes, and the look-alikes 0/O 1/I 8/B.
 * CL_EINVAL with a message saying what is wrong (length, symbol, check). */
int cl_device_id_parse(const char *text, cl_device_id *id);

void cl_record_id_format(const cl_record_id *id, char out[CL_RECORD_ID_TEXT]);
int cl_record_id_parse(const char *text, cl_record_id *id);
int cl_record_id_new(cl_record_id *id);

/* Base32 (RFC 4648 alphabet, no padding). Encode writes ceil(n*8/5) symbols
 * and a NUL; lower selects lowercase. */
void cl_base32_encode(const unsigned char *in, size_t n, char *out, bool lower);
/* Decode exactly nsym symbols into out (nsym*5/8 bytes), any case, reading the
 * look-alikes 0/O 1/I 8/B leniently; the spare low bits must be zero.
 * CL_EINVAL (no message: the caller names what was being read) otherwise. */
int cl_base32_decode(const char *sym, size_t nsym, unsigned char *out);

/* ------------------------------------------------------------------ text */

/* Fold text for search: lowercase, Latin diacritics removed ("Dragoș" →
 * "dragos", "Émile" → "emile"), other UTF-8 kept as is. Appends to out. */
int cl_fold(cl_buf *out, const char *s, size_t n);

/* True when s (NUL-terminated) is valid UTF-8 without NUL or C0 controls
 * other than \t \n \r. */
bool cl_utf8_valid(const char *s, size_t n);

/* The longest device name, in bytes (a name buffer is CL_NAME_MAX + 1). */
#define CL_NAME_MAX 100

/* Whether s is fit to name a device: at most CL_NAME_MAX bytes of valid UTF-8
 * on one line, without any control character (C0 including \t \r \n, DEL,
 * C1). The empty name (unknown) passes: callers that need one check *s. */
bool cl_name_valid(const char *s, size_t n);

/* Text from outside made safe for a terminal or a log line, appended to out:
 * C0 controls (ESC, CR, BEL …) and DEL become \xNN, the C1 controls
 * U+0080–U+009F (which terminals obey too, CSI 0x9B among them) become
 * \u00NN, and a backslash stays a backslash (the escapes are for people, not
 * to be decoded). keep_lines keeps \n, \t and \r\n (a lone \r, which can
 * overwrite a line, is escaped). Other bytes, valid UTF-8 or not, are kept.
 * CL_ENOMEM. */
int cl_escape_controls(cl_buf *out, const char *s, size_t n, bool keep_lines);

/* ------------------------------------------------------------------ time */

/* Wall clock in milliseconds since the Unix epoch (CLOCK_REALTIME), offset by
 * the environment variable CLIENTELE_CLOCK_OFFSET_MS (read once; tests use it
 * to play a laptop with a wrong clock) or by cl_clock_offset_set(). */
uint64_t cl_now_ms(void);
void cl_clock_offset_set(int64_t ms);
/* Monotonic milliseconds, for timeouts and measuring. */
uint64_t cl_mono_ms(void);
/* "2026-03-14T10:30:00.123Z" from milliseconds. out needs 32 bytes. */
void cl_format_iso(uint64_t ms, char out[32]);
/* Today's date in local time, "YYYY-MM-DD" (out needs 11 bytes). */
void cl_today(char out[11]);

/* ------------------------------------------------------ hashing, random */

#define CL_SHA256_LEN 32
void cl_sha256(const void *p, size_t n, unsigned char out[CL_SHA256_LEN]);
/* Incremental SHA-256. The context is opaque and heap-allocated. */
typedef struct cl_sha256_ctx cl_sha256_ctx;
int cl_sha256_begin(cl_sha256_ctx **ctx);
void cl_sha256_update(cl_sha256_ctx *ctx, const void *p, size_t n);
void cl_sha256_end(cl_sha256_ctx *ctx, unsigned char out[CL_SHA256_LEN]); /* frees ctx */
/* The digest of what ctx has absorbed so far; ctx goes on absorbing. */
int cl_sha256_peek(const cl_sha256_ctx *ctx, unsigned char out[CL_SHA256_LEN]);

/* SHA-512 cut to its first 256 bits, incremental: for hashing much data
 * (the op chains), where it is half again as fast as SHA-256 on 64-bit
 * processors without SHA instructions, at the same 128-bit security. */
#define CL_HASH_LEN 32
typedef struct cl_hash_ctx cl_hash_ctx;
int cl_hash_begin(cl_hash_ctx **ctx);
void cl_hash_update(cl_hash_ctx *ctx, const void *p, size_t n);
int cl_hash_peek(const cl_hash_ctx *ctx, unsigned char out[CL_HASH_LEN]);
void cl_hash_end(cl_hash_ctx *ctx, unsigned char out[CL_HASH_LEN]); /* frees ctx */
void cl_hash(const void *p, size_t n, unsigned char out[CL_HASH_LEN]);

/* ------------------------------------------------------------ signatures */

#define CL_SIG_MAX 80       /* an ECDSA P-256 signature, DER: at most 72 bytes */
#define CL_PUBKEY_MAX 160   /* a P-256 public key, DER SubjectPublicKeyInfo: 91 bytes */

/* Signs 32-byte digests with this device's private key. The net layer makes
 * one from the device identity (cl_identity_signer); the store layer uses it
 * to sign its log without knowing where the key lives. pubkey (DER
 * SubjectPublicKeyInfo) is borrowed for the signer's life. */
typedef struct cl_signer {
    int (*sign)(void *ctx, const unsigned char digest[CL_SHA256_LEN], unsigned char sig[CL_SIG_MAX],
                size_t *sig_len);
    void *ctx;
    const unsigned char *pubkey;
    size_t pubkey_len;
} cl_signer;

/* Check an ECDSA signature over digest by the DER public key: CL_OK, or
 * CL_EDENIED when the signature is wrong, CL_EINVAL for an unreadable key. */
int cl_sig_verify(const unsigned char *pubkey, size_t pubkey_len, const unsigned char digest[CL_SHA256_LEN],
                  const unsigned char *sig, size_t sig_len);
/* The device id a public key stands for: the first 160 bits of its SHA-256. */
void cl_device_id_of_pubkey(const unsigned char *pubkey, size_t pubkey_len, cl_device_id *out);

/* Cryptographically strong random bytes (mbedTLS CTR-DRBG seeded from the
 * system entropy source). Thread-safe. */
int cl_random(void *out, size_t n);

/* -------------------------------------------------------------- logging */

enum cl_log_level { CL_LOG_DEBUG, CL_LOG_INFO, CL_LOG_WARN, CL_LOG_ERROR };
/* One line to stderr: "clientele[pid] LEVEL: message". Level from the
 * environment variable CLIENTELE_LOG (debug, info, warn, error; default info). */
void cl_log(enum cl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
