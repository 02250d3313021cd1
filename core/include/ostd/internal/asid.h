/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Address-space identifiers (core/mm/asid.c): x86 PCIDs, RISC-V
 * satp.ASID, AArch64 TTBR0_EL1.ASID, handed to spaces by one
 * generation-based allocator so that a switch to a space whose entries
 * are still good flushes nothing.
 *
 * An id is (generation << ASID_GEN_SHIFT) | asid. ASID 0 is never handed
 * out: it is the kernel table's (and every space's when ASIDs are off).
 * An ASID number is never freed one by one: a destroyed space's number
 * stays taken until the generation rolls over, and every CPU drops every
 * non-global entry before it uses an ASID of the new generation, so no
 * new space can inherit a dead one's entries.
 */

#include <stdatomic.h>
#include <stdint.h>

#include "ostd/page_table.h"

/* The most ASID bits any arch has (x86 12, RISC-V and Arm up to 16). */
#define ASID_MAX_BITS 16U
#define ASID_GEN_SHIFT 16U

/* A space's identifier and where its entries may be cached. */
struct asid_ctx {
	/* 0: none yet. Written under the allocator's lock, read anywhere. */
	_Atomic uint64_t id;
	/* CPUs that loaded the space with this id: they may cache entries. */
	_Atomic uint64_t cpus;
	/* CPUs that must drop this id's entries before they next load it. */
	_Atomic uint64_t stale;
};

/* What a CPU must drop before it runs with the ASID asid_switch() gives. */
enum asid_flush {
	ASID_FLUSH_NONE, /* Its entries are good: keep everything. */
	ASID_FLUSH_ONE,  /* This ASID's non-global entries. */
	ASID_FLUSH_ALL,  /* Every ASID's (the generation rolled over). */
};

/**
 * Starts the allocator over with @p bits ASID bits (0: off, every switch
 * flushes; more than ASID_MAX_BITS: ASID_MAX_BITS). Boot, once, with the
 * arch's width; host tests, between tests, with no space loaded.
 */
void asid_init(unsigned int bits);

/** The ASID width in use; 0: off. */
unsigned int asid_bits(void);

/** A new space's context: no id yet, cached nowhere. */
void asid_ctx_init(struct asid_ctx *ctx);

/**
 * The ASID @p ctx's space runs with on CPU @p cpu, which is about to load
 * it, and in @p flush what the CPU must drop first. Allocates (and on
 * exhaustion rolls the generation over) when the space's id is of an old
 * generation. @p cpu is the caller's own CPU (host tests: a simulated
 * one). Interrupts masked, ASIDs on.
 */
uint16_t asid_switch(struct asid_ctx *ctx, unsigned int cpu,
		     enum asid_flush *flush);

/**
 * Called by a TLB flush of @p ctx's space before it reads the table's
 * active CPUs: every CPU that may cache the space's entries, but @p skip
 * (the flushing CPU when it flushes itself), drops the space's ASID before
 * it next loads it. CPUs where the space is active are also flushed by
 * the flusher directly; the rest are not interrupted at all.
 */
void asid_mark_stale(struct asid_ctx *ctx, uint64_t skip);

/** The ASID context of @p pt if it is a space's table and ASIDs are on. */
struct asid_ctx *asid_ctx_of_table(const struct page_table *pt);

/** The ASID @p pt runs with (0: the kernel's, or ASIDs off). */
uint16_t asid_of_table(const struct page_table *pt);

/* The current generation: it moves on at each rollover (tests). */
uint64_t asid_test_generation(void);
