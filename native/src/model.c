/*
 * model.c — loads a .pml file, verifies it completely, and decodes it into
 * the internal structs of internal.h (see model.h for ownership). This file: the
 * header and checksum, the model-owned allocator, the loader entry points; the
 * FlatBuffer graph is decoded by model_decode.c and its meaning checked by
 * model_verify.c.
 *
 * Order of trust: (1) the 64-byte header against the real byte count,
 * (2) the CRC-32 over everything but the checksum field, (3) the remaining
 * header offsets, (4) the FlatBuffer structure through the bounds-checked
 * reader (fb_reader.c), (5) the graph's meaning: dtypes, shapes, buffers,
 * tensor indices, single producers, topological order, graph inputs/outputs,
 * and finally (6) that every op is implemented here with a valid arity.
 * Structural checks come before op availability so a malformed file is
 * reported as malformed even by a build missing some kernels.
 *
 * Files are read into a 64-aligned heap buffer rather than memory-mapped:
 * the checksum reads every byte anyway, so mmap would save no I/O, and a
 * private copy cannot change under us after verification (a mapped file
 * could be truncated or rewritten by another process).
 */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"
#include "model_load.h"

/* ---- header and checksum ------------------------------------------------------------ */

static uint64_t rd64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

uint32_t pml_file_checksum(const uint8_t *buf, size_t size) {
    uint32_t crc = pml_crc32(0, buf, size < PML_CHECKSUM_OFFSET ? size : PML_CHECKSUM_OFFSET);
    if (size > PML_HEADER_SIZE) crc = pml_crc32(crc, buf + PML_HEADER_SIZE, size - PML_HEADER_SIZE);
    return crc;
}

pml_status pml_file_verify_header(const uint8_t *buf, size_t size, pml_file_header *h) {
    if (size >= 8 && memcmp(buf, PML_MAGIC, 8) != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "not a .pml file: magic bytes are %02x %02x %02x %02x %02x %02x %02x %02x, expected "
                             "\"POCKETML\"",
                             buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]);
    if (size < PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "file truncated: %zu bytes is smaller than the %u-byte header",
                             size, PML_HEADER_SIZE);
    h->format_version = rd32(buf + 8);
    h->header_size = rd32(buf + 12);
    h->file_size = rd64(buf + 16);
    h->graph_offset = rd64(buf + 24);
    h->graph_size = rd64(buf + 32);
    h->weights_offset = rd64(buf + 40);
    h->weights_size = rd64(buf + 48);
    h->flags = rd32(buf + 56);
    h->checksum = rd32(buf + 60);

    if (h->format_version == 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: format version 0 is invalid");
    if (h->format_version > PML_FORMAT_VERSION)
        return pml_set_error(PML_ERR_UNSUPPORTED,
                             "file has format version %u; this runtime reads versions up to %u (upgrade pocketml)",
                             h->format_version, PML_FORMAT_VERSION);
    if (h->header_size != PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: header_size is %u, expected %u", h->header_size,
                             PML_HEADER_SIZE);
    if (h->file_size > size)
        return pml_set_error(PML_ERR_INVALID_MODEL, "file truncated: header says %llu bytes, got %zu",
                             (unsigned long long)h->file_size, size);
    if (h->file_size < size)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "file has %zu bytes but its header says %llu (trailing bytes or a corrupted header)",
                             size, (unsigned long long)h->file_size);
    uint32_t crc = pml_file_checksum(buf, size);
    if (crc != h->checksum)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "checksum mismatch: file is corrupted (stored 0x%08x, computed 0x%08x)", h->checksum,
                             crc);
    if (h->flags != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: reserved flags are 0x%08x, must be 0 in format version %u",
                             h->flags, PML_FORMAT_VERSION);
    if (h->graph_offset != PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: graph_offset is %llu, expected %u",
                             (unsigned long long)h->graph_offset, PML_HEADER_SIZE);
    if (h->graph_size == 0 || h->graph_size > size - h->graph_offset)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: graph section [%llu, +%llu bytes) does not fit in the %zu-byte file",
                             (unsigned long long)h->graph_offset, (unsigned long long)h->graph_size, size);
    if (h->weights_offset % PML_ALIGN != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: weights_offset %llu is not a multiple of %d",
                             (unsigned long long)h->weights_offset, PML_ALIGN);
    if (h->weights_offset < h->graph_offset + h->graph_size || h->weights_offset > size)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: weights_offset %llu must lie between the end of the graph (%llu) and the end "
                             "of the file (%zu)",
                             (unsigned long long)h->weights_offset,
                             (unsigned long long)(h->graph_offset + h->graph_size), size);
    if (h->weights_size != size - h->weights_offset)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: weights section [%llu, +%llu bytes) must end at the end of the file (%zu bytes)",
                             (unsigned long long)h->weights_offset, (unsigned long long)h->weights_size, size);
    return PML_OK;
}

/* ---- loading --------------------------------------------------------------------------- */

/* Takes ownership of file (64-aligned, size bytes). */
static pml_status load_owned(uint8_t *file, size_t size, pml_model **out) {
    pml_model *m = calloc(1, sizeof *m);
    if (!m) {
        free(file);
        return pml_model_oom("model");
    }
    m->file = file;
    m->file_size = size;
    pml_status s = pml_file_verify_header(file, size, &m->header);
    if (s == PML_OK) {
        m->weights = file + m->header.weights_offset;
        m->copy_budget = (size_t)m->header.graph_size * 2 + 65536;
        s = pml_model_decode_graph(m);
    }
    if (s != PML_OK) {
        pml_model_destroy(m);
        return s;
    }
    m->weight_loads = 1;
    *out = m;
    return PML_OK;
}

static uint8_t *alloc_file_buffer(size_t size) {
    void *p = NULL;
    /* not zeroed: every byte is overwritten by the copy/read */
    if (posix_memalign(&p, PML_ALIGN, size ? size : PML_ALIGN) != 0) return NULL;
    return p;
}

pml_status pml_model_open_buffer(const void *data, size_t size, pml_model **out) {
    uint8_t *file = alloc_file_buffer(size);
    if (!file) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory copying a %zu-byte model buffer", size);
    if (size) memcpy(file, data, size);
    return load_owned(file, size, out);
}

pml_status pml_model_open_file(const char *path, pml_model **out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pml_set_error(PML_ERR_IO, "cannot open model file '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return pml_set_error(PML_ERR_IO, "cannot read model file '%s': %s", path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return pml_set_error(PML_ERR_IO, "cannot read model file '%s': not a regular file", path);
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2) {
        close(fd);
        return pml_set_error(PML_ERR_IO, "model file '%s' is too large (%lld bytes)", path, (long long)st.st_size);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *file = alloc_file_buffer(size);
    if (!file) {
        close(fd);
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory reading the %zu-byte model file '%s'", size, path);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, file + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int err = errno;
            close(fd);
            free(file);
            return pml_set_error(PML_ERR_IO, "error reading model file '%s': %s", path, strerror(err));
        }
        if (r == 0) break; /* shrank while reading: the header check reports the truncation */
        got += (size_t)r;
    }
    close(fd);
    return load_owned(file, got, out);
}

void pml_model_destroy(pml_model *m) {
    if (!m) return;
    pml_model_pool_free(m);
    free(m->file);
    free(m);
}
