/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The C library's memory functions. Kernel images get them from
 * core/freestanding/string.c; the host build from its libc.
 */

#include <stddef.h>

#if __STDC_HOSTED__
#include <string.h>
#else
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);
#endif
