/*
 * fb_reader.h — a small bounds-checked FlatBuffers reader for untrusted bytes.
 *
 * No C FlatBuffers library is available, and the .pml graph must be verified
 * before anything trusts it, so every access here checks what the FlatBuffers
 * encoding would otherwise assume: the root offset and file identifier, each
 * table's soffset to its vtable, the vtable's size and field offsets, each
 * uoffset target, vector lengths (length * element size inside the buffer,
 * computed in 64 bits) and strings (NUL inside the buffer). Nothing assumes
 * alignment: every scalar is read byte by byte as little-endian.
 *
 * Errors are sticky: the first failure records a message naming the object
 * (e.g. "tensor 12") and the field, sets fb->status, and every later call
 * returns a default (0, absent). Callers check fb->status at convenient points
 * instead of after every read.
 */
#ifndef PML_FB_READER_H
#define PML_FB_READER_H

#include <stddef.h>
#include <stdint.h>

#include "pocketml.h"

typedef struct pml_fb {
    const uint8_t *buf;
    size_t size;
    const char *section; /* prefix of every message, e.g. "graph section" */
    pml_status status;   /* PML_OK until the first error */
} pml_fb;

/* A verified table: its position, vtable and sizes, and what it is (for messages). */
typedef struct pml_fb_table {
    size_t pos, vtable;
    uint16_t vtable_size, table_size;
    const char *kind; /* "model", "tensor", ... */
    int index;        /* element index inside its vector, -1 if none */
} pml_fb_table;

/* A verified vector: len elements of elem_size bytes at data (inside the buffer). */
typedef struct pml_fb_vec {
    size_t data;
    uint32_t len;
    size_t elem_size;
    const pml_fb_table *owner; /* for messages */
    const char *field;
} pml_fb_vec;

/* Verify the root offset and the 4-byte file identifier; open the root table. */
pml_status pml_fb_open(pml_fb *fb, const uint8_t *buf, size_t size, const char *section, const char *ident,
                       const char *root_kind, pml_fb_table *root);

/* Scalars of field `id` (schema order), or def when absent. */
uint8_t pml_fb_u8(pml_fb *fb, const pml_fb_table *t, int id, const char *field, uint8_t def);
uint16_t pml_fb_u16(pml_fb *fb, const pml_fb_table *t, int id, const char *field, uint16_t def);
int32_t pml_fb_i32(pml_fb *fb, const pml_fb_table *t, int id, const char *field, int32_t def);
uint32_t pml_fb_u32(pml_fb *fb, const pml_fb_table *t, int id, const char *field, uint32_t def);
int64_t pml_fb_i64(pml_fb *fb, const pml_fb_table *t, int id, const char *field, int64_t def);
uint64_t pml_fb_u64(pml_fb *fb, const pml_fb_table *t, int id, const char *field, uint64_t def);
float pml_fb_f32(pml_fb *fb, const pml_fb_table *t, int id, const char *field, float def);

/* Sub-table / vector / string fields: 1 if present and valid, 0 if absent or on error. */
int pml_fb_table_field(pml_fb *fb, const pml_fb_table *t, int id, const char *field, const char *kind,
                       pml_fb_table *out);
int pml_fb_vec_field(pml_fb *fb, const pml_fb_table *t, int id, const char *field, size_t elem_size,
                     pml_fb_vec *out);
/* NUL-terminated string inside the buffer, or NULL when absent/invalid. */
const char *pml_fb_string_field(pml_fb *fb, const pml_fb_table *t, int id, const char *field);

/* Elements of a verified vector (i < v->len is the caller's loop bound). */
int pml_fb_vec_table(pml_fb *fb, const pml_fb_vec *v, uint32_t i, const char *kind, pml_fb_table *out);
const char *pml_fb_vec_string(pml_fb *fb, const pml_fb_vec *v, uint32_t i);
int32_t pml_fb_vec_i32(const pml_fb *fb, const pml_fb_vec *v, uint32_t i);
int64_t pml_fb_vec_i64(const pml_fb *fb, const pml_fb_vec *v, uint32_t i);
float pml_fb_vec_f32(const pml_fb *fb, const pml_fb_vec *v, uint32_t i);

#endif
