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
    char *data; /* malloc'd or NULL */
    size_t len;
    size_t cap;
} ngo__buf;

/* Appends p[0..n). Returns 0, NGO_ENOMEM, or NGO_ENOBUFS when the result
 * would exceed max bytes (the buffer is then unchanged). Capacity grows by
 * doubling but never past max + 1. */
int ngo__buf_append(ngo__buf *b, const char *p, size_t n, size_t max);

/* The capacity b would have after appending n bytes under max (b->cap when
 * it already fits). Only meaningful when b->len + n <= max. */
size_t ngo__buf_grown_cap(const ngo__buf *b, size_t n, size_t max);

/* Frees the data and zeroes b. */
void ngo__buf_free(ngo__buf *b);

/* Response bytes (buffer capacity) held by a client's transfers in flight,
 * and the most they may hold together. */
typedef struct ngo__budget {
    size_t used;
    size_t max;
} ngo__budget;

/* Where one transfer's response goes: its buffer, capped at max bytes, and
 * charged (by capacity) to budget when budget is not NULL. cut records why
 * the write callback refused data: 0, NGO_EBODY_LIMIT, NGO_EMEMORY_LIMIT
 * or NGO_ENOMEM. */
typedef struct ngo__sink {
    ngo__buf buf;
    size_t max;
    ngo__budget *budget;
    int cut;
} ngo__sink;

/* Frees s's buffer, returning its capacity to the budget. */
void ngo__sink_free(ngo__sink *s);

/* Detaches s's buffer (the caller owns the data now), returning its
 * capacity to the budget. */
void ngo__sink_release(ngo__sink *s);

/* libcurl CURLOPT_WRITEFUNCTION: appends to the ngo__sink in userdata.
 * Returns size*nmemb, or 0 to make curl fail the transfer
 * (CURLE_WRITE_ERROR) when a cap is reached or on OOM, recording why in
 * sink->cut. Never calls anything else. */
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
