// SPDX-License-Identifier: MPL-2.0
/*
 * The periodic tick on RISC-V: the SBI TIME extension's set_timer (SBI
 * Spec v1.0.0, chapter 6) programs the next deadline in `time` units and
 * clears the pending supervisor timer interrupt (sip.STIP, Privileged
 * Spec v1.12, 4.1.3); sie.STIE lets it through. Deadlines advance by a
 * fixed step from the previous one, so the tick rate does not drift with
 * interrupt latency. Each hart has its own timer (set_timer programs the
 * calling hart's), so each keeps its own deadline.
 */

#include "ostd/drivers/sbi_timer.h"

#include "ostd/arch/riscv64.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/timer.h"

/* Set once by the boot CPU before any other CPU starts. */
static uint64_t step;
/*
 * Indexed by arch_cpu_id(): only that CPU touches its slot, from its
 * timer interrupt or its own init, so the index cannot change under it.
 */
static uint64_t deadline[OSTD_MAX_CPUS];

/* The `time` CSR (Unprivileged Spec 20191213, 10.1 "Zicntr"). */
static uint64_t read_time(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static void set_timer(uint64_t when)
{
	struct riscv_sbiret r = riscv_sbi_call(
		RISCV_SBI_EXT_TIME, RISCV_SBI_TIME_SET_TIMER, when, 0);

	if (r.error != 0) {
		panic("SBI set_timer failed: error %ld", r.error);
	}
}

void sbi_timer_init(uint64_t timebase_hz)
{
	step = timebase_hz / OSTD_TICK_HZ;
	if (step == 0) {
		panic("timer: timebase of %llu Hz is below the tick rate",
		      (unsigned long long)timebase_hz);
	}
	sbi_timer_init_cpu();
}

void sbi_timer_init_cpu(void)
{
	CHECK(step != 0);
	uint64_t *d = &deadline[arch_cpu_id()];

	*d = read_time() + step;
	set_timer(*d);
	riscv_csr_set(sie, RISCV_SIE_STIE);
}

void sbi_timer_handle(void)
{
	uint64_t now = read_time();
	uint64_t *d = &deadline[arch_cpu_id()];

	*d += step;
	/* Missed ticks (a long masked section) are dropped, not replayed. */
	if (*d <= now) {
		*d = now + step;
	}
	set_timer(*d);
	ostd_timer_tick();
}
