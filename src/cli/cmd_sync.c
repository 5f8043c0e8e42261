/* peer (add, list, rm, revoke, introducer, dismiss, invite, join) and sync. */
#include "cli/cli.h"
#include "clientele/hlc.h"
#include "clientele/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_device(const cli_cmd *cmd, const char *text, cl_device_id *id)
{
    if (cl_device_id_parse(text, id))
        return cli_usage(cmd, "%s", cl_errmsg());
    return EXIT_OK;
}

static int peer_add(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    const char *addr = NULL, *name = NULL, *pos[1];
    const cli_opt opts[] = {{"addr", &addr, NULL}, {"name", &name, NULL}, {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 1, &npos);
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage(cmd, "peer add needs a DEVICE-ID");
    cl_device_id id;
    char host[256];
    uint16_t port;
    if ((rc = parse_device(cmd, pos[0], &id)))
        return rc;
    if (addr && cl_addr_parse(addr, host, sizeof host, &port))
        return cli_usage(cmd, "%s", cl_errmsg());
    if (cl_peer_add(c->store, &id, addr, name))
        return cli_fail();
    char text[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&id, text);
    printf("paired with %s\n", text);
    return EXIT_OK;
}

/* The one DEVICE-ID of `peer SUB DEVICE-ID`. */
static int one_device(const cli_cmd *cmd, int argc, char **argv, const char *sub, cl_device_id *id)
{
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 1, &npos);
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage(cmd, "peer %s needs a DEVICE-ID", sub);
    return parse_device(cmd, pos[0], id);
}

static int peer_rm(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    cl_device_id id;
    int rc = one_device(cmd, argc, argv, "rm", &id);
    if (rc)
        return rc;
    return cl_peer_remove(c->store, c->ident, &id) ? cli_fail() : EXIT_OK;
}

static int peer_revoke(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    cl_device_id id;
    char text[CL_DEVICE_ID_TEXT];
    int rc = one_device(cmd, argc, argv, "revoke", &id);
    if (rc)
        return rc;
    if (cl_peer_revoke(c->store, c->ident, &id))
        return cli_fail();
    cl_device_id_format(&id, text);
    printf("revoked %s: every device refuses it once this revocation reaches it (at their next syncs)\n", text);
    return EXIT_OK;
}

/* `peer introducer DEVICE-ID on|off` */
static int peer_introducer(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    const char *pos[2];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 2, &npos);
    if (rc)
        return rc;
    if (npos != 2 || (strcmp(pos[1], "on") && strcmp(pos[1], "off")))
        return cli_usage(cmd, "peer introducer needs a DEVICE-ID and on or off");
    cl_device_id id;
    char text[CL_DEVICE_ID_TEXT];
    if ((rc = parse_device(cmd, pos[0], &id)))
        return rc;
    bool on = !strcmp(pos[1], "on");
    if (cl_peer_set_introducer(c->store, c->ident, &id, on))
        return cli_fail();
    cl_device_id_format(&id, text);
    if (on)
        printf("introductions from %s on: the devices it is paired with are paired here at the next sync with it\n",
               text);
    else
        printf("introductions from %s off: the devices it introduced are no longer paired here\n", text);
    return EXIT_OK;
}

/* Refuse one pending request, or all of them (a flood of fake identities
 * leaves many). */
static int peer_dismiss(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    bool all = false;
    const char *pos[1];
    const cli_opt opts[] = {{"all", NULL, &all}, {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 1, &npos);
    if (rc)
        return rc;
    if (all == (npos == 1))
        return cli_usage(cmd, "peer dismiss needs a DEVICE-ID or --all");
    if (all) {
        size_t n;
        if (cl_pending_dismiss_all(c->store, &n))
            return cli_fail();
        printf("dismissed %zu pending request%s\n", n, n == 1 ? "" : "s");
        return EXIT_OK;
    }
    cl_device_id id;
    if ((rc = parse_device(cmd, pos[0], &id)))
        return rc;
    return cl_pending_remove(c->store, &id) ? cli_fail() : EXIT_OK;
}

static void when(uint64_t ms, char out[32])
{
    if (ms)
        cl_format_iso(ms, out);
    else
        snprintf(out, 32, "never");
}

/* The folder's last notice (a copy that became a new writer, a device with
 * two histories), with its date. */
static void print_notice(cl_store *s)
{
    char text[300], t[32];
    uint64_t at;
    cl_txn *x;
    if (cl_store_read(s, &x))
        return;
    if (!cl_txn_notice(x, text, sizeof text, &at) && text[0]) {
        when(at, t);
        printf("note (%s): %s\n", t, text);
    }
    cl_txn_end(x);
}

/* Pending requests shown as text: the list is capped (CL_PENDING_MAX) but a
 * screenful is enough to see who asks. */
#define PENDING_SHOWN 10

static int newest_first(const void *a, const void *b)
{
    const cl_pending *x = a, *y = b;
    return x->last_ms < y->last_ms ? 1 : x->last_ms > y->last_ms ? -1 : 0;
}

static void print_peers_text(const cl_peer *p, size_t np, const cl_pending *q, size_t nq)
{
    char id[CL_DEVICE_ID_TEXT], t[32];
    printf("paired devices:%s\n", np ? "" : " none (peer add DEVICE-ID, or peer invite)");
    for (size_t i = 0; i < np; i++) {
        cl_device_id_format(&p[i].id, id);
        when(p[i].last_sync_ms, t);
        printf("  %s  %s  %s  last sync %s", id, p[i].name[0] ? p[i].name : "(no name)",
               p[i].addr[0] ? p[i].addr : "(no address)", t);
        if (p[i].last_sync_ms)
            printf(" (sent %llu, received %llu)", (unsigned long long)p[i].last_sent,
                   (unsigned long long)p[i].last_received);
        if (p[i].introducer)
            printf("  introducer");
        if (p[i].introduced) {
            cl_device_id_format(&p[i].introduced_by, id);
            printf("  introduced by %s", id);
        }
        if (p[i].last_error[0])
            printf("  last error: %s", p[i].last_error);
        if (p[i].next_attempt_ms) {
            when(p[i].next_attempt_ms, t);
            printf("  next attempt %s", t);
        }
        putchar('\n');
    }
    if (nq)
        printf("pending requests (accept with 'clientele peer add DEVICE-ID', refuse with 'clientele peer dismiss "
               "DEVICE-ID' or '--all'):\n");
    for (size_t i = 0; i < nq && i < PENDING_SHOWN; i++) {
        cl_device_id_format(&q[i].id, id);
        when(q[i].last_ms, t);
        printf("  %s  \"%s\"  from %s  last tried %s, %u attempt%s\n", id, q[i].name, q[i].addr[0] ? q[i].addr : "?",
               t, q[i].attempts, q[i].attempts == 1 ? "" : "s");
    }
    if (nq > PENDING_SHOWN)
        printf("  … and %zu more ('peer list --json' shows them all)\n", nq - PENDING_SHOWN);
}

static int peer_list(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    bool json = false;
    const char *pos[1];
    const cli_opt opts[] = {{"json", NULL, &json}, {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    cl_peer *p = NULL;
    cl_pending *q = NULL;
    size_t np = 0, nq = 0;
    if (cl_peer_list(c->store, &p, &np) || cl_pending_list(c->store, &q, &nq)) {
        free(p);
        return cli_fail();
    }
    if (json) {
        cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "peers"),
              *b = cJSON_AddArrayToObject(o, "pending");
        for (size_t i = 0; i < np; i++)
            cJSON_AddItemToArray(a, cl_peer_json(&p[i]));
        for (size_t i = 0; i < nq; i++)
            cJSON_AddItemToArray(b, cl_pending_json(&q[i]));
        cl_json_print(o);
        cJSON_Delete(o);
    } else {
        cli_text_stdout();
        if (nq)
            qsort(q, nq, sizeof *q, newest_first);
        print_peers_text(p, np, q, nq);
        print_notice(c->store);
    }
    free(p);
    free(q);
    return EXIT_OK;
}

/* The addresses to put in an invitation: --addr, else every local IPv4
 * address with the port `serve` listens on (7701 until it has run). */
static void invite_addresses(cli *c, const char *addr, char *out, size_t cap)
{
    if (addr) {
        snprintf(out, cap, "%s", addr);
        return;
    }
    unsigned port = 7701;
    cl_txn *t;
    uint16_t p;
    if (!cl_store_read(c->store, &t)) {
        if (!cl_txn_setting_port(t, &p))
            port = p;
        cl_txn_end(t);
    }
    cl_invite_addresses(NULL, port, out, cap);
}

static int peer_invite(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    const char *addr = NULL, *ttl_s = NULL, *pos[1];
    const cli_opt opts[] = {{"addr", &addr, NULL}, {"ttl", &ttl_s, NULL}, {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    long ttl = CL_INVITE_TTL_S;
    if (ttl_s) {
        char *end;
        ttl = strtol(ttl_s, &end, 10);
        if (*end || ttl < 1 || ttl > 7 * 86400)
            return cli_usage(cmd, "--ttl needs seconds from 1 to 604800");
    }
    char addrs[400], text[CL_INVITE_TEXT];
    invite_addresses(c, addr, addrs, sizeof addrs);
    if (cl_invite_create(c->store, cl_identity_device(c->ident), addrs, (unsigned)ttl, text))
        return cli_fail();
    puts(text);
    fprintf(stderr, "valid once, for %ld minutes; on the other device: clientele peer join '%s'\n",
            (ttl + 59) / 60, text);
    return EXIT_OK;
}

static int peer_join(cli *c, const cli_cmd *cmd, int argc, char **argv)
{
    const char *pos[1];
    bool introducer = false;
    const cli_opt opts[] = {{"introducer", NULL, &introducer}, {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 1, &npos);
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage(cmd, "peer join needs the INVITATION");
    cl_device_id peer;
    char name[CL_NAME_MAX + 1] = "";
    rc = cl_invite_join(c->store, c->ident, pos[0], &peer, name, sizeof name);
    if (rc == CL_EINVAL)
        return cli_usage(cmd, "%s", cl_errmsg());
    if (rc)
        return cli_fail();
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&peer, id);
    printf("paired with %s%s%s%s\n", id, name[0] ? " (" : "", name, name[0] ? ")" : "");
    if (introducer && cl_peer_set_introducer(c->store, c->ident, &peer, true))
        return cli_fail();
    if (introducer)
        printf("introductions from it on: the devices it is paired with are paired here at the next sync with it\n");
    return EXIT_OK;
}

static int cmd_peer(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cli_find("peer");
    if (argc < 2)
        return cli_usage(cmd, "missing sub-command");
    const char *sub = argv[1];
    if (!strcmp(sub, "add")) return peer_add(c, cmd, argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return peer_list(c, cmd, argc - 1, argv + 1);
    if (!strcmp(sub, "rm")) return peer_rm(c, cmd, argc - 1, argv + 1);
    if (!strcmp(sub, "revoke")) return peer_revoke(c, cmd, argc - 1, argv + 1);
    if (!strcmp(sub, "introducer")) return peer_introducer(c, cmd, argc - 1, argv + 1);
    if (!strcmp(sub, "dismiss")) return peer_dismiss(c, cmd, argc - 1, argv + 1);
    if (!strcmp(sub, "invite")) return peer_invite(c, cmd, argc - 1, argv + 1);
    if (!strcmp(sub, "join")) return peer_join(c, cmd, argc - 1, argv + 1);
    return cli_usage(cmd, "unknown sub-command '%s'", sub);
}

static void report(const cl_sync_result *r)
{
    char id[CL_DEVICE_ID_TEXT];
    cl_device_id_format(&r->peer, id);
    printf("synced with %s%s%s%s: sent %llu, received %llu ops in %llu ms (handshake %llu ms%s, %llu bytes on the "
           "wire)\n",
           id, r->peer_name[0] ? " (" : "", r->peer_name, r->peer_name[0] ? ")" : "", (unsigned long long)r->sent,
           (unsigned long long)r->received, (unsigned long long)r->ms, (unsigned long long)r->handshake_ms,
           r->resumed ? ", resumed" : "", (unsigned long long)(r->bytes_sent + r->bytes_received));
    if (r->notice[0])
        fprintf(stderr, "clientele: note: %s\n", r->notice);
}

static int sync_one(cli *c, const char *addr, const cl_device_id *id)
{
    cl_sync_result r;
    if (cl_sync_once(c->store, c->ident, addr, id, &r)) {
        char who[CL_DEVICE_ID_TEXT];
        if (id)
            cl_device_id_format(id, who);
        fprintf(stderr, "clientele: sync with %s failed: %s\n", id ? who : addr, cl_errmsg());
        return EXIT_FAIL;
    }
    report(&r);
    return EXIT_OK;
}

static int cmd_sync(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cli_find("sync");
    const char *pos[1];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 1, &npos);
    if (rc)
        return rc;
    cli_text_stdout(); /* peers' names */
    if (npos == 1) {
        if (strchr(pos[0], ':')) {
            char host[256];
            uint16_t port;
            if (cl_addr_parse(pos[0], host, sizeof host, &port))
                return cli_usage(cmd, "%s", cl_errmsg());
            return sync_one(c, pos[0], NULL);
        }
        cl_device_id id;
        if ((rc = parse_device(cmd, pos[0], &id)))
            return rc;
        return sync_one(c, NULL, &id);
    }
    cl_peer *p;
    size_t n;
    if (cl_peer_list(c->store, &p, &n))
        return cli_fail();
    if (!n)
        printf("no paired devices: 'clientele peer add DEVICE-ID --addr HOST:PORT' or 'clientele peer invite'\n");
    int status = EXIT_OK;
    for (size_t i = 0; i < n; i++)
        if (sync_one(c, NULL, &p[i].id))
            status = EXIT_FAIL;
    free(p);
    return status;
}

const cli_cmd cli_sync_cmds[] = {
    {"peer", "peer add DEVICE-ID [--addr HOST:PORT] [--name NAME] | peer list [--json] | peer rm DEVICE-ID | "
             "peer revoke DEVICE-ID | peer introducer DEVICE-ID on|off | peer dismiss DEVICE-ID|--all | "
             "peer invite [--addr HOST:PORT] [--ttl SEC] | peer join INVITATION [--introducer]",
     "Pairing. A device syncs only with devices paired on its side.\n"
     "  peer add     pair with a device id (also accepts a pending request)\n"
     "  peer list    paired devices with their last sync, and pending requests from unknown devices\n"
     "  peer rm      unpair\n"
     "  peer revoke  revoke a device for every device of the mesh (a stolen laptop)\n"
     "  peer introducer  on: pair with the devices it is paired with (the office desktop); off: unpair them\n"
     "  peer dismiss refuse a pending request (--all: every one)\n"
     "  peer invite  print a one-time invitation (valid 10 minutes, or --ttl SEC)\n"
     "  peer join    redeem another device's invitation: both end paired with each other\n"
     "               (--introducer: and take introductions from it)",
     cmd_peer, true},
    {"sync", "sync [DEVICE-ID|HOST:PORT]",
     "Sync now with one paired device, or with every paired device; prints the ops sent and\n"
     "received. Exit 1 when a peer is unreachable, refuses us or breaks the protocol.",
     cmd_sync, true},
    {0},
};
