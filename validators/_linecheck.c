/* A JSON line checked against a compiled JSON Schema in one pass over its bytes, building no object.

   program(nodes) -> program: nodes as validators/linecheck.py compiles them from a schema (node 0
   is `true`, node 1 `false`; the root is node 2). check(program, line) -> bool;
   check(program, line, names) -> bytes of the raw text of those top-level members (each as its
   length, 8 bytes, then its bytes; -1 for an absent one), or None.

   True (or bytes) promises that the line is one JSON value, as RFC 8259 and Python's json module read
   it, that no object in it has two members of one name (a decoder silently keeps the last), and that
   the value is valid under the schema. False (None) promises nothing: the caller takes its exact path.
   A verdict is one of VALID, INVALID (the schema says no, which `contains` and `if` need to know) and
   UNKNOWN: whatever this checker does not read exactly gives UNKNOWN, never a wrong VALID. That covers
   bytes that are not JSON, a number with an exponent or of more than 18 digits, a fraction where an
   integer is wanted (jsonschema calls 1.0 an integer), a member name with an escape, a string with a
   byte past ASCII or an escape other than \" \\ \/ where a string keyword must read it, nesting deeper
   than MAX_DEPTH, objects of more than MAX_MEMBERS members.

   Why C: per line, parsing into Python objects and then validating them costs several times the parse;
   a decoder into typed structs cannot see a member given twice and still needs a Python call per
   checked struct. tests/test_linecheck.py holds this checker to jsonschema's verdict on generated lines. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define T_NULL 1
#define T_BOOL 2
#define T_INT 4
#define T_FRAC 8 /* a number with a fraction */
#define T_STR 16
#define T_ARR 32
#define T_OBJ 64

#define F_NONEMPTY 1
#define F_NOSPACE 2
#define F_CODE 4 /* no space at either end, none twice in a row */

#define VALID 1
#define INVALID 0
#define UNKNOWN (-1)
#define FAILED (-2) /* a Python error is set */

#define MAX_DEPTH 128
#define MAX_HOPS 16 /* schemas applied to one value through allOf/if/contains, nested */
#define MAX_MEMBERS 256
#define MAX_PROPS 256
#define MAX_CAPTURED 64
#define MEMO_LIMIT 4096

typedef struct {
    PyObject *name; /* bytes */
    uint64_t hash;
    int node;
} Prop;

typedef struct {
    PyObject *match; /* callable(bytes) -> bool */
    PyObject *memo;  /* dict bytes -> bool */
    int node;
} PatternProp;

typedef struct {
    const uint16_t *next; /* 128 per state; state 0 is dead, 1 the start */
    const unsigned char *accepting;
    Py_ssize_t n_states;
} Dfa;

typedef struct {
    int types, flags;
    PyObject *dfa_owner; /* the tuple of (transitions, accepting) bytes the Dfas point into */
    Dfa *dfas;
    int n_dfas;
    PyObject *pattern, *pattern_memo; /* callable(bytes) -> bool and its dict, or NULL */
    PyObject *consts;                 /* tuple of bytes, or NULL */
    int has_min, has_max;
    long long minimum, maximum;
    Py_ssize_t min_items, max_items, min_props, max_props; /* -1: none */
    int items;
    int *contains, n_contains;
    int *all_of, n_all_of;
    int if_node, then_node, else_node; /* -1: none */
    Prop *props;
    int n_props;
    int *slots, mask; /* open addressing over props */
    int *required, n_required; /* prop indices */
    int (*pairs)[2], n_pairs;  /* prop indices never both present */
    PatternProp *pattern_props;
    int n_pattern_props;
    int additional;
} Node;

typedef struct {
    Node *nodes;
    int n_nodes;
} Program;

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t word(const unsigned char *p, Py_ssize_t n) {
    uint64_t w = 0;
    memcpy(&w, p, (size_t)(n < 8 ? n : 8));
    return w;
}

/* A name's hash: its first and last 8 bytes and its length; equal hashes are confirmed byte by byte. */
static inline uint64_t hash_name(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = word(p, n) * 0x9E3779B97F4A7C15ULL;
    if (n > 8)
        h ^= word(p + n - 8, 8) * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (uint64_t)n ^ (h >> 29);
}

static inline int same_bytes(PyObject *b, const unsigned char *p, Py_ssize_t n) {
    return PyBytes_GET_SIZE(b) == n && memcmp(PyBytes_AS_STRING(b), p, (size_t)n) == 0;
}

static int find_prop(const Node *nd, const unsigned char *p, Py_ssize_t n, uint64_t hash) {
    if (nd->n_props == 0)
        return -1;
    int i = (int)(hash & (uint64_t)nd->mask);
    while (nd->slots[i] >= 0) {
        const Prop *pr = &nd->props[nd->slots[i]];
        if (pr->hash == hash && same_bytes(pr->name, p, n))
            return nd->slots[i];
        i = (i + 1) & nd->mask;
    }
    return -1;
}

/* --- building a program ------------------------------------------------------------------------------ */

static void program_free(PyObject *capsule) {
    Program *pg = PyCapsule_GetPointer(capsule, "payercert.linecheck.program");
    if (pg == NULL)
        return;
    for (int k = 0; k < pg->n_nodes; k++) {
        Node *nd = &pg->nodes[k];
        Py_XDECREF(nd->dfa_owner);
        PyMem_Free(nd->dfas);
        Py_XDECREF(nd->pattern);
        Py_XDECREF(nd->pattern_memo);
        Py_XDECREF(nd->consts);
        for (int j = 0; j < nd->n_props; j++)
            Py_XDECREF(nd->props[j].name);
        for (int j = 0; j < nd->n_pattern_props; j++) {
            Py_XDECREF(nd->pattern_props[j].match);
            Py_XDECREF(nd->pattern_props[j].memo);
        }
        PyMem_Free(nd->contains);
        PyMem_Free(nd->all_of);
        PyMem_Free(nd->props);
        PyMem_Free(nd->slots);
        PyMem_Free(nd->required);
        PyMem_Free(nd->pairs);
        PyMem_Free(nd->pattern_props);
    }
    PyMem_Free(pg->nodes);
    PyMem_Free(pg);
}

static int bad(const char *what) {
    PyErr_Format(PyExc_ValueError, "program(): %s", what);
    return -1;
}

static int node_ref(PyObject *o, int n_nodes, int none_ok, int *out) {
    if (none_ok && o == Py_None) {
        *out = -1;
        return 0;
    }
    long v = PyLong_Check(o) ? PyLong_AsLong(o) : -1;
    if (v < 0 || v >= n_nodes)
        return bad("a node reference out of range");
    *out = (int)v;
    return 0;
}

static int node_list(PyObject *o, int n_nodes, int **out, int *count) {
    if (!PyTuple_Check(o))
        return bad("a node list is a tuple");
    *count = (int)PyTuple_GET_SIZE(o);
    *out = PyMem_Calloc((size_t)*count + 1, sizeof(int));
    if (*out == NULL)
        return PyErr_NoMemory(), -1;
    for (int k = 0; k < *count; k++)
        if (node_ref(PyTuple_GET_ITEM(o, k), n_nodes, 0, &(*out)[k]) < 0)
            return -1;
    return 0;
}

static int bound(PyObject *o, int *has, long long *out) {
    *has = o != Py_None;
    if (!*has)
        return 0;
    if (!PyLong_Check(o))
        return bad("a bound is an int or None");
    int overflow;
    *out = PyLong_AsLongLongAndOverflow(o, &overflow);
    return overflow ? bad("a bound past 64 bits") : 0;
}

static int prop_index(const Node *nd, PyObject *name) {
    if (!PyBytes_Check(name))
        return bad("a member name is bytes");
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(name);
    int k = find_prop(nd, p, PyBytes_GET_SIZE(name), hash_name(p, PyBytes_GET_SIZE(name)));
    return k < 0 ? bad("a required or paired name is not among the properties") : k;
}

/* A pattern's DFA (validators/patterndfa.py): every transition in range, checked once here. */
static int build_dfas(Node *nd, PyObject *dfas) {
    if (!PyTuple_Check(dfas))
        return bad("dfas is a tuple of (bytes, bytes)");
    nd->dfa_owner = Py_NewRef(dfas);
    nd->n_dfas = (int)PyTuple_GET_SIZE(dfas);
    nd->dfas = PyMem_Calloc((size_t)nd->n_dfas + 1, sizeof(Dfa));
    if (nd->dfas == NULL)
        return PyErr_NoMemory(), -1;
    for (int k = 0; k < nd->n_dfas; k++) {
        PyObject *d = PyTuple_GET_ITEM(dfas, k);
        if (!PyTuple_Check(d) || PyTuple_GET_SIZE(d) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(d, 0))
            || !PyBytes_Check(PyTuple_GET_ITEM(d, 1)))
            return bad("a dfa is (bytes, bytes)");
        Py_ssize_t n_states = PyBytes_GET_SIZE(PyTuple_GET_ITEM(d, 1));
        if (n_states < 2 || n_states > 65535 || PyBytes_GET_SIZE(PyTuple_GET_ITEM(d, 0)) != n_states * 256)
            return bad("a dfa's table is 128 uint16 per state, at least two states");
        const uint16_t *next = (const uint16_t *)PyBytes_AS_STRING(PyTuple_GET_ITEM(d, 0));
        for (Py_ssize_t j = 0; j < n_states * 128; j++)
            if (next[j] >= n_states)
                return bad("a dfa transition out of range");
        nd->dfas[k].next = next;
        nd->dfas[k].accepting = (const unsigned char *)PyBytes_AS_STRING(PyTuple_GET_ITEM(d, 1));
        nd->dfas[k].n_states = n_states;
    }
    return 0;
}

/* One node from its tuple (the layout is linecheck.py's _true_node). */
static int build_node(Node *nd, PyObject *t, int n_nodes) {
    PyObject *types, *flags, *pattern, *consts, *minimum, *maximum, *min_items, *max_items, *min_props, *max_props,
        *items, *contains, *all_of, *if_node, *then_node, *else_node, *props, *required, *pairs, *pattern_props,
        *additional;
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 22)
        return bad("a node is a tuple of 22 fields");
    PyObject **f = &PyTuple_GET_ITEM(t, 0);
    types = f[0], flags = f[1], pattern = f[2], consts = f[3], minimum = f[4], maximum = f[5], min_items = f[6];
    max_items = f[7], min_props = f[8], max_props = f[9], items = f[10], contains = f[11], all_of = f[12];
    if_node = f[13], then_node = f[14], else_node = f[15], props = f[16], required = f[17], pairs = f[18];
    pattern_props = f[19], additional = f[20];
    if (build_dfas(nd, f[21]) < 0)
        return -1;
    nd->types = (int)PyLong_AsLong(types);
    nd->flags = (int)PyLong_AsLong(flags);
    nd->min_items = PyLong_AsSsize_t(min_items);
    nd->max_items = PyLong_AsSsize_t(max_items);
    nd->min_props = PyLong_AsSsize_t(min_props);
    nd->max_props = PyLong_AsSsize_t(max_props);
    if (PyErr_Occurred())
        return -1;
    if (pattern != Py_None) {
        if (!PyCallable_Check(pattern))
            return bad("a pattern is a callable");
        nd->pattern = Py_NewRef(pattern);
        if ((nd->pattern_memo = PyDict_New()) == NULL)
            return -1;
    }
    if (consts != Py_None) {
        if (!PyTuple_Check(consts))
            return bad("consts is a tuple of bytes");
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(consts); k++)
            if (!PyBytes_Check(PyTuple_GET_ITEM(consts, k)))
                return bad("consts is a tuple of bytes");
        nd->consts = Py_NewRef(consts);
    }
    if (bound(minimum, &nd->has_min, &nd->minimum) < 0 || bound(maximum, &nd->has_max, &nd->maximum) < 0)
        return -1;
    if (node_ref(items, n_nodes, 0, &nd->items) < 0 || node_list(contains, n_nodes, &nd->contains, &nd->n_contains) < 0
        || node_list(all_of, n_nodes, &nd->all_of, &nd->n_all_of) < 0
        || node_ref(if_node, n_nodes, 1, &nd->if_node) < 0 || node_ref(then_node, n_nodes, 1, &nd->then_node) < 0
        || node_ref(else_node, n_nodes, 1, &nd->else_node) < 0 || node_ref(additional, n_nodes, 0, &nd->additional) < 0)
        return -1;
    if (PyTuple_Check(contains) && PyTuple_GET_SIZE(contains) > 64)
        return bad("at most 64 contains");
    if (!PyTuple_Check(props) || PyTuple_GET_SIZE(props) > MAX_PROPS)
        return bad("props is a tuple of at most 256 (bytes, node)");
    nd->n_props = (int)PyTuple_GET_SIZE(props);
    int cap = 8;
    while (cap < 2 * nd->n_props + 2)
        cap <<= 1;
    nd->props = PyMem_Calloc((size_t)nd->n_props + 1, sizeof(Prop));
    nd->slots = PyMem_Malloc((size_t)cap * sizeof(int));
    if (nd->props == NULL || nd->slots == NULL)
        return PyErr_NoMemory(), -1;
    nd->mask = cap - 1;
    for (int k = 0; k < cap; k++)
        nd->slots[k] = -1;
    for (int k = 0; k < nd->n_props; k++) {
        PyObject *pr = PyTuple_GET_ITEM(props, k);
        if (!PyTuple_Check(pr) || PyTuple_GET_SIZE(pr) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(pr, 0)))
            return bad("props is a tuple of (bytes, node)");
        PyObject *name = PyTuple_GET_ITEM(pr, 0);
        const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(name);
        uint64_t h = hash_name(p, PyBytes_GET_SIZE(name));
        if (find_prop(nd, p, PyBytes_GET_SIZE(name), h) >= 0)
            return bad("a property named twice");
        nd->props[k].name = Py_NewRef(name);
        nd->props[k].hash = h;
        if (node_ref(PyTuple_GET_ITEM(pr, 1), n_nodes, 0, &nd->props[k].node) < 0)
            return -1;
        int i = (int)(h & (uint64_t)nd->mask);
        while (nd->slots[i] >= 0)
            i = (i + 1) & nd->mask;
        nd->slots[i] = k;
    }
    if (!PyTuple_Check(required) || !PyTuple_Check(pairs) || !PyTuple_Check(pattern_props))
        return bad("required, pairs and pattern_props are tuples");
    nd->n_required = (int)PyTuple_GET_SIZE(required);
    nd->required = PyMem_Calloc((size_t)nd->n_required + 1, sizeof(int));
    nd->n_pairs = (int)PyTuple_GET_SIZE(pairs);
    nd->pairs = PyMem_Calloc((size_t)nd->n_pairs + 1, sizeof(int[2]));
    nd->n_pattern_props = (int)PyTuple_GET_SIZE(pattern_props);
    nd->pattern_props = PyMem_Calloc((size_t)nd->n_pattern_props + 1, sizeof(PatternProp));
    if (nd->required == NULL || nd->pairs == NULL || nd->pattern_props == NULL)
        return PyErr_NoMemory(), -1;
    for (int k = 0; k < nd->n_required; k++)
        if ((nd->required[k] = prop_index(nd, PyTuple_GET_ITEM(required, k))) < 0)
            return -1;
    for (int k = 0; k < nd->n_pairs; k++) {
        PyObject *pair = PyTuple_GET_ITEM(pairs, k);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2)
            return bad("a pair is (bytes, bytes)");
        if ((nd->pairs[k][0] = prop_index(nd, PyTuple_GET_ITEM(pair, 0))) < 0
            || (nd->pairs[k][1] = prop_index(nd, PyTuple_GET_ITEM(pair, 1))) < 0)
            return -1;
    }
    for (int k = 0; k < nd->n_pattern_props; k++) {
        PyObject *pp = PyTuple_GET_ITEM(pattern_props, k);
        if (!PyTuple_Check(pp) || PyTuple_GET_SIZE(pp) != 2 || !PyCallable_Check(PyTuple_GET_ITEM(pp, 0)))
            return bad("a pattern property is (callable, node)");
        nd->pattern_props[k].match = Py_NewRef(PyTuple_GET_ITEM(pp, 0));
        if ((nd->pattern_props[k].memo = PyDict_New()) == NULL)
            return -1;
        if (node_ref(PyTuple_GET_ITEM(pp, 1), n_nodes, 0, &nd->pattern_props[k].node) < 0)
            return -1;
    }
    return 0;
}

static PyObject *make_program(PyObject *self, PyObject *arg) {
    if (!PyTuple_Check(arg) || PyTuple_GET_SIZE(arg) < 3 || PyTuple_GET_SIZE(arg) > 1 << 20) {
        PyErr_SetString(PyExc_TypeError, "program() takes a tuple of nodes (0: true, 1: false, 2: the root)");
        return NULL;
    }
    Program *pg = PyMem_Calloc(1, sizeof(Program));
    if (pg == NULL)
        return PyErr_NoMemory();
    pg->n_nodes = (int)PyTuple_GET_SIZE(arg);
    pg->nodes = PyMem_Calloc((size_t)pg->n_nodes, sizeof(Node));
    if (pg->nodes == NULL) {
        PyMem_Free(pg);
        return PyErr_NoMemory();
    }
    PyObject *capsule = PyCapsule_New(pg, "payercert.linecheck.program", program_free);
    if (capsule == NULL) {
        PyMem_Free(pg->nodes);
        PyMem_Free(pg);
        return NULL;
    }
    for (int k = 0; k < pg->n_nodes; k++)
        if (build_node(&pg->nodes[k], PyTuple_GET_ITEM(arg, k), pg->n_nodes) < 0) {
            Py_DECREF(capsule);
            return NULL;
        }
    return capsule;
}

/* --- reading a line ---------------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *start;
    Py_ssize_t len;
    uint64_t hash;
} Name;

typedef struct {
    const Program *pg;
    const unsigned char *s;
    Py_ssize_t n;
    Name *names; /* names of members matched by no property, per open object (duplicates among them) */
    Py_ssize_t names_len, names_cap;
    Name names_small[64];
    PyObject *wanted; /* top-level names whose raw values are captured, or NULL */
    Py_ssize_t n_wanted, starts[MAX_CAPTURED], ends[MAX_CAPTURED];
    unsigned char scratch[256]; /* a string with escapes, undone, when a keyword reads it */
} Reader;

#define S_ESCAPE 1     /* a backslash */
#define S_HIGH 2       /* a byte past ASCII */
#define S_NOT_SIMPLE 4 /* an escape other than \" \\ \/ */

static inline int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static inline void skip_space(const Reader *r, Py_ssize_t *i) {
    while (*i < r->n && is_space(r->s[*i]))
        (*i)++;
}

static inline int hex(unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Well-formed UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF), as Python decodes it. */
static int utf8_ok(const unsigned char *p, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, cp = c & 0x07;
        else
            return 0;
        if (i + len > n)
            return 0;
        for (int k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += len;
    }
    return 1;
}

/* The index of the closing quote of the string whose body starts at i, or -1 when it is not a JSON
   string (a control byte, a bad escape, bad UTF-8, no end); *seen gets the S_ flags. */
static Py_ssize_t string_end(const unsigned char *s, Py_ssize_t i, Py_ssize_t n, int *seen) {
    int flags = 0;
    Py_ssize_t body = i;
    for (;;) {
#ifdef __SSE2__
        /* sixteen bytes at a time: most of a line is string bodies */
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, control), v); /* bytes <= 0x1F */
            unsigned marks = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), low));
            unsigned highs = (unsigned)_mm_movemask_epi8(v);
            if (marks) {
                int k = __builtin_ctz(marks);
                flags |= (highs & ((1u << k) - 1)) ? S_HIGH : 0;
                i += k;
                goto marked;
            }
            flags |= highs ? S_HIGH : 0;
            i += 16;
        }
#endif
        while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20) {
            flags |= s[i] >= 0x80 ? S_HIGH : 0;
            i++;
        }
        if (i >= n)
            return -1;
#ifdef __SSE2__
    marked:
#endif
        if (s[i] == '"') {
            if ((flags & S_HIGH) && !utf8_ok(s + body, i - body))
                return -1;
            *seen = flags;
            return i;
        }
        if (s[i] < 0x20)
            return -1;
        flags |= S_ESCAPE;
        if (i + 1 >= n)
            return -1;
        unsigned char e = s[i + 1];
        if (e == '"' || e == '\\' || e == '/') {
            i += 2;
        } else if (e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
            flags |= S_NOT_SIMPLE;
            i += 2;
        } else if (e == 'u') {
            if (i + 6 > n || !hex(s[i + 2]) || !hex(s[i + 3]) || !hex(s[i + 4]) || !hex(s[i + 5]))
                return -1;
            flags |= S_NOT_SIMPLE;
            i += 6;
        } else {
            return -1;
        }
    }
}

/* A plain or simply escaped string's raw bytes against a form (escapes never make a space). */
static int has_form(const unsigned char *p, Py_ssize_t n, int flags) {
    if ((flags & F_NONEMPTY) && n == 0)
        return 0;
    if ((flags & F_NOSPACE) && memchr(p, ' ', (size_t)n) != NULL)
        return 0;
    if ((flags & F_CODE) && n > 0) {
        if (p[0] == ' ' || p[n - 1] == ' ')
            return 0;
        for (Py_ssize_t i = 1; i < n; i++)
            if (p[i] == ' ' && p[i - 1] == ' ')
                return 0;
    }
    return 1;
}

/* VALID or INVALID from a memoised Python predicate over `value`, FAILED on an error. */
static int ask(PyObject *predicate, PyObject *memo, const unsigned char *p, Py_ssize_t n) {
    PyObject *value = PyBytes_FromStringAndSize((const char *)p, n);
    if (value == NULL)
        return FAILED;
    PyObject *known = PyDict_GetItemWithError(memo, value);
    if (known != NULL) {
        Py_DECREF(value);
        return known == Py_True ? VALID : INVALID;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(value);
        return FAILED;
    }
    PyObject *verdict = PyObject_CallOneArg(predicate, value);
    int ok = verdict == NULL ? -1 : PyObject_IsTrue(verdict);
    Py_XDECREF(verdict);
    if (ok >= 0 && PyDict_GET_SIZE(memo) >= MEMO_LIMIT)
        PyDict_Clear(memo);
    if (ok >= 0 && PyDict_SetItem(memo, value, ok ? Py_True : Py_False) < 0)
        ok = -1;
    Py_DECREF(value);
    return ok < 0 ? FAILED : ok ? VALID : INVALID;
}

static int check(Reader *r, int node, Py_ssize_t *pos, int depth, int hops);

/* The string keywords of a node, on the body [a, b) with its S_ flags. */
static int string_keywords(Reader *r, const Node *nd, Py_ssize_t a, Py_ssize_t b, int seen) {
    if (nd->flags == 0 && nd->pattern == NULL && nd->consts == NULL && nd->n_dfas == 0)
        return VALID;
    if (seen & (S_HIGH | S_NOT_SIMPLE))
        return UNKNOWN;
    const unsigned char *p = r->s + a;
    Py_ssize_t n = b - a;
    if (nd->flags && !has_form(p, n, nd->flags))
        return INVALID;
    if (seen & S_ESCAPE) { /* undo \" \\ \/ */
        if (n > (Py_ssize_t)sizeof r->scratch)
            return UNKNOWN;
        Py_ssize_t m = 0;
        for (Py_ssize_t k = 0; k < n; k++)
            r->scratch[m++] = p[k] == '\\' ? p[++k] : p[k];
        p = r->scratch, n = m;
    }
    if (nd->consts != NULL) {
        int found = 0;
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(nd->consts) && !found; k++)
            found = same_bytes(PyTuple_GET_ITEM(nd->consts, k), p, n);
        if (!found)
            return INVALID;
    }
    for (int k = 0; k < nd->n_dfas; k++) { /* p holds ASCII only here */
        const Dfa *d = &nd->dfas[k];
        unsigned state = 1;
        for (Py_ssize_t j = 0; j < n && state; j++)
            state = d->next[state * 128 + p[j]];
        if (!d->accepting[state])
            return INVALID;
    }
    return nd->pattern ? ask(nd->pattern, nd->pattern_memo, p, n) : VALID;
}

/* A number token at *pos: VALID/INVALID under the node, UNKNOWN where this reader does not judge it. */
static int number(Reader *r, const Node *nd, Py_ssize_t *pos) {
    const unsigned char *s = r->s;
    Py_ssize_t i = *pos, n = r->n, digits_at;
    int negative = 0, fraction = 0;
    if (s[i] == '-')
        negative = 1, i++;
    digits_at = i;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return UNKNOWN;
    Py_ssize_t int_end = i;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return UNKNOWN;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        fraction = 1;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E'))
        return UNKNOWN; /* an exponent can overflow to infinity, which the strict reader refuses */
    *pos = i;
    if (fraction) {
        if (!(nd->types & T_FRAC))
            return (nd->types & T_INT) ? UNKNOWN : INVALID; /* 2.0 is an integer to JSON Schema */
        return (nd->has_min || nd->has_max) ? UNKNOWN : VALID;
    }
    if (!(nd->types & T_INT))
        return INVALID;
    if (!nd->has_min && !nd->has_max)
        return VALID;
    if (int_end - digits_at > 18)
        return UNKNOWN;
    long long v = 0;
    for (Py_ssize_t k = digits_at; k < int_end; k++)
        v = v * 10 + (s[k] - '0');
    if (negative)
        v = -v;
    if ((nd->has_min && v < nd->minimum) || (nd->has_max && v > nd->maximum))
        return INVALID;
    return VALID;
}

static int literal(Reader *r, Py_ssize_t *pos, const char *word, Py_ssize_t len) {
    if (*pos + len > r->n || memcmp(r->s + *pos, word, (size_t)len) != 0)
        return UNKNOWN;
    *pos += len;
    return VALID;
}

static int push_name(Reader *r, Name name) {
    if (r->names_len == r->names_cap) {
        Py_ssize_t cap = r->names_cap * 2;
        Name *grown = PyMem_Malloc((size_t)cap * sizeof(Name));
        if (grown == NULL)
            return PyErr_NoMemory(), FAILED;
        memcpy(grown, r->names, (size_t)r->names_len * sizeof(Name));
        if (r->names != r->names_small)
            PyMem_Free(r->names);
        r->names = grown;
        r->names_cap = cap;
    }
    r->names[r->names_len++] = name;
    return VALID;
}

/* The value of a member matched by no property: each pattern property that matches its name applies;
   if none does, `additional` does. */
static int unnamed_member(Reader *r, const Node *nd, Name name, Py_ssize_t *pos, int depth, int hops) {
    int matched = 0;
    Py_ssize_t start = *pos, end = -1;
    for (int k = 0; k < nd->n_pattern_props; k++) {
        const PatternProp *pp = &nd->pattern_props[k];
        int m = ask(pp->match, pp->memo, name.start, name.len);
        if (m == FAILED)
            return FAILED;
        if (m != VALID)
            continue;
        matched = 1;
        Py_ssize_t at = start;
        int v = check(r, pp->node, &at, depth, hops + 1);
        if (v != VALID)
            return v;
        end = at;
    }
    if (matched) {
        *pos = end;
        return VALID;
    }
    return check(r, nd->additional, pos, depth, hops);
}

static int object(Reader *r, const Node *nd, Py_ssize_t *pos, int depth) {
    const unsigned char *s = r->s;
    Py_ssize_t i = *pos + 1, members = 0, first_name = r->names_len;
    uint64_t seen[MAX_PROPS / 64] = {0};
    int verdict = VALID;
    skip_space(r, &i);
    if (i < r->n && s[i] == '}') {
        i++;
        goto end;
    }
    for (;;) {
        skip_space(r, &i);
        if (i >= r->n || s[i] != '"')
            return UNKNOWN;
        int flags;
        Py_ssize_t close = string_end(s, i + 1, r->n, &flags);
        if (close < 0 || (flags & S_ESCAPE) || ++members > MAX_MEMBERS)
            return UNKNOWN; /* an escaped name could equal another spelled plainly */
        Name name = {s + i + 1, close - i - 1, hash_name(s + i + 1, close - i - 1)};
        i = close + 1;
        skip_space(r, &i);
        if (i >= r->n || s[i] != ':')
            return UNKNOWN;
        i++;
        skip_space(r, &i);
        if (i >= r->n)
            return UNKNOWN;
        Py_ssize_t value_at = i;
        int k = find_prop(nd, name.start, name.len, name.hash), v;
        if (k >= 0) {
            if (seen[k >> 6] & (1ULL << (k & 63)))
                return UNKNOWN; /* a member given twice */
            seen[k >> 6] |= 1ULL << (k & 63);
            v = check(r, nd->props[k].node, &i, depth + 1, 0);
        } else {
            for (Py_ssize_t j = first_name; j < r->names_len; j++)
                if (r->names[j].hash == name.hash && r->names[j].len == name.len
                    && memcmp(r->names[j].start, name.start, (size_t)name.len) == 0)
                    return UNKNOWN;
            if (push_name(r, name) == FAILED)
                return FAILED;
            v = unnamed_member(r, nd, name, &i, depth + 1, 0);
        }
        if (v != VALID) {
            /* INVALID stands only once the object is known to be JSON; the caller re-reads it */
            r->names_len = first_name;
            return v;
        }
        if (depth == 0 && r->wanted != NULL)
            for (Py_ssize_t w = 0; w < r->n_wanted; w++)
                if (same_bytes(PyTuple_GET_ITEM(r->wanted, w), name.start, name.len)) {
                    r->starts[w] = value_at;
                    r->ends[w] = i;
                    break;
                }
        skip_space(r, &i);
        if (i < r->n && s[i] == ',') {
            i++;
            continue;
        }
        if (i < r->n && s[i] == '}') {
            i++;
            break;
        }
        return UNKNOWN;
    }
end:
    r->names_len = first_name;
    *pos = i;
    for (int k = 0; k < nd->n_required && verdict == VALID; k++)
        if (!(seen[nd->required[k] >> 6] & (1ULL << (nd->required[k] & 63))))
            verdict = INVALID;
    for (int k = 0; k < nd->n_pairs && verdict == VALID; k++) {
        int a = nd->pairs[k][0], b = nd->pairs[k][1];
        if ((seen[a >> 6] & (1ULL << (a & 63))) && (seen[b >> 6] & (1ULL << (b & 63))))
            verdict = INVALID;
    }
    if ((nd->max_props >= 0 && members > nd->max_props) || (nd->min_props >= 0 && members < nd->min_props))
        verdict = INVALID;
    return verdict;
}

static int array(Reader *r, const Node *nd, Py_ssize_t *pos, int depth, int hops) {
    const unsigned char *s = r->s;
    Py_ssize_t i = *pos + 1, count = 0;
    uint64_t found = 0; /* which `contains` schemas an element has met (at most 64) */
    skip_space(r, &i);
    if (i < r->n && s[i] == ']') {
        i++;
        goto end;
    }
    for (;;) {
        skip_space(r, &i);
        Py_ssize_t start = i;
        int v = check(r, nd->items, &i, depth + 1, 0);
        if (v != VALID)
            return v;
        count++;
        for (int k = 0; k < nd->n_contains; k++) {
            if (found & (1ULL << k))
                continue;
            Py_ssize_t at = start;
            int c = check(r, nd->contains[k], &at, depth + 1, hops + 1);
            if (c == VALID)
                found |= 1ULL << k;
            else if (c != INVALID)
                return c;
        }
        skip_space(r, &i);
        if (i < r->n && s[i] == ',') {
            i++;
            continue;
        }
        if (i < r->n && s[i] == ']') {
            i++;
            break;
        }
        return UNKNOWN;
    }
end:
    *pos = i;
    if (nd->min_items >= 0 && count < nd->min_items)
        return INVALID;
    if (nd->max_items >= 0 && count > nd->max_items)
        return INVALID;
    for (int k = 0; k < nd->n_contains; k++)
        if (!(found & (1ULL << k)))
            return INVALID;
    return VALID;
}

/* The value at *pos under one node: its own keywords while reading it, then allOf and if/then/else
   over the same bytes again. On VALID, *pos is just past the value. */
static int check(Reader *r, int node, Py_ssize_t *pos, int depth, int hops) {
    const Node *nd = &r->pg->nodes[node];
    const unsigned char *s = r->s;
    Py_ssize_t start = *pos;
    int v;
    if (depth > MAX_DEPTH || hops > MAX_HOPS)
        return UNKNOWN;
    if (start >= r->n)
        return UNKNOWN;
    unsigned char c = s[start];
    if (c == '{') {
        v = object(r, nd, pos, depth);
        if (v == VALID && !(nd->types & T_OBJ))
            v = INVALID;
    } else if (c == '[') {
        v = array(r, nd, pos, depth, hops);
        if (v == VALID && !(nd->types & T_ARR))
            v = INVALID;
    } else if (c == '"') {
        int seen;
        Py_ssize_t close = string_end(s, start + 1, r->n, &seen);
        if (close < 0)
            return UNKNOWN;
        *pos = close + 1;
        v = (nd->types & T_STR) ? string_keywords(r, nd, start + 1, close, seen) : INVALID;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v = number(r, nd, pos);
    } else if (c == 't' || c == 'f') {
        v = literal(r, pos, c == 't' ? "true" : "false", c == 't' ? 4 : 5);
        if (v == VALID && !(nd->types & T_BOOL))
            v = INVALID;
    } else if (c == 'n') {
        v = literal(r, pos, "null", 4);
        if (v == VALID && !(nd->types & T_NULL))
            v = INVALID;
    } else {
        return UNKNOWN;
    }
    if (v == VALID && nd->consts != NULL && c != '"')
        v = INVALID; /* const and enum hold strings only (linecheck.py refuses others) */
    if (v != VALID)
        return v;
    for (int k = 0; k < nd->n_all_of; k++) {
        Py_ssize_t at = start;
        if ((v = check(r, nd->all_of[k], &at, depth, hops + 1)) != VALID)
            return v;
    }
    if (nd->if_node >= 0) {
        Py_ssize_t at = start;
        int cond = check(r, nd->if_node, &at, depth, hops + 1);
        if (cond != VALID && cond != INVALID)
            return cond;
        int then = cond == VALID ? nd->then_node : nd->else_node;
        if (then >= 0) {
            at = start;
            if ((v = check(r, then, &at, depth, hops + 1)) != VALID)
                return v;
        }
    }
    return VALID;
}

/* check(program, line[, names]): see the top of this file. */
static PyObject *check_line(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 && nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "check(program, line[, names])");
        return NULL;
    }
    const Program *pg = PyCapsule_GetPointer(args[0], "payercert.linecheck.program");
    if (pg == NULL)
        return NULL;
    PyObject *wanted = nargs == 3 ? args[2] : NULL;
    if (wanted && (!PyTuple_Check(wanted) || PyTuple_GET_SIZE(wanted) > MAX_CAPTURED)) {
        PyErr_SetString(PyExc_TypeError, "check(): names is a tuple of at most 64 bytes");
        return NULL;
    }
    for (Py_ssize_t k = 0; wanted && k < PyTuple_GET_SIZE(wanted); k++)
        if (!PyBytes_Check(PyTuple_GET_ITEM(wanted, k))) {
            PyErr_SetString(PyExc_TypeError, "check(): names is a tuple of bytes");
            return NULL;
        }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Reader r;
    r.pg = pg;
    r.s = view.buf;
    r.n = view.len;
    r.names = r.names_small;
    r.names_len = 0;
    r.names_cap = 64;
    r.wanted = wanted;
    r.n_wanted = wanted ? PyTuple_GET_SIZE(wanted) : 0;
    for (Py_ssize_t k = 0; k < r.n_wanted; k++)
        r.starts[k] = r.ends[k] = -1;
    Py_ssize_t i = 0;
    skip_space(&r, &i);
    int v = check(&r, 2, &i, 0, 0);
    if (v == VALID) {
        skip_space(&r, &i);
        if (i != r.n)
            v = UNKNOWN;
    }
    if (r.names != r.names_small)
        PyMem_Free(r.names);
    PyObject *out = NULL;
    if (v == FAILED)
        out = NULL;
    else if (wanted == NULL)
        out = PyBool_FromLong(v == VALID);
    else if (v != VALID)
        out = Py_NewRef(Py_None);
    else {
        Py_ssize_t size = 0;
        for (Py_ssize_t k = 0; k < r.n_wanted; k++)
            size += 8 + (r.starts[k] >= 0 ? r.ends[k] - r.starts[k] : 0);
        out = PyBytes_FromStringAndSize(NULL, size);
        if (out != NULL) {
            char *p = PyBytes_AS_STRING(out);
            for (Py_ssize_t k = 0; k < r.n_wanted; k++) {
                int64_t len = r.starts[k] >= 0 ? (int64_t)(r.ends[k] - r.starts[k]) : -1;
                memcpy(p, &len, 8);
                p += 8;
                if (len > 0) {
                    memcpy(p, r.s + r.starts[k], (size_t)len);
                    p += len;
                }
            }
        }
    }
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef methods[] = {
    {"program", (PyCFunction)make_program, METH_O, "program(nodes) -> program"},
    {"check", (PyCFunction)(void (*)(void))check_line, METH_FASTCALL,
     "check(program, line) -> bool; check(program, line, names) -> bytes of those members' values, or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_linecheck", NULL, -1, methods};

PyMODINIT_FUNC PyInit__linecheck(void) { return PyModule_Create(&module); }
