/* One pass over the raw bytes of a JSON line for what a typed decoder cannot see or check cheaply.

   scan(table, line) -> bool. True promises, for a line that is valid JSON:
   - no object has two members of one name (a decoder silently keeps the last);
   - every string whose governing name is in `table` is plain (ASCII, no escape but \" \\ \/, so its
     decoded characters are its bytes with those three undone, and its only whitespace is the space)
     and has the entry's form: non-empty, no space, no space at either end or twice in a row;
     and, if the entry has a check, passes it (a check is asked once per distinct string: the entry's
     memo set remembers the strings it passed);
   - every object whose governing name has a member limit has no more members than that, and no two
     members of one of the entry's exclusive pairs (FHIR's choice types: servicedDate or servicedPeriod).
   The governing name of a value is the name of the member it is the value of; an array passes its own
   to its elements. False promises nothing: the caller falls back to a slower exact path. Anything
   this scanner does not expect (a name with an escape, nesting deeper than MAX_DEPTH, an object of
   more than MAX_MEMBERS members, bytes that are not JSON) gives False, never an error.

   Why C: a duplicate member is invisible after decoding, and finding one in Python (re-encoding the
   decoded line and comparing colon counts) cost more per line than decoding it; jiter's
   catch_duplicate_keys parses into dicts at about 2.7x orjson's time. tests/test_rawscan.py reads
   this promise off the decoded JSON of generated lines (its oracle is the contract in Python). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define F_NONEMPTY 1
#define F_NOSPACE 2
#define F_CODE 4 /* no space at either end, none twice in a row */

#define MAX_DEPTH 128
#define MAX_MEMBERS 256
#define MEMO_LIMIT 4096
#define MAX_PAIRS 32

typedef struct {
    PyObject *name;  /* bytes, owned */
    int flags;
    Py_ssize_t max_members; /* -1: none */
    PyObject *check; /* callable(bytes) -> bool, or NULL */
    PyObject *memo;  /* set, or NULL */
    PyObject *pairs; /* tuple of (bytes, bytes): an object under this name holds at most one of each */
    Py_ssize_t n_pairs;
} Entry;

typedef struct {
    Entry *entries;
    Py_ssize_t size;
    Py_ssize_t *slots; /* open addressing: index into entries, -1 empty */
    Py_ssize_t mask;
} Table;

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Up to 8 bytes from p as one word (zero-padded). */
static inline uint64_t word(const unsigned char *p, Py_ssize_t n) {
    uint64_t w = 0;
    memcpy(&w, p, (size_t)(n < 8 ? n : 8));
    return w;
}

/* A member name's hash: its first and last 8 bytes and its length (names are short; equal hashes are
   always confirmed byte by byte). */
static inline uint64_t hash_name(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = word(p, n) * 0x9E3779B97F4A7C15ULL;
    if (n > 8)
        h ^= word(p + n - 8, 8) * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (uint64_t)n ^ (h >> 29);
}

/* A bytes name equals the n bytes at p. */
static int same_name(PyObject *name, const unsigned char *p, Py_ssize_t n) {
    return PyBytes_GET_SIZE(name) == n && memcmp(PyBytes_AS_STRING(name), p, (size_t)n) == 0;
}

static const Entry *lookup(const Table *t, const unsigned char *p, Py_ssize_t n, uint64_t hash) {
    if (t->size == 0)
        return NULL;
    Py_ssize_t i = (Py_ssize_t)(hash & (uint64_t)t->mask);
    while (t->slots[i] >= 0) {
        const Entry *e = &t->entries[t->slots[i]];
        if (same_name(e->name, p, n))
            return e;
        i = (i + 1) & t->mask;
    }
    return NULL;
}

static void table_free(PyObject *capsule) {
    Table *t = (Table *)PyCapsule_GetPointer(capsule, "payercert.rawscan.table");
    if (t == NULL)
        return;
    for (Py_ssize_t i = 0; i < t->size; i++) {
        Py_XDECREF(t->entries[i].name);
        Py_XDECREF(t->entries[i].check);
        Py_XDECREF(t->entries[i].memo);
        Py_XDECREF(t->entries[i].pairs);
    }
    PyMem_Free(t->entries);
    PyMem_Free(t->slots);
    PyMem_Free(t);
}

/* table({name: (flags, max_members or -1, check or None, memo set or None, pairs)}) -> capsule;
   pairs: a tuple of (name, name) tuples (at most 32) */
static PyObject *make_table(PyObject *self, PyObject *arg) {
    if (!PyDict_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "table() takes a dict");
        return NULL;
    }
    Py_ssize_t n = PyDict_Size(arg), cap = 8;
    while (cap < 2 * n + 2)
        cap <<= 1;
    Table *t = PyMem_Calloc(1, sizeof(Table));
    if (t == NULL)
        return PyErr_NoMemory();
    t->entries = PyMem_Calloc(n ? (size_t)n : 1, sizeof(Entry));
    t->slots = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    if (t->entries == NULL || t->slots == NULL) {
        PyMem_Free(t->entries);
        PyMem_Free(t->slots);
        PyMem_Free(t);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < cap; i++)
        t->slots[i] = -1;
    t->mask = cap - 1;
    PyObject *capsule = PyCapsule_New(t, "payercert.rawscan.table", table_free);
    if (capsule == NULL) {
        PyMem_Free(t->entries);
        PyMem_Free(t->slots);
        PyMem_Free(t);
        return NULL;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(arg, &pos, &key, &value)) {
        int flags;
        Py_ssize_t max_members;
        PyObject *check, *memo, *pairs;
        if (!PyBytes_Check(key) || !PyTuple_Check(value)
            || !PyArg_ParseTuple(value, "inOOO", &flags, &max_members, &check, &memo, &pairs)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "table() entries are bytes: (int, int, check, memo, pairs)");
            Py_DECREF(capsule);
            return NULL;
        }
        int pairs_ok = PyTuple_Check(pairs) && PyTuple_GET_SIZE(pairs) <= MAX_PAIRS;
        for (Py_ssize_t k = 0; pairs_ok && k < PyTuple_GET_SIZE(pairs); k++) {
            PyObject *pair = PyTuple_GET_ITEM(pairs, k);
            pairs_ok = PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2 && PyBytes_Check(PyTuple_GET_ITEM(pair, 0))
                       && PyBytes_Check(PyTuple_GET_ITEM(pair, 1));
        }
        if (!pairs_ok) {
            PyErr_SetString(PyExc_TypeError, "table() entry: pairs is a tuple of at most 32 (bytes, bytes)");
            Py_DECREF(capsule);
            return NULL;
        }
        if ((check != Py_None && !PyCallable_Check(check)) || (memo != Py_None && !PySet_Check(memo))
            || ((check == Py_None) != (memo == Py_None))) {
            PyErr_SetString(PyExc_TypeError, "table() entry: check and memo are a callable and a set, or both None");
            Py_DECREF(capsule);
            return NULL;
        }
        Entry *e = &t->entries[t->size++];
        Py_INCREF(key);
        e->name = key;
        e->flags = flags;
        e->max_members = max_members;
        e->check = check == Py_None ? NULL : (Py_INCREF(check), check);
        e->memo = memo == Py_None ? NULL : (Py_INCREF(memo), memo);
        Py_INCREF(pairs);
        e->pairs = pairs;
        e->n_pairs = PyTuple_GET_SIZE(pairs);
        const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(key);
        Py_ssize_t i = (Py_ssize_t)(hash_name(p, PyBytes_GET_SIZE(key)) & (uint64_t)t->mask);
        while (t->slots[i] >= 0)
            i = (i + 1) & t->mask;
        t->slots[i] = t->size - 1;
    }
    return capsule;
}

typedef struct {
    const unsigned char *start; /* a member name's bytes */
    Py_ssize_t len;
    uint64_t hash;
} Name;

typedef struct {
    char object; /* 1: object, 0: array */
    const Entry *entry; /* the governing name's table entry, or NULL */
    Py_ssize_t first_name; /* this object's names start here in the name stack */
    Py_ssize_t members;
    uint32_t first_seen, second_seen; /* which of the entry's exclusive pairs have a member here */
} Frame;


#define S_ESCAPE 1 /* the string holds a backslash */
#define S_NOT_PLAIN 2 /* a byte past ASCII, or an escape other than \" \\ \/ */

/* The lowest byte of w equal to c or d, as a bit index (64 if none). The bit trick can mark bytes
   above a true match by its borrow, never below one, so the lowest mark is exact. */
static inline int first_of(uint64_t w, unsigned char c, unsigned char d) {
    uint64_t x = w ^ (ONES * c), y = w ^ (ONES * d);
    uint64_t m = ((x - ONES) & ~x & HIGHS) | ((y - ONES) & ~y & HIGHS);
    return m ? __builtin_ctzll(m) : 64;
}

/* The index of the closing quote of the string whose opening quote is at s[i - 1], or -1; *seen gets
   S_ESCAPE and S_NOT_PLAIN as they apply. Eight bytes at a time: most of a line is string bodies. */
static inline Py_ssize_t string_end(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, int *seen) {
    uint64_t high = 0;
    int flags = 0;
    for (;;) {
        int at = 64;
#ifdef __SSE2__
        /* sixteen bytes at a time where the CPU has SSE2 (every x86-64) */
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            unsigned marks = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                                       _mm_cmpeq_epi8(v, backslash)));
            unsigned highs = (unsigned)_mm_movemask_epi8(v);
            if (marks) {
                int k = __builtin_ctz(marks);
                high |= (highs & ((1u << k) - 1)) ? HIGHS : 0;
                i += k;
                at = 0;
                break;
            }
            high |= highs ? HIGHS : 0;
            i += 16;
        }
        if (at == 0)
            goto marked;
#endif
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            at = first_of(w, '"', '\\');
            if (at < 64) {
                high |= at ? w & ((1ULL << at) - 1) : 0; /* the bytes before the mark */
                i += at >> 3;
                break;
            }
            high |= w;
            i += 8;
        }
        if (at == 64) {
            while (i < n && s[i] != '"' && s[i] != '\\')
                high |= s[i++];
            if (i >= n)
                return -1;
        }
#ifdef __SSE2__
    marked:
#endif
        if (s[i] == '"') {
            *seen = flags | ((high & HIGHS) ? S_NOT_PLAIN : 0);
            return i;
        }
        flags |= S_ESCAPE; /* a backslash: the escaped byte is never the end */
        if (i + 1 >= n)
            return -1;
        if (s[i + 1] != '"' && s[i + 1] != '\\' && s[i + 1] != '/')
            flags |= S_NOT_PLAIN;
        i += 2;
    }
}

/* A plain string's bytes (between its quotes) against an entry's form. */
static int has_form(const unsigned char *p, Py_ssize_t n, int flags) {
    if ((flags & F_NONEMPTY) && n == 0)
        return 0;
    if (flags & F_NOSPACE)
        return memchr(p, ' ', (size_t)n) == NULL;
    if (flags & F_CODE) {
        if (n == 0)
            return 1;
        if (p[0] == ' ' || p[n - 1] == ' ')
            return 0;
        for (Py_ssize_t i = 1; i < n; i++)
            if (p[i] == ' ' && p[i - 1] == ' ')
                return 0;
    }
    return 1;
}

/* 1 passes, 0 fails, -1 error (set) */
static int passes_check(const Entry *e, const unsigned char *p, Py_ssize_t n) {
    PyObject *value = PyBytes_FromStringAndSize((const char *)p, n);
    if (value == NULL)
        return -1;
    int known = PySet_Contains(e->memo, value);
    if (known != 0) {
        Py_DECREF(value);
        return known;
    }
    PyObject *verdict = PyObject_CallOneArg(e->check, value);
    if (verdict == NULL) {
        Py_DECREF(value);
        return -1;
    }
    int ok = PyObject_IsTrue(verdict);
    Py_DECREF(verdict);
    if (ok == 1) {
        if (PySet_GET_SIZE(e->memo) >= MEMO_LIMIT && PySet_Clear(e->memo) < 0)
            ok = -1;
        else if (PySet_Add(e->memo, value) < 0)
            ok = -1;
    }
    Py_DECREF(value);
    return ok;
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

#define FAIL goto done

#define MAX_CAPTURED 64

/* scan(table, line[, names]): see the top of this file. With `names` (a tuple of bytes, member names of
   the top-level object), a passed line gives, instead of True, bytes holding the raw text of those
   members' values in that order (each as its length, 8 bytes, then its bytes; -1 for an absent one),
   and a refused line gives None: the same bytes are the same values, so callers key memos on them. */
static PyObject *scan(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 && nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "scan(table, line[, names])");
        return NULL;
    }
    Table *t = (Table *)PyCapsule_GetPointer(args[0], "payercert.rawscan.table");
    if (t == NULL)
        return NULL;
    PyObject *wanted = nargs == 3 ? args[2] : NULL;
    if (wanted && (!PyTuple_Check(wanted) || PyTuple_GET_SIZE(wanted) > MAX_CAPTURED)) {
        PyErr_SetString(PyExc_TypeError, "scan(): names is a tuple of at most 64 bytes");
        return NULL;
    }
    Py_ssize_t n_wanted = wanted ? PyTuple_GET_SIZE(wanted) : 0;
    for (Py_ssize_t k = 0; k < n_wanted; k++)
        if (!PyBytes_Check(PyTuple_GET_ITEM(wanted, k))) {
            PyErr_SetString(PyExc_TypeError, "scan(): names is a tuple of bytes");
            return NULL;
        }
    Py_ssize_t starts[MAX_CAPTURED], ends[MAX_CAPTURED];
    for (Py_ssize_t k = 0; k < n_wanted; k++)
        starts[k] = ends[k] = -1;
    Py_ssize_t capturing = -1, capture_start = -1; /* the wanted member whose value is being read */
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *s = view.buf;
    Py_ssize_t n = view.len, i = 0;
    int result = 0, error = 0;
    Frame frames[MAX_DEPTH];
    int depth = 0; /* frames in use */
    Name names_small[64];
    Name *names = names_small;
    Py_ssize_t names_cap = 64, names_len = 0;
    const Entry *value_entry = NULL; /* the governing entry of the value about to be read */

    for (;;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n)
            FAIL;
        if (capturing >= 0 && capture_start < 0)
            capture_start = i;
        unsigned char c = s[i];
        /* a value */
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH)
                FAIL;
            Frame *f = &frames[depth++];
            f->object = c == '{';
            f->entry = value_entry;
            f->first_name = names_len;
            f->members = 0;
            f->first_seen = f->second_seen = 0;
            i++;
            while (i < n && is_space(s[i]))
                i++;
            if (i < n && s[i] == (f->object ? '}' : ']')) {
                i++;
                depth--;
                names_len = f->first_name;
                goto after_value;
            }
            if (!f->object)
                continue; /* the first element, governed by the array's entry */
            goto member_name;
        } else if (c == '"') {
            const Entry *e = value_entry;
            int seen;
            Py_ssize_t end = string_end(s, i + 1, n, &seen);
            if (end < 0)
                FAIL;
            if (e != NULL && (e->flags || e->check)) {
                if ((seen & S_NOT_PLAIN) || !has_form(s + i + 1, end - i - 1, e->flags))
                    FAIL;
                if (e->check) {
                    /* a check reads the bytes as they are: only strings with no escape at all */
                    if (seen & S_ESCAPE)
                        FAIL;
                    int ok = passes_check(e, s + i + 1, end - i - 1);
                    if (ok < 0) {
                        error = 1;
                        FAIL;
                    }
                    if (!ok)
                        FAIL;
                }
            }
            i = end + 1;
        } else {
            /* a number or a literal (the decoder checks its spelling): up to the next delimiter */
            if (c != '-' && (c < '0' || c > '9') && c != 't' && c != 'f' && c != 'n')
                FAIL;
            while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i]))
                i++;
        }

    after_value:
        if (capturing >= 0 && depth == 1) { /* the wanted member's value ends here */
            starts[capturing] = capture_start;
            ends[capturing] = i;
            capturing = capture_start = -1;
        }
        while (i < n && is_space(s[i]))
            i++;
        if (depth == 0) {
            result = i == n;
            goto done;
        }
        {
            Frame *f = &frames[depth - 1];
            if (i >= n)
                FAIL;
            if (s[i] == ',') {
                i++;
                if (f->object)
                    goto member_name;
                value_entry = f->entry;
                continue;
            }
            if (s[i] != (f->object ? '}' : ']'))
                FAIL;
            i++;
            if (f->object && f->entry && f->entry->max_members >= 0 && f->members > f->entry->max_members)
                FAIL;
            names_len = f->first_name;
            depth--;
            goto after_value;
        }

    member_name: {
        Frame *f = &frames[depth - 1];
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n || s[i] != '"')
            FAIL;
        int seen;
        Py_ssize_t end = string_end(s, i + 1, n, &seen);
        if (end < 0 || (seen & S_ESCAPE))
            FAIL; /* an escaped name could equal another spelled plainly */
        Name name = {s + i + 1, end - i - 1, hash_name(s + i + 1, end - i - 1)};
        if (++f->members > MAX_MEMBERS)
            FAIL;
        for (Py_ssize_t k = f->first_name; k < names_len; k++)
            if (names[k].hash == name.hash && names[k].len == name.len
                && memcmp(names[k].start, name.start, (size_t)name.len) == 0)
                FAIL;
        if (names_len == names_cap) {
            Py_ssize_t cap = names_cap * 2;
            Name *grown = PyMem_Malloc((size_t)cap * sizeof(Name));
            if (grown == NULL) {
                PyErr_NoMemory();
                error = 1;
                FAIL;
            }
            memcpy(grown, names, (size_t)names_len * sizeof(Name));
            if (names != names_small)
                PyMem_Free(names);
            names = grown;
            names_cap = cap;
        }
        names[names_len++] = name;
        if (f->entry != NULL)
            for (Py_ssize_t k = 0; k < f->entry->n_pairs; k++) {
                PyObject *pair = PyTuple_GET_ITEM(f->entry->pairs, k);
                uint32_t bit = (uint32_t)1 << k;
                if (same_name(PyTuple_GET_ITEM(pair, 0), name.start, name.len))
                    f->first_seen |= bit;
                else if (same_name(PyTuple_GET_ITEM(pair, 1), name.start, name.len))
                    f->second_seen |= bit;
                if (f->first_seen & f->second_seen & bit)
                    FAIL;
            }
        value_entry = lookup(t, name.start, name.len, name.hash);
        if (depth == 1)
            for (Py_ssize_t k = 0; k < n_wanted; k++) {
                PyObject *w = PyTuple_GET_ITEM(wanted, k);
                if (same_name(w, name.start, name.len)) {
                    capturing = k;
                    break;
                }
            }
        i = end + 1;
        while (i < n && is_space(s[i]))
            i++;
        if (i >= n || s[i] != ':')
            FAIL;
        i++;
        continue;
    }
    }

done:
    if (names != names_small)
        PyMem_Free(names);
    PyObject *out = NULL;
    if (!error && wanted == NULL)
        out = PyBool_FromLong(result);
    else if (!error && !result)
        out = Py_NewRef(Py_None);
    else if (!error) {
        Py_ssize_t size = 0;
        for (Py_ssize_t k = 0; k < n_wanted; k++)
            size += 8 + (starts[k] >= 0 ? ends[k] - starts[k] : 0);
        out = PyBytes_FromStringAndSize(NULL, size);
        if (out != NULL) {
            char *p = PyBytes_AS_STRING(out);
            for (Py_ssize_t k = 0; k < n_wanted; k++) {
                int64_t len = starts[k] >= 0 ? (int64_t)(ends[k] - starts[k]) : -1;
                memcpy(p, &len, 8);
                p += 8;
                if (len > 0) {
                    memcpy(p, s + starts[k], (size_t)len);
                    p += len;
                }
            }
        }
    }
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef methods[] = {
    {"table", (PyCFunction)make_table, METH_O, "table({name: (flags, max_members, check, memo, pairs)}) -> table"},
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(table, line) -> bool; scan(table, line, names) -> bytes of those members' values, or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_rawscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__rawscan(void) { return PyModule_Create(&module); }
