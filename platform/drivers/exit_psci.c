// SPDX-License-Identifier: MPL-2.0
/*
 * PSCI SYSTEM_OFF (Arm Power State Coordination Interface, DEN 0022,
 * section "SYSTEM_OFF", function ID 0x84000008), called through hvc or smc
 * as the device tree's /psci "method" says, with the registers of the SMC
 * Calling Convention (DEN 0028, "SMC64/HVC64 argument passing"): x0 is the
 * function ID, x0-x3 the results, x4-x17 may be clobbered. QEMU's PSCI
 * emulation powers off and exits with 0.
 *
 * If the conduit does not exist (hvc without EL2, or with HCR_EL2.HCD set;
 * smc without EL3 or its emulation), the instruction is undefined: the
 * exception fixup (ostd/arch/aarch64.h) makes the call return instead.
 */

#include <stdint.h>

#include "ostd/arch/aarch64.h"

#include "ostd/drivers/exit.h"

#define PSCI_SYSTEM_OFF 0x84000008U

#define PSCI_CLOBBERS                                                       \
	"x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", \
		"x12", "x13", "x14", "x15", "x16", "x17", "memory"

void exit_psci_system_off(int use_hvc)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

	if (use_hvc) {
		__asm__ volatile("1:\thvc #0\n"
				 "2:\n" AARCH64_EXTABLE("1b", "2b")
				 : "+r"(x0)
				 :
				 : PSCI_CLOBBERS);
	} else {
		__asm__ volatile("1:\tsmc #0\n"
				 "2:\n" AARCH64_EXTABLE("1b", "2b")
				 : "+r"(x0)
				 :
				 : PSCI_CLOBBERS);
	}
}
