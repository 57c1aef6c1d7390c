/*
 * build_info.h — what this build of the library was made from. Not part of the
 * public API (pocketml.h): pml_build_source_hash is exported for tools and the
 * Python tests, which compare it with the checked-out sources to refuse a stale
 * library (tests/stale_library.py).
 */
#ifndef PML_BUILD_INFO_H
#define PML_BUILD_INFO_H

#include "pocketml.h"

/* SHA-256 (64 hex digits) of the library's sources; the files and the manifest
 * format are defined in native/cmake/source_hash.cmake, which also generates the
 * definition (pml_source_hash.c in the build directory). */
PML_API const char *pml_build_source_hash(void);

#endif
