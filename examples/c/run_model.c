/*
 * run_model.c — embed the pocketml runtime: load a .pml, run it once, print
 * the top outputs.
 *
 *   cc run_model.c -I<include dir> -L<lib dir> -lpocketml -o run_model
 *   ./run_model model.pml [input.bin] [--threads N]
 *
 * input.bin holds the raw little-endian bytes of input 0 (e.g. from
 * numpy: x.astype(np.float32).tofile("input.bin")); without it, float inputs
 * are filled with i/n ramps (the same data onnx's backend tests use).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pocketml.h"

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, pml_last_error());
    return 1;
}

static void print_shape(const pml_tensor_info *info) {
    printf("[");
    for (int d = 0; d < info->rank; d++) printf(d ? ",%lld" : "%lld", (long long)info->dims[d]);
    printf("]");
}

static int read_file(const char *path, void *dst, size_t nbytes) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t got = fread(dst, 1, nbytes, f);
    fclose(f);
    return got == nbytes ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *model_path = NULL, *input_path = NULL;
    int threads = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!model_path) model_path = argv[i];
        else input_path = argv[i];
    }
    if (!model_path) {
        fprintf(stderr, "usage: %s model.pml [input.bin] [--threads N]\n", argv[0]);
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
    printf("pocketml %s, isa %s, arena %zu bytes\n", pml_version(), pml_session_isa(session),
           pml_session_arena_size(session));

    /* Inputs: a file for input 0 if given, ramps otherwise. */
    for (int i = 0; i < pml_session_input_count(session); i++) {
        pml_tensor_info info;
        pml_session_input_info(session, i, &info);
        void *buf = malloc(info.nbytes ? info.nbytes : 1);
        if (!buf) return fail("malloc");
        if (i == 0 && input_path) {
            if (read_file(input_path, buf, info.nbytes) != 0) {
                fprintf(stderr, "%s: expected %zu bytes for input '%s'\n", input_path, info.nbytes, info.name);
                return 1;
            }
        } else if (info.dtype == PML_FLOAT32) {
            size_t n = info.nbytes / sizeof(float);
            for (size_t k = 0; k < n; k++) ((float *)buf)[k] = (float)k / (float)n;
        } else {
            memset(buf, 0, info.nbytes);
        }
        printf("input %s ", info.name);
        print_shape(&info);
        printf("\n");
        pml_status s = pml_session_set_input(session, i, buf, info.nbytes);
        free(buf);
        if (s != PML_OK) return fail("set_input");
    }

    if (pml_session_run(session) != PML_OK) return fail("run");

    for (int o = 0; o < pml_session_output_count(session); o++) {
        pml_tensor_info info;
        const void *data;
        size_t nbytes;
        pml_session_output_info(session, o, &info);
        pml_session_output_data(session, o, &data, &nbytes);
        printf("output %s ", info.name);
        print_shape(&info);
        printf("\n");
        if (info.dtype != PML_FLOAT32) continue;
        /* top 5 by value */
        const float *x = (const float *)data;
        size_t n = nbytes / sizeof(float);
        int shown[5];
        for (int k = 0; k < 5 && k < (int)n; k++) {
            size_t best = (size_t)-1;
            for (size_t j = 0; j < n; j++) {
                int used = 0;
                for (int u = 0; u < k; u++) used |= shown[u] == (int)j;
                if (!used && (best == (size_t)-1 || x[j] > x[best])) best = j;
            }
            shown[k] = (int)best;
            printf("  top%d index %zu value %.6f\n", k + 1, best, x[best]);
        }
    }
    pml_session_free(session);
    pml_model_free(model);
    return 0;
}
