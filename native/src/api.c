/*
 * api.c — the public C API (pocketml.h). Every entry point validates its
 * arguments (NULL pointers, index ranges) and reports failures through
 * pml_last_error before handing over to model.c / session.c, so those can
 * assume valid arguments. Functions that return a count or size return 0
 * (and set the error message) for a NULL handle.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "kernels/config.h"
#include "session.h"
#include "session_state.h"

static pml_status null_arg(const char *fn, const char *arg) {
    return pml_set_error(PML_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, arg);
}

const char *pml_version(void) { return PML_VERSION_STRING; }
uint32_t pml_format_version(void) { return PML_FORMAT_VERSION; }

/* ---- models --------------------------------------------------------------------- */

pml_status pml_model_load_file(const char *path, pml_model **out_model) {
    if (!out_model) return null_arg(__func__, "out_model");
    *out_model = NULL;
    if (!path) return null_arg(__func__, "path");
    return pml_model_open_file(path, out_model);
}

pml_status pml_model_load_buffer(const void *data, size_t size, pml_model **out_model) {
    if (!out_model) return null_arg(__func__, "out_model");
    *out_model = NULL;
    if (!data && size) return null_arg(__func__, "data");
    return pml_model_open_buffer(data, size, out_model);
}

pml_status pml_model_load_buffer_in_place(const void *data, size_t size, pml_model **out_model) {
    if (!out_model) return null_arg(__func__, "out_model");
    *out_model = NULL;
    if (!data) return null_arg(__func__, "data");
    return pml_model_open_buffer_in_place(data, size, out_model);
}

void pml_model_free(pml_model *model) { pml_model_destroy(model); }

int pml_model_metadata_count(const pml_model *model) {
    if (!model) return null_arg(__func__, "model"), 0;
    return model->n_metadata;
}

static const pml_metadata_entry *metadata_entry(const pml_model *m, int index, const char *fn) {
    if (!m) return null_arg(fn, "model"), NULL;
    if (index < 0 || index >= m->n_metadata) {
        pml_set_error(PML_ERR_INVALID_ARGUMENT, "%s: metadata index %d is out of range (the model has %d entries)",
                      fn, index, m->n_metadata);
        return NULL;
    }
    return &m->metadata[index];
}

const char *pml_model_metadata_key(const pml_model *model, int index) {
    const pml_metadata_entry *e = metadata_entry(model, index, __func__);
    return e ? e->key : NULL;
}

const char *pml_model_metadata_value(const pml_model *model, int index) {
    const pml_metadata_entry *e = metadata_entry(model, index, __func__);
    return e ? e->value : NULL;
}

const char *pml_model_metadata_lookup(const pml_model *model, const char *key) {
    if (!model) return null_arg(__func__, "model"), NULL;
    if (!key) return null_arg(__func__, "key"), NULL;
    for (int i = 0; i < model->n_metadata; i++)
        if (strcmp(model->metadata[i].key, key) == 0) return model->metadata[i].value;
    return NULL;
}

int pml_model_weight_loads(const pml_model *model) {
    if (!model) {
        null_arg(__func__, "model");
        return 0;
    }
    return model->weight_loads;
}

/* ---- sessions ----------------------------------------------------------------------- */

void pml_session_options_init(pml_session_options *options) {
    if (!options) return;
    memset(options, 0, sizeof *options);
    options->num_threads = 1;
    options->plan_cache_size = 8;
}

pml_status pml_session_create(const pml_model *model, const pml_session_options *options,
                              pml_session **out_session) {
    if (!out_session) return null_arg(__func__, "out_session");
    *out_session = NULL;
    if (!model) return null_arg(__func__, "model");
    return pml_session_build(model, options, out_session);
}

void pml_session_free(pml_session *session) { pml_session_destroy(session); }

int pml_session_input_count(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->model->n_inputs;
}

int pml_session_output_count(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->model->n_outputs;
}

/* Graph input/output `index` as a tensor, or NULL with the error set. */
static const pml_tensor *io_tensor(const pml_session *s, int index, int output, const char *fn) {
    if (!s) return null_arg(fn, "session"), NULL;
    int n = output ? s->model->n_outputs : s->model->n_inputs;
    if (index < 0 || index >= n) {
        pml_set_error(PML_ERR_INVALID_ARGUMENT, "%s: %s index %d is out of range (the model has %d %s)", fn,
                      output ? "output" : "input", index, n, output ? "outputs" : "inputs");
        return NULL;
    }
    return &s->tensors[output ? s->model->outputs[index] : s->model->inputs[index]];
}

static pml_status tensor_info(const pml_session *s, int index, int output, pml_tensor_info *info, const char *fn) {
    if (!info) return null_arg(fn, "info");
    const pml_tensor *t = io_tensor(s, index, output, fn);
    if (!t) return PML_ERR_INVALID_ARGUMENT;
    pml_tensor requested;
    if (!output) { /* the shape set_input expects now */
        pml_session_requested_shape(s, index, &requested);
        t = &requested;
    }
    memset(info, 0, sizeof *info);
    info->name = t->name;
    info->dtype = t->dtype;
    info->rank = t->rank;
    for (int i = 0; i < t->rank; i++) info->dims[i] = t->dims[i];
    info->nbytes = t->nbytes;
    return PML_OK;
}

pml_status pml_session_input_info(const pml_session *session, int index, pml_tensor_info *info) {
    return tensor_info(session, index, 0, info, __func__);
}

pml_status pml_session_output_info(const pml_session *session, int index, pml_tensor_info *info) {
    return tensor_info(session, index, 1, info, __func__);
}

static pml_status find_io(const pml_session *s, const char *name, int output, int *index, const char *fn) {
    if (!s) return null_arg(fn, "session");
    if (!name) return null_arg(fn, "name");
    if (!index) return null_arg(fn, "index");
    const pml_model *m = s->model;
    int n = output ? m->n_outputs : m->n_inputs;
    const int *ids = output ? m->outputs : m->inputs;
    for (int i = 0; i < n; i++)
        if (strcmp(m->tensors[ids[i]].name, name) == 0) {
            *index = i;
            return PML_OK;
        }
    char names[512];
    size_t len = 0;
    names[0] = 0;
    for (int i = 0; i < n && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s'%s'", i ? ", " : "", m->tensors[ids[i]].name);
    return pml_set_error(PML_ERR_NOT_FOUND, "the model has no %s named '%s' (%s: %s)", output ? "output" : "input",
                         name, output ? "outputs" : "inputs", n ? names : "none");
}

pml_status pml_session_find_input(const pml_session *session, const char *name, int *index) {
    return find_io(session, name, 0, index, __func__);
}

pml_status pml_session_find_output(const pml_session *session, const char *name, int *index) {
    return find_io(session, name, 1, index, __func__);
}

static pml_status quant_info(const pml_session *s, int index, int output, pml_quant_info *info, const char *fn) {
    if (!info) return null_arg(fn, "info");
    if (!io_tensor(s, index, output, fn)) return PML_ERR_INVALID_ARGUMENT;
    const pml_quant *q = s->model->tensors[output ? s->model->outputs[index] : s->model->inputs[index]].quant;
    memset(info, 0, sizeof *info);
    info->axis = -1;
    if (q) info->axis = q->axis, info->count = q->count, info->scale = q->scale, info->zero_point = q->zero_point;
    return PML_OK;
}

pml_status pml_session_input_quant(const pml_session *session, int index, pml_quant_info *info) {
    return quant_info(session, index, 0, info, __func__);
}

pml_status pml_session_output_quant(const pml_session *session, int index, pml_quant_info *info) {
    return quant_info(session, index, 1, info, __func__);
}

pml_status pml_session_set_input_shape(pml_session *session, int index, int rank, const int64_t *dims) {
    if (!io_tensor(session, index, 0, __func__)) return PML_ERR_INVALID_ARGUMENT;
    if (!dims && rank > 0) return null_arg(__func__, "dims");
    return pml_session_set_shape(session, index, rank, dims);
}

static const char *dim_name(const pml_session *s, int index, int dim, int output, const char *fn) {
    const pml_tensor *t = io_tensor(s, index, output, fn);
    if (!t) return NULL;
    int id = output ? s->model->outputs[index] : s->model->inputs[index];
    const pml_tensor *declared = &s->model->tensors[id];
    if (dim < 0 || dim >= declared->rank) {
        pml_set_error(PML_ERR_INVALID_ARGUMENT, "%s: dim %d is out of range (%s '%s' has rank %d)", fn, dim,
                      output ? "output" : "input", declared->name, declared->rank);
        return NULL;
    }
    if (declared->dims[dim] >= 0) return NULL;
    const char *const *names = s->model->dim_names[id];
    return names && names[dim] ? names[dim] : "";
}

const char *pml_session_input_dim_name(const pml_session *session, int index, int dim) {
    return dim_name(session, index, dim, 0, __func__);
}

const char *pml_session_output_dim_name(const pml_session *session, int index, int dim) {
    return dim_name(session, index, dim, 1, __func__);
}

int pml_session_plan_count(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->plan_count;
}

int pml_session_input_fixes_shapes(const pml_session *session, int index) {
    if (!io_tensor(session, index, 0, __func__)) return 0;
    return session->plan_input[index];
}

pml_status pml_session_reset_state(pml_session *session) {
    if (!session) return null_arg(__func__, "session");
    pml_session_state_reset(session);
    return PML_OK;
}

size_t pml_session_state_bytes(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->state_bytes;
}

int pml_session_output_shapes_vary(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->data_dependent;
}

pml_status pml_session_set_input(pml_session *session, int index, const void *data, size_t nbytes) {
    if (!io_tensor(session, index, 0, __func__)) return PML_ERR_INVALID_ARGUMENT;
    if (!data && nbytes) return null_arg(__func__, "data");
    return pml_session_copy_input(session, index, data, nbytes);
}

pml_status pml_session_input_buffer(pml_session *session, int index, void **data, size_t *nbytes) {
    if (!data) return null_arg(__func__, "data");
    if (!nbytes) return null_arg(__func__, "nbytes");
    *data = NULL;
    *nbytes = 0;
    if (!io_tensor(session, index, 0, __func__)) return PML_ERR_INVALID_ARGUMENT;
    return pml_session_input_slot(session, index, data, nbytes);
}

pml_status pml_session_run(pml_session *session) {
    if (!session) return null_arg(__func__, "session");
    pml_session_clear_cancel(session);
    return pml_session_execute(session);
}

pml_status pml_session_cancel(pml_session *session) {
    if (!session) return null_arg(__func__, "session");
    pml_session_request_cancel(session);
    return PML_OK;
}

pml_status pml_session_output_data(const pml_session *session, int index, const void **data, size_t *nbytes) {
    if (!data) return null_arg(__func__, "data");
    if (!nbytes) return null_arg(__func__, "nbytes");
    *data = NULL;
    *nbytes = 0;
    const pml_tensor *t = io_tensor(session, index, 1, __func__);
    if (!t) return PML_ERR_INVALID_ARGUMENT;
    if (!session->outputs_valid)
        return pml_set_error(PML_ERR_INVALID_ARGUMENT,
                             "output '%s' is not available: the session has not completed a run since it was created "
                             "or since its last failed run",
                             t->name);
    *data = t->data;
    *nbytes = t->nbytes;
    return PML_OK;
}

size_t pml_session_arena_size(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->arena_size;
}

size_t pml_session_state_size(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->state_size;
}

int pml_session_num_threads(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->num_threads;
}

const char *pml_session_isa(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), "";
    return session->config->name;
}

const char *pml_available_isas(void) {
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    return pml_kernel_config_available(&cpu);
}

pml_status pml_session_enable_profiling(pml_session *session, int enable) {
    if (!session) return null_arg(__func__, "session");
    return pml_session_profiling(session, enable);
}

uint64_t pml_session_profiled_runs(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->profile_runs;
}

int pml_session_node_count(const pml_session *session) {
    if (!session) return null_arg(__func__, "session"), 0;
    return session->model->n_nodes;
}

pml_status pml_session_node_profile(const pml_session *session, int index, pml_node_profile *out) {
    if (!session) return null_arg(__func__, "session");
    if (!out) return null_arg(__func__, "out");
    if (index < 0 || index >= session->model->n_nodes)
        return pml_set_error(PML_ERR_INVALID_ARGUMENT, "%s: node index %d is out of range (the model has %d nodes)",
                             __func__, index, session->model->n_nodes);
    out->name = session->model->nodes[index].name;
    out->op = pml_op_schema_get(session->model->nodes[index].op)->name;
    out->total_ns = session->profile_ns ? session->profile_ns[index] : 0;
    out->plan_time = session->skip ? session->skip[index] != 0 : 0;
    return PML_OK;
}
