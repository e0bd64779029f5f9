/* govuk_notify_emulator._emulator: runs the Notify emulator
 * (csrc/emulator) inside the Python process. Argument conversion and the
 * GIL only; everything else is emu_main(). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "emu_main.h"

/* run(argv: list[str]) -> int: emu_main(argv) with the GIL released. */
static PyObject *emulator_run(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!PyList_Check(arg) && !PyTuple_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "run() argv must be a list of str");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(arg, "run() argv must be a list of str");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    char **argv = calloc((size_t)n + 2, sizeof(char *));
    if (!argv) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    int ok = 1;
    argv[0] = strdup("notify-emulator");
    if (!argv[0])
        ok = 0;
    /* argv[0] of the caller (the script name) is replaced by our name. */
    for (Py_ssize_t i = 1; ok && i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError, "run() argv[%zd] must be str", i);
            ok = 0;
            break;
        }
        const char *s = PyUnicode_AsUTF8(item);
        if (!s) {
            ok = 0;
            break;
        }
        argv[i] = strdup(s);
        if (!argv[i]) {
            PyErr_NoMemory();
            ok = 0;
        }
    }
    Py_DECREF(seq);
    int rc = 0;
    int argc = n > 0 ? (int)n : 1;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS rc = emu_main(argc, argv);
        Py_END_ALLOW_THREADS
    } else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    for (int i = 0; i < argc + 1; i++)
        free(argv[i]);
    free(argv);
    if (!ok)
        return NULL;
    return PyLong_FromLong(rc);
}

static PyMethodDef emulator_methods[] = {
    {"run", emulator_run, METH_O,
     "run(argv: list[str]) -> int\n\nRun the Notify emulator until SIGINT or SIGTERM; argv[0] "
     "is ignored. Returns the exit status (0 on a clean stop, 2 on bad arguments)."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot emulator_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef emulator_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "govuk_notify_emulator._emulator",
    .m_doc = "The GOV.UK Notify emulator (C, libmicrohttpd).",
    .m_size = 0,
    .m_methods = emulator_methods,
    .m_slots = emulator_slots,
};

PyMODINIT_FUNC PyInit__emulator(void)
{
    return PyModuleDef_Init(&emulator_module);
}
