// SPDX-License-Identifier: MPL-2.0
/*
 * The exception table lookup. Entries come from arch assembly in link
 * order, unsorted; a table has a few dozen entries, so a linear scan is
 * cheaper than keeping it sorted. The host's user copies go through the
 * software MMU and never fault for real.
 */

#include "ostd/extable.h"

#include "ostd/compiler.h"

extern const struct extable_entry __start_ostd_extable[];
extern const struct extable_entry __stop_ostd_extable[];

/*
 * An image without fallible instructions (the host, a new port) still has
 * the section, so its bounds exist: one entry no pc can match, since the
 * lookup is only made for faulting pcs and 0 is never one.
 */
static const struct extable_entry none USED SECTION("ostd_extable") = { 0, 0 };

uintptr_t extable_fixup(uintptr_t pc)
{
	for (const struct extable_entry *e = __start_ostd_extable;
	     e < __stop_ostd_extable; e++) {
		if (e->fault_pc == pc && pc != 0) {
			return e->fixup_pc;
		}
	}
	return 0;
}
