/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Physical and virtual addresses are distinct one-member structs, so that
 * passing one where the other is expected is a compile error (Hafnium
 * `inc/hf/addr.h`).
 */
typedef struct {
	uint64_t pa;
} paddr_t;

typedef struct {
	uint64_t va;
} vaddr_t;

static inline paddr_t pa_init(uint64_t pa)
{
	return (paddr_t){ .pa = pa };
}

static inline uint64_t pa_addr(paddr_t pa)
{
	return pa.pa;
}

static inline vaddr_t va_init(uint64_t va)
{
	return (vaddr_t){ .va = va };
}

static inline uint64_t va_addr(vaddr_t va)
{
	return va.va;
}
