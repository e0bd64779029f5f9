/* Fuzzes whole requests against the running emulator (in-process, on a
 * loopback port): the request line's path and query, the Host, Origin and
 * Authorization headers and the body, through libmicrohttpd, the routing,
 * the authentication and every handler. The input's lines are:
 *
 *   METHOD \n PATH?QUERY \n HOST \n ORIGIN \n AUTHORIZATION \n BODY...
 *
 * An AUTHORIZATION of "sign:CLAIMS" is replaced by "Bearer " and a token over
 * CLAIMS signed with the default test key, so signed requests reach the
 * handlers; "-" leaves a header out. Fault settings are left alone (they
 * would stall or refuse later inputs): fuzz_faults covers their parser. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "emu_config.h"
#include "emu_errors.h"
#include "emu_server.h"
#include "emu_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static emu_server *server;
static int port;
static char secret[64];

static void start_server(void)
{
    emu_config cfg;
    if (emu_config_defaults(&cfg))
        abort();
    cfg.port = 0;
    cfg.threads = 2;
    cfg.created_to_sending_ms = 5;
    cfg.sending_to_final_ms = 5;
    for (size_t i = 0; i < cfg.services[0].n_keys; i++)
        if (cfg.services[0].keys[i].type == EMU_KEY_TEST)
            snprintf(secret, sizeof(secret), "%s", cfg.services[0].keys[i].secret);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    server = emu_server_create(&cfg);
    emu_errors errs;
    emu_errors_init(&errs);
    if (!server || emu_server_start(server, &errs))
        abort();
    emu_errors_free(&errs);
    port = emu_server_port(server);
}

static void b64url(emu_buf *b, const unsigned char *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char out[4] = {abc[v >> 18 & 63], abc[v >> 12 & 63], abc[v >> 6 & 63], abc[v & 63]};
        emu_buf_add(b, out, i + 2 < n ? 4 : i + 1 < n ? 3 : 2);
    }
}

/* Appends "Bearer <header>.<claims>.<HS256 signature>" to b. */
static void add_signed(emu_buf *b, const char *claims, size_t len)
{
    emu_buf tok;
    emu_buf_init(&tok);
    b64url(&tok, (const unsigned char *)"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);
    emu_buf_adds(&tok, ".");
    b64url(&tok, (const unsigned char *)claims, len);
    unsigned char mac[32];
    size_t mac_len = 0;
    if (!tok.oom &&
        EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                  (const unsigned char *)tok.data, tok.len, mac, sizeof(mac), &mac_len)) {
        emu_buf_adds(&tok, ".");
        b64url(&tok, mac, mac_len);
    }
    emu_buf_adds(b, "Bearer ");
    if (tok.data)
        emu_buf_add(b, tok.data, tok.len);
    emu_buf_free(&tok);
}

/* The next line of [*p, end) (without its newline), advancing *p. */
static const char *next_line(const char **p, const char *end, size_t *len)
{
    const char *start = *p;
    const char *nl = memchr(start, '\n', (size_t)(end - start));
    *len = (size_t)((nl ? nl : end) - start);
    *p = nl ? nl + 1 : end;
    return start;
}

/* 1 when s[0..n) has bytes that would break the request's framing. */
static int unframed(const char *s, size_t n)
{
    return memchr(s, '\r', n) != NULL || memchr(s, '\0', n) != NULL;
}

/* 1 when the URL might name /_emulator/faults, spelt out or percent-encoded
 * in its path. */
static int touches_faults(const char *url, size_t len)
{
    const char *q = memchr(url, '?', len);
    size_t path_len = q ? (size_t)(q - url) : len;
    return memmem(url, len, "ault", 4) != NULL || memchr(url, '%', path_len) != NULL;
}

/* Sends req[0..len) on a new connection and reads the whole answer; returns how
 * many bytes came back, with the first of them in first[0..15]. */
static size_t exchange(const char *req, size_t len, char first[16])
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        abort();
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Closed with a reset once the answer is read: this side keeps no TIME_WAIT, so
     * thousands of connections a second never run out of local ports. */
    struct linger reset = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    int tries = 0;
    while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        /* A busy machine can refuse or drop a connection for a moment (local ports,
         * the accept queue): try again for up to 5 s. Longer means the emulator
         * stopped listening. */
        if (++tries > 500) {
            fprintf(stderr, "fuzz_http: connect: %s\n", strerror(errno));
            abort();
        }
        close(fd);
        usleep(10000);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            abort();
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* it may answer (413, 400) and close before reading it all */
        off += (size_t)n;
    }
    /* No half-close: libmicrohttpd may read an early FIN as the client giving up and
     * close without answering. The request says Connection: close and its length, so
     * the emulator closes once it has answered. */
    char buf[4096];
    size_t got = 0;
    memset(first, 0, 16);
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        if (got < 15)
            memcpy(first + got, buf, (size_t)n < 15 - got ? (size_t)n : 15 - got);
        got += (size_t)n;
    }
    close(fd);
    return got;
}

/* Every 500 inputs the stored notifications are cleared, so the emulator's
 * state (and the time its listings take) stays bounded however long it runs. */
static void clear_now_and_then(void)
{
    static unsigned inputs;
    if (++inputs % 500)
        return;
    static const char del[] = "DELETE /_emulator/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\nContent-Length: 0\r\n\r\n";
    char first[16];
    for (int tries = 0; exchange(del, sizeof(del) - 1, first) == 0; tries++)
        if (tries == 3)
            abort(); /* never answered: not a moment's hiccup */
    if (strncmp(first, "HTTP/1.1 2", 10) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!server)
        start_server();
    clear_now_and_then();
    const char *p = (const char *)data, *end = p + size;
    size_t mlen, ulen, hlen, olen, alen;
    const char *method = next_line(&p, end, &mlen);
    const char *url = next_line(&p, end, &ulen);
    const char *host = next_line(&p, end, &hlen);
    const char *origin = next_line(&p, end, &olen);
    const char *auth = next_line(&p, end, &alen);
    size_t blen = (size_t)(end - p);
    if (mlen == 0 || mlen > 16 || ulen == 0 || ulen > 4096 || blen > 65536 ||
        unframed(method, mlen) || unframed(url, ulen) || unframed(host, hlen) ||
        unframed(origin, olen) || unframed(auth, alen) || memchr(method, ' ', mlen) ||
        memchr(url, ' ', ulen) || touches_faults(url, ulen))
        return 0;

    emu_buf req;
    emu_buf_init(&req);
    emu_buf_add(&req, method, mlen);
    emu_buf_adds(&req, " ");
    emu_buf_add(&req, url, ulen);
    emu_buf_adds(&req, " HTTP/1.1\r\nConnection: close\r\n");
    if (!(hlen == 1 && host[0] == '-')) {
        emu_buf_adds(&req, "Host: ");
        emu_buf_add(&req, host, hlen);
        emu_buf_adds(&req, "\r\n");
    }
    if (olen && !(olen == 1 && origin[0] == '-')) {
        emu_buf_adds(&req, "Origin: ");
        emu_buf_add(&req, origin, olen);
        emu_buf_adds(&req, "\r\n");
    }
    if (alen >= 5 && !memcmp(auth, "sign:", 5)) {
        emu_buf_adds(&req, "Authorization: ");
        add_signed(&req, auth + 5, alen - 5);
        emu_buf_adds(&req, "\r\n");
    } else if (alen && !(alen == 1 && auth[0] == '-')) {
        emu_buf_adds(&req, "Authorization: ");
        emu_buf_add(&req, auth, alen);
        emu_buf_adds(&req, "\r\n");
    }
    emu_buf_addf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", blen);
    emu_buf_add(&req, p, blen);
    if (req.oom) {
        emu_buf_free(&req);
        return 0;
    }

    char first[16];
    size_t got = exchange(req.data, req.len, first);
    emu_buf_free(&req);
    /* An answer is an HTTP/1.1 response and never a 5xx (those come only from
     * injected faults, and faults are off). No answer at all is allowed:
     * libmicrohttpd closes some connections it cannot parse or buffer without one,
     * and on a busy machine that happens at random; the emulator must keep
     * listening (exchange() aborts when it stops). */
    if (got > 0 && (strncmp(first, "HTTP/1.1 ", 9) != 0 || first[9] == '5')) {
        fprintf(stderr, "fuzz_http: %zu bytes back, starting \"%.15s\"\n", got, first);
        abort();
    }
    return 0;
}
