// SPDX-License-Identifier: MPL-2.0
/*
 * Host only: the RISC-V codec (arch/riscv64/pt_format.c) against the
 * host's software Sv48/Sv39 MMU (arch/host/sim_mmu_riscv.c), which exists
 * only on the host. Tables are built by hand with the codec in simulated
 * physical memory and walked directly with sim_mmu_sv48/sim_mmu_sv39.walk,
 * without a TLB: each case checks that the hardware reads what the codec
 * wrote, and that the hardware rules of RISC-V Privileged Spec v1.12, 4.3
 * hold (cited per case).
 */

#include <stdio.h>

#include "ostd/arch/riscv64_pte.h"

#include "ostd/host/sim.h"
#include "ostd/pt_config.h"
#include "ostd/test.h"

#include "pt_builder.h"

/*
 * Tables are built in this file's window of scratch memory, [16 MiB,
 * 17 MiB), which the frame allocator never hands out (sim.h). Every test
 * starts a fresh table there: tests run one at a time and keep nothing.
 */
#define RISCV_WINDOW PT_BUILDER_WINDOW(0)

static struct pt_builder b;

/* Starts an empty table for @p cfg; returns its root. */
static paddr_t new_table(const struct pt_config *cfg)
{
	pt_builder_init(&b, cfg, RISCV_WINDOW);
	return b.root;
}

static pte_t raw_ppn(uint64_t pa)
{
	return (pa >> RISCV_PAGE_SHIFT) << RISCV_PTE_PPN_SHIFT;
}

struct format {
	const struct pt_config *user;
	const struct pt_config *kernel;
	const struct sim_mmu_hw *hw;
};

static const struct format formats[] = {
	{ &riscv_sv48_user_config, &riscv_sv48_kernel_config, &sim_mmu_sv48 },
	{ &riscv_sv39_user_config, &riscv_sv39_kernel_config, &sim_mmu_sv39 },
};

#define P(f) ((struct pt_prop){ .flags = (f), .cache = PT_CACHE_WRITEBACK })
#define R PROT_R
#define W PROT_W
#define X PROT_X
#define U PROT_USER

enum who { SUP, SUP_SUM, SUP_MXR, SUP_SUM_MXR, USR, USR_MXR };

static struct sim_mode mode_of(enum who who)
{
	struct sim_mode m = { .user = who == USR || who == USR_MXR };

	m.sum = who == SUP_SUM || who == SUP_SUM_MXR;
	m.mxr = who == SUP_MXR || who == SUP_SUM_MXR || who == USR_MXR;
	return m;
}

struct perm_case {
	uint32_t flags;
	enum who who;
	enum sim_access kind;
	enum sim_fault want;
};

/* Each row: the page, who accesses it how, and what 4.3.1 says happens. */
static const struct perm_case perm_cases[] = {
	/* Table "Encoding of PTE R/W/X": read-only, read-write, RWX. */
	{ R, SUP, SIM_READ, SIM_OK },
	{ R, SUP, SIM_WRITE, SIM_FAULT_PERMISSION },
	{ R, SUP, SIM_EXEC, SIM_FAULT_PERMISSION },
	{ R | W, SUP, SIM_WRITE, SIM_OK },
	{ R | W, SUP, SIM_EXEC, SIM_FAULT_PERMISSION },
	{ R | X, SUP, SIM_EXEC, SIM_OK },
	{ R | X, SUP, SIM_WRITE, SIM_FAULT_PERMISSION },
	{ R | W | X, SUP, SIM_EXEC, SIM_OK },
	/* Execute-only: not readable unless MXR (4.1.1.2). */
	{ X, SUP, SIM_EXEC, SIM_OK },
	{ X, SUP, SIM_READ, SIM_FAULT_PERMISSION },
	{ X, SUP_MXR, SIM_READ, SIM_OK },
	{ X, SUP_MXR, SIM_WRITE, SIM_FAULT_PERMISSION },
	{ X | U, USR_MXR, SIM_READ, SIM_OK },
	{ X | U, USR, SIM_READ, SIM_FAULT_PERMISSION },
	/* "U bit": U-mode only with U=1, whatever SUM says. */
	{ R, USR, SIM_READ, SIM_FAULT_PERMISSION },
	{ R | W, USR, SIM_WRITE, SIM_FAULT_PERMISSION },
	{ R | X, USR, SIM_EXEC, SIM_FAULT_PERMISSION },
	{ R | U, USR, SIM_READ, SIM_OK },
	{ R | U, USR, SIM_WRITE, SIM_FAULT_PERMISSION },
	{ R | W | U, USR, SIM_WRITE, SIM_OK },
	{ R | X | U, USR, SIM_EXEC, SIM_OK },
	{ R | W | U, USR, SIM_EXEC, SIM_FAULT_PERMISSION },
	/* "U bit": S-mode loads/stores to U=1 pages only with SUM. */
	{ R | W | U, SUP, SIM_READ, SIM_FAULT_PERMISSION },
	{ R | W | U, SUP, SIM_WRITE, SIM_FAULT_PERMISSION },
	{ R | W | U, SUP_SUM, SIM_READ, SIM_OK },
	{ R | W | U, SUP_SUM, SIM_WRITE, SIM_OK },
	{ R | U, SUP_SUM, SIM_WRITE, SIM_FAULT_PERMISSION },
	/* "U bit": "the supervisor may not execute code on pages with U=1". */
	{ R | X | U, SUP, SIM_EXEC, SIM_FAULT_PERMISSION },
	{ R | X | U, SUP_SUM, SIM_EXEC, SIM_FAULT_PERMISSION },
	{ R | W | X | U, SUP_SUM_MXR, SIM_EXEC, SIM_FAULT_PERMISSION },
	/* SUM plus MXR reads an execute-only user page. */
	{ X | U, SUP_SUM_MXR, SIM_READ, SIM_OK },
	{ X | U, SUP_MXR, SIM_READ, SIM_FAULT_PERMISSION },
};

static const char *const kind_names[] = { "read", "write", "exec" };

TEST(mmu_riscv, permission_table)
{
	const uint64_t va = UINT64_C(0x12345000);
	const uint64_t pa = UINT64_C(0x300000);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];

		for (unsigned int ci = 0; ci < ARRAY_SIZE(perm_cases); ci++) {
			const struct perm_case *c = &perm_cases[ci];
			struct sim_mode m = mode_of(c->who);
			struct sim_translation t;
			paddr_t root = new_table(fmt->user);

			pt_builder_map(&b, va, pa, 1, P(c->flags));
			pte_t *leaf = pt_builder_slot(&b, va, 1);
			enum sim_fault f = fmt->hw->walk(
				fmt->hw, root, va + 0x123, c->kind, &m, &t);

			if (f != c->want) {
				fprintf(stderr, "%s row %u (%s): %s, want %s\n",
					fmt->hw->name, ci, kind_names[c->kind],
					sim_fault_name(f),
					sim_fault_name(c->want));
			}
			ASSERT_EQ(f, c->want);
			/* 4.3.1: A and D change only for a permitted access. */
			bool ok = c->want == SIM_OK;

			ASSERT_EQ((*leaf & RISCV_PTE_A) != 0, ok);
			ASSERT_EQ((*leaf & RISCV_PTE_D) != 0,
				  ok && c->kind == SIM_WRITE);
			if (ok) {
				ASSERT_EQ(pa_addr(t.pa), pa + 0x123);
				ASSERT_EQ(t.page_va, va);
				ASSERT_EQ(t.page_size, PAGE_SIZE);
				/* A TLB hit under the same mode agrees. */
				ASSERT_EQ(fmt->hw->check(&t, c->kind, &m),
					  SIM_OK);
			}
		}
	}
}

/*
 * 4.3.2 step 8: a superpage maps pa.ppn[i-1:0] = va.vpn[i-1:0], so the
 * offset inside it passes through untouched.
 */
TEST(mmu_riscv, superpages)
{
	static const struct {
		pt_level_t level;
		uint64_t va, pa, off;
	} cases[] = {
		{ 2, UINT64_C(0x40200000), UINT64_C(0x600000),
		  UINT64_C(0x12345) },
		{ 3, UINT64_C(0x40000000), UINT64_C(0x80000000),
		  UINT64_C(0x23456789) },
	};
	struct sim_mode sup = mode_of(SUP);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];

		for (unsigned int ci = 0; ci < ARRAY_SIZE(cases); ci++) {
			const pt_level_t level = cases[ci].level;
			const uint64_t size = pt_page_size(level);
			struct sim_translation t;
			paddr_t root = new_table(fmt->user);

			if (level > fmt->user->highest_translation_level) {
				/*
				 * The Sv39 gigapage is a root leaf, which the
				 * codec refuses by policy (pt_format.c) but
				 * the hardware takes (4.4.1).
				 */
				struct pt_prop p = { R, PT_CACHE_WRITEBACK };

				ASSERT_EQ(
					pt_config_leaf_ok(fmt->user,
							  pa_init(cases[ci].pa),
							  level, p),
					OSTD_EINVAL);
				pt_builder_put(&b, cases[ci].va, level,
					       RISCV_PTE_V | RISCV_PTE_R |
						       raw_ppn(cases[ci].pa));
			} else {
				pt_builder_map(&b, cases[ci].va, cases[ci].pa,
					       level, P(R | W));
			}
			ASSERT_EQ(fmt->hw->walk(fmt->hw, root,
						cases[ci].va + cases[ci].off,
						SIM_READ, &sup, &t),
				  SIM_OK);
			ASSERT_EQ(pa_addr(t.pa), cases[ci].pa + cases[ci].off);
			ASSERT_EQ(t.page_va, cases[ci].va);
			ASSERT_EQ(t.page_size, size);
			ASSERT_EQ(pa_addr(t.page_pa), cases[ci].pa);
		}
	}
}

/* 4.3.2 step 6: a superpage whose PPN is not aligned to its size faults. */
TEST(mmu_riscv, misaligned_superpage)
{
	const uint64_t va = UINT64_C(0x40200000);
	const uint64_t pa = UINT64_C(0x601000);
	struct sim_mode sup = mode_of(SUP);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];
		struct pt_prop p = { R | W, PT_CACHE_WRITEBACK };
		paddr_t root = new_table(fmt->user);

		/* The codec refuses it... */
		ASSERT_EQ(pt_config_leaf_ok(fmt->user, pa_init(pa), 2, p),
			  OSTD_EUNALIGNED);
		/* ...and the hardware faults on it, before touching A/D. */
		pte_t *leaf = pt_builder_put(&b, va, 2,
					     RISCV_PTE_V | RISCV_PTE_R |
						     RISCV_PTE_W | raw_ppn(pa));

		ASSERT_EQ(
			fmt->hw->walk(fmt->hw, root, va, SIM_WRITE, &sup, NULL),
			SIM_FAULT_RESERVED);
		ASSERT_EQ(*leaf & (RISCV_PTE_A | RISCV_PTE_D), 0);
	}
}

/*
 * 4.4.1 / 4.5.1: bits 63..va_bits-1 must all equal bit va_bits-1. The
 * upper half is reachable through the kernel config's root entries.
 */
TEST(mmu_riscv, canonical)
{
	struct sim_mode sup = mode_of(SUP);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];
		const unsigned int bits = fmt->user->va_bits;
		const uint64_t upper = ~UINT64_C(0) << (bits - 1);
		struct sim_translation t;
		paddr_t root = new_table(fmt->kernel);

		pt_builder_map(&b, upper, 0x5000, 1, P(R));
		/* The user half, in the same table. */
		pt_builder_use(&b, fmt->user);
		pt_builder_map(&b, 0, 0x6000, 1, P(R));
		/* The lowest upper-half page and the lowest page work. */
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, upper + 8, SIM_READ,
					&sup, &t),
			  SIM_OK);
		ASSERT_EQ(pa_addr(t.pa), 0x5008);
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, 8, SIM_READ, &sup, &t),
			  SIM_OK);
		ASSERT_EQ(pa_addr(t.pa), 0x6008);
		/* The same pages with a wrong top bit do not. */
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root,
					UINT64_C(1) << (bits - 1), SIM_READ,
					&sup, &t),
			  SIM_FAULT_NON_CANONICAL);
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root,
					upper ^ (UINT64_C(1) << 63), SIM_READ,
					&sup, &t),
			  SIM_FAULT_NON_CANONICAL);
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, UINT64_C(1) << 63,
					SIM_READ, &sup, &t),
			  SIM_FAULT_NON_CANONICAL);
	}
}

/*
 * 4.3.1 / 4.3.2 step 7: the hardware sets A on a permitted access and D on
 * a permitted store, and touches nothing for a refused one.
 */
TEST(mmu_riscv, accessed_dirty)
{
	const uint64_t va = UINT64_C(0x7000);
	struct sim_mode sup = mode_of(SUP);
	struct sim_mode usr = mode_of(USR);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];
		struct sim_translation t;
		paddr_t root = new_table(fmt->user);

		/* Read-only: a refused store leaves A and D clear. */
		pt_builder_map(&b, va, 0x9000, 1, P(R | U));
		pte_t *leaf = pt_builder_slot(&b, va, 1);

		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_WRITE, &usr, &t),
			  SIM_FAULT_PERMISSION);
		/* So does an S-mode load without SUM. */
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_READ, &sup, &t),
			  SIM_FAULT_PERMISSION);
		ASSERT_EQ(*leaf & (RISCV_PTE_A | RISCV_PTE_D), 0);
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_READ, &usr, &t),
			  SIM_OK);
		ASSERT_EQ(*leaf & (RISCV_PTE_A | RISCV_PTE_D), RISCV_PTE_A);
		ASSERT_FALSE(t.dirty);

		/* Read-write: load sets A only, a store then sets D. */
		pt_builder_map(&b, va, 0x9000, 1, P(R | W | U));
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_READ, &usr, &t),
			  SIM_OK);
		ASSERT_EQ(*leaf & (RISCV_PTE_A | RISCV_PTE_D), RISCV_PTE_A);
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_WRITE, &usr, &t),
			  SIM_OK);
		ASSERT_EQ(*leaf & (RISCV_PTE_A | RISCV_PTE_D),
			  RISCV_PTE_A | RISCV_PTE_D);
		ASSERT_TRUE(t.dirty);
		/* The update kept every other bit (it is a compare-exchange). */
		ASSERT_EQ(pa_addr(fmt->user->paddr(fmt->user, *leaf, 1)),
			  0x9000);
		ASSERT_EQ(fmt->user->prop(fmt->user, *leaf, 1).flags,
			  R | W | U | PT_ACCESSED | PT_DIRTY);
	}
}

/* 4.3.2 steps 2-4: what the walk faults on before it reaches a leaf. */
TEST(mmu_riscv, invalid_entries)
{
	static const struct {
		pt_level_t level; /* Where the raw entry goes. */
		pte_t pte;
		enum sim_fault want;
	} cases[] = {
		/* Step 3: V=0, whatever else is set. */
		{ 1, 0, SIM_FAULT_NOT_PRESENT },
		{ 1, RISCV_PTE_R | RISCV_PTE_W | RISCV_PTE_A,
		  SIM_FAULT_NOT_PRESENT },
		{ 2, RISCV_PTE_R, SIM_FAULT_NOT_PRESENT },
		/* Step 3, Table "Encoding of PTE R/W/X": W without R. */
		{ 1, RISCV_PTE_V | RISCV_PTE_W, SIM_FAULT_RESERVED },
		{ 1, RISCV_PTE_V | RISCV_PTE_W | RISCV_PTE_X,
		  SIM_FAULT_RESERVED },
		/* Step 3, 4.4.1: reserved bits 60..54; PBMT and N unimplemented. */
		{ 1, RISCV_PTE_V | RISCV_PTE_R | (UINT64_C(1) << 54),
		  SIM_FAULT_RESERVED },
		{ 1, RISCV_PTE_V | RISCV_PTE_R | (UINT64_C(1) << 60),
		  SIM_FAULT_RESERVED },
		{ 1, RISCV_PTE_V | RISCV_PTE_R | (UINT64_C(1) << 61),
		  SIM_FAULT_RESERVED },
		{ 1, RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_N,
		  SIM_FAULT_RESERVED },
		{ 2, RISCV_PTE_V | RISCV_PTE_PBMT_MASK, SIM_FAULT_RESERVED },
		/* Step 3, 4.3.1: D, A and U are reserved on non-leaf entries. */
		{ 2, RISCV_PTE_V | RISCV_PTE_A, SIM_FAULT_RESERVED },
		{ 2, RISCV_PTE_V | RISCV_PTE_D, SIM_FAULT_RESERVED },
		{ 2, RISCV_PTE_V | RISCV_PTE_U, SIM_FAULT_RESERVED },
		/* Step 4: a pointer at the last level (i < 0). */
		{ 1, RISCV_PTE_V, SIM_FAULT_RESERVED },
		/* Step 4: a pointer to a table outside memory: access fault. */
		{ 2, RISCV_PTE_V | (UINT64_C(0xfff) << 40), SIM_FAULT_BUS },
		/* 4.3.1: RSW is ignored by the hardware. */
		{ 1,
		  RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_RSW0 | RISCV_PTE_RSW1,
		  SIM_OK },
	};
	const uint64_t va = UINT64_C(0x40201000);
	struct sim_mode sup = mode_of(SUP);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];
		const struct pt_config *cfg = fmt->user;

		for (unsigned int ci = 0; ci < ARRAY_SIZE(cases); ci++) {
			paddr_t root = new_table(cfg);

			pt_builder_put(&b, va, cases[ci].level, cases[ci].pte);
			enum sim_fault f = fmt->hw->walk(fmt->hw, root, va,
							 SIM_READ, &sup, NULL);

			if (f != cases[ci].want) {
				fprintf(stderr, "%s case %u: %s, want %s\n",
					fmt->hw->name, ci, sim_fault_name(f),
					sim_fault_name(cases[ci].want));
			}
			ASSERT_EQ(f, cases[ci].want);
		}
		/*
		 * The codec agrees on what maps nothing (pt_format.c,
		 * riscv_classify): a pointer at level 1 and W without R are
		 * absent, since the walk faults on them as on V=0.
		 */
		ASSERT_EQ(cfg->classify(cfg, RISCV_PTE_V, 1), PT_ENTRY_ABSENT);
		ASSERT_EQ(cfg->classify(cfg, RISCV_PTE_V, 2), PT_ENTRY_TABLE);
		ASSERT_EQ(cfg->classify(cfg, RISCV_PTE_V | RISCV_PTE_W, 1),
			  PT_ENTRY_ABSENT);
		ASSERT_EQ(cfg->classify(cfg,
					RISCV_PTE_V | RISCV_PTE_W | RISCV_PTE_X,
					2),
			  PT_ENTRY_ABSENT);
		ASSERT_EQ(cfg->classify(cfg, RISCV_PTE_R, 1), PT_ENTRY_ABSENT);

		/* A root outside memory: access fault on the first read. */
		ASSERT_EQ(fmt->hw->walk(fmt->hw, pa_init(sim_phys_size()), va,
					SIM_READ, &sup, NULL),
			  SIM_FAULT_BUS);
	}
}

/*
 * 4.3.1 "G bit": a global non-leaf entry makes every mapping below global;
 * new_pt never sets it, so only the leaf's G counts for codec tables.
 */
TEST(mmu_riscv, global)
{
	const uint64_t va = UINT64_C(0x40201000);
	struct sim_mode sup = mode_of(SUP);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];
		const struct pt_config *cfg = fmt->user;
		struct sim_translation t;
		paddr_t root = new_table(cfg);

		pt_builder_map(&b, va, 0x8000, 1, P(R));
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_READ, &sup, &t),
			  SIM_OK);
		ASSERT_FALSE(t.global);
		pt_builder_map(&b, va, 0x8000, 1, P(R | PT_GLOBAL));
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_READ, &sup, &t),
			  SIM_OK);
		ASSERT_TRUE(t.global);
		/* G on the level-2 pointer, none on the leaf. */
		pt_builder_map(&b, va, 0x8000, 1, P(R));
		*pt_builder_slot(&b, va, 2) |= RISCV_PTE_G;
		ASSERT_EQ(fmt->hw->walk(fmt->hw, root, va, SIM_READ, &sup, &t),
			  SIM_OK);
		ASSERT_TRUE(t.global);
	}
}

/*
 * A TLB hit re-applies the mode, since 4.2.1 makes SUM and MXR changes
 * effective without SFENCE.VMA.
 */
TEST(mmu_riscv, check_cached)
{
	const uint64_t va = UINT64_C(0x7000);
	struct sim_mode sup = mode_of(SUP);
	struct sim_mode sum = mode_of(SUP_SUM);
	struct sim_mode mxr = mode_of(SUP_MXR);
	struct sim_mode usr = mode_of(USR);

	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];
		const struct sim_mmu_hw *hw = fmt->hw;
		struct sim_translation t;
		paddr_t root = new_table(fmt->user);

		/* A user page cached by an S-mode load under SUM. */
		pt_builder_map(&b, va, 0x9000, 1, P(R | W | U));
		ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &sum, &t), SIM_OK);
		ASSERT_FALSE(t.dirty);
		ASSERT_EQ(hw->check(&t, SIM_READ, &sup), SIM_FAULT_PERMISSION);
		ASSERT_EQ(hw->check(&t, SIM_READ, &usr), SIM_OK);
		ASSERT_EQ(hw->check(&t, SIM_EXEC, &sum), SIM_FAULT_PERMISSION);
		/* A store to the clean entry passes; the TLB re-walks it. */
		ASSERT_EQ(hw->check(&t, SIM_WRITE, &sum), SIM_OK);

		/* An execute-only page cached by a load under MXR. */
		pt_builder_map(&b, va, 0x9000, 1, P(X));
		ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &mxr, &t), SIM_OK);
		ASSERT_EQ(hw->check(&t, SIM_READ, &mxr), SIM_OK);
		ASSERT_EQ(hw->check(&t, SIM_READ, &sup), SIM_FAULT_PERMISSION);
		ASSERT_EQ(hw->check(&t, SIM_EXEC, &sup), SIM_OK);
		ASSERT_EQ(hw->check(&t, SIM_EXEC, &usr), SIM_FAULT_PERMISSION);
		ASSERT_EQ(hw->check(&t, SIM_WRITE, &mxr), SIM_FAULT_PERMISSION);
	}
}

/*
 * Every legal prop at every leaf level of all four configs: the hardware
 * sees the R/W/X/U/G/D bits and the address the codec was asked for, with
 * the highest PA the format holds too (PPN bit 53), and RSW survives.
 */
TEST(mmu_riscv, codec_agrees_with_hardware)
{
	for (unsigned int fi = 0; fi < ARRAY_SIZE(formats); fi++) {
		const struct format *fmt = &formats[fi];
		const struct pt_config *cfgs[] = { fmt->user, fmt->kernel };

		for (unsigned int k = 0; k < ARRAY_SIZE(cfgs); k++) {
			const struct pt_config *cfg = cfgs[k];
			uint64_t start;
			uint64_t last;
			paddr_t root = new_table(cfg);

			pt_config_vaddr_range(cfg, &start, &last);
			for (pt_level_t l = 1;
			     l <= cfg->highest_translation_level; l++) {
				const uint64_t size = pt_page_size(l);
				const uint64_t va = start + 3 * size;
				const uint64_t pas[] = {
					5 * size,
					(UINT64_C(1) << cfg->pa_bits) - size,
				};

				for (uint32_t flags = 0;
				     flags <= cfg->legal_flags; flags++) {
					struct pt_prop p = {
						flags, PT_CACHE_WRITEBACK
					};

					if ((flags & ~cfg->legal_flags) ||
					    !cfg->prop_ok(cfg, p)) {
						continue;
					}
					for (unsigned int pi = 0;
					     pi < ARRAY_SIZE(pas); pi++) {
						struct sim_mode m = mode_of(
							(flags & U) ? USR
								    : SUP);
						enum sim_access kind =
							(flags & R) ? SIM_READ
								    : SIM_EXEC;
						struct sim_translation t;

						pt_builder_map(&b, va, pas[pi],
							       l, p);
						pte_t *leaf = pt_builder_slot(
							&b, va, l);

						ASSERT_EQ(fmt->hw->walk(
								  fmt->hw, root,
								  va + size - 1,
								  kind, &m, &t),
							  SIM_OK);
						ASSERT_EQ(pa_addr(t.pa),
							  pas[pi] + size - 1);
						ASSERT_EQ(t.page_size, size);
						ASSERT_EQ(t.readable,
							  (flags & R) != 0);
						ASSERT_EQ(t.writable,
							  (flags & W) != 0);
						ASSERT_EQ(t.executable,
							  (flags & X) != 0);
						ASSERT_EQ(t.user,
							  (flags & U) != 0);
						ASSERT_EQ(t.global,
							  (flags & PT_GLOBAL) !=
								  0);
						ASSERT_EQ(t.dirty,
							  (flags & PT_DIRTY) !=
								  0);
						ASSERT_EQ(
							cfg->prop(cfg, *leaf, l)
								.flags,
							flags | PT_ACCESSED);
					}
				}
			}
		}
	}
}
