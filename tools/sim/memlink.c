/* clientele-sim: the in-memory transport (memlink.h). One mutex and one
 * condition per pipe: a sync is two threads taking turns, so there is
 * nothing to gain from finer locks. Queues are unbounded: a session sends
 * everything the other lacks before it reads (as TCP's buffers plus a reader
 * that keeps up would let it), and the largest delta of a simulation is a
 * new device's whole book, a few MB at most. */
#include "memlink.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct frame {
    struct frame *next;
    uint8_t type;
    size_t len;
    unsigned char data[];
} frame;

typedef struct end {
    sim_pipe *p;
    int side;
    frame *cur;              /* the frame recv returned last: freed at the next */
} end;

struct sim_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    frame *head[2], *tail[2];   /* frames sent by end i, not yet read */
    bool closed[2];
    sim_wire sent[2];
    end ends[2];
};

int sim_pipe_new(sim_pipe **out)
{
    sim_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return cl_seterr(CL_ENOMEM, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < 2; i++)
        p->ends[i] = (end){p, i, NULL};
    *out = p;
    return CL_OK;
}

/* The records cl_conn_send would write for a payload of len bytes. */
static uint64_t tls_records(size_t len)
{
    if (len <= 1024)
        return 1;
    return 1 + (len + SIM_TLS_RECORD_MAX - 1) / SIM_TLS_RECORD_MAX;
}

static void count(sim_wire *w, uint8_t type, size_t len)
{
    w->frames++;
    w->bytes += CL_FRAME_HDR + len;
    w->tls_records += tls_records(len);
    if (type == CL_MSG_HELLO || type == CL_MSG_VV) /* the hello and its version vector */
        w->hello_bytes += CL_FRAME_HDR + len;
    w->ops_frames += type == CL_MSG_OPS;
}

static int pipe_send(void *ctx, uint8_t type, const void *payload, size_t len)
{
    end *e = ctx;
    sim_pipe *p = e->p;
    if (len > CL_FRAME_MAX)
        return cl_seterr(CL_EINVAL, "frame over the limit");
    frame *f = malloc(sizeof *f + len);
    if (!f)
        return cl_seterr(CL_ENOMEM, "out of memory");
    f->next = NULL;
    f->type = type;
    f->len = len;
    memcpy(f->data, payload, len);
    pthread_mutex_lock(&p->mu);
    if (p->tail[e->side])
        p->tail[e->side]->next = f;
    else
        p->head[e->side] = f;
    p->tail[e->side] = f;
    count(&p->sent[e->side], type, len);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return CL_OK;
}

static int pipe_recv(void *ctx, uint8_t *type, const unsigned char **payload, size_t *len)
{
    end *e = ctx;
    sim_pipe *p = e->p;
    int from = 1 - e->side;
    free(e->cur);
    e->cur = NULL;
    pthread_mutex_lock(&p->mu);
    while (!p->head[from] && !p->closed[from])
        pthread_cond_wait(&p->cv, &p->mu);
    frame *f = p->head[from];
    if (f && !(p->head[from] = f->next))
        p->tail[from] = NULL;
    pthread_mutex_unlock(&p->mu);
    if (!f)
        return cl_seterr(CL_EIO, "the peer closed the connection");
    e->cur = f;
    *type = f->type;
    *payload = f->data;
    *len = f->len;
    return CL_OK;
}

void sim_pipe_link(sim_pipe *p, int side, const cl_device_id *peer, sync_link *out)
{
    memset(out, 0, sizeof *out);
    out->send = pipe_send;
    out->recv = pipe_recv;
    out->ctx = &p->ends[side];
    out->peer = *peer;
}

void sim_pipe_close(sim_pipe *p, int side)
{
    pthread_mutex_lock(&p->mu);
    p->closed[side] = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

const sim_wire *sim_pipe_sent(const sim_pipe *p, int side)
{
    return &p->sent[side];
}

void sim_pipe_free(sim_pipe *p)
{
    if (!p)
        return;
    for (int i = 0; i < 2; i++) {
        free(p->ends[i].cur);
        for (frame *f = p->head[i], *next; f; f = next) {
            next = f->next;
            free(f);
        }
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
