/*
 * clientele — net layer: this device's identity (EC key and self-signed
 * certificate), mutually authenticated TLS connections pinned to device ids,
 * and length-prefixed frames. Errors follow util.h.
 */
#ifndef CLIENTELE_NET_H
#define CLIENTELE_NET_H

#include "clientele/util.h"

typedef struct cl_identity cl_identity;

/* Load the key and certificate of the data folder dir, creating them (EC
 * P-256, owner-only files key.pem and cert.pem) when absent. *out is owned by
 * the caller: cl_identity_free(). It also holds fresh random TLS session-
 * ticket keys for cl_conn_accept(), so a new identity (a restarted process)
 * makes its earlier tickets useless, and the folder name, under which
 * cl_conn_connect() keeps its resumable sessions (tls-sessions/). One
 * identity may serve any number of threads at once. */
int cl_identity_load(const char *dir, bool create, cl_identity **out);
void cl_identity_free(cl_identity *id);
const cl_device_id *cl_identity_device(const cl_identity *id);
/* A signer (util.h) with this device's key, for the store to sign its log.
 * Valid while id lives; safe from any thread. */
void cl_identity_signer(const cl_identity *id, cl_signer *out);

/* SHA-256 of the device's certificate, as "AB:CD:…" (what a phone shows
 * when it asks whether to trust a self-signed server). */
#define CL_FINGERPRINT_TEXT (3 * 32)
void cl_identity_fingerprint(const cl_identity *id, char out[CL_FINGERPRINT_TEXT]);

/* The device id of a DER-encoded certificate's public key. */
int cl_device_id_of_cert(const unsigned char *der, size_t len, cl_device_id *out);

/* ----- frames: [length u32 BE][type u8][payload], length = 1 + payload ----- */

#define CL_FRAME_MAX (1u << 20)   /* payload bytes; a larger frame is an error */
#define CL_FRAME_HDR 5

enum cl_frame_status { CL_FRAME_COMPLETE = 1, CL_FRAME_NEED_MORE = 0 };

/* Parse one frame at the start of buf[0..len). Returns CL_FRAME_COMPLETE with
 * *type, *payload (borrowed from buf), *plen and *consumed set;
 * CL_FRAME_NEED_MORE when buf holds a valid prefix; CL_EPROTO when the length
 * is zero or over CL_FRAME_MAX. Never allocates. */
int cl_frame_parse(const unsigned char *buf, size_t len, uint8_t *type,
                   const unsigned char **payload, size_t *plen, size_t *consumed);
/* The 5-byte header for a payload of plen bytes. */
void cl_frame_header(unsigned char hdr[CL_FRAME_HDR], uint8_t type, size_t plen);

/* ----- addresses and sockets ----- */

/* "HOST:PORT" (IPv4 or a name). CL_EINVAL with a message when malformed. */
int cl_addr_parse(const char *text, char *host, size_t hostcap, uint16_t *port);
/* A listening TCP socket (SO_REUSEADDR) on HOST:PORT; *port_out (may be
 * NULL) gets the bound port (for ":0"). */
int cl_listen(const char *addr, int *fd_out, uint16_t *port_out);
/* The IPv4 addresses of the up interfaces, loopback last, comma-separated
 * into out. */
void cl_local_addresses(char *out, size_t cap);

/* ----- a TLS front for a plain local server (tls_front.c) ----- */

/* Accept TLS on listen ("HOST:PORT") with the device's certificate (no
 * client certificate asked: the clients are phones and address books, who
 * log in inside) and relay each connection's bytes both ways to the plain
 * TCP address target on this machine. At most CL_FRONT_MAX_CONNS at once, 8
 * from one address;
 * the handshake must end within 10 s, a connection closes after 120 s
 * without a byte either way. */
#define CL_FRONT_MAX_CONNS 32
typedef struct cl_tls_front cl_tls_front;
int cl_tls_front_start(const cl_identity *me, const char *listen, const char *target, cl_tls_front **out);
uint16_t cl_tls_front_port(const cl_tls_front *f);
/* Stop accepting, close the connections, wait for their threads. NULL is fine. */
void cl_tls_front_stop(cl_tls_front *f);

/* ----- TLS connections pinned to device ids ----- */

typedef struct cl_conn cl_conn;

/* Connect to addr and complete a TLS handshake as client. The server must
 * present a certificate whose key hashes to *expect (or, when expect is NULL,
 * to a device for which is_known() says true). timeout_ms bounds every read
 * and write. *out owned by the caller: cl_conn_close().
 * With expect, the session saved for that device in the data folder
 * (tls-sessions/, owner-only) is offered for resumption, and a new session is
 * saved after a full handshake; a missing or damaged file only means a full
 * handshake. The pin holds for resumed sessions too. Without expect, nothing
 * is resumed or saved. */
int cl_conn_connect(const cl_identity *me, const char *addr, const cl_device_id *expect,
                    bool (*is_known)(void *ctx, const cl_device_id *id), void *ctx,
                    int timeout_ms, cl_conn **out);
/* Whether the device at addr is *expect: a TCP connect and a full pinned
 * handshake, both within within_ms however the other side paces its bytes,
 * then close. For addresses heard from LAN discovery, which anyone can
 * forge. CL_OK, or the connection's error (CL_ETIMEOUT, CL_EDENIED …). */
int cl_conn_probe(const cl_identity *me, const char *addr, const cl_device_id *expect, int within_ms);
/* Take an accepted socket (ownership passes) and complete the handshake as
 * server. Any certificate is accepted at this stage; the caller must check
 * cl_conn_peer() against its pairings before reading or writing data. */
int cl_conn_accept(const cl_identity *me, int fd, int timeout_ms, cl_conn **out);
/* The same, with a deadline: the handshake and the first frame received
 * (cl_conn_recv) must be done within within_ms of this call, however the
 * other side paces its bytes, or they fail with CL_ETIMEOUT; later reads and
 * writes have only timeout_ms each. within_ms <= 0: no deadline. */
int cl_conn_accept_within(const cl_identity *me, int fd, int timeout_ms, int within_ms, cl_conn **out);
/* The other side's device id, full handshake or resumed. */
const cl_device_id *cl_conn_peer(const cl_conn *c);
/* True when the handshake resumed an earlier session (no certificates or key
 * exchange), on either side. For reporting and tests: never needed for trust. */
bool cl_conn_resumed(const cl_conn *c);
/* Delete the TLS session kept for peer, if any (when it is unpaired). */
void cl_conn_forget_session(const cl_identity *me, const cl_device_id *peer);
/* "a.b.c.d" of the other end. Borrowed. */
const char *cl_conn_peer_ip(const cl_conn *c);
int cl_conn_send(cl_conn *c, uint8_t type, const void *payload, size_t len);
/* Bytes as they are, without a frame header: for tests of the other side's
 * frame parser. */
int cl_conn_write_raw(cl_conn *c, const void *p, size_t n);
/* Read one frame; *payload is valid until the next call. */
int cl_conn_recv(cl_conn *c, uint8_t *type, const unsigned char **payload, size_t *len);
uint64_t cl_conn_bytes_sent(const cl_conn *c);
uint64_t cl_conn_bytes_received(const cl_conn *c);
/* Send close_notify (best effort), close the socket, free. NULL is fine. */
void cl_conn_close(cl_conn *c);

/* ----- LAN discovery: UDP announcements of (device id, sync port) ----- */

typedef struct cl_discovery cl_discovery;

/* Called from the discovery thread for every well-formed announcement from
 * another device. An announcement proves nothing: callers must never grant
 * trust for it, at most try the address with the usual pinned TLS. */
typedef void (*cl_discovery_fn)(void *ctx, const cl_device_id *id, const char *ip, uint16_t port);

/* Bind UDP port (shared with other processes: SO_REUSEADDR/SO_REUSEPORT),
 * announce self at start-up and every interval_ms to the broadcast address of
 * every up IPv4 interface (127.255.255.255 on loopback; only there when
 * loopback_only, as for a device that listens on loopback only), and report
 * what is heard. */
int cl_discovery_start(const cl_device_id *self, uint16_t port, uint16_t sync_port, bool loopback_only,
                       unsigned interval_ms, cl_discovery_fn fn, void *ctx, cl_discovery **out);
void cl_discovery_stop(cl_discovery *d); /* NULL is fine */

/* The datagram: "CLNT" · version (1) · device id (20) · sync port (u16 BE). */
#define CL_ANNOUNCE_LEN 27
void cl_announce_encode(unsigned char out[CL_ANNOUNCE_LEN], const cl_device_id *id, uint16_t port);
int cl_announce_decode(const unsigned char *p, size_t n, cl_device_id *id, uint16_t *port); /* CL_EPROTO */

#endif
