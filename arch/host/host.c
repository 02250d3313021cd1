// SPDX-License-Identifier: MPL-2.0
/*
 * The host backend's "machine": a process. Its console is stdout, its exit
 * device is exit(), and it "boots" by describing itself in a boot info and
 * calling ostd_boot() like every real port does. Its physical memory is
 * the simulated arena of sim.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/host/sim.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/pt_config.h"

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

extern const struct pt_config x86_64_user_config;
extern const struct pt_config x86_64_kernel_config;
extern const struct pt_config riscv_sv48_user_config;
extern const struct pt_config riscv_sv48_kernel_config;
extern const struct pt_config riscv_sv39_user_config;
extern const struct pt_config riscv_sv39_kernel_config;
extern const struct pt_config aarch64_user_config;
extern const struct pt_config aarch64_kernel_config;
extern const struct pt_config host_hostile_user_config;
extern const struct pt_config host_hostile_kernel_config;

/* The host's own format is the hostile one: it forgives nothing. */
const struct pt_config *arch_pt_config_user(void)
{
	return &host_hostile_user_config;
}

const struct pt_config *arch_pt_config_kernel(void)
{
	return &host_hostile_kernel_config;
}

const struct pt_config *const *arch_pt_configs_for_tests(unsigned int *count)
{
	/* Every format the framework has, user and kernel halves. */
	static const struct pt_config *const configs[] = {
		&x86_64_user_config,       &x86_64_kernel_config,
		&riscv_sv48_user_config,   &riscv_sv48_kernel_config,
		&riscv_sv39_user_config,   &riscv_sv39_kernel_config,
		&aarch64_user_config,      &aarch64_kernel_config,
		&host_hostile_user_config, &host_hostile_kernel_config,
	};

	*count = sizeof(configs) / sizeof(configs[0]);
	return configs;
}

int main(void)
{
	static struct ostd_boot_info info = {
		.arch = CONFIG_ARCH,
		.board = CONFIG_BOARD,
		.boot_protocol = "host",
		.entry_mode = "user process",
	};

	sim_init(HOST_MEM_BYTES);
	if (ostd_boot_info_add_mem(&info, pa_init(0), HOST_MEM_BYTES,
				   OSTD_MEM_USABLE) != OSTD_OK ||
	    ostd_boot_info_add_mem(&info, pa_init(SIM_SCRATCH_BASE),
				   SIM_SCRATCH_SIZE,
				   OSTD_MEM_RESERVED) != OSTD_OK) {
		fprintf(stderr, "host: cannot describe memory\n");
		return 1;
	}
	ostd_boot(&info);
}

/* The host process has no interrupts: tests that need ticks run in QEMU. */
void plat_timer_init(void)
{
}

void plat_irq_handle(unsigned int irq)
{
	(void)irq;
}
