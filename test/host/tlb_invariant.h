/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * TESTING.md I7, the TLB invariant (promises S2 and S7): every translation
 * a simulated CPU caches is either what the page table maps now, or
 * belongs to a flush that is still pending, in which case the frame it
 * points at must still be allocated (the flusher holds it until every CPU
 * acknowledged). The table is walked with the format's codec, never
 * through a TLB.
 *
 * Host-only: it reads the simulated TLB. Call it at quiescent points: no
 * other thread may access or flush @p cpu meanwhile, and no cursor may
 * change @p pt.
 */

#include <stdbool.h>

#include "ostd/host/sim.h"
#include "ostd/page_table.h"

/**
 * True if every valid TLB entry of @p cpu agrees with @p pt: the table
 * maps the entry's first and last 4 KiB page to the same physical
 * addresses, with write permission if the entry grants it; or else the
 * entry's frame is still allocated (held by a pending flush). Prints every
 * violation.
 */
bool tlb_consistent(const struct sim_cpu *cpu, struct page_table *pt);

/**
 * The number of valid TLB entries of @p cpu that disagree with @p pt,
 * whether or not their frame is still held. Once every flush has been
 * dispatched and synced (no mutable cursor alive), this must be 0: I7 with
 * no pending flush. Prints nothing.
 */
unsigned int tlb_stale_count(const struct sim_cpu *cpu, struct page_table *pt);
