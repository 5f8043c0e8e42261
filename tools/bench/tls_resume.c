/* An experiment behind a proposal of docs/performance.md (not built by CMake):
 * the time of a full TLS 1.2 handshake with mbedTLS 2.28 as clientele does it
 * (mutual authentication, self-signed P-256 certificates, ECDHE-ECDSA-CHACHA20-
 * POLY1305, TCP_NODELAY, loopback), against a resumed one (server-side session
 * cache, the client presenting the session of its previous handshake).
 *
 *   for n in a b; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
 *     -nodes -days 3650 -subj /CN=$n -keyout $n.key -out $n.crt; done
 *   gcc -O2 -o tls_resume tools/bench/tls_resume.c -lmbedtls -lmbedx509 -lmbedcrypto -lpthread
 *   ./tls_resume        # in the folder of a.key a.crt b.key b.crt; port 47799
 */
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static mbedtls_entropy_context ent;
static mbedtls_ctr_drbg_context drbg;
static mbedtls_ssl_cache_context cache;
static mbedtls_x509_crt ca, sc, cc;
static mbedtls_pk_context sk, ck;
static int suites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0};
static mbedtls_net_context lsock;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int ROUNDS = 20;

static void *server(void *arg)
{
    (void)arg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
    mbedtls_ssl_conf_own_cert(&conf, &sc, &sk);
    mbedtls_ssl_conf_ciphersuites(&conf, suites);
    mbedtls_ssl_conf_session_cache(&conf, &cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
    for (int i = 0; i < 2 * ROUNDS; i++) {
        mbedtls_net_context c;
        mbedtls_net_init(&c);
        mbedtls_net_accept(&lsock, &c, NULL, 0, NULL);
        { int one = 1; setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
        mbedtls_ssl_context ssl;
        mbedtls_ssl_init(&ssl);
        mbedtls_ssl_setup(&ssl, &conf);
        mbedtls_ssl_set_bio(&ssl, &c, mbedtls_net_send, mbedtls_net_recv, NULL);
        int rc = mbedtls_ssl_handshake(&ssl);
        if (rc) printf("server handshake %d\n", rc);
        unsigned char b[1];
        mbedtls_ssl_read(&ssl, b, 1);
        mbedtls_ssl_write(&ssl, b, 1);
        mbedtls_ssl_close_notify(&ssl);
        mbedtls_ssl_free(&ssl);
        mbedtls_net_free(&c);
    }
    return NULL;
}

int main(void)
{
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
    mbedtls_ssl_cache_init(&cache);
    mbedtls_x509_crt_init(&ca); mbedtls_x509_crt_init(&sc); mbedtls_x509_crt_init(&cc);
    mbedtls_pk_init(&sk); mbedtls_pk_init(&ck);
    mbedtls_x509_crt_parse_file(&ca, "a.crt"); mbedtls_x509_crt_parse_file(&ca, "b.crt");
    mbedtls_x509_crt_parse_file(&sc, "a.crt"); mbedtls_x509_crt_parse_file(&cc, "b.crt");
    if (mbedtls_pk_parse_keyfile(&sk, "a.key", NULL) || mbedtls_pk_parse_keyfile(&ck, "b.key", NULL)) { puts("key"); return 1; }
    mbedtls_net_init(&lsock);
    if (mbedtls_net_bind(&lsock, "127.0.0.1", "47799", MBEDTLS_NET_PROTO_TCP)) { puts("bind"); return 1; }
    pthread_t th;
    pthread_create(&th, NULL, server, NULL);
    mbedtls_ssl_config conf;
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
    mbedtls_ssl_conf_own_cert(&conf, &cc, &ck);
    mbedtls_ssl_conf_ciphersuites(&conf, suites);
    mbedtls_ssl_session saved;
    mbedtls_ssl_session_init(&saved);
    double full = 0, resumed = 0;
    int nres = 0;
    for (int mode = 0; mode < 2; mode++)
        for (int i = 0; i < ROUNDS; i++) {
            mbedtls_net_context c;
            mbedtls_net_init(&c);
            double t0 = now();
            mbedtls_net_connect(&c, "127.0.0.1", "47799", MBEDTLS_NET_PROTO_TCP);
            int one = 1;
            setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            mbedtls_ssl_context ssl;
            mbedtls_ssl_init(&ssl);
            mbedtls_ssl_setup(&ssl, &conf);
            mbedtls_ssl_set_hostname(&ssl, NULL);
            if (mode == 1) mbedtls_ssl_set_session(&ssl, &saved);
            mbedtls_ssl_set_bio(&ssl, &c, mbedtls_net_send, mbedtls_net_recv, NULL);
            int rc = mbedtls_ssl_handshake(&ssl);
            double t1 = now();
            if (rc) printf("client handshake %d\n", rc);
            if (mode == 0 && i == ROUNDS - 1) mbedtls_ssl_get_session(&ssl, &saved);
            if (mode == 1) { resumed += t1 - t0; nres += mbedtls_ssl_get_session_pointer(&ssl) != NULL; } else full += t1 - t0;
            unsigned char b[1] = {1};
            mbedtls_ssl_write(&ssl, b, 1);
            mbedtls_ssl_read(&ssl, b, 1);
            mbedtls_ssl_close_notify(&ssl);
            mbedtls_ssl_free(&ssl);
            mbedtls_net_free(&c);
        }
    pthread_join(th, NULL);
    printf("full handshake %.2f ms, resumed %.2f ms (mean of %d, client + server on one machine)\n", full / ROUNDS, resumed / ROUNDS, ROUNDS);
    return 0;
}
