/*
 * model_source.c — where a model's bytes come from, and who releases them: a read-only
 * memory map of the file (the default for regular files on POSIX systems), a 64-aligned
 * heap copy (files that cannot be mapped, such as pipes, builds without mmap, and
 * pml_model_load_buffer), or the caller's own buffer used in place.
 *
 * Why a map: the loader uses the bytes in place (constants point into the weights section,
 * names into the graph section), so a private heap copy doubled the resident memory of a
 * large model while the kernel's page cache held the file as well. A mapping is
 * page-aligned, so the weights keep the 64-byte alignment the format gives them relative
 * to the file start. The checksum still reads every byte once at load.
 *
 * The trade-off: mapped bytes belong to the file, so the file must not be truncated or
 * rewritten while the model is loaded (replace model files by renaming a new file over
 * the old one, which leaves the mapped inode intact). pocketml.h documents it.
 */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define PML_HAVE_MMAP 1
#endif

#define PML_READ_CHUNK ((size_t)1 << 20)

static uint8_t *alloc_aligned(size_t size) {
    void *p = NULL;
    /* not zeroed: every byte is overwritten by the copy/read */
    if (posix_memalign(&p, PML_ALIGN, size ? size : PML_ALIGN) != 0) return NULL;
    return p;
}

pml_status pml_source_copy(const void *data, size_t size, pml_model_source *out) {
    memset(out, 0, sizeof *out);
    uint8_t *file = alloc_aligned(size);
    if (!file) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory copying a %zu-byte model buffer", size);
    if (size) memcpy(file, data, size);
    out->bytes = file;
    out->size = size;
    out->kind = PML_SOURCE_HEAP;
    return PML_OK;
}

pml_status pml_source_borrow(const void *data, size_t size, pml_model_source *out) {
    memset(out, 0, sizeof *out);
    if ((uintptr_t)data % PML_ALIGN != 0)
        return pml_set_error(PML_ERR_INVALID_ARGUMENT,
                             "pml_model_load_buffer_in_place: the buffer at %p is not %d-byte aligned (address %% %d "
                             "= %u); the model's weights are used in place and need that alignment: allocate the "
                             "buffer with aligned_alloc/posix_memalign(%d, ...), or use pml_model_load_buffer, which "
                             "copies",
                             data, PML_ALIGN, PML_ALIGN, (unsigned)((uintptr_t)data % PML_ALIGN), PML_ALIGN);
    out->bytes = data;
    out->size = size;
    out->kind = PML_SOURCE_BORROWED;
    return PML_OK;
}

/* Reads to the end (pipes, character devices, or a regular file that could not be mapped).
 * hint: expected size (st_size of a regular file), 0 when unknown. */
static pml_status read_all(int fd, const char *path, size_t hint, pml_model_source *out) {
    size_t cap = hint ? hint : PML_READ_CHUNK, got = 0;
    uint8_t *buf = alloc_aligned(cap);
    if (!buf)
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory reading the %zu-byte model file '%s'", cap, path);
    for (;;) {
        if (got == cap) {
            if (hint) break; /* a regular file: its size is known (growing while read: the header check reports it) */
            if (cap > SIZE_MAX / 4) {
                free(buf);
                return pml_set_error(PML_ERR_IO, "model stream '%s' is too large", path);
            }
            uint8_t *grown = alloc_aligned(cap * 2);
            if (!grown) {
                free(buf);
                return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory reading the model stream '%s'", path);
            }
            memcpy(grown, buf, got);
            free(buf);
            buf = grown;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            return pml_set_error(PML_ERR_IO, "error reading model file '%s': %s", path, strerror(err));
        }
        if (r == 0) break; /* end of stream (or the file shrank: the header check reports the truncation) */
        got += (size_t)r;
    }
    out->bytes = buf;
    out->size = got;
    out->kind = PML_SOURCE_HEAP;
    return PML_OK;
}

pml_status pml_source_open_file(const char *path, int allow_map, pml_model_source *out) {
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pml_set_error(PML_ERR_IO, "cannot open model file '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return pml_set_error(PML_ERR_IO, "cannot read model file '%s': %s", path, strerror(err));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return pml_set_error(PML_ERR_IO, "cannot read model file '%s': not a regular file (a directory)", path);
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2) {
        close(fd);
        return pml_set_error(PML_ERR_IO, "model file '%s' is too large (%lld bytes)", path, (long long)st.st_size);
    }
    size_t size = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
#ifdef PML_HAVE_MMAP
    if (allow_map && S_ISREG(st.st_mode) && size > 0) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd); /* the mapping keeps the file referenced */
            out->bytes = p;
            out->size = size;
            out->kind = PML_SOURCE_MAPPED;
            return PML_OK;
        }
        /* e.g. a file system without mmap support: read it instead */
    }
#else
    (void)allow_map;
#endif
    pml_status s = read_all(fd, path, size, out);
    close(fd);
    return s;
}

/* Resident-set control for mapped files: clean pages of a read-only private map can be
 * dropped from this process at any time (MADV_DONTNEED) and are faulted back, identical,
 * from the page cache or the file when read again. Only whole pages inside [p, p+n). */
void pml_source_drop_pages(const pml_model_source *src, const void *p, size_t n) {
#ifdef PML_HAVE_MMAP
    if (src->kind != PML_SOURCE_MAPPED || !n) return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1), hi = ((uintptr_t)p + n) & ~(page - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
#else
    (void)src, (void)p, (void)n;
#endif
}

void pml_source_release(pml_model_source *src) {
    if (src->kind == PML_SOURCE_HEAP) free((void *)src->bytes);
#ifdef PML_HAVE_MMAP
    else if (src->kind == PML_SOURCE_MAPPED) munmap((void *)src->bytes, src->size);
#endif
    memset(src, 0, sizeof *src);
}
