// SPDX-License-Identifier: MPL-2.0
/*
 * Host only: the AArch64 codec (arch/aarch64/pt_format.c) against the
 * host's software VMSAv8-64 MMU (arch/host/sim_mmu_aarch64.c), which exists
 * only on the host. Tables are built by hand with the codec in simulated
 * physical memory and walked directly with sim_mmu_aarch64.walk, without a
 * TLB: each case checks that the hardware reads what the codec wrote, and
 * that the Arm ARM's rules hold (cited per case, as in ostd/arch/pte.h).
 */

#include <stdio.h>

#include "ostd/arch/aarch64_pte.h"

#include "ostd/host/sim.h"
#include "ostd/pt_config.h"
#include "ostd/test.h"

#include "pt_builder.h"

/*
 * Tables are built in this file's window of scratch memory, [24 MiB,
 * 25 MiB). Every test starts a fresh table there.
 */
#define AARCH64_WINDOW PT_BUILDER_WINDOW(8)

static struct pt_builder b;

/* The hardware every table here is walked by. */
static const struct sim_mmu_hw *const hw = &sim_mmu_aarch64;

/* Starts an empty table for @p cfg; returns its root. */
static paddr_t new_table(const struct pt_config *cfg)
{
	pt_builder_init(&b, cfg, AARCH64_WINDOW);
	return b.root;
}

#define P(f) ((struct pt_prop){ .flags = (f), .cache = PT_CACHE_WRITEBACK })
#define R PROT_R
#define W PROT_W
#define X PROT_X
#define U PROT_USER
#define A PT_ACCESSED

/* A user page lives in the lower half, a kernel page in the upper one. */
#define USER_VA UINT64_C(0x0000001234567000)
#define KERNEL_VA UINT64_C(0xffff800012345000)
#define PAGE_PA UINT64_C(0x300000)

enum who { EL1, EL1_PAN, EL0 };

static struct sim_mode mode_of(enum who who)
{
	return (struct sim_mode){ .user = who == EL0, .pan = who == EL1_PAN };
}

struct perm_case {
	uint32_t flags;
	enum who who;
	enum sim_access kind;
	enum sim_fault want;
	const char *rule; /* Where the Arm ARM says so. */
};

/* The Arm ARM rules the rows check (D5.4 / D8.4 "Memory access control"). */
#define AP "AP[2:1] data access permissions, for stage 1"
#define PAN "PSTATE.PAN, Privileged Access Never"
#define XN "Access permissions for instruction execution"
#define AF "The Access flag; AF before Permission in the walk"

static const struct perm_case perm_cases[] = {
	/* AP[1] = 1 opens the page to EL0; AP[2] = 1 closes writes. */
	{ R | W | U | A, EL0, SIM_READ, SIM_OK, AP },
	{ R | W | U | A, EL0, SIM_WRITE, SIM_OK, AP },
	{ R | U | A, EL0, SIM_READ, SIM_OK, AP },
	{ R | U | A, EL0, SIM_WRITE, SIM_FAULT_PERMISSION, AP },
	{ R | U | A, EL1, SIM_WRITE, SIM_FAULT_PERMISSION, AP },
	{ R | U | A, EL1, SIM_READ, SIM_OK, AP },
	/* AP[1] = 0: "no access by software executing at EL0". */
	{ R | W | A, EL0, SIM_READ, SIM_FAULT_PERMISSION, AP },
	{ R | W | A, EL0, SIM_WRITE, SIM_FAULT_PERMISSION, AP },
	{ R | W | A, EL1, SIM_READ, SIM_OK, AP },
	{ R | W | A, EL1, SIM_WRITE, SIM_OK, AP },
	{ R | A, EL1, SIM_READ, SIM_OK, AP },
	{ R | A, EL1, SIM_WRITE, SIM_FAULT_PERMISSION, AP },
	/* PAN: EL1 data accesses to EL0-accessible pages fault. */
	{ R | W | U | A, EL1_PAN, SIM_READ, SIM_FAULT_PERMISSION, PAN },
	{ R | W | U | A, EL1_PAN, SIM_WRITE, SIM_FAULT_PERMISSION, PAN },
	{ R | U | A, EL1_PAN, SIM_READ, SIM_FAULT_PERMISSION, PAN },
	{ R | W | U | A, EL1, SIM_READ, SIM_OK, PAN },
	{ R | W | U | A, EL1, SIM_WRITE, SIM_OK, PAN },
	{ R | W | A, EL1_PAN, SIM_WRITE, SIM_OK, PAN },
	{ R | X | A, EL1_PAN, SIM_EXEC, SIM_OK, PAN },
	/* UXN for EL0 fetches, PXN for EL1 ones. */
	{ R | X | U | A, EL0, SIM_EXEC, SIM_OK, XN },
	{ R | U | A, EL0, SIM_EXEC, SIM_FAULT_PERMISSION, XN },
	{ R | W | U | A, EL0, SIM_EXEC, SIM_FAULT_PERMISSION, XN },
	{ R | W | X | U | A, EL0, SIM_EXEC, SIM_OK, XN },
	{ R | X | A, EL1, SIM_EXEC, SIM_OK, XN },
	{ R | W | A, EL1, SIM_EXEC, SIM_FAULT_PERMISSION, XN },
	{ R | W | X | A, EL1, SIM_EXEC, SIM_OK, XN },
	/* The codec's PXN on user pages: EL1 never runs user code. */
	{ R | X | U | A, EL1, SIM_EXEC, SIM_FAULT_PERMISSION, XN },
	{ R | W | X | U | A, EL1, SIM_EXEC, SIM_FAULT_PERMISSION, XN },
	/* The codec's UXN on kernel pages: EL0 never runs kernel code. */
	{ R | X | A, EL0, SIM_EXEC, SIM_FAULT_PERMISSION, XN },
	{ R | X | A, EL0, SIM_READ, SIM_FAULT_PERMISSION, AP },
	/* AF = 0 faults, and outranks the Permission fault. */
	{ R | W, EL1, SIM_READ, SIM_FAULT_ACCESS_FLAG, AF },
	{ R | W | U, EL0, SIM_WRITE, SIM_FAULT_ACCESS_FLAG, AF },
	{ R | X | U, EL0, SIM_EXEC, SIM_FAULT_ACCESS_FLAG, AF },
	{ R, EL0, SIM_WRITE, SIM_FAULT_ACCESS_FLAG, AF },
	{ R | U, EL1_PAN, SIM_READ, SIM_FAULT_ACCESS_FLAG, AF },
};

static const char *const kind_names[] = { "read", "write", "exec" };

/* Builds a fresh table with @p c's page; @p va gets it. Returns the leaf. */
static pte_t *build_case(const struct perm_case *c, uint64_t *va)
{
	bool user = (c->flags & U) != 0;

	*va = user ? USER_VA : KERNEL_VA;
	new_table(user ? &aarch64_user_config : &aarch64_kernel_config);
	pt_builder_map(&b, *va, PAGE_PA, 1, P(c->flags));
	return pt_builder_slot(&b, *va, 1);
}

TEST(mmu_aarch64, permission_table)
{
	for (unsigned int ci = 0; ci < ARRAY_SIZE(perm_cases); ci++) {
		const struct perm_case *c = &perm_cases[ci];
		struct sim_mode m = mode_of(c->who);
		struct sim_translation t;
		uint64_t va;
		pte_t *leaf = build_case(c, &va);
		pte_t before = *leaf;
		enum sim_fault f =
			hw->walk(hw, b.root, va + 0x123, c->kind, &m, &t);

		if (f != c->want) {
			fprintf(stderr, "row %u (%s): %s, want %s (%s)\n", ci,
				kind_names[c->kind], sim_fault_name(f),
				sim_fault_name(c->want), c->rule);
		}
		ASSERT_EQ(f, c->want);
		/* No FEAT_HAFDBS: the walk never writes a descriptor. */
		ASSERT_EQ(*leaf, before);
		if (f == SIM_OK) {
			ASSERT_EQ(pa_addr(t.pa), PAGE_PA + 0x123);
			ASSERT_EQ(t.page_va, va);
			ASSERT_EQ(t.page_size, PAGE_SIZE);
			ASSERT_EQ(t.user, (c->flags & U) != 0);
			ASSERT_FALSE(t.global);
		}
	}
}

/*
 * A TLB hit must answer like a walk for every access in the same
 * privilege, PAN on or off (PAN is PSTATE, never cached).
 */
TEST(mmu_aarch64, tlb_check_agrees_with_walk)
{
	for (unsigned int ci = 0; ci < ARRAY_SIZE(perm_cases); ci++) {
		const struct perm_case *c = &perm_cases[ci];
		struct sim_mode m = mode_of(c->who);
		struct sim_translation t;
		uint64_t va;

		if (c->want != SIM_OK) {
			continue;
		}
		build_case(c, &va);
		ASSERT_EQ(hw->walk(hw, b.root, va, c->kind, &m, &t), SIM_OK);
		for (int w = EL1; w <= EL0; w++) {
			struct sim_mode m2 = mode_of((enum who)w);

			if (m2.user != m.user) {
				continue;
			}
			for (int k = SIM_READ; k <= SIM_EXEC; k++) {
				enum sim_access kind = (enum sim_access)k;

				ASSERT_EQ(hw->check(&t, kind, &m2),
					  hw->walk(hw, b.root, va, kind, &m2,
						   NULL));
			}
		}
	}
}

/*
 * D5.3.1 / D8.3: a block's output address gives the top bits, the VA the
 * rest (the pseudocode's desc<47:addrselectbottom>:inputaddr<...:0>).
 */
TEST(mmu_aarch64, blocks_translate_offsets)
{
	static const struct {
		bool user;
		pt_level_t level;
		uint64_t va, pa, off;
	} cases[] = {
		{ true, 1, UINT64_C(0x7000), UINT64_C(0x5000), 0xabc },
		{ true, 2, UINT64_C(0x40200000), UINT64_C(0x600000),
		  UINT64_C(0x12345) },
		{ false, 2, UINT64_C(0xffffffffffe00000), UINT64_C(0x800000),
		  UINT64_C(0x1fffff) },
		{ true, 3, UINT64_C(0x8000000000), 0, UINT64_C(0x23456789) },
		{ false, 3, UINT64_C(0xffff800040000000),
		  UINT64_C(0xffffc0000000), UINT64_C(0x3fffffff) },
	};
	struct sim_mode el1 = mode_of(EL1);

	for (unsigned int ci = 0; ci < ARRAY_SIZE(cases); ci++) {
		const struct pt_config *cfg = cases[ci].user
						      ? &aarch64_user_config
						      : &aarch64_kernel_config;
		const pt_level_t level = cases[ci].level;
		struct sim_translation t;
		paddr_t root = new_table(cfg);

		pt_builder_map(&b, cases[ci].va, cases[ci].pa, level,
			       P(R | W | A | PT_GLOBAL));
		ASSERT_EQ(hw->walk(hw, root, cases[ci].va + cases[ci].off,
				   SIM_WRITE, &el1, &t),
			  SIM_OK);
		ASSERT_EQ(pa_addr(t.pa), cases[ci].pa + cases[ci].off);
		ASSERT_EQ(t.page_va, cases[ci].va);
		ASSERT_EQ(t.page_size, pt_page_size(level));
		ASSERT_EQ(pa_addr(t.page_pa), cases[ci].pa);
		ASSERT_TRUE(t.global);
		ASSERT_TRUE(t.writable);
		ASSERT_FALSE(t.executable);
	}
}

/*
 * Encodings the codec never makes, stored raw. A block below its size's
 * alignment has RES0 bits set; 0b01 at Arm level 3 is "Reserved, invalid"
 * (D5.3.2) and at Arm level 0 a block the 4 KiB granule lacks (D5.3.1).
 * The hardware Translation faults on the last two; the codec calls them
 * absent, and the simulator reports them as reserved.
 */
TEST(mmu_aarch64, reserved_encodings)
{
	const struct pt_config *cfg = &aarch64_user_config;
	const uint64_t va = UINT64_C(0x40200000);
	const pte_t attrs = AARCH64_PTE_AF | AARCH64_PTE_SH_INNER;
	struct sim_mode el1 = mode_of(EL1);
	struct pt_prop rw = { R | W | A, PT_CACHE_WRITEBACK };
	paddr_t root = new_table(cfg);

	/* A 2 MiB block at a 4 KiB-aligned address: refused, then faults. */
	ASSERT_EQ(pt_config_leaf_ok(cfg, pa_init(0x601000), 2, rw),
		  OSTD_EUNALIGNED);
	pte_t *slot = pt_builder_put(&b, va, 2,
				     AARCH64_PTE_TYPE_BLOCK | attrs | 0x601000);

	ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &el1, NULL),
		  SIM_FAULT_RESERVED);
	*slot = AARCH64_PTE_TYPE_BLOCK | attrs | 0x600000;
	ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &el1, NULL), SIM_OK);
	/* RES0 bits 51:48 of a leaf, then of a table. */
	*slot |= 1ULL << 48;
	ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &el1, NULL),
		  SIM_FAULT_RESERVED);
	*slot &= ~(1ULL << 48);
	pte_t *top = pt_builder_slot(&b, va, 4);

	*top |= 1ULL << 51;
	ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &el1, NULL),
		  SIM_FAULT_RESERVED);
	*top &= ~(1ULL << 51);

	/* 0b01 at OSTD level 1 (Arm level 3), in a table where the block was. */
	*slot = 0;
	slot = pt_builder_put(&b, va, 1,
			      AARCH64_PTE_TYPE_BLOCK | attrs | 0x5000);
	ASSERT_EQ(cfg->classify(cfg, *slot, 1), PT_ENTRY_ABSENT);
	ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &el1, NULL),
		  SIM_FAULT_RESERVED);

	/* 0b01 at OSTD level 4 (Arm level 0). */
	*top = AARCH64_PTE_TYPE_BLOCK | attrs;
	ASSERT_EQ(cfg->classify(cfg, *top, 4), PT_ENTRY_ABSENT);
	ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &el1, NULL),
		  SIM_FAULT_RESERVED);
	/* And bit 0 clear is plain absent, whatever else is set. */
	*top = ~AARCH64_PTE_VALID;
	ASSERT_EQ(cfg->classify(cfg, *top, 4), PT_ENTRY_ABSENT);
	ASSERT_EQ(hw->walk(hw, root, va, SIM_READ, &el1, NULL),
		  SIM_FAULT_NOT_PRESENT);
}

/*
 * Rules the codec's own pages never exercise, on raw descriptors
 * ("Access permissions for instruction execution"): an EL0-writable page
 * is PXN whatever its PXN bit says, an EL0-read-only page is not, and EL0
 * may execute a page it cannot read (AP[1] = 0, UXN = 0).
 */
TEST(mmu_aarch64, raw_execute_rules)
{
	const struct pt_config *cfg = &aarch64_user_config;
	const pte_t page = AARCH64_PTE_TYPE_PAGE | AARCH64_PTE_AF |
			   AARCH64_PTE_SH_INNER | PAGE_PA;
	struct sim_mode el0 = mode_of(EL0);
	struct sim_mode el1 = mode_of(EL1);
	paddr_t root = new_table(cfg);

	/* AP[2:1] = 0b01, PXN = 0: implicitly PXN. */
	pte_t *slot = pt_builder_put(&b, USER_VA, 1, page | AARCH64_PTE_AP_EL0);

	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_EXEC, &el1, NULL),
		  SIM_FAULT_PERMISSION);
	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_EXEC, &el0, NULL), SIM_OK);
	/* AP[2:1] = 0b11, PXN = 0: EL1 may execute it. */
	*slot = page | AARCH64_PTE_AP_EL0 | AARCH64_PTE_AP_RO;
	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_EXEC, &el1, NULL), SIM_OK);
	/* AP[2:1] = 0b00, UXN = 0: execute-only for EL0. */
	*slot = page;
	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_EXEC, &el0, NULL), SIM_OK);
	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_READ, &el0, NULL),
		  SIM_FAULT_PERMISSION);
}

/*
 * The limits in table descriptors only take rights away from what is
 * below ("Hierarchical control of data access permissions", "Hierarchical
 * control of instruction fetching"). The codec writes them as 0.
 */
TEST(mmu_aarch64, table_limits)
{
	static const struct {
		pte_t limit;
		uint32_t flags;
		enum who who;
		enum sim_access kind;
		enum sim_fault without, with;
	} cases[] = {
		{ AARCH64_PTE_AP_TABLE_NO_EL0, R | W | U | A, EL0, SIM_READ,
		  SIM_OK, SIM_FAULT_PERMISSION },
		/* No longer EL0-accessible, so PAN lets EL1 in. */
		{ AARCH64_PTE_AP_TABLE_NO_EL0, R | W | U | A, EL1_PAN, SIM_READ,
		  SIM_FAULT_PERMISSION, SIM_OK },
		{ AARCH64_PTE_AP_TABLE_RO, R | W | U | A, EL0, SIM_WRITE,
		  SIM_OK, SIM_FAULT_PERMISSION },
		{ AARCH64_PTE_AP_TABLE_RO, R | W | A, EL1, SIM_WRITE, SIM_OK,
		  SIM_FAULT_PERMISSION },
		{ AARCH64_PTE_UXN_TABLE, R | X | U | A, EL0, SIM_EXEC, SIM_OK,
		  SIM_FAULT_PERMISSION },
		{ AARCH64_PTE_PXN_TABLE, R | X | A, EL1, SIM_EXEC, SIM_OK,
		  SIM_FAULT_PERMISSION },
	};

	for (unsigned int ci = 0; ci < ARRAY_SIZE(cases); ci++) {
		struct perm_case c = { .flags = cases[ci].flags };
		struct sim_mode m = mode_of(cases[ci].who);
		uint64_t va;

		build_case(&c, &va);
		ASSERT_EQ(hw->walk(hw, b.root, va, cases[ci].kind, &m, NULL),
			  cases[ci].without);
		/* On the Arm level 1 table entry, two levels above. */
		pte_t *slot = pt_builder_slot(&b, va, 3);

		ASSERT_EQ(b.cfg->classify(b.cfg, *slot, 3), PT_ENTRY_TABLE);
		*slot |= cases[ci].limit;
		ASSERT_EQ(hw->walk(hw, b.root, va, cases[ci].kind, &m, NULL),
			  cases[ci].with);
	}
}

/*
 * "Selection between TTBR0 and TTBR1" with TnSZ = 16 and TBI off: VA[63:48]
 * must be all 0 or all 1, else a level 0 Translation fault.
 */
TEST(mmu_aarch64, va_range)
{
	static const uint64_t bad[] = {
		UINT64_C(0x0001000000000000), UINT64_C(0x00ff000000001000),
		UINT64_C(0x8000000000000000), UINT64_C(0xfffeffffffffffff),
		UINT64_C(0x7fff800000000000),
	};
	struct sim_mode el1 = mode_of(EL1);
	struct sim_translation t;
	paddr_t root = new_table(&aarch64_kernel_config);

	pt_builder_map(&b, UINT64_C(0xffff800000000000), 0x5000, 1, P(R | A));
	/* The user half, in the same table. */
	pt_builder_use(&b, &aarch64_user_config);
	pt_builder_map(&b, 0, 0x6000, 1, P(R | A));
	ASSERT_EQ(hw->walk(hw, root, UINT64_C(0xffff800000000008), SIM_READ,
			   &el1, &t),
		  SIM_OK);
	ASSERT_EQ(pa_addr(t.pa), 0x5008);
	ASSERT_EQ(hw->walk(hw, root, 8, SIM_READ, &el1, &t), SIM_OK);
	ASSERT_EQ(pa_addr(t.pa), 0x6008);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(hw->walk(hw, root, bad[i], SIM_READ, &el1, NULL),
			  SIM_FAULT_NON_CANONICAL);
	}
	/*
	 * With TnSZ = 17 each TTBR covers 2^47 bytes: the first address
	 * above the user half and the last below the kernel half take a
	 * Translation fault, as on x86_64 and Sv48 (no alias of the kernel's
	 * root entries through TTBR0).
	 */
	ASSERT_EQ(hw->walk(hw, root, UINT64_C(0x0000800000000000), SIM_READ,
			   &el1, &t),
		  SIM_FAULT_NON_CANONICAL);
	ASSERT_EQ(hw->walk(hw, root, UINT64_C(0xffff000000000008), SIM_READ,
			   &el1, &t),
		  SIM_FAULT_NON_CANONICAL);
}

/*
 * Nothing the hardware touches but the walk's reads: AF is never set
 * (HA = 0), the software dirty bit is the core's, and a table that points
 * outside memory is an External abort on the walk.
 */
TEST(mmu_aarch64, no_hardware_updates_and_bus_errors)
{
	const struct pt_config *cfg = &aarch64_user_config;
	struct sim_mode el0 = mode_of(EL0);
	struct sim_translation t;
	paddr_t root = new_table(cfg);

	pt_builder_map(&b, USER_VA, PAGE_PA, 1, P(R | W | U));
	pte_t *leaf = pt_builder_slot(&b, USER_VA, 1);

	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_WRITE, &el0, &t),
		  SIM_FAULT_ACCESS_FLAG);
	ASSERT_EQ(*leaf & AARCH64_PTE_AF, 0);
	/* Software sets AF (and D, if it tracks it); the walk goes through. */
	struct pt_prop p = cfg->prop(cfg, *leaf, 1);

	ASSERT_EQ(p.flags & (A | PT_DIRTY), 0);
	p.flags |= A;
	ASSERT_EQ(pt_config_new_page(cfg, pa_init(PAGE_PA), 1, p, leaf),
		  OSTD_OK);
	pte_t before = *leaf;

	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_WRITE, &el0, &t), SIM_OK);
	ASSERT_EQ(*leaf, before);
	ASSERT_EQ(cfg->prop(cfg, *leaf, 1).flags & PT_DIRTY, 0);
	/* No dirty state for a TLB to set, so no walk before a write. */
	ASSERT_TRUE(t.dirty);

	/* The level 2 table entry now points past the end of memory. */
	pte_t *slot = pt_builder_slot(&b, USER_VA, 2);

	*slot = cfg->new_pt(cfg, pa_init(sim_phys_size()), 2);
	ASSERT_EQ(hw->walk(hw, root, USER_VA, SIM_READ, &el0, &t),
		  SIM_FAULT_BUS);
	ASSERT_EQ(hw->walk(hw, pa_init(sim_phys_size()), USER_VA, SIM_READ,
			   &el0, &t),
		  SIM_FAULT_BUS);
}

/*
 * The cache policies pick the MAIR bytes the port programs, with Inner
 * Shareable SH ("Memory region attributes", MAIR_EL1 encodings).
 */
TEST(mmu_aarch64, cache_policy_selects_mair_attr)
{
	static const uint64_t want[PT_CACHE_COUNT] = {
		[PT_CACHE_WRITEBACK] = 0xff,
		[PT_CACHE_WRITETHROUGH] = 0xbb,
		[PT_CACHE_WRITECOMBINE] = 0x44,
		[PT_CACHE_UNCACHED] = 0x00,
	};
	const struct pt_config *cfg = &aarch64_kernel_config;

	ASSERT_EQ(AARCH64_MAIR_VALUE, UINT64_C(0x44bbff));
	for (int c = 0; c < PT_CACHE_COUNT; c++) {
		struct pt_prop p = { R | W | A, (enum pt_cache)c };
		pte_t pte = 0;

		ASSERT_EQ(pt_config_new_page(cfg, pa_init(PAGE_PA), 1, p, &pte),
			  OSTD_OK);
		uint64_t idx = (pte & AARCH64_PTE_ATTRINDX_MASK) >>
			       AARCH64_PTE_ATTRINDX_SHIFT;

		ASSERT_EQ((AARCH64_MAIR_VALUE >> (8 * idx)) & 0xff, want[c]);
		ASSERT_EQ(pte & AARCH64_PTE_SH_MASK, AARCH64_PTE_SH_INNER);
		ASSERT_EQ(pte & AARCH64_PTE_NS, 0);
	}
}
