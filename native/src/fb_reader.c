/*
 * fb_reader.c — bounds-checked FlatBuffers access (see fb_reader.h).
 *
 * Invariant: every position handed out (table pos, vtable, vector data,
 * string) has been checked against fb->size with 64-bit arithmetic, so the
 * element readers only need i < len. Encoding reminders: a table starts with
 * an int32 soffset (vtable = table - soffset); a vtable is uint16
 * [vtable_size, table_size, field offsets...]; references are uint32 offsets
 * relative to where they are stored; vectors and strings start with a uint32
 * length, strings end with a NUL byte.
 */
#include "fb_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static uint64_t rd_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void fb_fail(pml_fb *fb, const pml_fb_table *t, const char *field, const char *fmt, ...) {
    if (fb->status != PML_OK) return;
    char what[160], msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!t) snprintf(what, sizeof what, "root");
    else if (t->index >= 0) snprintf(what, sizeof what, "%s %d", t->kind, t->index);
    else snprintf(what, sizeof what, "%s", t->kind);
    if (field) pml_set_error(PML_ERR_INVALID_MODEL, "%s: %s, field '%s': %s", fb->section, what, field, msg);
    else pml_set_error(PML_ERR_INVALID_MODEL, "%s: %s: %s", fb->section, what, msg);
    fb->status = PML_ERR_INVALID_MODEL;
}

/* Verify the table whose soffset is at pos. */
static int open_table(pml_fb *fb, uint64_t pos, const pml_fb_table *parent, const char *field, const char *kind,
                      int index, pml_fb_table *out) {
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->index = index;
    if (pos + 4 > fb->size) {
        fb_fail(fb, parent, field, "%s table at offset %llu lies outside the %zu-byte buffer", kind,
                (unsigned long long)pos, fb->size);
        return 0;
    }
    int64_t soff = (int32_t)(uint32_t)rd_le(fb->buf + pos, 4);
    int64_t vt = (int64_t)pos - soff;
    if (vt < 0 || (uint64_t)vt + 4 > fb->size) {
        fb_fail(fb, out, NULL, "vtable offset %lld (table at %llu) points outside the %zu-byte buffer",
                (long long)soff, (unsigned long long)pos, fb->size);
        return 0;
    }
    uint16_t vt_size = (uint16_t)rd_le(fb->buf + vt, 2), tbl_size = (uint16_t)rd_le(fb->buf + vt + 2, 2);
    if (vt_size < 4 || (vt_size & 1) || (uint64_t)vt + vt_size > fb->size) {
        fb_fail(fb, out, NULL, "vtable at %lld has invalid size %u (buffer is %zu bytes)", (long long)vt, vt_size,
                fb->size);
        return 0;
    }
    if (tbl_size < 4 || pos + tbl_size > fb->size) {
        fb_fail(fb, out, NULL, "table at %llu claims %u bytes, past the end of the %zu-byte buffer",
                (unsigned long long)pos, tbl_size, fb->size);
        return 0;
    }
    out->pos = (size_t)pos;
    out->vtable = (size_t)vt;
    out->vtable_size = vt_size;
    out->table_size = tbl_size;
    return 1;
}

pml_status pml_fb_open(pml_fb *fb, const uint8_t *buf, size_t size, const char *section, const char *ident,
                       const char *root_kind, pml_fb_table *root) {
    fb->buf = buf;
    fb->size = size;
    fb->section = section;
    fb->status = PML_OK;
    if (size < 8) {
        fb_fail(fb, NULL, NULL, "%zu bytes is too small for a FlatBuffer (root offset + identifier)", size);
        return fb->status;
    }
    if (memcmp(buf + 4, ident, 4) != 0) {
        char got[5];
        for (int i = 0; i < 4; i++) got[i] = buf[4 + i] >= 32 && buf[4 + i] < 127 ? (char)buf[4 + i] : '?';
        got[4] = 0;
        fb_fail(fb, NULL, NULL, "file identifier is \"%s\" (%02x %02x %02x %02x), expected \"%s\"", got, buf[4],
                buf[5], buf[6], buf[7], ident);
        return fb->status;
    }
    open_table(fb, rd_le(buf, 4), NULL, NULL, root_kind, -1, root);
    return fb->status;
}

/* Position of field `id` if present, checking that `width` bytes fit in the table. */
static int field_pos(pml_fb *fb, const pml_fb_table *t, int id, const char *field, size_t width, size_t *pos) {
    if (fb->status != PML_OK) return 0;
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vtable_size) return 0; /* field added after this file was written */
    uint16_t off = (uint16_t)rd_le(fb->buf + t->vtable + slot, 2);
    if (off == 0) return 0;
    if ((size_t)off + width > t->table_size) {
        fb_fail(fb, t, field, "field offset %u + %zu bytes exceeds the table size %u", off, width, t->table_size);
        return 0;
    }
    *pos = t->pos + off;
    return 1;
}

#define PML_FB_SCALAR(fn, type, width, conv)                                          \
    type fn(pml_fb *fb, const pml_fb_table *t, int id, const char *field, type def) { \
        size_t p;                                                                     \
        if (!field_pos(fb, t, id, field, width, &p)) return def;                      \
        return conv(rd_le(fb->buf + p, width));                                       \
    }
#define PML_CONV_U8(x) ((uint8_t)(x))
#define PML_CONV_U16(x) ((uint16_t)(x))
#define PML_CONV_I32(x) ((int32_t)(uint32_t)(x))
#define PML_CONV_U32(x) ((uint32_t)(x))
#define PML_CONV_I64(x) ((int64_t)(x))
#define PML_CONV_U64(x) ((uint64_t)(x))
static float bits_to_f32(uint64_t x) {
    uint32_t u = (uint32_t)x;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
PML_FB_SCALAR(pml_fb_u8, uint8_t, 1, PML_CONV_U8)
PML_FB_SCALAR(pml_fb_u16, uint16_t, 2, PML_CONV_U16)
PML_FB_SCALAR(pml_fb_i32, int32_t, 4, PML_CONV_I32)
PML_FB_SCALAR(pml_fb_u32, uint32_t, 4, PML_CONV_U32)
PML_FB_SCALAR(pml_fb_i64, int64_t, 8, PML_CONV_I64)
PML_FB_SCALAR(pml_fb_u64, uint64_t, 8, PML_CONV_U64)
PML_FB_SCALAR(pml_fb_f32, float, 4, bits_to_f32)

/* Follow the uoffset stored at p; the target must leave room for a 4-byte header. */
static int follow(pml_fb *fb, const pml_fb_table *t, const char *field, size_t p, uint64_t *target) {
    uint64_t tgt = (uint64_t)p + rd_le(fb->buf + p, 4);
    if (tgt + 4 > fb->size) {
        fb_fail(fb, t, field, "reference to offset %llu lies outside the %zu-byte buffer", (unsigned long long)tgt,
                fb->size);
        return 0;
    }
    *target = tgt;
    return 1;
}

int pml_fb_table_field(pml_fb *fb, const pml_fb_table *t, int id, const char *field, const char *kind,
                       pml_fb_table *out) {
    size_t p;
    uint64_t tgt;
    memset(out, 0, sizeof *out);
    if (!field_pos(fb, t, id, field, 4, &p) || !follow(fb, t, field, p, &tgt)) return 0;
    return open_table(fb, tgt, t, field, kind, -1, out);
}

static int open_vec(pml_fb *fb, const pml_fb_table *t, const char *field, uint64_t tgt, size_t elem_size,
                    pml_fb_vec *out) {
    uint64_t len = rd_le(fb->buf + tgt, 4);
    if (len * elem_size > fb->size - (tgt + 4)) {
        fb_fail(fb, t, field, "vector of %llu x %zu-byte elements at offset %llu runs past the end of the %zu-byte buffer",
                (unsigned long long)len, elem_size, (unsigned long long)tgt, fb->size);
        return 0;
    }
    out->data = (size_t)tgt + 4;
    out->len = (uint32_t)len;
    out->elem_size = elem_size;
    out->owner = t;
    out->field = field;
    return 1;
}

int pml_fb_vec_field(pml_fb *fb, const pml_fb_table *t, int id, const char *field, size_t elem_size,
                     pml_fb_vec *out) {
    size_t p;
    uint64_t tgt;
    memset(out, 0, sizeof *out);
    out->owner = t;
    out->field = field;
    if (!field_pos(fb, t, id, field, 4, &p) || !follow(fb, t, field, p, &tgt)) return 0;
    return open_vec(fb, t, field, tgt, elem_size, out);
}

static const char *string_at(pml_fb *fb, const pml_fb_table *t, const char *field, uint64_t tgt) {
    uint64_t len = rd_le(fb->buf + tgt, 4);
    if (len + 1 > fb->size - (tgt + 4)) {
        fb_fail(fb, t, field, "string of %llu bytes at offset %llu runs past the end of the %zu-byte buffer",
                (unsigned long long)len, (unsigned long long)tgt, fb->size);
        return NULL;
    }
    if (fb->buf[tgt + 4 + len] != 0) {
        fb_fail(fb, t, field, "string at offset %llu is not NUL-terminated", (unsigned long long)tgt);
        return NULL;
    }
    return (const char *)fb->buf + tgt + 4;
}

const char *pml_fb_string_field(pml_fb *fb, const pml_fb_table *t, int id, const char *field) {
    size_t p;
    uint64_t tgt;
    if (!field_pos(fb, t, id, field, 4, &p) || !follow(fb, t, field, p, &tgt)) return NULL;
    return string_at(fb, t, field, tgt);
}

int pml_fb_vec_table(pml_fb *fb, const pml_fb_vec *v, uint32_t i, const char *kind, pml_fb_table *out) {
    uint64_t tgt;
    memset(out, 0, sizeof *out);
    if (fb->status != PML_OK || i >= v->len || v->elem_size != 4) return 0;
    if (!follow(fb, v->owner, v->field, v->data + 4 * (size_t)i, &tgt)) return 0;
    return open_table(fb, tgt, v->owner, v->field, kind, (int)i, out);
}

const char *pml_fb_vec_string(pml_fb *fb, const pml_fb_vec *v, uint32_t i) {
    uint64_t tgt;
    if (fb->status != PML_OK || i >= v->len || v->elem_size != 4) return NULL;
    if (!follow(fb, v->owner, v->field, v->data + 4 * (size_t)i, &tgt)) return NULL;
    return string_at(fb, v->owner, v->field, tgt);
}

int32_t pml_fb_vec_i32(const pml_fb *fb, const pml_fb_vec *v, uint32_t i) {
    return i < v->len && v->elem_size == 4 ? (int32_t)(uint32_t)rd_le(fb->buf + v->data + 4 * (size_t)i, 4) : 0;
}

int64_t pml_fb_vec_i64(const pml_fb *fb, const pml_fb_vec *v, uint32_t i) {
    return i < v->len && v->elem_size == 8 ? (int64_t)rd_le(fb->buf + v->data + 8 * (size_t)i, 8) : 0;
}

float pml_fb_vec_f32(const pml_fb *fb, const pml_fb_vec *v, uint32_t i) {
    return i < v->len && v->elem_size == 4 ? bits_to_f32(rd_le(fb->buf + v->data + 4 * (size_t)i, 4)) : 0.0f;
}
