/*
 * run_model.c — embed the pocketml runtime: load a .pml, run it once, print the outputs.
 *
 *   cc run_model.c $(pkg-config --cflags --libs pocketml) -Wl,-rpath,<lib dir> -o run_model
 *   ./run_model model.pml [input0.npy|input0.bin] [--input NAME=FILE]... [--shape NAME=D0,D1,...]...
 *               [--threads N] [--print N]
 *
 * Inputs come from .npy files (numpy.save: little-endian, C order, the input's exact dtype;
 * the file's shape gives symbolic dims unless --shape does) or raw .bin files holding exactly
 * the input's bytes (x.astype(np.float32).tofile("x.bin")); a file given without a name is
 * input 0. Inputs without a file are filled with i/n ramps (float32) or zeros. Models with
 * symbolic input dims need each such input's shape, from --shape or its .npy file.
 * For each output: its dtype and shape, its first values (--print N, default 8) and, for
 * float32, the top 5 values with their flat indices.
 *
 * File inputs are read straight into the session's arena (pml_session_input_buffer), and
 * outputs are read in place (pml_session_output_data): no copies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pocketml.h"

#define MAX_ARGS 64

typedef struct {
    const char *name; /* NULL: input 0 */
    const char *value;
} named_arg;

typedef struct {
    pml_dtype dtype;
    int rank;
    int64_t dims[PML_MAX_RANK];
    long data_offset; /* where the raw bytes start in the file */
    long data_bytes;
} npy_info;

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, pml_last_error());
    return 1;
}

static const char *dtype_name(pml_dtype t) {
    static const char *names[] = {"undefined", "float32", "float16", "int8",   "uint8",  "int32",
                                  "int64",     "bool",    "int16",   "uint16", "uint32", "uint64"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

static void print_shape(FILE *f, int rank, const int64_t *dims) {
    fprintf(f, "[");
    for (int d = 0; d < rank; d++) fprintf(f, d ? ",%lld" : "%lld", (long long)dims[d]);
    fprintf(f, "]");
}

/* numpy's dtype descr -> pml dtype (little-endian or byte-sized only). */
static pml_dtype npy_dtype(const char *descr) {
    static const struct { const char *descr; pml_dtype t; } map[] = {
        {"<f4", PML_FLOAT32}, {"<f2", PML_FLOAT16}, {"|i1", PML_INT8},   {"|u1", PML_UINT8},
        {"<i4", PML_INT32},   {"<i8", PML_INT64},   {"|b1", PML_BOOL},   {"<i2", PML_INT16},
        {"<u2", PML_UINT16},  {"<u4", PML_UINT32},  {"<u8", PML_UINT64}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(descr, map[i].descr) == 0) return map[i].t;
    return PML_DTYPE_UNDEFINED;
}

/* Parses a .npy header (format 1.0-3.0). Returns 0, or -1 after printing why. */
static int npy_read_header(FILE *f, const char *path, long file_size, npy_info *out) {
    unsigned char pre[12];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fprintf(stderr, "%s: not a .npy file (no \\x93NUMPY magic)\n", path);
        return -1;
    }
    long hlen = pre[8] | pre[9] << 8, start = 10;
    if (pre[6] >= 2) { /* 4-byte header length */
        if (fread(pre + 10, 1, 2, f) != 2) return fprintf(stderr, "%s: truncated .npy header\n", path), -1;
        hlen |= (long)pre[10] << 16 | (long)pre[11] << 24;
        start = 12;
    }
    if (hlen <= 0 || hlen > 65536 || start + hlen > file_size)
        return fprintf(stderr, "%s: bad .npy header length %ld\n", path, hlen), -1;
    char *h = calloc(1, (size_t)hlen + 1);
    if (!h || fread(h, 1, (size_t)hlen, f) != (size_t)hlen) {
        free(h);
        return fprintf(stderr, "%s: truncated .npy header\n", path), -1;
    }
    int ok = 0;
    char descr[16] = "";
    const char *d = strstr(h, "'descr':"), *fo = strstr(h, "'fortran_order':"), *sh = strstr(h, "'shape':");
    if (!d || sscanf(d + 8, " '%15[^']'", descr) != 1 || !fo || !sh) {
        fprintf(stderr, "%s: .npy header without descr/fortran_order/shape: %s\n", path, h);
    } else if (strncmp(fo + 16, " True", 5) == 0) {
        fprintf(stderr, "%s: the array is in Fortran order; save a C-ordered array (np.ascontiguousarray)\n", path);
    } else if ((out->dtype = npy_dtype(descr)) == PML_DTYPE_UNDEFINED) {
        fprintf(stderr, "%s: dtype '%s' is not supported (little-endian float32, float16, int8-64, uint8-64 or "
                "bool)\n", path, descr);
    } else {
        const char *p = strchr(sh, '(');
        out->rank = 0;
        ok = p != NULL;
        for (p = p ? p + 1 : p; ok && *p && *p != ')';) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p) { /* separators */
                p++;
                continue;
            }
            if (out->rank == PML_MAX_RANK || v < 0) {
                fprintf(stderr, "%s: shape of more than %d dims or with a negative dim\n", path, PML_MAX_RANK);
                ok = 0;
                break;
            }
            out->dims[out->rank++] = v;
            p = end;
        }
    }
    free(h);
    out->data_offset = start + hlen;
    out->data_bytes = file_size - out->data_offset;
    return ok ? 0 : -1;
}

static FILE *open_input(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    return f;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* "d0,d1,..." -> dims; returns the rank or -1. */
static int parse_dims(const char *s, int64_t *dims) {
    int rank = 0;
    while (*s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || rank == PML_MAX_RANK || (*end && *end != ',')) return -1;
        dims[rank++] = v;
        s = *end ? end + 1 : end;
    }
    return rank;
}

static const named_arg *find_arg(const named_arg *args, int n, const char *name, int index) {
    for (int i = 0; i < n; i++)
        if (args[i].name ? strcmp(args[i].name, name) == 0 : index == 0) return &args[i];
    return NULL;
}

/* Shape of input i: --shape, else the .npy file's (only where the model has symbolic dims). */
static int set_shape(pml_session *s, int i, const named_arg *shape, const named_arg *file) {
    pml_tensor_info info;
    pml_session_input_info(s, i, &info);
    int64_t dims[PML_MAX_RANK];
    int rank = -1;
    if (shape) {
        if ((rank = parse_dims(shape->value, dims)) < 0) {
            fprintf(stderr, "--shape %s=%s: expected sizes like 1,3,224,224\n", info.name, shape->value);
            return 1;
        }
    } else if (file && ends_with(file->value, ".npy")) {
        npy_info npy;
        long size;
        FILE *f = open_input(file->value, &size);
        if (!f) return fprintf(stderr, "cannot open %s\n", file->value), 1;
        int bad = npy_read_header(f, file->value, size, &npy);
        fclose(f);
        if (bad) return 1;
        rank = npy.rank;
        memcpy(dims, npy.dims, sizeof dims);
    }
    int symbolic = 0;
    for (int d = 0; d < info.rank; d++) symbolic |= info.dims[d] < 0;
    if (rank < 0) {
        if (!symbolic) return 0;
        fprintf(stderr, "input '%s' has symbolic dims ", info.name);
        print_shape(stderr, info.rank, info.dims);
        fprintf(stderr, " (-1 = symbolic): give --shape %s=D0,D1,... or a .npy file for it\n", info.name);
        return 1;
    }
    return pml_session_set_input_shape(s, i, rank, dims) != PML_OK ? fail(shape ? "--shape" : file->value) : 0;
}

/* Reads input i's file into dst (nbytes): a .npy with the input's dtype and shape, or a raw
 * file of exactly nbytes. */
static int read_input(const char *path, const pml_tensor_info *info, void *dst) {
    long size;
    FILE *f = open_input(path, &size);
    if (!f) return fprintf(stderr, "cannot open input file %s\n", path), 1;
    long offset = 0, bytes = size;
    if (ends_with(path, ".npy")) {
        npy_info npy;
        if (npy_read_header(f, path, size, &npy)) return fclose(f), 1;
        int same = npy.rank == info->rank;
        for (int d = 0; same && d < npy.rank; d++) same = npy.dims[d] == info->dims[d];
        if (npy.dtype != info->dtype || !same) {
            fprintf(stderr, "%s holds %s ", path, dtype_name(npy.dtype));
            print_shape(stderr, npy.rank, npy.dims);
            fprintf(stderr, "; input '%s' is %s ", info->name, dtype_name(info->dtype));
            print_shape(stderr, info->rank, info->dims);
            fprintf(stderr, " (no conversion is done)\n");
            return fclose(f), 1;
        }
        offset = npy.data_offset;
        bytes = npy.data_bytes;
    }
    if (bytes != (long)info->nbytes) {
        fprintf(stderr, "%s has %ld data bytes; input '%s' (%s ", path, bytes, info->name, dtype_name(info->dtype));
        print_shape(stderr, info->rank, info->dims);
        fprintf(stderr, ") needs exactly %zu\n", info->nbytes);
        return fclose(f), 1;
    }
    fseek(f, offset, SEEK_SET);
    size_t got = info->nbytes ? fread(dst, 1, info->nbytes, f) : 0;
    fclose(f);
    if (got != info->nbytes) return fprintf(stderr, "%s: read error\n", path), 1;
    return 0;
}

static void fill_default(const pml_tensor_info *info, void *dst) {
    if (info->dtype != PML_FLOAT32) {
        memset(dst, 0, info->nbytes);
        return;
    }
    size_t n = info->nbytes / sizeof(float);
    for (size_t k = 0; k < n; k++) ((float *)dst)[k] = (float)k / (float)n;
}

/* Input i into the session: read in place into its arena slot, or (inputs that fix shapes,
 * which have no slot) through a buffer and set_input. */
static int feed_input(pml_session *s, int i, const named_arg *file) {
    pml_tensor_info info;
    pml_session_input_info(s, i, &info);
    void *dst = NULL, *owned = NULL;
    size_t nbytes = info.nbytes;
    if (!pml_session_input_fixes_shapes(s, i)) {
        if (pml_session_input_buffer(s, i, &dst, &nbytes) != PML_OK) return fail("input buffer");
    } else if (!(dst = owned = malloc(nbytes ? nbytes : 1))) {
        return fprintf(stderr, "out of memory\n"), 1;
    }
    int bad = file ? read_input(file->value, &info, dst) : (fill_default(&info, dst), 0);
    if (!bad && owned && pml_session_set_input(s, i, owned, nbytes) != PML_OK) bad = fail("set_input");
    free(owned);
    if (bad) return 1;
    printf("input %s %s ", info.name, dtype_name(info.dtype));
    print_shape(stdout, info.rank, info.dims);
    printf("%s%s\n", file ? " from " : "", file ? file->value : "");
    return 0;
}

static double value_at(const void *data, pml_dtype t, size_t i) {
    switch (t) {
    case PML_FLOAT32: return ((const float *)data)[i];
    case PML_INT8: return ((const int8_t *)data)[i];
    case PML_UINT8: case PML_BOOL: return ((const uint8_t *)data)[i];
    case PML_INT16: return ((const int16_t *)data)[i];
    case PML_UINT16: return ((const uint16_t *)data)[i];
    case PML_INT32: return ((const int32_t *)data)[i];
    case PML_UINT32: return ((const uint32_t *)data)[i];
    case PML_INT64: return (double)((const int64_t *)data)[i];
    case PML_UINT64: return (double)((const uint64_t *)data)[i];
    default: return 0; /* float16: not printed */
    }
}

static void print_output(pml_session *s, int o, size_t show) {
    pml_tensor_info info;
    const void *data;
    size_t nbytes;
    pml_session_output_info(s, o, &info);
    pml_session_output_data(s, o, &data, &nbytes);
    printf("output %s %s ", info.name, dtype_name(info.dtype));
    print_shape(stdout, info.rank, info.dims);
    printf("\n");
    if (info.dtype == PML_FLOAT16) return;
    size_t esize = info.dtype == PML_FLOAT32 || info.dtype == PML_INT32 || info.dtype == PML_UINT32 ? 4
                   : info.dtype == PML_INT64 || info.dtype == PML_UINT64                        ? 8
                   : info.dtype == PML_INT16 || info.dtype == PML_UINT16                        ? 2
                                                                                                : 1;
    size_t n = nbytes / esize;
    printf("  values");
    for (size_t i = 0; i < n && i < show; i++) printf(" %.9g", value_at(data, info.dtype, i));
    printf("\n");
    if (info.dtype != PML_FLOAT32) return;
    const float *x = data; /* top 5 by value */
    size_t shown[5];
    for (size_t k = 0; k < 5 && k < n; k++) {
        size_t best = (size_t)-1;
        for (size_t j = 0; j < n; j++) {
            int used = 0;
            for (size_t u = 0; u < k; u++) used |= shown[u] == j;
            if (!used && (best == (size_t)-1 || x[j] > x[best])) best = j;
        }
        shown[k] = best;
        printf("  top%zu index %zu value %.6f\n", k + 1, best, x[best]);
    }
}

int main(int argc, char **argv) {
    const char *model_path = NULL;
    named_arg files[MAX_ARGS], shapes[MAX_ARGS];
    int n_files = 0, n_shapes = 0, threads = 1, show = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int named = strcmp(a, "--input") == 0 || strcmp(a, "--shape") == 0;
        if ((named || strcmp(a, "--threads") == 0 || strcmp(a, "--print") == 0) && i + 1 == argc) {
            fprintf(stderr, "%s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--threads") == 0) threads = atoi(argv[++i]);
        else if (strcmp(a, "--print") == 0) show = atoi(argv[++i]);
        else if (named) {
            char *v = argv[++i], *eq = strchr(v, '=');
            named_arg *list = a[2] == 'i' ? files : shapes;
            int *n = a[2] == 'i' ? &n_files : &n_shapes;
            if (!eq || eq == v || *n == MAX_ARGS) {
                fprintf(stderr, "%s %s: expected NAME=VALUE\n", a, v);
                return 2;
            }
            *eq = 0;
            list[(*n)++] = (named_arg){v, eq + 1};
        } else if (!model_path) model_path = a;
        else if (n_files < MAX_ARGS) files[n_files++] = (named_arg){NULL, a};
    }
    if (!model_path) {
        fprintf(stderr, "usage: %s model.pml [input0.npy|.bin] [--input NAME=FILE]... [--shape NAME=D0,D1,...]... "
                "[--threads N] [--print N]\n", argv[0]);
        return 2;
    }

    pml_model *model = NULL;
    pml_session *session = NULL;
    if (pml_model_load_file(model_path, &model) != PML_OK) return fail("load");
    pml_session_options opts;
    pml_session_options_init(&opts);
    opts.num_threads = threads;
    if (pml_session_create(model, &opts, &session) != PML_OK) {
        pml_model_free(model);
        return fail("session");
    }
    printf("pocketml %s, isa %s\n", pml_version(), pml_session_isa(session));

    int n_in = pml_session_input_count(session), bad = 0;
    for (int k = 0; k < n_files + n_shapes && !bad; k++) { /* every name must be an input */
        const named_arg *a = k < n_files ? &files[k] : &shapes[k - n_files];
        int index;
        if (a->name && pml_session_find_input(session, a->name, &index) != PML_OK) bad = fail(a->name);
    }
    for (int i = 0; i < n_in && !bad; i++) {
        pml_tensor_info info;
        pml_session_input_info(session, i, &info);
        bad = set_shape(session, i, find_arg(shapes, n_shapes, info.name, -1), find_arg(files, n_files, info.name, i));
    }
    /* inputs that fix shapes first: setting them may re-plan, which moves the others' slots */
    for (int pass = 0; pass < 2 && !bad; pass++)
        for (int i = 0; i < n_in && !bad; i++) {
            if (pml_session_input_fixes_shapes(session, i) != (pass == 0)) continue;
            pml_tensor_info info;
            pml_session_input_info(session, i, &info);
            bad = feed_input(session, i, find_arg(files, n_files, info.name, i));
        }
    if (!bad && pml_session_run(session) != PML_OK) bad = fail("run");
    if (!bad) printf("arena %zu bytes\n", pml_session_arena_size(session));
    for (int o = 0; !bad && o < pml_session_output_count(session); o++) print_output(session, o, (size_t)show);
    pml_session_free(session);
    pml_model_free(model);
    return bad;
}
