// SPDX-License-Identifier: MPL-2.0
/*
 * Host only: the hostile format (ostd/host/hostile.h) exists only on the
 * host. Its "hardware" against its codec, and the property it exists for:
 * an entry read at the wrong level does not decode to the same mapping.
 */

#include "ostd/host/hostile.h"
#include "ostd/host/sim.h"
#include "ostd/test.h"

#include "pt_builder.h"

extern const struct pt_config host_hostile_user_config;

static struct pt_builder b;

#define P(f) ((struct pt_prop){ .flags = (f), .cache = PT_CACHE_WRITEBACK })

struct row {
	const char *rule;
	uint64_t va;
	bool user;
	enum sim_access kind;
	enum sim_fault want;
};

enum {
	VA_KERNEL = 0x10000,
	VA_USER_RO = 0x11000,
	VA_USER_RWX = 0x12000,
};

/* The rules are those stated in ostd/host/hostile.h. */
static const struct row rows[] = {
	{ "user read of a kernel page", VA_KERNEL, true, SIM_READ,
	  SIM_FAULT_PERMISSION },
	{ "kernel read of a kernel page", VA_KERNEL, false, SIM_READ, SIM_OK },
	{ "user write to a read-only page", VA_USER_RO, true, SIM_WRITE,
	  SIM_FAULT_PERMISSION },
	{ "kernel write to a read-only page", VA_USER_RO, false, SIM_WRITE,
	  SIM_FAULT_PERMISSION },
	{ "user exec of a non-X page", VA_USER_RO, true, SIM_EXEC,
	  SIM_FAULT_PERMISSION },
	{ "user exec of an X page", VA_USER_RWX, true, SIM_EXEC, SIM_OK },
	{ "kernel exec of a user page", VA_USER_RWX, false, SIM_EXEC,
	  SIM_FAULT_PERMISSION },
	{ "kernel write to a user page", VA_USER_RWX, false, SIM_WRITE,
	  SIM_OK },
	{ "unmapped", 0x400000, false, SIM_READ, SIM_FAULT_NOT_PRESENT },
	{ "non-canonical", 0x0001000000000000ULL, false, SIM_READ,
	  SIM_FAULT_NON_CANONICAL },
};

TEST(mmu_hostile, access_rules)
{
	pt_builder_init(&b, &host_hostile_user_config, PT_BUILDER_WINDOW(5));
	pt_builder_map(&b, VA_KERNEL, pt_builder_data(&b, 0), 1,
		       P(PROT_R | PROT_W | PROT_X));
	pt_builder_map(&b, VA_USER_RO, pt_builder_data(&b, 1), 1,
		       P(PROT_R | PROT_USER));
	pt_builder_map(&b, VA_USER_RWX, pt_builder_data(&b, 2), 1,
		       P(PROT_R | PROT_W | PROT_X | PROT_USER));
	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sim_mode m = { .user = rows[i].user };
		struct sim_translation t;
		enum sim_fault f =
			sim_mmu_hostile.walk(&sim_mmu_hostile, b.root,
					     rows[i].va, rows[i].kind, &m, &t);

		if (f != rows[i].want) {
			print_message("row %u (%s): got %s\n", i, rows[i].rule,
				      sim_fault_name(f));
		}
		ASSERT_EQ(f, rows[i].want);
	}
	/* A set reserved bit is refused. */
	pte_t *e = pt_builder_slot(&b, VA_KERNEL, 1);
	struct sim_mode k = { .user = false };
	struct sim_translation t;

	*e |= hostile_rotl(1ULL << 60, hostile_rot(1));
	ASSERT_EQ(sim_mmu_hostile.walk(&sim_mmu_hostile, b.root, VA_KERNEL,
				       SIM_READ, &k, &t),
		  SIM_FAULT_RESERVED);
}

TEST(mmu_hostile, an_entry_at_the_wrong_level_is_garbage)
{
	const struct pt_config *cfg = &host_hostile_user_config;
	struct pt_prop prop = P(PROT_R | PROT_W | PT_ACCESSED);

	for (pt_level_t made = 1; made <= cfg->highest_translation_level;
	     made++) {
		pte_t pte;
		paddr_t pa = pa_init(pt_page_size(3) * 5);

		ASSERT_EQ(pt_config_new_page(cfg, pa, made, prop, &pte),
			  OSTD_OK);
		for (pt_level_t read = 1; read <= cfg->nr_levels; read++) {
			if (read == made) {
				continue;
			}
			bool same = cfg->classify(cfg, pte, read) ==
					    PT_ENTRY_LEAF &&
				    pa_addr(cfg->paddr(cfg, pte, read)) ==
					    pa_addr(pa) &&
				    pt_prop_eq(cfg->prop(cfg, pte, read), prop);

			ASSERT_FALSE(same);
		}
	}
}
