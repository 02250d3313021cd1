// SPDX-License-Identifier: MPL-2.0
#include "pt_test_util.h"

#include "ostd/arch/mm.h"

#include "ostd/config.h"
#include "ostd/internal/page_table.h"
#include "ostd/vm_space.h"

#if CONFIG_ARCH_HOST
#include "ostd/host/sim.h"
#endif

const struct pt_prop prop_rw = {
	.flags = PROT_R | PROT_W,
	.cache = PT_CACHE_WRITEBACK,
};

const struct pt_prop prop_ro = {
	.flags = PROT_R,
	.cache = PT_CACHE_WRITEBACK,
};

const struct pt_config *pt_test_kernel_twin(const struct pt_config *user)
{
	return user->top_level_can_unmap ? user->twin : NULL;
}

const struct pt_config *pt_test_user_twin(const struct pt_config *kernel)
{
	return kernel->top_level_can_unmap ? NULL : kernel->twin;
}

ostd_err_t pt_test_new_table(const struct pt_config *cfg, struct page_table *pt)
{
	if (cfg->top_level_can_unmap) {
		return page_table_new_user(cfg, NULL, pt);
	}
	return page_table_new_kernel(cfg, pt);
}

uint64_t pt_test_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t pt_test_rng_below(uint64_t *s, uint64_t n)
{
	return pt_test_rng_next(s) % n;
}

bool pt_test_rng_pct(uint64_t *s, unsigned int pct)
{
	return pt_test_rng_below(s, 100) < pct;
}

ostd_err_t pt_test_kernel_parent(const struct pt_config *kcfg,
				 struct page_table *storage,
				 struct page_table **out, bool *owned)
{
	if (!IS_ENABLED(CONFIG_ARCH_HOST)) {
		struct page_table *kpt = vm_space_kernel_pt();

		if (kpt == NULL || kpt->cfg != kcfg) {
			return OSTD_EINVAL;
		}
		*out = kpt;
		*owned = false;
		return OSTD_OK;
	}
	ostd_err_t err = page_table_new_kernel(kcfg, storage);

	if (err == OSTD_OK) {
		*out = storage;
		*owned = true;
	}
	return err;
}

void pt_test_kernel_parent_release(struct page_table *pt, bool owned)
{
	if (owned) {
		page_table_destroy(pt);
	}
}

#if CONFIG_ARCH_HOST
void cpu_forget_root(void)
{
	struct sim_cpu *cpu = sim_cpu_current();

	sim_cpu_set_root(cpu, NULL, pa_init(0), 0);
	sim_tlb_flush_all(cpu, true);
}
#else
void cpu_forget_root(void)
{
}
#endif
