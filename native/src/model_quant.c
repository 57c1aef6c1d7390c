/*
 * model_quant.c — decodes a tensor's Quantization table (native/schema/pml.fbs) into
 * pml_tensor.quant and verifies it before anything can use it: an integer dtype that
 * can carry parameters, one or more scales with as many zero points, count 1 (per
 * tensor) or dims[axis] (per channel, axis within the rank), scales finite and > 0,
 * zero points within the dtype's range (0 for int32/int64 biases). The same rules as
 * the Python side's QuantParams.check; every message names the tensor. The arrays
 * live in the model's pool and are charged against its copy budget.
 */
#include <math.h>

#include "model_load.h"

enum { F_QUANT_AXIS, F_QUANT_SCALE, F_QUANT_ZERO_POINT };

/* The zero points dtype admits; 0 when it cannot carry quantization parameters. */
static int zero_point_range(pml_dtype dtype, int64_t *lo, int64_t *hi) {
    switch (dtype) {
    case PML_INT8: *lo = -128, *hi = 127; return 1;
    case PML_UINT8: *lo = 0, *hi = 255; return 1;
    case PML_INT16: *lo = -32768, *hi = 32767; return 1;
    case PML_UINT16: *lo = 0, *hi = 65535; return 1;
    case PML_INT32:
    case PML_INT64: *lo = 0, *hi = 0; return 1; /* biases: scale = input scale * weight scale */
    default: return 0;
    }
}

pml_status pml_model_decode_quant(pml_model *m, pml_fb *fb, const pml_fb_table *q, pml_tensor *t, int index) {
    int32_t axis = pml_fb_i32(fb, q, F_QUANT_AXIS, "axis", -1);
    pml_fb_vec scale, zp;
    uint32_t count = pml_fb_vec_field(fb, q, F_QUANT_SCALE, "scale", 4, &scale) ? scale.len : 0;
    uint32_t n_zp = pml_fb_vec_field(fb, q, F_QUANT_ZERO_POINT, "zero_point", 8, &zp) ? zp.len : 0;
    if (fb->status) return fb->status;
    int64_t lo, hi;
    if (!zero_point_range(t->dtype, &lo, &hi))
        return pml_model_error("tensor %d ('%s'): dtype %s cannot carry quantization parameters (int8, uint8, int16, "
                               "uint16, and int32/int64 biases can)",
                               index, t->name, pml_dtype_name(t->dtype));
    if (count == 0 || n_zp != count)
        return pml_model_error("tensor %d ('%s'): quantization has %u scales and %u zero points (one or more scales, "
                               "as many zero points)",
                               index, t->name, count, n_zp);
    if ((axis != -1 || count > 1) && (axis < 0 || axis >= t->rank))
        return pml_model_error("tensor %d ('%s'): quantization axis %d is out of range for rank %d", index, t->name,
                               axis, t->rank);
    if (count > 1 && t->dims[axis] != (int64_t)count)
        return pml_model_error("tensor %d ('%s'): %u scales along axis %d, whose dim is %lld", index, t->name, count,
                               axis, (long long)t->dims[axis]);
    if (!pml_model_charge(m, (uint64_t)count * 8))
        return pml_model_error("tensor %d ('%s'): quantization makes the decoded graph larger than the file (shared "
                               "vectors?)",
                               index, t->name);
    float *scales = pml_model_pool_array(m, count, sizeof(float));
    int32_t *zero_points = pml_model_pool_array(m, count, sizeof(int32_t));
    pml_quant *quant = pml_model_pool_alloc(m, sizeof(pml_quant));
    if (!scales || !zero_points || !quant) return pml_model_oom("quantization parameters");
    for (uint32_t i = 0; i < count; i++) {
        float s = pml_fb_vec_f32(fb, &scale, i);
        int64_t z = pml_fb_vec_i64(fb, &zp, i);
        if (!(isfinite(s) && s > 0.0f))
            return pml_model_error("tensor %d ('%s'): scale[%u] is %g; scales must be finite and > 0", index, t->name,
                                   i, (double)s);
        if (z < lo || z > hi)
            return pml_model_error("tensor %d ('%s'): zero_point[%u] is %lld, outside %s's range [%lld, %lld]", index,
                                   t->name, i, (long long)z, pml_dtype_name(t->dtype), (long long)lo, (long long)hi);
        scales[i] = s;
        zero_points[i] = (int32_t)z;
    }
    quant->axis = count == 1 ? -1 : axis; /* one scale: per tensor, whatever the axis said */
    quant->count = (int)count;
    quant->scale = scales;
    quant->zero_point = zero_points;
    t->quant = quant;
    return PML_OK;
}
