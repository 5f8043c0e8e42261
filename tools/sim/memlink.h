/* clientele-sim: an in-memory transport for sync sessions (memlink.c).
 *
 * A pipe joins two sessions of one process: what one end sends, the other
 * receives, frame by frame and in order, as over the TLS connection that
 * every real sync uses (src/sync/internal.h: sync_link). The pipe counts
 * what would cross the wire: the frame bytes exactly (header and payload),
 * and an estimate of TLS's own bytes (below). Errors follow util.h. */
#ifndef CLIENTELE_SIM_MEMLINK_H
#define CLIENTELE_SIM_MEMLINK_H

#include "sync/internal.h"

/* TLS's bytes are estimated, not run: each TLS record of TLS 1.2 with
 * ChaCha20-Poly1305 (the first suite, docs/protocol.md) adds a 5-byte header
 * and a 16-byte tag; cl_conn_send writes a frame of up to 1,024 payload
 * bytes as one record, a larger one as its header's record then records of
 * at most 16 KiB. The handshakes and the close_notify alerts are measured
 * once on loopback (mbedTLS 2.28, a no-op sync, two origins): 1,210 bytes
 * in all for a resumed session, of which 330 are frames and records, and
 * about 2,700 for a full handshake (the first sync of a pair). */
#define SIM_TLS_RECORD_OVERHEAD 21
#define SIM_TLS_RECORD_MAX 16384
#define SIM_TLS_RESUMED_BYTES 880
#define SIM_TLS_FULL_BYTES 2700

/* What one end sent. */
typedef struct sim_wire {
    uint64_t frames;
    uint64_t bytes;           /* frame headers + payloads */
    uint64_t tls_records;     /* estimated, as above */
    uint64_t hello_bytes;     /* of which the HELLO frame (header included) */
    uint64_t ops_frames;
} sim_wire;

typedef struct sim_pipe sim_pipe;

/* A pipe between two ends, 0 and 1. *out owned by the caller: sim_pipe_free. */
int sim_pipe_new(sim_pipe **out);
/* End `side` as a link to the device peer (no IP: the server learns no
 * address). The link borrows the pipe. */
void sim_pipe_link(sim_pipe *p, int side, const cl_device_id *peer, sync_link *out);
/* End `side` is done sending (its session returned): once the other end has
 * read what is queued, its recv fails with CL_EIO, as a closed socket's. */
void sim_pipe_close(sim_pipe *p, int side);
const sim_wire *sim_pipe_sent(const sim_pipe *p, int side);
/* Frees what is still queued. NULL is fine. */
void sim_pipe_free(sim_pipe *p);

#endif
