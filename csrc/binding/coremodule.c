/* django_govuk_notify_outbox._core: the CPython face of the C core.
 *
 * Argument conversion, the GIL, errors, per-process curl state; nothing
 * else. Multi-phase init, module state, one heap type (Client).
 *
 * Per-client, per-process state: each Client has its own libcurl multi
 * handle (connection cache), created lazily on its first request and
 * re-created when getpid() changes (the inherited one is abandoned, never
 * cleaned up: its connections belong to the parent). Batches of one client
 * from several threads are serialised by that client's lock, taken with the
 * GIL released; different clients never wait for each other. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <curl/curl.h>
#include <float.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <math.h>
#include <sys/types.h>
#include <unistd.h>

#include "ngo.h"

typedef struct {
    PyTypeObject *client_type;
} core_state;

typedef struct {
    PyObject_HEAD ngo_client *client;
    PyObject *module;        /* strong ref: the state outlives us */
    PyObject *service_id;    /* str, for repr; never the secret */
    PyObject *base_url;      /* str, for repr */
    PyThread_type_lock lock; /* serialises perform(); re-made after fork */
    pid_t lock_pid;
    unsigned long lock_owner; /* thread holding it, 0 when free (GIL held) */
    ngo_multi *multi;         /* NULL until the first request */
    pid_t multi_pid;
} ClientObject;

static int curl_ready; /* curl_global_init ran (C int, not Python) */

/* Returns the module's state (never NULL for our module). */
static core_state *get_state(PyObject *module)
{
    return (core_state *)PyModule_GetState(module);
}

/* Sets the Python exception for NGO_E* code err and returns NULL. Messages
 * name the argument and never include key material. */
static PyObject *raise_ngo(int err)
{
    switch (err) {
    case NGO_EKEY_TOO_SHORT:
    case NGO_EKEY_SEPARATOR:
    case NGO_EKEY_SERVICE_ID:
    case NGO_EKEY_SECRET:
        PyErr_Format(PyExc_ValueError, "api_key is malformed: %s", ngo_strerror(err));
        break;
    case NGO_EBASE_URL:
        PyErr_Format(PyExc_ValueError, "base_url %s", ngo_strerror(err));
        break;
    case NGO_ENOMEM:
        PyErr_NoMemory();
        break;
    case NGO_EINTERRUPTED:
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_KeyboardInterrupt, "interrupted");
        break;
    case NGO_EINVAL:
        PyErr_SetString(PyExc_ValueError, ngo_strerror(err));
        break;
    default:
        PyErr_Format(PyExc_RuntimeError, "notify core: %s", ngo_strerror(err));
        break;
    }
    return NULL;
}

/* ---- module functions ---------------------------------------------------- */

PyDoc_STRVAR(parse_api_key_doc,
             "parse_api_key(key: str) -> tuple[str, str, str]\n\n"
             "Split a GOV.UK Notify API key into (name, service_id, secret), counting from\n"
             "the end. Raises ValueError naming the malformed part (never the secret).");

/* Returns a new (name, service_id, secret) tuple, or NULL with ValueError. */
static PyObject *core_parse_api_key(PyObject *module, PyObject *arg)
{
    const char *key;
    Py_ssize_t len;
    ngo_apikey k;
    int rc;

    (void)module;
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "api_key must be a str, not %.80s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    key = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!key)
        return NULL;
    rc = ngo_apikey_parse(key, (size_t)len, &k);
    if (rc)
        return raise_ngo(rc);
    return Py_BuildValue("(s#s#s#)", k.name, (Py_ssize_t)k.name_len, k.service_id,
                         (Py_ssize_t)NGO_UUID_LEN, k.secret, (Py_ssize_t)NGO_UUID_LEN);
}

PyDoc_STRVAR(jwt_token_doc,
             "jwt_token(service_id: str, secret: str, iat: int) -> str\n\n"
             "An HS256 JWT with claims iss=service_id and iat, identical to the token\n"
             "notifications-python-client (PyJWT) makes.");

/* Returns a new str holding the token, or NULL with an exception. */
static PyObject *core_jwt_token(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"service_id", "secret", "iat", NULL};
    const char *sid, *secret;
    Py_ssize_t sid_len, secret_len;
    long long iat;
    char out[NGO_JWT_MAX];
    long n;

    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s#s#L:jwt_token", kwlist, &sid, &sid_len,
                                     &secret, &secret_len, &iat))
        return NULL;
    if (sid_len != NGO_UUID_LEN || !ngo_is_uuid(sid)) {
        PyErr_SetString(PyExc_ValueError, "service_id must be a UUID string");
        return NULL;
    }
    if (!secret_len) {
        PyErr_SetString(PyExc_ValueError, "secret must not be empty");
        return NULL;
    }
    n = ngo_jwt_sign(sid, secret, (size_t)secret_len, (int64_t)iat, out, sizeof(out));
    if (n < 0)
        return raise_ngo((int)n);
    return PyUnicode_FromStringAndSize(out, n);
}

/* ---- Client ----------------------------------------------------------------- */

/* Converts a positive number of seconds to milliseconds (at least 1).
 * Returns -1 with ValueError/TypeError naming `name` otherwise. */
static long seconds_to_ms(PyObject *obj, const char *name)
{
    double s;

    if (PyBool_Check(obj) || !(PyLong_Check(obj) || PyFloat_Check(obj))) {
        PyErr_Format(PyExc_TypeError, "%s must be a number of seconds, not %.80s", name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    s = PyFloat_AsDouble(obj);
    if (s == -1.0 && PyErr_Occurred())
        return -1;
    if (!(s > 0) || s > 86400.0 * 365) {
        PyErr_Format(PyExc_ValueError, "%s must be a positive number of seconds", name);
        return -1;
    }
    return s * 1000.0 < 1.0 ? 1 : (long)(s * 1000.0);
}

/* Reads a non-negative integer; None means 0. Returns 0 or -1 (exception). */
static int nonneg_ulong(PyObject *obj, const char *name, unsigned long *out)
{
    if (obj == Py_None) {
        *out = 0;
        return 0;
    }
    if (PyBool_Check(obj) || !PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or None", name);
        return -1;
    }
    *out = PyLong_AsUnsignedLong(obj);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s must be a non-negative int", name);
        return -1;
    }
    return 0;
}

/* Validates the arguments and builds the C client (which copies what it
 * needs). Returns 0, or -1 with ValueError/TypeError naming the argument. */
static int Client_init(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"api_key",          "base_url",
                             "timeout",          "connect_timeout",
                             "user_agent",       "rate_limit_per_minute",
                             "rate_limit_burst", "max_in_flight",
                             "ca_bundle",        NULL};
    ClientObject *self = (ClientObject *)op;
    PyObject *key_obj, *timeout = NULL, *connect_timeout = NULL;
    PyObject *rate = Py_None, *burst = Py_None;
    const char *base_url, *user_agent = "django-govuk-notify-outbox", *ca_bundle = NULL;
    Py_ssize_t key_len;
    int max_in_flight = 64;
    ngo_client_config cfg;
    ngo_client *client = NULL;
    ngo_apikey key;
    PyObject *sid, *url;
    int rc;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Us|$OOsOOiz:Client", kwlist, &key_obj,
                                     &base_url, &timeout, &connect_timeout, &user_agent, &rate,
                                     &burst, &max_in_flight, &ca_bundle))
        return -1;
    memset(&cfg, 0, sizeof(cfg));
    cfg.api_key = PyUnicode_AsUTF8AndSize(key_obj, &key_len);
    if (!cfg.api_key)
        return -1;
    cfg.api_key_len = (size_t)key_len;
    cfg.base_url = base_url;
    cfg.user_agent = user_agent;
    cfg.ca_bundle = ca_bundle;
    cfg.timeout_ms = 30000;
    if (timeout && (cfg.timeout_ms = seconds_to_ms(timeout, "timeout")) < 0)
        return -1;
    cfg.connect_timeout_ms = 10000;
    if (connect_timeout &&
        (cfg.connect_timeout_ms = seconds_to_ms(connect_timeout, "connect_timeout")) < 0)
        return -1;
    if (nonneg_ulong(rate, "rate_limit_per_minute", &cfg.rate_per_minute) ||
        nonneg_ulong(burst, "rate_limit_burst", &cfg.burst))
        return -1;
    if (max_in_flight < 1 || max_in_flight > 4096) {
        PyErr_SetString(PyExc_ValueError, "max_in_flight must be between 1 and 4096");
        return -1;
    }
    cfg.max_in_flight = (unsigned)max_in_flight;

    rc = ngo_client_new(&cfg, &client);
    if (rc) {
        if (rc == NGO_EINVAL)
            PyErr_SetString(PyExc_ValueError, "user_agent must not contain line breaks");
        else
            raise_ngo(rc);
        return -1;
    }
    /* ngo_client_new parsed the same key successfully. */
    rc = ngo_apikey_parse(cfg.api_key, cfg.api_key_len, &key);
    if (rc) {
        ngo_client_free(client);
        raise_ngo(rc);
        return -1;
    }
    sid = PyUnicode_FromStringAndSize(key.service_id, NGO_UUID_LEN);
    url = PyUnicode_FromString(base_url);
    if (!sid || !url) {
        Py_XDECREF(sid);
        Py_XDECREF(url);
        ngo_client_free(client);
        return -1;
    }
    Py_XSETREF(self->service_id, sid);
    Py_XSETREF(self->base_url, url);
    ngo_client_free(self->client);
    self->client = client;
    return 0;
}

/* Returns a new, uninitialised Client holding a reference to its module. */
static PyObject *Client_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    ClientObject *self;
    PyObject *module;

    (void)args;
    (void)kwargs;
    module = PyType_GetModule(type);
    if (!module)
        return NULL;
    self = (ClientObject *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->client = NULL;
    self->module = Py_NewRef(module);
    self->service_id = NULL;
    self->base_url = NULL;
    self->lock = NULL;
    self->multi = NULL;
    return (PyObject *)self;
}

/* Frees the C client (its secret is wiped), its connections (only in the
 * process that made them) and drops the type reference. No batch can be
 * running: perform() holds a reference to the client. */
static void Client_dealloc(PyObject *op)
{
    ClientObject *self = (ClientObject *)op;
    PyTypeObject *tp = Py_TYPE(op);
    pid_t pid = getpid();

    if (self->multi && self->multi_pid == pid)
        ngo_multi_free(self->multi);
    self->multi = NULL;
    if (self->lock && self->lock_pid == pid)
        PyThread_free_lock(self->lock);
    self->lock = NULL;
    ngo_client_free(self->client);
    Py_XDECREF(self->service_id);
    Py_XDECREF(self->base_url);
    Py_XDECREF(self->module);
    tp->tp_free(op);
    Py_DECREF(tp);
}

/* Returns a repr with the service id and base URL only: never key
 * material. */
static PyObject *Client_repr(PyObject *op)
{
    ClientObject *self = (ClientObject *)op;

    if (!self->service_id || !self->base_url)
        return PyUnicode_FromFormat("<%s (not initialised)>", Py_TYPE(op)->tp_name);
    return PyUnicode_FromFormat("<%s service_id=%R base_url=%R>", Py_TYPE(op)->tp_name,
                                self->service_id, self->base_url);
}

/* State for the between-rounds check: re-take the GIL, run signal
 * handlers, release it again. */
typedef struct {
    PyThreadState *ts;
} check_ctx;

/* Returns non-zero (abandon the batch) when a signal handler raised. */
static int check_signals(void *arg)
{
    check_ctx *ctx = arg;
    int rc;

    PyEval_RestoreThread(ctx->ts);
    rc = PyErr_CheckSignals();
    ctx->ts = PyEval_SaveThread();
    return rc < 0;
}

/* Takes the client's lock with the GIL released, waking every 100 ms to run
 * signal handlers (so Ctrl-C works while another thread's batch runs).
 * After fork() the lock is replaced (a thread of the parent may have held
 * it). Returns 0, or -1 with an exception: what a signal handler raised, or
 * RuntimeError when this thread already holds it (a client used from a
 * signal handler in the middle of a batch). */
static int acquire_lock(ClientObject *st)
{
    pid_t pid = getpid();
    unsigned long me = PyThread_get_thread_ident();
    PyLockStatus got;

    if (!st->lock || st->lock_pid != pid) {
        PyThread_type_lock lock = PyThread_allocate_lock();
        if (!lock) {
            PyErr_NoMemory();
            return -1;
        }
        /* The old lock is abandoned, never freed: it may be held by a
         * thread that does not exist in this process. */
        st->lock = lock;
        st->lock_pid = pid;
        st->lock_owner = 0;
    }
    if (st->lock_owner == me) {
        PyErr_SetString(PyExc_RuntimeError,
                        "a Notify client was used while this thread's batch on it was "
                        "running (from a signal handler?)");
        return -1;
    }
    for (;;) {
        PyThread_type_lock lock = st->lock;
        Py_BEGIN_ALLOW_THREADS got = PyThread_acquire_lock_timed(lock, 100 * 1000, 0);
        Py_END_ALLOW_THREADS if (got == PY_LOCK_ACQUIRED) break;
        if (PyErr_CheckSignals() < 0)
            return -1;
    }
    st->lock_owner = me;
    return 0;
}

/* Releases the client's lock (GIL held). */
static void release_lock(ClientObject *st)
{
    st->lock_owner = 0;
    PyThread_release_lock(st->lock);
}

/* Returns the client's multi handle in this process, creating it on first
 * use or after fork (the inherited one is abandoned, not cleaned up). NULL
 * with an exception on failure. Called with the client's lock held. */
static ngo_multi *process_multi(ClientObject *st)
{
    pid_t pid = getpid();
    int rc;

    if (st->multi && st->multi_pid == pid)
        return st->multi;
    st->multi = NULL;
    rc = ngo_multi_new(&st->multi);
    if (rc) {
        raise_ngo(rc);
        return NULL;
    }
    st->multi_pid = pid;
    return st->multi;
}

/* Builds the result list after the loop. */
static PyObject *build_results(const ngo_result *res, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    size_t i;

    if (!list)
        return NULL;
    for (i = 0; i < n; i++) {
        const ngo_result *r = &res[i];
        PyObject *item = Py_BuildValue(
            "(sly#Nd)", ngo_outcome_name(r->outcome), r->http_status, r->body ? r->body : "",
            (Py_ssize_t)(r->body ? r->body_len : 0),
            PyUnicode_DecodeUTF8(r->error, (Py_ssize_t)strlen(r->error), "replace"), r->elapsed);
        if (!item) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

PyDoc_STRVAR(perform_doc,
             "perform(requests, /, *, iat=None, not_after=None)\n"
             "    -> list[tuple[str, int, bytes, str, float]]\n\n"
             "Send every (method, path_and_query, body_bytes_or_None) concurrently and\n"
             "return (outcome, status_code_or_0, body, error_text, elapsed_seconds) for\n"
             "each, in input order. iat (int, epoch seconds): sign every request's JWT\n"
             "with this iat instead of the current time. not_after (float, on\n"
             "time.monotonic()'s clock): a request not handed to libcurl by then is not\n"
             "started; its outcome is \"not_sent\", status 0, error \"send-by deadline\n"
             "passed before the request started\". A signal handler that raises (Ctrl-C,\n"
             "Celery's soft time limit) abandons the batch within about 150 ms.");

/* Reads perform()'s keyword options into opts. Returns 0 or -1 with
 * TypeError/ValueError naming the argument. */
static int perform_options(PyObject *iat, PyObject *not_after, ngo_perform_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    if (iat && iat != Py_None) {
        long long v;
        if (PyBool_Check(iat) || !PyLong_Check(iat)) {
            PyErr_Format(PyExc_TypeError, "iat must be an int (epoch seconds) or None, not %.80s",
                         Py_TYPE(iat)->tp_name);
            return -1;
        }
        v = PyLong_AsLongLong(iat);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "iat is out of range");
            return -1;
        }
        if (v < 0) {
            PyErr_SetString(PyExc_ValueError, "iat must not be negative");
            return -1;
        }
        opts->has_iat = 1;
        opts->iat = (int64_t)v;
    }
    if (not_after && not_after != Py_None) {
        double d;
        if (PyBool_Check(not_after) || !(PyLong_Check(not_after) || PyFloat_Check(not_after))) {
            PyErr_Format(PyExc_TypeError,
                         "not_after must be a time.monotonic() value or None, not %.80s",
                         Py_TYPE(not_after)->tp_name);
            return -1;
        }
        d = PyFloat_AsDouble(not_after);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
        if (isnan(d)) {
            PyErr_SetString(PyExc_ValueError, "not_after must not be NaN");
            return -1;
        }
        /* The core treats 0 as "no deadline": a deadline at or before the
         * clock's origin has passed, so keep it positive. */
        opts->not_after = d > DBL_MIN ? d : DBL_MIN;
    }
    return 0;
}

/* Returns a new list of result tuples, or NULL with an exception (including
 * whatever a signal handler raised mid-batch). */
static PyObject *Client_perform(PyObject *op, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"", "iat", "not_after", NULL};
    ClientObject *self = (ClientObject *)op;
    PyObject *arg, *iat = NULL, *not_after = NULL;
    ngo_perform_opts opts;
    PyObject *items, *out = NULL;
    ngo_request *reqs = NULL;
    ngo_result *res = NULL;
    ngo_multi *multi;
    check_ctx ctx;
    Py_ssize_t n, i;
    int rc;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$OO:perform", kwlist, &arg, &iat, &not_after))
        return NULL;
    if (perform_options(iat, not_after, &opts) < 0)
        return NULL;
    if (!self->client) {
        PyErr_SetString(PyExc_RuntimeError, "Client is not initialised");
        return NULL;
    }
    /* A tuple of tuples of str/bytes: immutable, so the pointers below stay
     * valid while the GIL is released. */
    items = PySequence_Tuple(arg);
    if (!items)
        return NULL;
    n = PyTuple_GET_SIZE(items);
    reqs = PyMem_Calloc((size_t)n + 1, sizeof(*reqs));
    res = PyMem_Calloc((size_t)n + 1, sizeof(*res));
    if (!reqs || !res) {
        PyErr_NoMemory();
        goto out;
    }
    for (i = 0; i < n; i++) {
        PyObject *t = PyTuple_GET_ITEM(items, i), *method, *path, *body;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 3) {
            PyErr_Format(PyExc_TypeError, "requests[%zd] must be a tuple (method, path, body)", i);
            goto out;
        }
        method = PyTuple_GET_ITEM(t, 0);
        path = PyTuple_GET_ITEM(t, 1);
        body = PyTuple_GET_ITEM(t, 2);
        if (!PyUnicode_Check(method) || !PyUnicode_Check(path)) {
            PyErr_Format(PyExc_TypeError, "requests[%zd]: method and path must be str", i);
            goto out;
        }
        if (body != Py_None && !PyBytes_Check(body)) {
            PyErr_Format(PyExc_TypeError, "requests[%zd]: body must be bytes or None", i);
            goto out;
        }
        reqs[i].method = PyUnicode_AsUTF8(method);
        reqs[i].path = PyUnicode_AsUTF8(path);
        if (!reqs[i].method || !reqs[i].path)
            goto out;
        if (body != Py_None) {
            reqs[i].body = (const uint8_t *)PyBytes_AS_STRING(body);
            reqs[i].body_len = (size_t)PyBytes_GET_SIZE(body);
        }
    }
    if (n == 0) {
        out = PyList_New(0);
        goto out;
    }

    if (acquire_lock(self) < 0)
        goto out;
    multi = process_multi(self);
    if (!multi) {
        release_lock(self);
        goto out;
    }
    ctx.ts = PyEval_SaveThread();
    rc = ngo_perform(multi, self->client, reqs, (size_t)n, res, &opts, check_signals, &ctx);
    PyEval_RestoreThread(ctx.ts);
    release_lock(self);

    if (rc)
        raise_ngo(rc);
    else
        out = build_results(res, (size_t)n);
out:
    if (res)
        for (i = 0; i < n; i++)
            ngo_result_clear(&res[i]);
    PyMem_Free(res);
    PyMem_Free(reqs);
    Py_DECREF(items);
    return out;
}

static PyMethodDef Client_methods[] = {
    {"perform", (PyCFunction)(void (*)(void))Client_perform, METH_VARARGS | METH_KEYWORDS,
     perform_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Client_doc,
             "Client(api_key, base_url, *, timeout=30, connect_timeout=10, user_agent=...,\n"
             "       rate_limit_per_minute=None, rate_limit_burst=None, max_in_flight=64,\n"
             "       ca_bundle=None)\n\n"
             "A GOV.UK Notify connection configuration. perform() sends batches.");

static PyType_Slot Client_slots[] = {
    {Py_tp_new, Client_new},
    {Py_tp_init, Client_init},
    {Py_tp_dealloc, Client_dealloc},
    {Py_tp_repr, Client_repr},
    {Py_tp_methods, Client_methods},
    {Py_tp_doc, (void *)Client_doc},
    {0, NULL},
};

static PyType_Spec Client_spec = {
    .name = "django_govuk_notify_outbox._core.Client",
    .basicsize = sizeof(ClientObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Client_slots,
};

/* ---- module ------------------------------------------------------------------ */

/* Checks the runtime libcurl (like pycurl and psycopg do). Returns 0, or -1
 * with ImportError. Sets *http2 to whether HTTP/2 is available. */
static int check_libcurl(int *http2)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

    if (!v) {
        PyErr_SetString(PyExc_ImportError, "libcurl: curl_version_info() failed");
        return -1;
    }
    if (v->version_num < LIBCURL_VERSION_NUM) {
        PyErr_Format(PyExc_ImportError,
                     "libcurl %s is older than the %s this module was built "
                     "against; upgrade libcurl or rebuild the package",
                     v->version, LIBCURL_VERSION);
        return -1;
    }
    if (!(v->features & CURL_VERSION_SSL)) {
        PyErr_Format(PyExc_ImportError,
                     "libcurl %s was built without TLS support; GOV.UK Notify "
                     "needs HTTPS",
                     v->version);
        return -1;
    }
    *http2 = (v->features & CURL_VERSION_HTTP2) != 0;
    return 0;
}

/* Py_mod_exec: checks libcurl, runs curl_global_init once per process and
 * creates the Client type. Creates no curl handle, thread or socket.
 * Returns 0 or -1 with ImportError. */
static int core_exec(PyObject *module)
{
    core_state *st = get_state(module);
    int http2 = 0;

    if (check_libcurl(&http2) < 0)
        return -1;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            PyErr_SetString(PyExc_ImportError, "libcurl: curl_global_init() failed");
            return -1;
        }
        curl_ready = 1;
    }
    st->client_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &Client_spec, NULL);
    if (!st->client_type)
        return -1;
    if (PyModule_AddType(module, st->client_type) < 0)
        return -1;
    if (PyModule_AddObjectRef(module, "HTTP2", http2 ? Py_True : Py_False) < 0)
        return -1;
    if (PyModule_AddStringConstant(module, "LIBCURL_VERSION",
                                   curl_version_info(CURLVERSION_NOW)->version) < 0)
        return -1;
    return 0;
}

/* GC support for the module state's Python references. */
static int core_traverse(PyObject *module, visitproc visit, void *arg)
{
    core_state *st = get_state(module);
    Py_VISIT(st->client_type);
    return 0;
}

/* Drops the module state's Python references. */
static int core_clear(PyObject *module)
{
    core_state *st = get_state(module);
    Py_CLEAR(st->client_type);
    return 0;
}

/* Frees the module state (each Client frees its own curl state). */
static void core_free(void *op)
{
    core_clear((PyObject *)op);
}

PyDoc_STRVAR(monotonic_doc,
             "monotonic() -> float\n\n"
             "The core's clock (CLOCK_MONOTONIC seconds), the one perform()'s not_after\n"
             "is compared with: the same as time.monotonic() on Linux.");

/* Returns the core's monotonic clock as a float. */
static PyObject *core_monotonic(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyFloat_FromDouble(ngo_now());
}

PyDoc_STRVAR(release_free_memory_doc,
             "release_free_memory() -> bool\n\n"
             "Return the C allocator's free memory to the system (glibc's malloc_trim:\n"
             "memory freed in the middle of the heap is otherwise kept, and counts in the\n"
             "process's RSS). False where the C library has no such call.");

/* Calls malloc_trim(0) with the GIL released (it walks the heap under its own lock). */
static PyObject *core_release_free_memory(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
#if defined(__GLIBC__)
    PyThreadState *saved = PyEval_SaveThread();
    malloc_trim(0);
    PyEval_RestoreThread(saved);
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef core_methods[] = {
    {"monotonic", core_monotonic, METH_NOARGS, monotonic_doc},
    {"release_free_memory", core_release_free_memory, METH_NOARGS, release_free_memory_doc},
    {"parse_api_key", core_parse_api_key, METH_O, parse_api_key_doc},
    {"jwt_token", (PyCFunction)(void (*)(void))core_jwt_token, METH_VARARGS | METH_KEYWORDS,
     jwt_token_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "django_govuk_notify_outbox._core",
    .m_doc = "The C core that talks to GOV.UK Notify (libcurl multi, OpenSSL).",
    .m_size = sizeof(core_state),
    .m_methods = core_methods,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
    .m_free = core_free,
};

/* Multi-phase init: returns the module definition. */
PyMODINIT_FUNC PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
