/* The scratch store of the fuzz harnesses (see fuzz.h). */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cl_store *store;
static char dir[256];
static unsigned rounds;

static void wipe(void)
{
    if (store) {
        cl_store_close(store);
        store = NULL;
    }
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
}

static void at_exit(void)
{
    wipe();
    if (dir[0])
        rmdir(dir);
}

cl_store *fuzz_store(void)
{
    if (store)
        return store;
    if (!dir[0]) {
        /* tmpfs when there is one: LMDB commits cost nothing there */
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        snprintf(dir, sizeof dir, "%s/clientele-fuzz-XXXXXX", base);
        if (!mkdtemp(dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        setenv("CLIENTELE_NOSYNC", "1", 1);
        atexit(at_exit);
    }
    cl_device_id self;
    memset(self.b, 0x5a, sizeof self.b);
    if (cl_book_open(dir, &self, &store)) {
        fprintf(stderr, "fuzz: cannot open a store in %s: %s\n", dir, cl_errmsg());
        abort();
    }
    return store;
}

void fuzz_store_tick(void)
{
    if (++rounds % FUZZ_STORE_ROUNDS == 0)
        wipe();
}

uint64_t fuzz_op_count(cl_store *s)
{
    uint64_t n;
    if (cl_store_op_count(s, &n))
        abort();
    return n;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = 0;
    return s;
}
