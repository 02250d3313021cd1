/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/types.h"

/*
 * Alignment and overflow-checked arithmetic. Every public entry point that
 * takes a (start, length) pair checks it with these helpers, so that no
 * range computation can wrap (see ../shared/TESTING.md, bad-input table).
 */

/** True if @p align is a non-zero power of two. */
static inline bool is_pow2(uint64_t align)
{
	return align != 0 && (align & (align - 1)) == 0;
}

/** True if @p x is a multiple of @p align (a power of two). */
static inline bool is_aligned(uint64_t x, uint64_t align)
{
	return (x & (align - 1)) == 0;
}

/** Rounds @p x down to a multiple of @p align (a power of two). */
static inline uint64_t align_down(uint64_t x, uint64_t align)
{
	return x & ~(align - 1);
}

/**
 * Rounds @p x up to a multiple of @p align (a power of two).
 *
 * @param[out] out The rounded value; untouched on error.
 * @retval OSTD_OK Rounded.
 * @retval OSTD_EOVERFLOW The result does not fit in 64 bits.
 */
static inline WARN_UNUSED ostd_err_t align_up_checked(uint64_t x,
						      uint64_t align,
						      uint64_t *out)
{
	uint64_t sum;

	if (__builtin_add_overflow(x, align - 1, &sum)) {
		return OSTD_EOVERFLOW;
	}
	*out = align_down(sum, align);
	return OSTD_OK;
}

/**
 * Adds two unsigned 64-bit values without wrapping.
 *
 * @param[out] out The sum; untouched on error.
 * @retval OSTD_OK The sum fits.
 * @retval OSTD_EOVERFLOW It does not.
 */
static inline WARN_UNUSED ostd_err_t add_checked(uint64_t a, uint64_t b,
						 uint64_t *out)
{
	uint64_t sum;

	if (__builtin_add_overflow(a, b, &sum)) {
		return OSTD_EOVERFLOW;
	}
	*out = sum;
	return OSTD_OK;
}

/** Adds two values, clamping at UINT64_MAX instead of wrapping. */
static inline uint64_t add_saturating(uint64_t a, uint64_t b)
{
	uint64_t sum;

	if (__builtin_add_overflow(a, b, &sum)) {
		return UINT64_MAX;
	}
	return sum;
}

/**
 * True if [@p start, @p start + @p len) lies inside [@p lo, @p hi), computed
 * without overflow: `len <= hi - start`, never `start + len <= hi`.
 */
static inline bool range_within(uint64_t start, uint64_t len, uint64_t lo,
				uint64_t hi)
{
	return lo <= start && start <= hi && len <= hi - start;
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
