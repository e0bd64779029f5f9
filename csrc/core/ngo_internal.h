/* Internal helpers of the core, shared by its .c files, the unit tests and
 * the fuzz targets. Not part of the public API. */
#ifndef NGO_INTERNAL_H
#define NGO_INTERNAL_H

#include <stddef.h>

/* Responses larger than this are cut off: the transfer fails (outcome
 * decided from the status received, see ngo_classify). Notify's largest
 * response is a 250-notification page of emails of up to 2 MB each, so the
 * cap is generous. */
#define NGO__BODY_MAX ((size_t)64 * 1024 * 1024)

/* A growable byte buffer that always keeps a NUL after its data. */
typedef struct ngo__buf {
    char *data;      /* malloc'd or NULL */
    size_t len;
    size_t cap;
} ngo__buf;

/* Appends p[0..n). Returns 0, NGO_ENOMEM, or NGO_ENOBUFS when the result
 * would exceed max bytes (the buffer is then unchanged). */
int ngo__buf_append(ngo__buf *b, const char *p, size_t n, size_t max);

/* Frees the data and zeroes b. */
void ngo__buf_free(ngo__buf *b);

/* libcurl CURLOPT_WRITEFUNCTION: appends to the ngo__buf in userdata (up to
 * NGO__BODY_MAX). Returns size*nmemb, or 0 to make curl fail the transfer
 * (CURLE_WRITE_ERROR) on overflow or OOM. Never calls anything else. */
size_t ngo__write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);

/* The source of a request body for CURLOPT_READFUNCTION. */
typedef struct ngo__body {
    const char *data;
    size_t len;
    size_t off;
} ngo__body;

/* libcurl CURLOPT_READFUNCTION: copies the next bytes of the ngo__body in
 * userdata. Returns the count copied (0 at the end). There is deliberately
 * no seek callback: curl cannot rewind and so cannot re-send a POST. */
size_t ngo__read_cb(char *buffer, size_t size, size_t nitems, void *userdata);

/* Seconds on CLOCK_MONOTONIC. */
double ngo__now(void);

#endif
