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
    uint64_t head, tail; /* its first 8 bytes (zero-padded) and its last 8: a short name is compared by them */
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

/* The first min(n, 8) bytes of p, zero-padded; `end` bounds the buffer p is in. Where 8 bytes can be
   read, one load and a mask (little-endian) rather than a copy of n bytes. */
static inline uint64_t head_word(const unsigned char *p, Py_ssize_t n, const unsigned char *end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        return n >= 8 ? w : w & ((1ULL << (8 * n)) - 1);
    }
#endif
    (void)end;
    return word(p, n);
}

static inline uint64_t tail_word(const unsigned char *p, Py_ssize_t n) { return n > 8 ? word(p + n - 8, 8) : 0; }

/* A name's hash: its first and last 8 bytes and its length; equal hashes are confirmed byte by byte. */
static inline uint64_t hash_words(uint64_t head, uint64_t tail, Py_ssize_t n) {
    uint64_t h = head * 0x9E3779B97F4A7C15ULL;
    if (n > 8)
        h ^= tail * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (uint64_t)n ^ (h >> 29);
}

static inline uint64_t hash_name(const unsigned char *p, Py_ssize_t n) {
    return hash_words(word(p, n), tail_word(p, n), n);
}

static inline int same_bytes(PyObject *b, const unsigned char *p, Py_ssize_t n) {
    return PyBytes_GET_SIZE(b) == n && memcmp(PyBytes_AS_STRING(b), p, (size_t)n) == 0;
}

/* The property named by the n bytes at p (head: head_word of them), or -1. A name of up to 16 bytes
   is all in its head and tail words: equal words, equal name, no memcmp. */
static int find_prop_words(const Node *nd, const unsigned char *p, Py_ssize_t n, uint64_t head, uint64_t hash) {
    if (nd->n_props == 0)
        return -1;
    int i = (int)(hash & (uint64_t)nd->mask);
    while (nd->slots[i] >= 0) {
        const Prop *pr = &nd->props[nd->slots[i]];
        if (pr->hash == hash && pr->head == head && PyBytes_GET_SIZE(pr->name) == n
            && (n <= 8 || (n <= 16 ? pr->tail == tail_word(p, n) : memcmp(PyBytes_AS_STRING(pr->name), p, (size_t)n) == 0)))
            return nd->slots[i];
        i = (i + 1) & nd->mask;
    }
    return -1;
}

static int find_prop(const Node *nd, const unsigned char *p, Py_ssize_t n, uint64_t hash) {
    return find_prop_words(nd, p, n, word(p, n), hash);
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
        nd->props[k].head = word(p, PyBytes_GET_SIZE(name));
        nd->props[k].tail = tail_word(p, PyBytes_GET_SIZE(name));
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
        Py_ssize_t len = close - i - 1;
        uint64_t head = head_word(s + i + 1, len, s + r->n);
        Name name = {s + i + 1, len, hash_words(head, tail_word(s + i + 1, len), len)};
        i = close + 1;
        skip_space(r, &i);
        if (i >= r->n || s[i] != ':')
            return UNKNOWN;
        i++;
        skip_space(r, &i);
        if (i >= r->n)
            return UNKNOWN;
        Py_ssize_t value_at = i;
        int k = find_prop_words(nd, name.start, name.len, head, name.hash), v;
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

/* The raw text of the wanted members of the line just read: each as its length (8 bytes, -1 when
   absent) then its bytes. */
static PyObject *captured(const Reader *r) {
    Py_ssize_t size = 0;
    for (Py_ssize_t k = 0; k < r->n_wanted; k++)
        size += 8 + (r->starts[k] >= 0 ? r->ends[k] - r->starts[k] : 0);
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL)
        return NULL;
    char *p = PyBytes_AS_STRING(out);
    for (Py_ssize_t k = 0; k < r->n_wanted; k++) {
        int64_t len = r->starts[k] >= 0 ? (int64_t)(r->ends[k] - r->starts[k]) : -1;
        memcpy(p, &len, 8);
        p += 8;
        if (len > 0) {
            memcpy(p, r->s + r->starts[k], (size_t)len);
            p += len;
        }
    }
    return out;
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
    else
        out = captured(&r);
    PyBuffer_Release(&view);
    return out;
}

/* --- many lines at once, with the rules' memo ---------------------------------------------------------

   memo(names, groups) -> memo: what the rules read of a line, and what they said of it before.
   `names` are the top-level members any rule reads (at most 64); `groups` holds one entry per rule,
   (full, passing, unique): `full` the paths whose raw text decides its findings, `passing` None or
   fewer paths that decide whether it holds at all (its message may show more), `unique` whether it is
   a rule no two lines may share a value of (then `full` is the one member it reads). A path is
   (index in names, mode, subs): mode 0 the member's raw text, 1 the raw text of members `subs` of
   each element of an array, 2 of the members `subs` of an object (any other value: its raw text),
   3 its kind alone where that is a number or a string of ASCII with a non-space character (Python's
   `str.strip()` leaves it non-empty), else its raw text.

   scan(program, memo, block, evaluate) -> (lines, records, needs): the lines of `block` (each ends
   with a line feed), each checked as check() does; for a line it passes, each rule's findings are
   looked up by the raw text its paths pick out, and asked of `evaluate(rule, start, end, values)`
   on a miss (the line is block[start:end], `values` the raw text of the members `names`, packed as
   check() packs them), which answers a small int (0: no finding; -1: the caller reads
   the line itself). `needs` lists the lines
   the caller must read itself: (index, start, end) for a line the checker does not pass or whose
   unique value it cannot judge, (index, vector) for a line some rule found something in, unless
   saturate(memo, vector) said that vector is only to be counted (drain(memo) gives the counts).
   vector(memo, v) is the rules' answers a vector stands for. forget(memo) starts the memo again. */

#define TABLE_LIMIT (1 << 16)      /* entries in a rule's table: past this it starts again empty */
#define ARENA_LIMIT (4 << 20)      /* bytes of keys in a rule's table, likewise: memory stays flat */
#define MAX_GROUPS 256
#define MAX_SUBS 16

typedef struct {
    uint64_t *hashes; /* 0: an empty slot */
    int64_t *offs;
    int32_t *lens, *vals;
    Py_ssize_t cap, used;
    unsigned char *arena;
    Py_ssize_t arena_len, arena_cap;
} Table;

typedef struct {
    int name, mode;
    PyObject *subs; /* tuple of bytes */
} Path;

typedef struct {
    Path *full, *passing;
    int n_full, n_passing; /* n_passing -1: no passing paths */
    int unique;
    Table table, passed;
} Group;

typedef struct {
    PyObject *names; /* tuple of bytes */
    Group *groups;
    int n_groups;
    Table vectors;                 /* the rules' answers of a line -> its vector */
    int32_t *answers;              /* n_groups per vector */
    unsigned char *saturated;      /* per vector */
    int64_t *counts;               /* per vector */
    Py_ssize_t n_vectors, vectors_cap;
    unsigned char *key;
    Py_ssize_t key_len, key_cap;
} Memo;

static PyObject *captured(const Reader *r);

static uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = 0x243F6A8885A308D3ULL ^ (uint64_t)n;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 32;
    }
    if (i < n) {
        h = (h ^ word(p + i, n - i)) * 0xC2B2AE3D27D4EB4FULL;
        h ^= h >> 29;
    }
    return h | 1;
}

static void table_free(Table *t) {
    PyMem_Free(t->hashes);
    PyMem_Free(t->offs);
    PyMem_Free(t->lens);
    PyMem_Free(t->vals);
    PyMem_Free(t->arena);
    memset(t, 0, sizeof(Table));
}

/* The value stored under key [p, p+n) with hash h, or -1. */
static int32_t table_get(const Table *t, const unsigned char *p, Py_ssize_t n, uint64_t h) {
    if (t->cap == 0)
        return -1;
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)(t->cap - 1));
    while (t->hashes[i] != 0) {
        if (t->hashes[i] == h && t->lens[i] == n && memcmp(t->arena + t->offs[i], p, (size_t)n) == 0)
            return t->vals[i];
        i = (i + 1) & (t->cap - 1);
    }
    return -1;
}

static int table_resize(Table *t, Py_ssize_t cap) {
    uint64_t *hashes = PyMem_Calloc((size_t)cap, sizeof(uint64_t));
    int64_t *offs = PyMem_Malloc((size_t)cap * sizeof(int64_t));
    int32_t *lens = PyMem_Malloc((size_t)cap * sizeof(int32_t)), *vals = PyMem_Malloc((size_t)cap * sizeof(int32_t));
    if (!hashes || !offs || !lens || !vals) {
        PyMem_Free(hashes), PyMem_Free(offs), PyMem_Free(lens), PyMem_Free(vals);
        return PyErr_NoMemory(), FAILED;
    }
    for (Py_ssize_t k = 0; k < t->cap; k++) {
        if (t->hashes[k] == 0)
            continue;
        Py_ssize_t i = (Py_ssize_t)(t->hashes[k] & (uint64_t)(cap - 1));
        while (hashes[i] != 0)
            i = (i + 1) & (cap - 1);
        hashes[i] = t->hashes[k], offs[i] = t->offs[k], lens[i] = t->lens[k], vals[i] = t->vals[k];
    }
    PyMem_Free(t->hashes), PyMem_Free(t->offs), PyMem_Free(t->lens), PyMem_Free(t->vals);
    t->hashes = hashes, t->offs = offs, t->lens = lens, t->vals = vals, t->cap = cap;
    return VALID;
}

/* Store `v` under a key known to be absent. A table that may forget starts again empty at its limits
   (what it held is worked out again when met); one that may not (the vectors) only grows. */
static int table_put(Table *t, const unsigned char *p, Py_ssize_t n, uint64_t h, int32_t v, int may_forget) {
    if (may_forget && (t->used >= TABLE_LIMIT || t->arena_len + n > ARENA_LIMIT))
        table_free(t);
    if ((t->used + 1) * 2 > t->cap && table_resize(t, t->cap ? t->cap * 2 : 1024) == FAILED)
        return FAILED;
    if (t->arena_len + n > t->arena_cap) {
        Py_ssize_t cap = t->arena_cap ? t->arena_cap : 1 << 16;
        while (cap < t->arena_len + n)
            cap *= 2;
        unsigned char *arena = PyMem_Realloc(t->arena, (size_t)cap);
        if (arena == NULL)
            return PyErr_NoMemory(), FAILED;
        t->arena = arena, t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, p, (size_t)n);
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)(t->cap - 1));
    while (t->hashes[i] != 0)
        i = (i + 1) & (t->cap - 1);
    t->hashes[i] = h, t->offs[i] = t->arena_len, t->lens[i] = (int32_t)n, t->vals[i] = v;
    t->arena_len += n;
    t->used++;
    return VALID;
}

static void memo_free(PyObject *capsule) {
    Memo *m = PyCapsule_GetPointer(capsule, "payercert.linecheck.memo");
    if (m == NULL)
        return;
    for (int g = 0; g < m->n_groups; g++) {
        Group *gr = &m->groups[g];
        for (int k = 0; k < gr->n_full; k++)
            Py_XDECREF(gr->full[k].subs);
        for (int k = 0; k < gr->n_passing; k++)
            Py_XDECREF(gr->passing[k].subs);
        PyMem_Free(gr->full);
        PyMem_Free(gr->passing);
        table_free(&gr->table);
        table_free(&gr->passed);
    }
    PyMem_Free(m->groups);
    table_free(&m->vectors);
    PyMem_Free(m->answers);
    PyMem_Free(m->saturated);
    PyMem_Free(m->counts);
    PyMem_Free(m->key);
    Py_XDECREF(m->names);
    PyMem_Free(m);
}

static int paths_of(PyObject *o, int n_names, Path **out, int *count) {
    if (!PyTuple_Check(o))
        return bad("paths are a tuple");
    Py_ssize_t n = PyTuple_GET_SIZE(o);
    *count = (int)n;
    *out = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Path));
    if (*out == NULL)
        return PyErr_NoMemory(), FAILED;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *p = PyTuple_GET_ITEM(o, k);
        if (!PyTuple_Check(p) || PyTuple_GET_SIZE(p) != 3)
            return bad("a path is (name, mode, subs)");
        long name = PyLong_AsLong(PyTuple_GET_ITEM(p, 0)), mode = PyLong_AsLong(PyTuple_GET_ITEM(p, 1));
        PyObject *subs = PyTuple_GET_ITEM(p, 2);
        if (PyErr_Occurred())
            return FAILED;
        if (name < 0 || name >= n_names || mode < 0 || mode > 3 || !PyTuple_Check(subs) || PyTuple_GET_SIZE(subs) > MAX_SUBS)
            return bad("a path names a member, a mode 0-3 and at most 16 subs");
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(subs); j++)
            if (!PyBytes_Check(PyTuple_GET_ITEM(subs, j)))
                return bad("subs are bytes");
        (*out)[k].name = (int)name, (*out)[k].mode = (int)mode, (*out)[k].subs = Py_NewRef(subs);
    }
    return VALID;
}

static PyObject *make_memo(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyTuple_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "memo(names, groups): two tuples");
        return NULL;
    }
    PyObject *names = args[0], *groups = args[1];
    if (PyTuple_GET_SIZE(names) > MAX_CAPTURED || PyTuple_GET_SIZE(groups) > MAX_GROUPS) {
        PyErr_SetString(PyExc_ValueError, "memo(): at most 64 names and 256 rules");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(names); k++)
        if (!PyBytes_Check(PyTuple_GET_ITEM(names, k))) {
            PyErr_SetString(PyExc_TypeError, "memo(): names are bytes");
            return NULL;
        }
    Memo *m = PyMem_Calloc(1, sizeof(Memo));
    if (m == NULL)
        return PyErr_NoMemory();
    PyObject *capsule = PyCapsule_New(m, "payercert.linecheck.memo", memo_free);
    if (capsule == NULL) {
        PyMem_Free(m);
        return NULL;
    }
    m->names = Py_NewRef(names);
    int n_names = (int)PyTuple_GET_SIZE(names);
    m->groups = PyMem_Calloc((size_t)(PyTuple_GET_SIZE(groups) + 1), sizeof(Group));
    if (m->groups == NULL) {
        Py_DECREF(capsule);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t g = 0; g < PyTuple_GET_SIZE(groups); g++) {
        PyObject *spec = PyTuple_GET_ITEM(groups, g);
        Group *gr = &m->groups[g];
        m->n_groups = (int)g + 1;
        gr->n_passing = -1;
        if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 3) {
            bad("a rule is (full, passing, unique)");
            Py_DECREF(capsule);
            return NULL;
        }
        if (paths_of(PyTuple_GET_ITEM(spec, 0), n_names, &gr->full, &gr->n_full) == FAILED
            || (PyTuple_GET_ITEM(spec, 1) != Py_None
                && paths_of(PyTuple_GET_ITEM(spec, 1), n_names, &gr->passing, &gr->n_passing) == FAILED)) {
            Py_DECREF(capsule);
            return NULL;
        }
        gr->unique = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 2));
        if (gr->unique && (gr->n_full != 1 || gr->full[0].mode != 0)) {
            bad("a unique rule reads one member's raw text");
            Py_DECREF(capsule);
            return NULL;
        }
    }
    return capsule;
}

/* --- keys: the raw text a rule's paths pick out of a line the checker passed (so it is JSON) --- */

static inline Py_ssize_t spaces(const unsigned char *s, Py_ssize_t i, Py_ssize_t n) {
    while (i < n && is_space(s[i]))
        i++;
    return i;
}

/* Just past the JSON value at i, or -1. */
static Py_ssize_t value_end(const unsigned char *s, Py_ssize_t i, Py_ssize_t n) {
    int seen, depth = 0;
    if (i >= n)
        return -1;
    if (s[i] == '{' || s[i] == '[') {
        while (i < n) {
            unsigned char c = s[i];
            if (c == '"') {
                Py_ssize_t e = string_end(s, i + 1, n, &seen);
                if (e < 0)
                    return -1;
                i = e + 1;
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return -1;
    }
    if (s[i] == '"') {
        Py_ssize_t e = string_end(s, i + 1, n, &seen);
        return e < 0 ? -1 : e + 1;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i]))
        i++;
    return i;
}

static int key_add(Memo *m, const void *p, Py_ssize_t n) {
    if (m->key_len + n > m->key_cap) {
        Py_ssize_t cap = m->key_cap ? m->key_cap : 4096;
        while (cap < m->key_len + n)
            cap *= 2;
        unsigned char *key = PyMem_Realloc(m->key, (size_t)cap);
        if (key == NULL)
            return PyErr_NoMemory(), FAILED;
        m->key = key, m->key_cap = cap;
    }
    memcpy(m->key + m->key_len, p, (size_t)n);
    m->key_len += n;
    return VALID;
}

static int key_tag(Memo *m, char tag) { return key_add(m, &tag, 1); }

/* A tag, the length (8 bytes) and the raw text: keys stay unambiguous however they are joined. */
static int key_raw(Memo *m, char tag, const unsigned char *p, Py_ssize_t n) {
    int64_t len = n;
    if (key_tag(m, tag) == FAILED || key_add(m, &len, 8) == FAILED)
        return FAILED;
    return key_add(m, p, n);
}

/* The raw text of members `subs` of the object at [a, b): VALID, UNKNOWN when a member name has an
   escape (the caller keys the object's whole text), FAILED. */
static int key_subs(Memo *m, const unsigned char *s, Py_ssize_t a, Py_ssize_t b, PyObject *subs) {
    Py_ssize_t n_subs = PyTuple_GET_SIZE(subs), at[MAX_SUBS], to[MAX_SUBS];
    for (Py_ssize_t k = 0; k < n_subs; k++)
        at[k] = -1;
    Py_ssize_t i = spaces(s, a + 1, b);
    while (i < b && s[i] == '"') {
        int seen;
        Py_ssize_t close = string_end(s, i + 1, b, &seen);
        if (close < 0 || (seen & S_ESCAPE))
            return UNKNOWN;
        const unsigned char *name = s + i + 1;
        Py_ssize_t len = close - i - 1;
        i = spaces(s, spaces(s, close + 1, b) + 1, b); /* past the colon */
        Py_ssize_t end = value_end(s, i, b);
        if (end < 0)
            return UNKNOWN;
        for (Py_ssize_t k = 0; k < n_subs; k++)
            if (same_bytes(PyTuple_GET_ITEM(subs, k), name, len))
                at[k] = i, to[k] = end;
        i = spaces(s, end, b);
        if (i < b && s[i] == ',')
            i = spaces(s, i + 1, b);
    }
    for (Py_ssize_t k = 0; k < n_subs; k++)
        if ((at[k] < 0 ? key_tag(m, 'a') : key_raw(m, 'r', s + at[k], to[k] - at[k])) == FAILED)
            return FAILED;
    return VALID;
}

/* A string written with no escape: its raw text is its value, so equal text is equal value. */
static int plain_string(const unsigned char *p, Py_ssize_t n) {
    return n >= 2 && p[0] == '"' && memchr(p + 1, '\\', (size_t)(n - 2)) == NULL;
}

/* One path's key from the member's raw text [a, b) (a < 0: the member is absent). */
static int key_path(Memo *m, const Path *p, const unsigned char *s, Py_ssize_t a, Py_ssize_t b) {
    if (a < 0)
        return key_tag(m, 'A');
    if (p->mode == 3) { /* its kind: a number, or a string with a non-space character, or else its text */
        if (s[a] == '-' || (s[a] >= '0' && s[a] <= '9'))
            return key_tag(m, 'N');
        if (s[a] == '"' && plain_string(s + a, b - a)) {
            int ascii = 1, blank = 1;
            for (Py_ssize_t i = a + 1; i < b - 1; i++)
                ascii &= s[i] < 0x80, blank &= s[i] == ' ';
            if (ascii && !blank)
                return key_tag(m, 'S');
        }
        return key_raw(m, 'R', s + a, b - a);
    }
    Py_ssize_t mark = m->key_len;
    int v = VALID;
    if (p->mode == 2 && s[a] == '{') {
        v = key_tag(m, 'O');
        if (v == VALID)
            v = key_subs(m, s, a, b, p->subs);
    } else if (p->mode == 1 && s[a] == '[') {
        v = key_tag(m, 'E');
        Py_ssize_t i = spaces(s, a + 1, b);
        while (v == VALID && i < b && s[i] != ']') {
            Py_ssize_t end = value_end(s, i, b);
            if (end < 0) {
                v = UNKNOWN;
                break;
            }
            if (s[i] == '{') {
                v = key_tag(m, 'O');
                if (v == VALID)
                    v = key_subs(m, s, i, end, p->subs);
            } else {
                v = key_raw(m, 'e', s + i, end - i);
            }
            i = spaces(s, end, b);
            if (i < b && s[i] == ',')
                i = spaces(s, i + 1, b);
        }
    } else {
        return key_raw(m, 'R', s + a, b - a);
    }
    if (v == UNKNOWN) {
        m->key_len = mark;
        return key_raw(m, 'R', s + a, b - a);
    }
    return v;
}

static int key_paths(Memo *m, const Path *paths, int n, const Reader *r) {
    m->key_len = 0;
    for (int k = 0; k < n; k++)
        if (key_path(m, &paths[k], r->s, r->starts[paths[k].name], r->ends[paths[k].name]) == FAILED)
            return FAILED;
    return VALID;
}

/* The rules' answer for one line: 0 and up, UNKNOWN when the caller must read the line, FAILED. */
static int answer(Memo *m, int g, const Reader *r, PyObject *evaluate, Py_ssize_t start, Py_ssize_t end) {
    Group *gr = &m->groups[g];
    if (gr->unique) {
        Py_ssize_t a = r->starts[gr->full[0].name], b = r->ends[gr->full[0].name];
        if (a < 0 || (b - a == 4 && memcmp(r->s + a, "null", 4) == 0))
            return 0;
        if (!plain_string(r->s + a, b - a))
            return UNKNOWN;
        /* a value seen before: the caller finds it (the line's values are kept by remember_unique) */
        return table_get(&gr->table, r->s + a, b - a, hash_bytes(r->s + a, b - a)) >= 0 ? UNKNOWN : 0;
    }
    uint64_t passed_hash = 0;
    if (gr->n_passing >= 0) {
        if (key_paths(m, gr->passing, gr->n_passing, r) == FAILED)
            return FAILED;
        passed_hash = hash_bytes(m->key, m->key_len);
        if (table_get(&gr->passed, m->key, m->key_len, passed_hash) >= 0)
            return 0;
    }
    if (key_paths(m, gr->full, gr->n_full, r) == FAILED)
        return FAILED;
    uint64_t h = hash_bytes(m->key, m->key_len);
    int32_t v = table_get(&gr->table, m->key, m->key_len, h);
    if (v >= 0)
        return v;
    PyObject *values = captured(r);
    if (values == NULL)
        return FAILED;
    PyObject *got = PyObject_CallFunction(evaluate, "innN", g, start, end, values);
    if (got == NULL)
        return FAILED;
    long id = PyLong_AsLong(got);
    Py_DECREF(got);
    if (id == -1 && !PyErr_Occurred())
        return UNKNOWN; /* the caller reads this line itself */
    if (id < 0 || id > INT32_MAX) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "scan(): evaluate answers 0 and up");
        return FAILED;
    }
    if (table_put(&gr->table, m->key, m->key_len, h, (int32_t)id, 1) == FAILED)
        return FAILED;
    if (id == 0 && gr->n_passing >= 0) {
        if (key_paths(m, gr->passing, gr->n_passing, r) == FAILED)
            return FAILED;
        if (table_put(&gr->passed, m->key, m->key_len, passed_hash, 1, 1) == FAILED)
            return FAILED;
    }
    return (int)id;
}

/* The unique values of a line every rule has answered for: later lines must differ. */
static int remember_unique(Memo *m, const Reader *r) {
    for (int g = 0; g < m->n_groups; g++) {
        Group *gr = &m->groups[g];
        if (!gr->unique)
            continue;
        Py_ssize_t a = r->starts[gr->full[0].name], b = r->ends[gr->full[0].name];
        if (a < 0 || !plain_string(r->s + a, b - a))
            continue;
        uint64_t h = hash_bytes(r->s + a, b - a);
        if (table_get(&gr->table, r->s + a, b - a, h) < 0 && table_put(&gr->table, r->s + a, b - a, h, 1, 0) == FAILED)
            return FAILED;
    }
    return VALID;
}

/* The vector of a line's answers, made when first met. */
static Py_ssize_t vector_of(Memo *m, const int32_t *answers) {
    Py_ssize_t n = (Py_ssize_t)m->n_groups * 4;
    uint64_t h = hash_bytes((const unsigned char *)answers, n);
    int32_t v = table_get(&m->vectors, (const unsigned char *)answers, n, h);
    if (v >= 0)
        return v;
    if (m->n_vectors == m->vectors_cap) {
        Py_ssize_t cap = m->vectors_cap ? m->vectors_cap * 2 : 256;
        int32_t *all = PyMem_Realloc(m->answers, (size_t)(cap * m->n_groups) * sizeof(int32_t));
        if (all == NULL)
            return PyErr_NoMemory(), FAILED;
        m->answers = all;
        unsigned char *sat = PyMem_Realloc(m->saturated, (size_t)cap);
        if (sat == NULL)
            return PyErr_NoMemory(), FAILED;
        m->saturated = sat;
        int64_t *counts = PyMem_Realloc(m->counts, (size_t)cap * sizeof(int64_t));
        if (counts == NULL)
            return PyErr_NoMemory(), FAILED;
        m->counts = counts;
        m->vectors_cap = cap;
    }
    v = (int32_t)m->n_vectors++;
    memcpy(m->answers + (Py_ssize_t)v * m->n_groups, answers, (size_t)n);
    m->saturated[v] = 0;
    m->counts[v] = 0;
    if (table_put(&m->vectors, (const unsigned char *)answers, n, h, v, 0) == FAILED)
        return FAILED;
    return v;
}

static Memo *memo_of(PyObject *o) { return PyCapsule_GetPointer(o, "payercert.linecheck.memo"); }

static PyObject *scan(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "scan(program, memo, block, evaluate)");
        return NULL;
    }
    const Program *pg = PyCapsule_GetPointer(args[0], "payercert.linecheck.program");
    Memo *m = memo_of(args[1]);
    if (pg == NULL || m == NULL)
        return NULL;
    PyObject *evaluate = args[3];
    Py_buffer view;
    if (PyObject_GetBuffer(args[2], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *needs = PyList_New(0);
    if (needs == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    const unsigned char *base = view.buf;
    Py_ssize_t size = view.len, at = 0, lines = 0, records = 0;
    int32_t answers[MAX_GROUPS];
    Reader r;
    r.pg = pg;
    r.names = r.names_small;
    r.names_cap = 64;
    r.wanted = m->n_groups ? m->names : NULL;
    r.n_wanted = m->n_groups ? PyTuple_GET_SIZE(m->names) : 0;
    while (at < size) {
        const unsigned char *nl = memchr(base + at, '\n', (size_t)(size - at));
        Py_ssize_t end = nl ? nl - base : size, index = lines++;
        r.s = base + at;
        r.n = end - at;
        r.names_len = 0;
        for (Py_ssize_t k = 0; k < r.n_wanted; k++)
            r.starts[k] = r.ends[k] = -1;
        Py_ssize_t i = 0;
        skip_space(&r, &i);
        int v = i < r.n ? check(&r, 2, &i, 0, 0) : UNKNOWN;
        if (v == VALID) {
            skip_space(&r, &i);
            if (i != r.n)
                v = UNKNOWN;
        }
        if (v == FAILED)
            goto failed;
        PyObject *item = NULL;
        if (v == VALID) {
            int clean = 1;
            for (int g = 0; g < m->n_groups && v == VALID; g++) {
                int a = answer(m, g, &r, evaluate, at, end);
                if (a == FAILED)
                    goto failed;
                if (a == UNKNOWN)
                    v = UNKNOWN;
                else
                    answers[g] = a, clean &= a == 0;
            }
            if (v == VALID) {
                records++;
                if (remember_unique(m, &r) == FAILED)
                    goto failed;
                if (!clean) {
                    Py_ssize_t vec = vector_of(m, answers);
                    if (vec == FAILED)
                        goto failed;
                    if (m->saturated[vec])
                        m->counts[vec]++;
                    else if ((item = Py_BuildValue("(nn)", index, vec)) == NULL)
                        goto failed;
                }
            }
        }
        if (v != VALID && (item = Py_BuildValue("(nnn)", index, at, end)) == NULL)
            goto failed;
        if (item != NULL) {
            int appended = PyList_Append(needs, item);
            Py_DECREF(item);
            if (appended < 0)
                goto failed;
        }
        at = end + 1;
    }
    if (r.names != r.names_small)
        PyMem_Free(r.names);
    PyBuffer_Release(&view);
    return Py_BuildValue("(nnN)", lines, records, needs);
failed:
    if (r.names != r.names_small)
        PyMem_Free(r.names);
    PyBuffer_Release(&view);
    Py_DECREF(needs);
    return NULL;
}

/* The memo and the vector of (memo, v) arguments, or NULL with an error set. */
static Memo *memo_and_vector(PyObject *const *args, Py_ssize_t nargs, const char *call, Py_ssize_t *v) {
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s(memo, v)", call);
        return NULL;
    }
    Memo *m = memo_of(args[0]);
    if (m == NULL)
        return NULL;
    *v = PyLong_AsSsize_t(args[1]);
    if (*v < 0 || *v >= m->n_vectors) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_IndexError, "%s(): no such vector", call);
        return NULL;
    }
    return m;
}

static PyObject *memo_vector(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t v;
    Memo *m = memo_and_vector(args, nargs, "vector", &v);
    if (m == NULL)
        return NULL;
    PyObject *out = PyTuple_New(m->n_groups);
    for (int g = 0; out != NULL && g < m->n_groups; g++) {
        PyObject *answer = PyLong_FromLong(m->answers[v * m->n_groups + g]);
        if (answer == NULL)
            Py_CLEAR(out);
        else
            PyTuple_SET_ITEM(out, g, answer);
    }
    return out;
}

static PyObject *memo_saturate(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t v;
    Memo *m = memo_and_vector(args, nargs, "saturate", &v);
    if (m == NULL)
        return NULL;
    m->saturated[v] = 1;
    Py_RETURN_NONE;
}

/* [(vector, lines counted)] since the last drain; every vector is listed again until saturated anew. */
static PyObject *memo_drain(PyObject *self, PyObject *arg) {
    Memo *m = memo_of(arg);
    if (m == NULL)
        return NULL;
    PyObject *out = PyList_New(0);
    for (Py_ssize_t v = 0; out != NULL && v < m->n_vectors; v++) {
        if (m->counts[v]) {
            PyObject *pair = Py_BuildValue("(nL)", v, (long long)m->counts[v]);
            if (pair == NULL || PyList_Append(out, pair) < 0)
                Py_CLEAR(out);
            Py_XDECREF(pair);
        }
        m->counts[v] = 0;
        m->saturated[v] = 0;
    }
    return out;
}

static PyObject *memo_forget(PyObject *self, PyObject *arg) {
    Memo *m = memo_of(arg);
    if (m == NULL)
        return NULL;
    for (int g = 0; g < m->n_groups; g++) {
        if (!m->groups[g].unique) /* the values seen stay: a later line must still differ from them */
            table_free(&m->groups[g].table);
        table_free(&m->groups[g].passed);
    }
    table_free(&m->vectors);
    m->n_vectors = 0;
    Py_RETURN_NONE;
}

static PyObject *memo_vectors(PyObject *self, PyObject *arg) {
    Memo *m = memo_of(arg);
    return m == NULL ? NULL : PyLong_FromSsize_t(m->n_vectors);
}

/* seen(memo, rule, raw) -> bool and see(memo, rule, raw): a unique rule's values, for the lines the
   caller reads itself (raw: a string's text with its quotes, written with no escape). */
static Group *unique_group(PyObject *const *args, Py_ssize_t nargs, Py_buffer *view) {
    Memo *m = nargs == 3 ? memo_of(args[0]) : NULL;
    if (m == NULL) {
        if (nargs != 3)
            PyErr_SetString(PyExc_TypeError, "seen(memo, rule, raw) / see(memo, rule, raw)");
        return NULL;
    }
    long g = PyLong_AsLong(args[1]);
    if (g < 0 || g >= m->n_groups || !m->groups[g].unique) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "not a unique rule");
        return NULL;
    }
    if (PyObject_GetBuffer(args[2], view, PyBUF_SIMPLE) < 0)
        return NULL;
    return &m->groups[g];
}

static PyObject *memo_seen(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer view;
    Group *gr = unique_group(args, nargs, &view);
    if (gr == NULL)
        return NULL;
    int found = table_get(&gr->table, view.buf, view.len, hash_bytes(view.buf, view.len)) >= 0;
    PyBuffer_Release(&view);
    return PyBool_FromLong(found);
}

static PyObject *memo_see(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_buffer view;
    Group *gr = unique_group(args, nargs, &view);
    if (gr == NULL)
        return NULL;
    uint64_t h = hash_bytes(view.buf, view.len);
    int ok = table_get(&gr->table, view.buf, view.len, h) >= 0 || table_put(&gr->table, view.buf, view.len, h, 1, 0) != FAILED;
    PyBuffer_Release(&view);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"program", (PyCFunction)make_program, METH_O, "program(nodes) -> program"},
    {"check", (PyCFunction)(void (*)(void))check_line, METH_FASTCALL,
     "check(program, line) -> bool; check(program, line, names) -> bytes of those members' values, or None"},
    {"memo", (PyCFunction)(void (*)(void))make_memo, METH_FASTCALL, "memo(names, groups) -> memo"},
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(program, memo, block, evaluate) -> (lines, records, needs)"},
    {"vector", (PyCFunction)(void (*)(void))memo_vector, METH_FASTCALL, "vector(memo, v) -> the rules' answers"},
    {"saturate", (PyCFunction)(void (*)(void))memo_saturate, METH_FASTCALL, "saturate(memo, v): count v's lines"},
    {"drain", (PyCFunction)memo_drain, METH_O, "drain(memo) -> [(vector, lines counted)]"},
    {"forget", (PyCFunction)memo_forget, METH_O, "forget(memo): start the memo again"},
    {"vectors", (PyCFunction)memo_vectors, METH_O, "vectors(memo) -> how many vectors it holds"},
    {"seen", (PyCFunction)(void (*)(void))memo_seen, METH_FASTCALL, "seen(memo, rule, raw) -> bool"},
    {"see", (PyCFunction)(void (*)(void))memo_see, METH_FASTCALL, "see(memo, rule, raw)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_linecheck", NULL, -1, methods};

PyMODINIT_FUNC PyInit__linecheck(void) { return PyModule_Create(&module); }
