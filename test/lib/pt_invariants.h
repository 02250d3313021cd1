/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Invariant checks the tests run on top of pt_check() (TESTING.md I2).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/page_table.h"

/**
 * I2, frame accounting: for every tracked frame mapped in @p pt, its
 * refcount equals the handles the test holds (@p handles, may be NULL for
 * none) plus its mappings in @p pt plus the references the @p n flushers
 * keep. Prints the first mismatch.
 */
bool pt_check_accounting(struct page_table *pt,
			 const struct tlb_flusher *const *flushers,
			 unsigned int n,
			 uint64_t (*handles)(paddr_t pa, void *ctx), void *ctx);
