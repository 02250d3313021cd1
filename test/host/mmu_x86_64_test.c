// SPDX-License-Identifier: MPL-2.0
/*
 * Host only (the software MMU exists only on the host): tables built by
 * hand with the x86_64 codec, walked by the software MMU written from the
 * Intel SDM. Each row names the rule it checks. The software TLB's
 * behaviour (a missing flush is observable) is checked here too, on the
 * x86_64 hardware model.
 */

#include "ostd/arch/x86_64_pte.h"

#include "ostd/host/sim.h"
#include "ostd/string.h"
#include "ostd/test.h"

#include "pt_builder.h"

extern const struct pt_config x86_64_user_config;

/* This file's window of scratch memory: [20 MiB, 21 MiB). */
#define X86_WINDOW PT_BUILDER_WINDOW(4)

static struct pt_builder b;

#define DATA(n) pt_builder_data(&b, (n))

#define P(f) ((struct pt_prop){ .flags = (f), .cache = PT_CACHE_WRITEBACK })
#define R PROT_R
#define W PROT_W
#define X PROT_X
#define U PROT_USER

/* Virtual addresses of the pages used below, one per property. */
enum {
	VA_KERNEL_RW = 0x100000,
	VA_KERNEL_RO = 0x101000,
	VA_KERNEL_RX = 0x102000,
	VA_USER_RW = 0x103000,
	VA_USER_RO = 0x104000,
	VA_USER_RX = 0x105000,
};

struct row {
	const char *rule;
	uint64_t va;
	bool user;
	bool wp, smep, smap, ac;
	enum sim_access kind;
	enum sim_fault want;
};

static const struct row rows[] = {
	/* SDM 4.6.1: user-mode accesses need U/S = 1 in every entry. */
	{ "user read of a supervisor page", VA_KERNEL_RW, true, 1, 1, 1, 0,
	  SIM_READ, SIM_FAULT_PERMISSION },
	{ "user read of a user page", VA_USER_RO, true, 1, 1, 1, 0, SIM_READ,
	  SIM_OK },
	/* 4.6.1: user writes need R/W = 1 in every entry. */
	{ "user write to a read-only page", VA_USER_RO, true, 1, 1, 1, 0,
	  SIM_WRITE, SIM_FAULT_PERMISSION },
	{ "user write to a writable page", VA_USER_RW, true, 1, 1, 1, 0,
	  SIM_WRITE, SIM_OK },
	/* 4.6.1: CR0.WP = 1 stops supervisor writes to read-only pages. */
	{ "supervisor write to read-only, WP=1", VA_KERNEL_RO, false, 1, 1, 1,
	  0, SIM_WRITE, SIM_FAULT_PERMISSION },
	{ "supervisor write to read-only, WP=0", VA_KERNEL_RO, false, 0, 1, 1,
	  0, SIM_WRITE, SIM_OK },
	/* 4.6.1: SMAP stops supervisor data access to user pages, not AC. */
	{ "supervisor read of user page, SMAP", VA_USER_RW, false, 1, 1, 1, 0,
	  SIM_READ, SIM_FAULT_PERMISSION },
	{ "supervisor read of user page, SMAP, AC=1", VA_USER_RW, false, 1, 1,
	  1, 1, SIM_READ, SIM_OK },
	{ "supervisor write to user page, SMAP", VA_USER_RW, false, 1, 1, 1, 0,
	  SIM_WRITE, SIM_FAULT_PERMISSION },
	{ "supervisor read of user page, no SMAP", VA_USER_RW, false, 1, 1, 0,
	  0, SIM_READ, SIM_OK },
	/* 4.6.1: SMEP stops supervisor fetches from user pages. */
	{ "supervisor exec of user page, SMEP", VA_USER_RX, false, 1, 1, 1, 0,
	  SIM_EXEC, SIM_FAULT_PERMISSION },
	{ "supervisor exec of user page, no SMEP", VA_USER_RX, false, 1, 0, 1,
	  0, SIM_EXEC, SIM_OK },
	/* 4.6.2: with EFER.NXE, XD = 1 forbids fetches. */
	{ "user exec of an XD page", VA_USER_RW, true, 1, 1, 1, 0, SIM_EXEC,
	  SIM_FAULT_PERMISSION },
	{ "user exec of an executable page", VA_USER_RX, true, 1, 1, 1, 0,
	  SIM_EXEC, SIM_OK },
	{ "supervisor exec of a kernel RX page", VA_KERNEL_RX, false, 1, 1, 1,
	  0, SIM_EXEC, SIM_OK },
	{ "supervisor exec of an XD kernel page", VA_KERNEL_RW, false, 1, 1, 1,
	  0, SIM_EXEC, SIM_FAULT_PERMISSION },
	/* 4.5.4: P = 0 anywhere on the way is a not-present fault. */
	{ "read of an unmapped page", 0x200000, false, 1, 1, 1, 0, SIM_READ,
	  SIM_FAULT_NOT_PRESENT },
	/* 3.3.7.1: bits 63:47 must match, else #GP. */
	{ "non-canonical address", 0x0000800000000000ULL, false, 1, 1, 1, 0,
	  SIM_READ, SIM_FAULT_NON_CANONICAL },
};

static paddr_t build(void)
{
	pt_builder_init(&b, &x86_64_user_config, X86_WINDOW);

	pt_builder_map(&b, VA_KERNEL_RW, DATA(0), 1, P(R | W));
	pt_builder_map(&b, VA_KERNEL_RO, DATA(1), 1, P(R));
	pt_builder_map(&b, VA_KERNEL_RX, DATA(2), 1, P(R | X));
	pt_builder_map(&b, VA_USER_RW, DATA(3), 1, P(R | W | U));
	pt_builder_map(&b, VA_USER_RO, DATA(4), 1, P(R | U));
	pt_builder_map(&b, VA_USER_RX, DATA(5), 1, P(R | X | U));
	return b.root;
}

TEST(mmu_x86_64, access_rights_follow_the_sdm)
{
	paddr_t root = build();

	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct sim_mode m = { .user = r->user,
				      .wp = r->wp,
				      .smep = r->smep,
				      .smap = r->smap,
				      .ac = r->ac,
				      .nxe = true };
		struct sim_translation t;
		enum sim_fault f = sim_mmu_x86_64.walk(&sim_mmu_x86_64, root,
						       r->va, r->kind, &m, &t);

		if (f != r->want) {
			print_message("row %u (%s): got %s, want %s\n", i,
				      r->rule, sim_fault_name(f),
				      sim_fault_name(r->want));
		}
		ASSERT_EQ(f, r->want);
	}
}

TEST(mmu_x86_64, xd_is_reserved_without_nxe)
{
	paddr_t root = build();
	struct sim_mode m = { .wp = true, .nxe = false };
	struct sim_translation t;

	/* 4.6.2: XD = 1 with EFER.NXE = 0 is a reserved-bit violation. */
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, VA_KERNEL_RW,
				      SIM_READ, &m, &t),
		  SIM_FAULT_RESERVED);
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, VA_KERNEL_RX,
				      SIM_READ, &m, &t),
		  SIM_OK);
}

TEST(mmu_x86_64, huge_pages_translate_offsets)
{
	pt_builder_init(&b, &x86_64_user_config, X86_WINDOW);
	paddr_t root = b.root;
	struct sim_mode m = { .wp = true, .nxe = true };
	struct sim_translation t;

	/* 4.5.4: a PDE with PS maps 2 MiB, a PDPTE with PS maps 1 GiB. */
	pt_builder_map(&b, 0x40000000, 0x200000, 2, P(R | W));
	pt_builder_map(&b, 0x80000000, 0x40000000, 3, P(R));
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, 0x40123456,
				      SIM_WRITE, &m, &t),
		  SIM_OK);
	ASSERT_EQ(pa_addr(t.pa), 0x200000 + 0x123456);
	ASSERT_EQ(t.page_size, 2ULL << 20);
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, 0xbfffffff,
				      SIM_READ, &m, &t),
		  SIM_OK);
	ASSERT_EQ(pa_addr(t.pa), 0x7fffffff);
	ASSERT_EQ(t.page_size, 1ULL << 30);
	/* The rest of the 1 GiB slot above it is unmapped. */
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, 0xc0000000,
				      SIM_READ, &m, &t),
		  SIM_FAULT_NOT_PRESENT);
}

TEST(mmu_x86_64, accessed_and_dirty_only_on_permitted_access)
{
	const struct pt_config *cfg = &x86_64_user_config;
	paddr_t root = build();
	struct sim_mode user = { .user = true, .wp = true, .nxe = true };
	struct sim_translation t;
	pte_t *ro = pt_builder_slot(&b, VA_USER_RO, 1);
	pte_t *rw = pt_builder_slot(&b, VA_USER_RW, 1);

	/* 4.8: a refused write sets nothing; reads set A; writes set D. */
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, VA_USER_RO,
				      SIM_WRITE, &user, &t),
		  SIM_FAULT_PERMISSION);
	ASSERT_EQ(*ro & (X86_PTE_A | X86_PTE_D), 0);
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, VA_USER_RO,
				      SIM_READ, &user, &t),
		  SIM_OK);
	ASSERT_EQ(*ro & (X86_PTE_A | X86_PTE_D), X86_PTE_A);
	ASSERT_EQ(sim_mmu_x86_64.walk(&sim_mmu_x86_64, root, VA_USER_RW,
				      SIM_WRITE, &user, &t),
		  SIM_OK);
	ASSERT_EQ(*rw & (X86_PTE_A | X86_PTE_D), X86_PTE_A | X86_PTE_D);
	/* The codec reads back what the hardware set. */
	ASSERT_EQ(cfg->prop(cfg, *rw, 1).flags & (PT_ACCESSED | PT_DIRTY),
		  PT_ACCESSED | PT_DIRTY);
}

TEST(sim_tlb, a_missing_flush_is_observable)
{
	const struct pt_config *cfg = &x86_64_user_config;
	paddr_t root = build();
	struct sim_cpu *cpu = sim_cpu(1);
	struct sim_translation t;

	sim_tlb_flush_all(cpu, true);
	cpu->mode = (struct sim_mode){ .wp = true, .nxe = true };
	sim_cpu_set_root(cpu, &sim_mmu_x86_64, root, 0);
	ASSERT_EQ(sim_cpu_translate(cpu, VA_KERNEL_RW, SIM_READ, &t), SIM_OK);
	ASSERT_EQ(pa_addr(t.pa), DATA(0));
	ASSERT_TRUE(sim_tlb_caches_pa(cpu, pa_init(DATA(0)), PAGE_SIZE));

	/* Remap without a flush: the CPU keeps using the old frame. */
	pte_t *e = pt_builder_slot(&b, VA_KERNEL_RW, 1);

	ASSERT_EQ(pt_config_new_page(cfg, pa_init(DATA(16)), 1, P(R | W), e),
		  OSTD_OK);
	ASSERT_EQ(sim_cpu_translate(cpu, VA_KERNEL_RW, SIM_READ, &t), SIM_OK);
	ASSERT_EQ(pa_addr(t.pa), DATA(0));
	/* Unmapping without a flush does not stop it either. */
	*e = 0;
	ASSERT_EQ(sim_cpu_translate(cpu, VA_KERNEL_RW, SIM_READ, &t), SIM_OK);

	sim_tlb_flush_page(cpu, VA_KERNEL_RW);
	ASSERT_FALSE(sim_tlb_caches_pa(cpu, pa_init(DATA(0)), PAGE_SIZE));
	ASSERT_EQ(sim_cpu_translate(cpu, VA_KERNEL_RW, SIM_READ, &t),
		  SIM_FAULT_NOT_PRESENT);
}

TEST(sim_tlb, global_entries_and_asids)
{
	pt_builder_init(&b, &x86_64_user_config, X86_WINDOW);
	paddr_t root = b.root;
	struct sim_cpu *cpu = sim_cpu(2);
	struct sim_translation t;

	pt_builder_map(&b, 0x1000, DATA(17), 1, P(R | PT_GLOBAL));
	pt_builder_map(&b, 0x2000, DATA(18), 1, P(R));
	sim_tlb_flush_all(cpu, true);
	cpu->mode = (struct sim_mode){ .wp = true, .nxe = true };
	sim_cpu_set_root(cpu, &sim_mmu_x86_64, root, 1);
	ASSERT_EQ(sim_cpu_translate(cpu, 0x1000, SIM_READ, &t), SIM_OK);
	ASSERT_EQ(sim_cpu_translate(cpu, 0x2000, SIM_READ, &t), SIM_OK);

	/* 4.10.2.4: global entries survive a non-global flush. */
	sim_tlb_flush_all(cpu, false);
	ASSERT_TRUE(sim_tlb_caches_pa(cpu, pa_init(DATA(17)), PAGE_SIZE));
	ASSERT_FALSE(sim_tlb_caches_pa(cpu, pa_init(DATA(18)), PAGE_SIZE));

	/* Entries of another ASID are not used, but stay cached. */
	ASSERT_EQ(sim_cpu_translate(cpu, 0x2000, SIM_READ, &t), SIM_OK);
	sim_cpu_set_root(cpu, &sim_mmu_x86_64, pa_init(DATA(100)), 2);
	memset(sim_phys_ptr(pa_init(DATA(100)), PAGE_SIZE), 0, PAGE_SIZE);
	ASSERT_EQ(sim_cpu_translate(cpu, 0x2000, SIM_READ, &t),
		  SIM_FAULT_NOT_PRESENT);
	ASSERT_EQ(sim_cpu_translate(cpu, 0x1000, SIM_READ, &t), SIM_OK);
	ASSERT_TRUE(sim_tlb_caches_pa(cpu, pa_init(DATA(18)), PAGE_SIZE));
	sim_tlb_flush_asid(cpu, 1);
	ASSERT_FALSE(sim_tlb_caches_pa(cpu, pa_init(DATA(18)), PAGE_SIZE));
	sim_tlb_flush_all(cpu, true);
	ASSERT_FALSE(sim_tlb_caches_pa(cpu, pa_init(DATA(17)), PAGE_SIZE));
}

TEST(sim_tlb, hits_are_checked_against_cached_rights)
{
	paddr_t root = build();
	struct sim_cpu *cpu = sim_cpu(3);
	struct sim_translation t;

	sim_tlb_flush_all(cpu, true);
	cpu->mode = (struct sim_mode){ .user = true, .wp = true, .nxe = true };
	sim_cpu_set_root(cpu, &sim_mmu_x86_64, root, 0);
	ASSERT_EQ(sim_cpu_translate(cpu, VA_USER_RO, SIM_READ, &t), SIM_OK);
	uint64_t misses = cpu->tlb_misses;

	ASSERT_EQ(sim_cpu_translate(cpu, VA_USER_RO, SIM_READ, &t), SIM_OK);
	ASSERT_EQ(cpu->tlb_misses, misses);
	/* A write through the cached read-only entry still faults. */
	ASSERT_EQ(sim_cpu_translate(cpu, VA_USER_RO, SIM_WRITE, &t),
		  SIM_FAULT_PERMISSION);
	uint32_t v = 0xdeadbeef;

	ASSERT_EQ(sim_cpu_write(cpu, VA_USER_RW + 8, &v, 4), SIM_OK);
	v = 0;
	ASSERT_EQ(sim_cpu_read(cpu, VA_USER_RW + 8, &v, 4), SIM_OK);
	ASSERT_EQ(v, 0xdeadbeef);
	ASSERT_EQ(*(uint32_t *)sim_phys_ptr(pa_init(DATA(3) + 8), 4),
		  0xdeadbeef);
	sim_tlb_flush_all(cpu, true);
}
