/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The host's deliberately hostile PTE format. Nothing real looks like it,
 * so code that quietly assumes one real format fails against it.
 *
 * An entry is a "base" word rotated left by HOSTILE_ROT(level) bits, a
 * different amount at every level: a PTE read at the wrong level, or with
 * another format's codec, decodes to garbage. Zero stays zero (absent).
 *
 *  base: 63......52 51..........16 15..13 12..11 10........2  1    0
 *       +----------+--------------+------+------+-----------+----+---+
 *       | reserved |  frame no.   | rsvd | cache| flags     |LEAF| V |
 *       +----------+--------------+------+------+-----------+----+---+
 *  flags are the PT_/PROT_ flag bits 0..8 of pt_config.h, shifted by 2.
 *
 * Its "hardware" (sim_mmu_hostile.c): 4 levels, 48-bit canonical VAs,
 * leaves at levels 1-3; a user access needs USER; read needs R, write W,
 * execute X; the supervisor may read and write user pages but never
 * execute them; A and D are set on permitted accesses; a reserved bit, a
 * leaf at level 4 or a misaligned huge frame is a reserved-bit fault.
 */

#include <stdint.h>

#define HOSTILE_V (1ULL << 0)
#define HOSTILE_LEAF (1ULL << 1)
#define HOSTILE_FLAGS_SHIFT 2
#define HOSTILE_CACHE_SHIFT 11
#define HOSTILE_CACHE_MASK (3ULL << HOSTILE_CACHE_SHIFT)
#define HOSTILE_PFN_SHIFT 16
#define HOSTILE_PA_BITS 48
#define HOSTILE_PFN_MASK \
	(((1ULL << (HOSTILE_PA_BITS - 12)) - 1) << HOSTILE_PFN_SHIFT)
#define HOSTILE_KNOWN                                                   \
	(HOSTILE_V | HOSTILE_LEAF | (0x1ffULL << HOSTILE_FLAGS_SHIFT) | \
	 HOSTILE_CACHE_MASK | HOSTILE_PFN_MASK)

static inline unsigned int hostile_rot(unsigned int level)
{
	return (7 * level + 3) % 64;
}

static inline uint64_t hostile_rotl(uint64_t v, unsigned int n)
{
	return n == 0 ? v : (v << n) | (v >> (64 - n));
}

static inline uint64_t hostile_rotr(uint64_t v, unsigned int n)
{
	return n == 0 ? v : (v >> n) | (v << (64 - n));
}
