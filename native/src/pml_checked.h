/*
 * pml_checked.h — overflow-checked size arithmetic for the sizes the session derives from
 * shapes (tensor bytes, alignment rounding, arena offsets, plan totals, memory budgets).
 * Each helper returns 1 and stores the result, or returns 0 and leaves *out alone when the
 * exact result does not fit a size_t: the caller turns that into PML_ERR_OUT_OF_MEMORY (or
 * a shape error) with a message, never into a wrapped small size. Plan time only: nothing
 * here runs inside a kernel.
 */
#ifndef PML_CHECKED_H
#define PML_CHECKED_H

#include <stddef.h>
#include <stdint.h>

static inline int pml_checked_add(size_t a, size_t b, size_t *out) {
    if (a > SIZE_MAX - b) return 0;
    *out = a + b;
    return 1;
}

static inline int pml_checked_mul(size_t a, size_t b, size_t *out) {
    if (b && a > SIZE_MAX / b) return 0;
    *out = a * b;
    return 1;
}

/* a rounded up to a multiple of align (a power of two). */
static inline int pml_checked_align(size_t a, size_t align, size_t *out) {
    if (a > SIZE_MAX - (align - 1)) return 0;
    *out = (a + align - 1) & ~(align - 1);
    return 1;
}

#endif /* PML_CHECKED_H */
