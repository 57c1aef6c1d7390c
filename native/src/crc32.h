/*
 * crc32.h — CRC-32 with the zlib/IEEE polynomial (reflected 0xEDB88320), the
 * checksum of a .pml file (docs/format.md). Same chaining convention as
 * zlib.crc32: crc = pml_crc32(crc, next_chunk, n) starting from crc = 0.
 */
#ifndef PML_CRC32_H
#define PML_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t pml_crc32(uint32_t crc, const void *data, size_t size);

#endif
