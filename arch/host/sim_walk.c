// SPDX-License-Identifier: MPL-2.0
/*
 * The walk-until-stable loop the software MMUs share. Apart from sim.c so
 * that the kernel test images can link the software MMU of their own
 * format (sim_mmu_<format>.c) and compare it with the real one.
 */

#include "ostd/host/sim.h"

enum sim_fault sim_walk_until_stable(sim_walk_once_fn once, paddr_t root,
				     uint64_t va, enum sim_access kind,
				     const struct sim_mode *mode,
				     struct sim_translation *out)
{
	for (;;) {
		bool again = false;
		enum sim_fault f = once(root, va, kind, mode, out, &again);

		if (!again) {
			return f;
		}
	}
}
