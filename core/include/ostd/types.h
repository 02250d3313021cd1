/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A physical address is a one-member struct, so that passing it where a
 * virtual address (a plain uint64_t) is expected is a compile error
 * (Hafnium `inc/hf/addr.h`).
 */
typedef struct {
	uint64_t pa;
} paddr_t;

static inline paddr_t pa_init(uint64_t pa)
{
	return (paddr_t){ .pa = pa };
}

static inline uint64_t pa_addr(paddr_t pa)
{
	return pa.pa;
}
