/* The signing ledger: a small file outside the data folder, in the user's
 * state folder ($XDG_STATE_HOME/clientele/signed, else
 * ~/.local/state/clientele/signed), that remembers how far this machine has
 * signed each of its writers. A folder restored from a backup in place
 * (same file, older contents: the inode check in store.c cannot see it)
 * holds fewer ops of its writer than the ledger says were signed, and so
 * knows that it must not number new ops after them. Best effort: a missing
 * or unwritable ledger only means that check is not made.
 *
 * One line per writer, "HEX-ID SEQ", at most LEDGER_MAX lines (the most
 * recently signed kept). Written as a new file renamed over the old. */
#include "store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEDGER_MAX 256

typedef struct entry {
    char hex[2 * CL_DEVICE_ID_LEN + 1];
    unsigned long long seq;
} entry;

static int ledger_path(char *out, size_t cap, bool make_dirs)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char dir[4096];
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/clientele", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.local/state/clientele", home);
    else
        return CL_ENOTFOUND;
    if (make_dirs) { /* mkdir -p, owner only */
        for (char *p = dir + 1; *p; p++)
            if (*p == '/') {
                *p = 0;
                mkdir(dir, 0700);
                *p = '/';
            }
        mkdir(dir, 0700);
    }
    snprintf(out, cap, "%s/signed", dir);
    return CL_OK;
}

static void hex_of(const cl_device_id *w, char out[2 * CL_DEVICE_ID_LEN + 1])
{
    for (int i = 0; i < CL_DEVICE_ID_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", w->b[i]);
}

/* Up to LEDGER_MAX entries of the file, in its order (oldest first). */
static size_t ledger_read(entry *e)
{
    char path[4200], line[128];
    if (ledger_path(path, sizeof path, false))
        return 0;
    FILE *f = fopen(path, "r");
    size_t n = 0;
    while (f && n < LEDGER_MAX && fgets(line, sizeof line, f))
        if (sscanf(line, "%40[0-9a-f] %llu", e[n].hex, &e[n].seq) == 2 && strlen(e[n].hex) == 40)
            n++;
    if (f)
        fclose(f);
    return n;
}

uint64_t st_ledger_get(const cl_device_id *w)
{
    entry *e = malloc(LEDGER_MAX * sizeof *e);
    char hex[2 * CL_DEVICE_ID_LEN + 1];
    uint64_t seq = 0;
    hex_of(w, hex);
    size_t n = e ? ledger_read(e) : 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].hex, hex) && e[i].seq > seq)
            seq = e[i].seq;
    free(e);
    return seq;
}

void st_ledger_note(const cl_device_id *w, uint64_t seq)
{
    entry *e = malloc((LEDGER_MAX + 1) * sizeof *e);
    char path[4200], tmp[4300];
    if (!e || ledger_path(path, sizeof path, true)) {
        free(e);
        return;
    }
    size_t n = ledger_read(e), k = 0;
    entry mine;
    hex_of(w, mine.hex);
    mine.seq = seq;
    for (size_t i = 0; i < n; i++) /* drop our old line; keep the others in order */
        if (strcmp(e[i].hex, mine.hex))
            e[k++] = e[i];
        else if (e[i].seq > mine.seq)
            mine.seq = e[i].seq; /* seqs only grow */
    e[k++] = mine;
    size_t from = k > LEDGER_MAX ? k - LEDGER_MAX : 0;
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    bool ok = f != NULL;
    for (size_t i = from; ok && i < k; i++)
        ok = fprintf(f, "%s %llu\n", e[i].hex, e[i].seq) > 0;
    if (f)
        ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path))
        unlink(tmp);
    free(e);
}
