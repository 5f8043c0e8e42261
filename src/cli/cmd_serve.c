/* serve: the long-running process: web UI, peer listener, scheduler, LAN
 * discovery. */
#include "cli/cli.h"
#include "clientele/http.h"
#include "clientele/sync.h"

#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What `serve` was asked to run. */
typedef struct serve_opts {
    const char *ui;             /* web UI address, HOST:PORT */
    const char *listen;         /* peer listener, HOST:PORT */
    const char *dav_listen;     /* DAV over TLS, HOST:PORT; NULL: loopback only (the page's port) */
    long sync_interval;         /* seconds between syncs with each peer */
    bool no_discovery;
    long discovery_port;
} serve_opts;

/* The running services; each start/stop pair below adds one. */
typedef struct services {
    cl_store *store;
    cl_http *http;
    cl_http *dav;               /* --dav-listen: the DAV server alone, on loopback... */
    cl_tls_front *dav_front;    /* ...behind TLS on dav_listen */
    char fingerprint[CL_FINGERPRINT_TEXT]; /* of the device's certificate */
    cl_sync_server *peers;
    cl_scheduler *scheduler;
    cl_discovery *discovery;
} services;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

#define ANNOUNCE_EVERY_MS 30000

/* An announcement from a paired device is an address worth trying; one from
 * any other device is only noted (it never grants trust). */
static void heard(void *ctx, const cl_device_id *id, const char *ip, uint16_t port)
{
    services *sv = ctx;
    cl_txn *t;
    cl_peer p;
    if (cl_store_read(sv->store, &t))
        return;
    bool paired = cl_peer_get(t, id, &p) == CL_OK;
    cl_txn_end(t);
    char addr[80], text[CL_DEVICE_ID_TEXT];
    snprintf(addr, sizeof addr, "%s:%u", ip, port);
    if (paired) {
        cl_scheduler_candidate(sv->scheduler, id, addr);
    } else {
        cl_device_id_format(id, text);
        cl_log(CL_LOG_DEBUG, "seen nearby: unpaired device %s at %s", text, addr);
    }
}

/* Serving DAV beyond loopback is asked for, and needs a client that can
 * log in: the front is TLS with the device's certificate, relaying to the
 * DAV server alone on a loopback port of its own. */
static int start_dav_front(cli *c, const serve_opts *o, const cl_http_config *hc, services *sv)
{
    cl_dav_client *v;
    size_t n;
    char host[64], inner[32];
    uint16_t port, inner_port;
    int rc = cl_dav_clients(c->store, &v, &n);
    if (rc)
        return rc;
    free(v);
    if (!n)
        return cl_seterr(CL_EINVAL, "--dav-listen: no DAV client can log in yet (add one first: clientele dav add NAME)");
    if ((rc = cl_addr_parse(o->dav_listen, host, sizeof host, &port)))
        return cl_wraperr(rc, "--dav-listen");
    if (!port)
        return cl_seterr(CL_EINVAL, "--dav-listen needs a port (HOST:PORT), not '%s'", o->dav_listen);
    if ((rc = cl_http_dav_start(hc, port, &sv->dav, &inner_port)))
        return rc;
    snprintf(inner, sizeof inner, "127.0.0.1:%u", inner_port);
    return cl_tls_front_start(c->ident, o->dav_listen, inner, &sv->dav_front);
}

static int start_services(cli *c, const serve_opts *o, services *sv)
{
    sv->store = c->store;
    cl_signer sg;
    cl_identity_signer(c->ident, &sg);
    /* sign what was written while serve was not running (an import): now,
     * once, rather than during the first peer's sync; the scheduler signs
     * later edits as they come */
    int rc = cl_store_seal(c->store, &sg);
    if (!rc)
        rc = cl_sync_server_start(c->store, c->ident, o->listen, &sv->peers);
    if (!rc)
        rc = cl_scheduler_start(c->store, c->ident, (unsigned)o->sync_interval, &sv->scheduler);
    /* a device reachable on loopback only has nothing to announce elsewhere */
    bool loopback_only = !strncmp(o->listen, "127.", 4) || !strncmp(o->listen, "localhost:", 10);
    if (!rc && !o->no_discovery)
        rc = cl_discovery_start(cl_identity_device(c->ident), (uint16_t)o->discovery_port,
                                cl_sync_server_port(sv->peers), loopback_only, ANNOUNCE_EVERY_MS, heard, sv,
                                &sv->discovery);
    cl_http_config hc = {.store = c->store, .ident = c->ident, .listen = o->ui, .peer_listen = o->listen,
                         .sync_now = cl_scheduler_sync_now, .sync_ctx = sv->scheduler,
                         .dav_listen = o->dav_listen, .dav_fingerprint = o->dav_listen ? sv->fingerprint : NULL};
    cl_identity_fingerprint(c->ident, sv->fingerprint);
    if (!rc)
        rc = cl_http_start(&hc, &sv->http);
    return rc || !o->dav_listen ? rc : start_dav_front(c, o, &hc, sv);
}

/* In reverse order of start: nothing stopped is still used by what runs. */
static void stop_services(services *sv)
{
    cl_tls_front_stop(sv->dav_front);
    sv->dav_front = NULL;
    cl_http_stop(sv->dav);
    sv->dav = NULL;
    cl_http_stop(sv->http);
    sv->http = NULL;
    cl_discovery_stop(sv->discovery);
    sv->discovery = NULL;
    cl_scheduler_stop(sv->scheduler);
    sv->scheduler = NULL;
    cl_sync_server_stop(sv->peers);
    sv->peers = NULL;
}

static int parse_number(const cli_cmd *cmd, const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < lo || v > hi)
        return cli_usage(cmd, "--%s needs a number from %ld to %ld, not '%s'", opt, lo, hi, text);
    *out = v;
    return EXIT_OK;
}

static int parse_serve(const cli_cmd *cmd, int argc, char **argv, serve_opts *o)
{
    const char *interval = NULL, *dport = NULL, *pos[1];
    const cli_opt opts[] = {{"ui", &o->ui, NULL},
                            {"listen", &o->listen, NULL},
                            {"dav-listen", &o->dav_listen, NULL},
                            {"sync-interval", &interval, NULL},
                            {"no-discovery", NULL, &o->no_discovery},
                            {"discovery-port", &dport, NULL},
                            {0}};
    int npos, rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos);
    if (!rc && interval)
        rc = parse_number(cmd, "sync-interval", interval, 1, 86400, &o->sync_interval);
    if (!rc && dport)
        rc = parse_number(cmd, "discovery-port", dport, 1, 65535, &o->discovery_port);
    return rc;
}

static int cmd_serve(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cli_find("serve");
    serve_opts o = {.ui = "127.0.0.1:8080", .listen = "0.0.0.0:7701", .sync_interval = 60, .discovery_port = 7702};
    int rc = parse_serve(cmd, argc, argv, &o);
    if (rc)
        return rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Block the stop signals before any thread starts (threads inherit the
     * mask), so they reach this thread, in sigsuspend, and none is missed. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    services sv = {0};
    if (start_services(c, &o, &sv)) {
        stop_services(&sv);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return cli_fail();
    }
    printf("serving the web UI on http://%s/ and peers on %s (port %u)\n", o.ui, o.listen,
           cl_sync_server_port(sv.peers));
    if (sv.dav_front) {
        const char *fp = sv.fingerprint;
        printf("serving DAV over TLS on https://%s/dav/ (port %u); its certificate's SHA-256 fingerprint,\n"
               "to check on the phone when it asks whether to trust it: %s\n",
               o.dav_listen, cl_tls_front_port(sv.dav_front), fp);
        cl_log(CL_LOG_INFO, "DAV over TLS on %s, certificate SHA-256 %s", o.dav_listen, fp);
    }
    char url[256];
    if (isatty(STDOUT_FILENO) && !cl_http_login_url(c->store, url, sizeof url)) /* a person is watching */
        printf("open the page (this link works once, for 2 minutes; later: clientele open): %s\n", url);
    fflush(stdout);
    while (!stop_requested)
        sigsuspend(&old);
    stop_services(&sv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return EXIT_OK;
}

/* The browser, without waiting for it: xdg-open where the desktop has it. */
static bool launch_browser(const char *url)
{
    extern char **environ;
    pid_t pid;
    char *argv[] = {"xdg-open", (char *)url, NULL};
    int status;
    if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ))
        return false;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int cmd_open(cli *c, int argc, char **argv)
{
    bool print_only = false;
    const char *pos[1];
    const cli_opt opts[] = {{"print-url", NULL, &print_only}, {0}};
    int npos, rc = cli_parse(cli_find("open"), argc, argv, opts, pos, 0, &npos);
    if (rc)
        return rc;
    char url[256];
    if (cl_http_login_url(c->store, url, sizeof url))
        return cli_fail();
    if (print_only || !launch_browser(url)) {
        if (!print_only)
            fprintf(stderr, "clientele: no browser could be started: open this address in yours\n");
        printf("%s\n", url);
    }
    return EXIT_OK;
}

/* dav add NAME | dav list | dav rm NAME: the DAV server's clients. */
static int cmd_dav(cli *c, int argc, char **argv)
{
    const cli_cmd *cmd = cli_find("dav");
    const char *pos[2];
    int npos, rc = cli_parse(cmd, argc, argv, NULL, pos, 2, &npos);
    if (rc)
        return rc;
    if (!npos)
        return cli_usage(cmd, "missing sub-command (add, list or rm)");
    const char *sub = pos[0];
    bool named = !strcmp(sub, "add") || !strcmp(sub, "rm");
    if (!named && strcmp(sub, "list"))
        return cli_usage(cmd, "unknown sub-command '%s'", sub);
    if (npos != (named ? 2 : 1))
        return cli_usage(cmd, named ? "%s needs the client's name" : "%s takes no name", sub);
    cli_text_stdout(); /* clients' names */
    if (!strcmp(sub, "add")) {
        char password[CL_DAV_PASSWORD_LEN + 1];
        if (cl_dav_client_add(c->store, pos[1], password))
            return cli_fail();
        printf("DAV client '%s' added. It logs in with\n  user name: %s\n  password:  %s\n"
               "(shown only now; 'clientele dav rm %s' shuts it out). Address: the page's, path /dav/.\n",
               pos[1], pos[1], password, pos[1]);
        return EXIT_OK;
    }
    if (!strcmp(sub, "rm")) {
        if (cl_dav_client_rm(c->store, pos[1]))
            return cli_fail();
        printf("DAV client '%s' removed: its next request is refused\n", pos[1]);
        return EXIT_OK;
    }
    cl_dav_client *v;
    size_t n;
    if (cl_dav_clients(c->store, &v, &n))
        return cli_fail();
    for (size_t i = 0; i < n; i++) {
        char when[32];
        cl_format_iso(v[i].added_ms, when);
        printf("%s\tadded %.10s\n", v[i].name, when);
    }
    if (!n)
        puts("no DAV client (add one with: clientele dav add NAME)");
    free(v);
    return EXIT_OK;
}

const cli_cmd cli_serve_cmds[] = {
    {"serve", "serve [--ui HOST:PORT] [--listen HOST:PORT] [--dav-listen HOST:PORT] [--sync-interval SEC] [--no-discovery] [--discovery-port PORT]",
     "Run until SIGINT/SIGTERM: the web UI on --ui (default 127.0.0.1:8080); the peer listener\n"
     "(--listen, default 0.0.0.0:7701); syncing with every paired peer at start, every\n"
     "--sync-interval seconds (default 60) and soon after local changes, backing off from\n"
     "unreachable peers; LAN discovery by UDP broadcast on --discovery-port (default 7702),\n"
     "off with --no-discovery. The DAV server (docs/dav.md) is on the page's port; with\n"
     "--dav-listen also over TLS on HOST:PORT for phones on the network (the device's\n"
     "certificate, its fingerprint printed; needs a client from 'clientele dav add').",
     cmd_serve, true},
    {"open", "open [--print-url]",
     "Open the page of this folder's serve in the browser, logged in: a fresh login link that\n"
     "works once, for 2 minutes, and sets a session cookie (the page is its owner's alone:\n"
     "other accounts on this computer cannot get one). --print-url prints the link instead.",
     cmd_open, true},
    {"dav", "dav add NAME | dav list | dav rm NAME",
     "The clients of serve's DAV server (address books, phones, calendars: docs/dav.md). add\n"
     "makes a client's password, shown once (the folder keeps its hash); list names them; rm\n"
     "shuts one out from its next request. A client logs in with NAME and that password at\n"
     "http://HOST:PORT/dav/ on the page's address.",
     cmd_dav, true},
    {0},
};
