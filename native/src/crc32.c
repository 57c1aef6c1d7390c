/*
 * crc32.c — slice-by-8 CRC-32 (zlib polynomial). Eight 256-entry tables let
 * the loop consume 8 bytes per iteration with independent lookups instead of
 * one dependent lookup per byte (~4-6x faster than the bytewise loop, which
 * matters because every load checksums the whole weights section). The
 * tables are built once, thread-safely, on first use.
 */
#include "crc32.h"

#include <pthread.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#error "crc32.c reads 8 bytes at a time as little-endian words; add a big-endian path"
#endif

static uint32_t g_table[8][256];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        g_table[0][i] = c;
    }
    /* table[k][i] = CRC of byte i followed by k zero bytes */
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++) g_table[k][i] = (g_table[k - 1][i] >> 8) ^ g_table[0][g_table[k - 1][i] & 0xFF];
}

uint32_t pml_crc32(uint32_t crc, const void *data, size_t size) {
    pthread_once(&g_once, build_tables);
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (size && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ g_table[0][(crc ^ *p++) & 0xFF];
        size--;
    }
    while (size >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4); /* the format is little-endian; so is every target we build for */
        memcpy(&hi, p + 4, 4);
        lo ^= crc;
        crc = g_table[7][lo & 0xFF] ^ g_table[6][(lo >> 8) & 0xFF] ^ g_table[5][(lo >> 16) & 0xFF] ^
              g_table[4][lo >> 24] ^ g_table[3][hi & 0xFF] ^ g_table[2][(hi >> 8) & 0xFF] ^
              g_table[1][(hi >> 16) & 0xFF] ^ g_table[0][hi >> 24];
        p += 8;
        size -= 8;
    }
    while (size--) crc = (crc >> 8) ^ g_table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}
