// SPDX-License-Identifier: MPL-2.0
/*
 * The host backend's "machine": a process. Its console is stdout, its exit
 * device is exit(), and it "boots" by describing itself in a boot info and
 * calling ostd_boot() like every real port does. The simulated physical
 * memory, software MMU and TLB join this backend later.
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ostd/arch/cpu.h"

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/plat.h"

/* The size of the host's simulated physical memory. */
#define HOST_MEM_BYTES (256ULL << 20)

void plat_console_init(const struct ostd_boot_info *info)
{
	(void)info;
	setvbuf(stdout, NULL, _IOLBF, 0);
}

void plat_console_putc(char c)
{
	/* The core adds '\r' before '\n' for serial lines; a pipe wants none. */
	if (c != '\r') {
		putchar(c);
	}
}

void plat_power_off(int status)
{
	fflush(stdout);
	exit(status);
}

void arch_halt(void)
{
	abort();
}

uintptr_t arch_unmapped_test_addr(void)
{
	/* A page the process reserves but may not touch. */
	static void *hole;

	if (hole == NULL) {
		hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (hole == MAP_FAILED) {
			abort();
		}
	}
	return (uintptr_t)hole;
}

int main(void)
{
	static struct ostd_boot_info info = {
		.arch = CONFIG_ARCH,
		.board = CONFIG_BOARD,
		.boot_protocol = "host",
		.entry_mode = "user process",
	};

	if (ostd_boot_info_add_mem(&info, pa_init(0), HOST_MEM_BYTES,
				   OSTD_MEM_USABLE) != OSTD_OK) {
		fprintf(stderr, "host: cannot describe memory\n");
		return 1;
	}
	ostd_boot(&info);
}
