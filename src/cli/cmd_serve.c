/* serve: the long-running process (web UI; peer sync joins it later). */
#include "cli/cli.h"
#include "clientele/http.h"
#include "clientele/sync.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What `serve` was asked to run. */
typedef struct serve_opts {
    const char *ui;             /* web UI address, HOST:PORT */
    /* peer listener / scheduler / discovery: started by the sync layer */
    const char *listen;         /* peer listener, HOST:PORT */
    long sync_interval;         /* seconds between syncs with each peer */
    bool no_discovery;
    long discovery_port;
} serve_opts;

/* The running services; each start/stop pair below adds one. */
typedef struct services {
    cl_http *http;
    cl_sync_server *peers;
} services;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int start_services(cli *c, const serve_opts *o, services *sv)
{
    cl_http_config hc = {.store = c->store, .ident = c->ident, .listen = o->ui};
    int rc = cl_sync_server_start(c->store, c->ident, o->listen, &sv->peers);
    return rc ? rc : cl_http_start(&hc, &sv->http);
}

static void stop_services(services *sv)
{
    cl_http_stop(sv->http);
    sv->http = NULL;
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
    fflush(stdout);
    while (!stop_requested)
        sigsuspend(&old);
    stop_services(&sv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return EXIT_OK;
}

const cli_cmd cli_serve_cmds[] = {
    {"serve", "serve [--ui HOST:PORT] [--listen HOST:PORT] [--sync-interval SEC] [--no-discovery] [--discovery-port PORT]",
     "Run until SIGINT/SIGTERM: the web UI on --ui (default 127.0.0.1:8080); the peer listener\n"
     "(--listen, default 0.0.0.0:7701), syncing with paired peers every --sync-interval seconds\n"
     "(default 60) and LAN discovery (--discovery-port, default 7702) come with peer sync.",
     cmd_serve, true},
    {0},
};
