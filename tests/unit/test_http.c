/* The http layer in-process: address parsing, a busy port, start/stop, the
 * token kept in the folder, and raw requests (Host and token checks). */
#include "testutil.h"

#include "clientele/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A loopback TCP port that nobody listens on now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Send a raw request to 127.0.0.1:port; the answer (caller frees). */
static char *request(int port, const char *text)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    cl_buf b = {0};
    char chunk[4096];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof chunk)) > 0)
        cl_buf_put(&b, chunk, (size_t)r);
    close(fd);
    return cl_buf_steal(&b);
}

typedef struct fixture {
    char *dir;
    cl_store *store;
    cl_http *http;
    int port;
    char listen[32];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_tmpdir();
    f->store = tu_store(f->dir, 1);
    f->port = free_port();
    snprintf(f->listen, sizeof f->listen, "127.0.0.1:%d", f->port);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cl_http_stop(f->http);
    cl_store_close(f->store);
    tu_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static int start(fixture *f, const char *listen)
{
    cl_http_config cfg = {.store = f->store, .listen = listen};
    return cl_http_start(&cfg, &f->http);
}

static void test_bad_addresses(void **state)
{
    fixture *f = *state;
    const char *bad[] = {"", "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000",
                         "127.0.0.1:80x", "::1:8080", "example.com:8080", "300.1.1.1:8080", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(start(f, bad[i]), CL_EINVAL);
        assert_null(f->http);
        assert_non_null(strstr(cl_errmsg(), "web UI address"));
    }
    assert_int_equal(start(f, NULL), CL_EINVAL);
}

static void test_busy_port(void **state)
{
    fixture *f = *state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(start(f, f->listen), CL_EIO);
    assert_null(f->http);
    assert_non_null(strstr(cl_errmsg(), f->listen));
    close(fd);
}

/* The token lives in the folder's meta table and survives a restart. */
static void token_of(cl_store *s, char out[64])
{
    cl_txn *t;
    const void *v;
    size_t n;
    assert_int_equal(cl_store_read(s, &t), CL_OK);
    assert_int_equal(cl_txn_kv_get(t, CL_TAB_META, "csrf_token", 10, &v, &n), CL_OK);
    assert_true(n >= 32 && n < 64);
    memcpy(out, v, n);
    out[n] = 0;
    cl_txn_end(t);
}

/* Log in as `clientele open` does: the one-time link, whose answer sets the
 * session cookie ("name=value" into cookie). */
static void login(fixture *f, char cookie[160])
{
    char url[256], req[512];
    assert_int_equal(cl_http_login_url(f->store, url, sizeof url), CL_OK);
    const char *path = strstr(url + 7, "/login?code=");
    assert_non_null(path);
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, f->listen);
    char *ans = request(f->port, req);
    assert_non_null(strstr(ans, "303"));
    const char *c = strstr(ans, "Set-Cookie: ");
    assert_non_null(c);
    c += 12;
    size_t n = strcspn(c, ";\r");
    assert_true(n < 160);
    memcpy(cookie, c, n);
    cookie[n] = 0;
    assert_non_null(strstr(c, "HttpOnly; SameSite=Strict"));
    /* the link works once */
    free(ans);
    ans = request(f->port, req);
    assert_non_null(strstr(ans, "403"));
    assert_null(strstr(ans, "Set-Cookie"));
    free(ans);
}

static void test_start_stop_token(void **state)
{
    fixture *f = *state;
    char t1[64], t2[64], req[512], cookie[160];
    assert_int_equal(start(f, f->listen), CL_OK);
    token_of(f->store, t1);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", f->listen);
    char *page = request(f->port, req);
    assert_null(strstr(page, t1)); /* not logged in: no token, and how to get in */
    assert_non_null(strstr(page, "clientele open"));
    free(page);
    login(f, cookie);
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nConnection: close\r\n\r\n",
             f->listen, cookie);
    page = request(f->port, req);
    assert_non_null(strstr(page, "200 OK"));
    assert_non_null(strstr(page, t1));
    free(page);
    cl_http_stop(f->http);
    f->http = NULL;
    assert_int_equal(start(f, f->listen), CL_OK);
    token_of(f->store, t2);
    assert_string_equal(t1, t2);
}

static int count(void *ctx, const cl_record_id *id)
{
    (void)id;
    ++*(int *)ctx;
    return CL_OK;
}

static void test_host_and_token(void **state)
{
    fixture *f = *state;
    char tok[64], req[1024], cookie[160];
    assert_int_equal(start(f, f->listen), CL_OK);
    token_of(f->store, tok);
    login(f, cookie);
    const char *body = "{\"type\":\"company\",\"fields\":{\"name\":\"Acme\"}}";
    struct {
        const char *host, *token;
        const char *want;
    } cases[] = {
        {"evil.example", tok, "403"}, {"localhost", "wrong", "403"}, {"127.0.0.1", "", "403"},
        {"127.0.0.1", tok, "201"},     {"localhost", tok, "201"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(req, sizeof req,
                 "POST /api/records HTTP/1.1\r\nHost: %s:%d\r\nX-Clientele-Token: %s\r\nCookie: %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 cases[i].host, f->port, cases[i].token, cookie, strlen(body), body);
        char *ans = request(f->port, req);
        assert_non_null(strstr(ans, cases[i].want));
        assert_null(strstr(ans, "Access-Control-Allow-Origin"));
        free(ans);
    }
    cl_txn *t;
    bool more;
    int n = 0;
    assert_int_equal(cl_store_read(f->store, &t), CL_OK);
    assert_int_equal(cl_query_list(t, CL_T_COMPANY, NULL, NULL, 0, count, &n, &more), CL_OK);
    cl_txn_end(t);
    assert_int_equal(n, 2); /* only the two allowed requests stored */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_stop_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_and_token, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
