/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The in-process baselines (BENCHMARKS.md B0), written for the benchmark
 * over the x86_64 4-level PTE format (Intel SDM vol 3A, 4.5, Fig. 4-11):
 *
 *   63  62..52  51..12          11..9  8  7   6  5  4   3   2   1   0
 *   XD  avail   physical page   avail  G  PS  D  A  PCD PWT US  RW  P
 *
 * - a flat PTE array: one store per page, the lower bound for map;
 * - an xv6-style toy: walk() + mappages() + uvmunmap(), one walk from the
 *   root per page (xv6-riscv kernel/vm.c, with x86 bits);
 * - a cursor toy: one walk per 2 MiB, then a loop over the leaf table.
 *
 * They have no locks, no metadata and no TLB bookkeeping: they are the
 * cost of the data structure alone. Table pages come from a pool of
 * pre-faulted host memory and are zeroed on allocation, as kalloc()'s
 * callers do; "physical" addresses are host pointers.
 */

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t toy_pte;

#define TOY_P (1ULL << 0)
#define TOY_RW (1ULL << 1)
#define TOY_US (1ULL << 2)
#define TOY_PS (1ULL << 7)
#define TOY_XD (1ULL << 63)
#define TOY_ADDR 0x000ffffffffff000ULL

/* What the toys map with: the encoding of bench_prop_rw() (no A/D). */
#define TOY_PERM (TOY_RW | TOY_US | TOY_XD)

/** Reserves the page pool; @p pages 4 KiB pages at most in use at once. */
void toy_pool_init(uint64_t pages);

/** Table pages in use (for bytes per mapped page). */
uint64_t toy_pool_in_use(void);

/* A 4-level table: the root page. */
struct toy_pt {
	toy_pte *root;
};

void toy_pt_new(struct toy_pt *t);

/** Frees every table page (xv6 freewalk); leaves are not frames. */
void toy_pt_free(struct toy_pt *t);

/* --- xv6 style: one walk from the root per page. --- */

/** The PTE for @p va at level @p stop (1 = leaf table), or NULL. */
toy_pte *toy_walk_to(struct toy_pt *t, uint64_t va, unsigned int stop,
		     bool alloc);

/** The level-1 PTE for @p va, allocating tables if @p alloc; or NULL. */
toy_pte *toy_walk(struct toy_pt *t, uint64_t va, bool alloc);

/** Maps [va, va + size) to pa; false if a page is already mapped. */
bool toy_mappages(struct toy_pt *t, uint64_t va, uint64_t size, uint64_t pa,
		  toy_pte perm);

/*
 * toy_mappages() inside the atomics a locked transaction cannot avoid,
 * those of the core's cursor protocol: entering and leaving an RCU read
 * section (a counter and a full fence) and taking and releasing the lock
 * of the covering node. The floor for one page per cursor.
 */
bool toy_mappages_locked(struct toy_pt *t, uint64_t va, uint64_t size,
			 uint64_t pa, toy_pte perm);

/** Clears @p npages PTEs from @p va; false if one was not mapped. */
bool toy_uvmunmap(struct toy_pt *t, uint64_t va, uint64_t npages);

/* --- Cursor style: one walk per 2 MiB. --- */

bool toy_cursor_map(struct toy_pt *t, uint64_t va, uint64_t npages, uint64_t pa,
		    toy_pte perm);
void toy_cursor_protect(struct toy_pt *t, uint64_t va, uint64_t npages,
			toy_pte clear);
uint64_t toy_cursor_unmap(struct toy_pt *t, uint64_t va, uint64_t npages);
/** Sums the mapped addresses (a query of every page). */
uint64_t toy_cursor_query(struct toy_pt *t, uint64_t va, uint64_t npages);

/* --- The flat array: the lower bound. --- */

void toy_flat_map(toy_pte *a, uint64_t npages, uint64_t pa, toy_pte perm);
uint64_t toy_flat_query(const toy_pte *a, uint64_t npages);
