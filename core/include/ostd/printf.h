/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "ostd/compiler.h"

/*
 * A freestanding printf. Supported conversions: %d %i %u %x %X %o %p %s %c %%,
 * with the flags '-', '0', '#', '+', ' ', a width and precision (number or
 * '*'), and the length modifiers hh h l ll z t j. Floating point is not
 * supported: the kernel builds with -mgeneral-regs-only. An unsupported
 * conversion is printed verbatim, so a mistake shows instead of corrupting
 * the output.
 */

/**
 * Formats into @p buf like C's vsnprintf: at most @p size bytes are written,
 * always NUL-terminated when @p size > 0.
 *
 * @return The length the full output would have had, excluding the NUL.
 */
int ostd_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/** Like C's snprintf; see ostd_vsnprintf(). */
int ostd_snprintf(char *buf, size_t size, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

/**
 * Formats to the console.
 *
 * Context: any, including trap handlers; it does not allocate.
 */
int ostd_printf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/** Like ostd_printf() with a va_list. */
int ostd_vprintf(const char *fmt, va_list ap);

/** Writes the string @p s and no newline to the console. */
void ostd_puts(const char *s);
