// SPDX-License-Identifier: MPL-2.0
/*
 * The local APIC (Intel SDM vol 3A, chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)"; chapter 10 in editions before 2022): one
 * per CPU, reached through MMIO at IA32_APIC_BASE (xAPIC) or through MSRs
 * 800H-8FFH (x2APIC, 11.12), for
 *
 *   - virtual-wire mode on the boot CPU, where firmware did not set it up:
 *     the local APIC leaves reset software-disabled with every LVT entry
 *     masked (11.4.7.1), so the 8259's INTR reaches the CPU only once LINT0
 *     is ExtINT (MP spec 1.4, 3.6.2.2). SeaBIOS does it; QEMU microvm's
 *     firmware does not, and QEMU then drops every PIC interrupt
 *     (hw/intc/apic.c, apic_accept_pic_intr());
 *   - inter-processor interrupts and INIT/STARTUP through the ICR (11.6);
 *   - the secondary CPUs' tick: the APIC timer in periodic mode (11.5.4),
 *     calibrated against the boot CPU's 8254 tick, which stays the one
 *     clock (core/timer.c).
 *
 * x2APIC where CPUID.01H:ECX[21] reports it (11.12.1), enabled on every
 * CPU (11.12.1: IA32_APIC_BASE EN and EXTD both set). Under QEMU 7.2's TCG
 * no CPU model has it, so the xAPIC path is the one the tests run.
 */

#include "ostd/drivers/lapic.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/x86_64.h"

#include "ostd/assert.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/kernel_map.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/timer.h"

/* 11.4.4 "Local APIC Status and Location": IA32_APIC_BASE (MSR 1BH). */
#define MSR_IA32_APIC_BASE 0x1bU
#define APIC_BASE_MASK (~0xfffULL)
#define APIC_BASE_EXTD (1ULL << 10) /* x2APIC mode (11.12.1, Fig. 11-26). */
#define APIC_BASE_EN (1ULL << 11)   /* xAPIC global enable. */
/* CPUID.01H:ECX[21]: x2APIC supported (vol 2A, CPUID, Table 3-10). */
#define CPUID_1_ECX_X2APIC (1U << 21)

/* xAPIC register offsets, Table 11-1 "Local APIC Register Address Map". */
#define APIC_ID 0x20
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ESR 0x280
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
/* x2APIC: MSR 800H + offset / 16 (11.12.1.2, Table 11-6). */
#define X2APIC_MSR_BASE 0x800U

#define SVR_ENABLE (1U << 8) /* 11.9: APIC software enable. */
/* 11.5.1, Figure 11-8 "Local Vector Table (LVT)". */
#define LVT_MASKED (1U << 16)
#define LVT_EXTINT (7U << 8)
#define LVT_NMI (4U << 8)
#define LVT_TIMER_PERIODIC (1U << 17)
/* 11.5.4, Figure 11-10: divide configuration 0011b = divide by 16. */
#define TIMER_DIV_16 0x3U

/* 11.6.1, Figure 11-12 "Interrupt Command Register (ICR)". */
#define ICR_FIXED (0U << 8)
#define ICR_INIT (5U << 8)
#define ICR_STARTUP (6U << 8)
#define ICR_DELIVERY_PENDING (1U << 12) /* xAPIC only; reserved in x2APIC. */
#define ICR_LEVEL_ASSERT (1U << 14)
#define ICR_XAPIC_DEST_SHIFT 56  /* ICR[63:56]: the 8-bit APIC id. */
#define ICR_X2APIC_DEST_SHIFT 32 /* ICR[63:32]: the 32-bit x2APIC id. */

/*
 * The calibration window, in boot-CPU ticks: long enough that the
 * one-tick uncertainty at each end costs under 10 % of the rate.
 */
#define CALIBRATE_TICKS 10U

static bool x2apic;
static volatile uint32_t *xapic;
/* APIC timer counts (divided by 16) per tick; 0 until calibrated. */
static _Atomic uint32_t timer_count_per_tick;

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic) {
		return (uint32_t)x86_64_rdmsr(X2APIC_MSR_BASE + (reg >> 4));
	}
	return xapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic) {
		x86_64_wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
		return;
	}
	xapic[reg / 4] = v;
}

/*
 * Puts this CPU's APIC in the mode the driver chose (x2APIC if the CPU has
 * it) and software-enables it. The first call, on the boot CPU, also
 * maps the xAPIC window; every CPU's APIC is at the same physical address
 * (the reset value of IA32_APIC_BASE, which nothing here moves).
 */
static void lapic_enable_here(void)
{
	uint64_t base = x86_64_rdmsr(MSR_IA32_APIC_BASE);

	if (xapic == NULL && !x2apic) {
		x2apic = (x86_64_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC) != 0;
		if (!x2apic) {
			xapic = kernel_map_device_or_panic(
				pa_init(base & APIC_BASE_MASK), 0x1000,
				"the local APIC");
		}
	}
	if (x2apic && (base & APIC_BASE_EXTD) == 0) {
		/* 11.12.5: xAPIC -> x2APIC is a valid transition. */
		x86_64_wrmsr(MSR_IA32_APIC_BASE,
			     base | APIC_BASE_EN | APIC_BASE_EXTD);
	}
	lapic_write(APIC_SVR, SVR_ENABLE | LAPIC_VECTOR_SPURIOUS);
}

void lapic_init_boot(bool virtual_wire)
{
	lapic_enable_here();
	if (virtual_wire) {
		lapic_write(APIC_LVT_LINT0, LVT_EXTINT);
		lapic_write(APIC_LVT_LINT1, LVT_NMI);
	}
}

uint32_t lapic_id(void)
{
	/* 11.4.6: xAPIC id in bits 31:24; 11.12.5.1: the whole x2APIC id. */
	uint32_t id = lapic_read(APIC_ID);

	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	/* 11.8.5: any write to EOI; x2APIC needs the value 0 (11.12.1.2). */
	lapic_write(APIC_EOI, 0);
}

/*
 * Writes the ICR (11.6.1). xAPIC: the destination half first, since the
 * write to the low half sends; wait for Delivery Status idle before and
 * after so no two sends overlap. x2APIC: one 64-bit MSR write (11.12.9)
 * that is not serializing, so an MFENCE first orders the caller's stores
 * before the IPI (11.12.3).
 */
static void icr_send(uint32_t dest, uint32_t lo)
{
	unsigned long flags = arch_irq_save();

	if (x2apic) {
		__asm__ volatile("mfence" : : : "memory");
		x86_64_wrmsr(X2APIC_MSR_BASE + (APIC_ICR_LO >> 4),
			     ((uint64_t)dest << ICR_X2APIC_DEST_SHIFT) | lo);
	} else {
		while ((xapic[APIC_ICR_LO / 4] & ICR_DELIVERY_PENDING) != 0) {
			arch_cpu_relax();
		}
		xapic[APIC_ICR_HI / 4] = dest << (ICR_XAPIC_DEST_SHIFT - 32);
		xapic[APIC_ICR_LO / 4] = lo;
		while ((xapic[APIC_ICR_LO / 4] & ICR_DELIVERY_PENDING) != 0) {
			arch_cpu_relax();
		}
	}
	arch_irq_restore(flags);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, ICR_FIXED | ICR_LEVEL_ASSERT | vector);
}

void lapic_send_init(uint32_t apic_id)
{
	/* 9.4.4.1 (8.4.4.1 before 2022): INIT, level assert, edge. */
	icr_send(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	/* 9.4.4.1: the vector is the start page: CS:IP = page << 8 : 0. */
	icr_send(apic_id, ICR_STARTUP | ICR_LEVEL_ASSERT | page);
}

/*
 * Counts the APIC timer (divide by 16, one-shot, masked) over
 * CALIBRATE_TICKS of the boot CPU's tick, which keeps running while this
 * CPU has interrupts masked. Both count QEMU's virtual clock, so one
 * calibration serves every CPU.
 */
static uint32_t calibrate(void)
{
	lapic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(APIC_LVT_TIMER, LVT_MASKED | LAPIC_VECTOR_TIMER);

	uint64_t t0 = timer_ticks();

	/* Start on a tick edge. */
	while (timer_ticks() == t0) {
		arch_cpu_relax();
	}
	lapic_write(APIC_TIMER_INIT, UINT32_MAX);
	t0 = timer_ticks();
	while (timer_ticks() - t0 < CALIBRATE_TICKS) {
		arch_cpu_relax();
	}
	uint32_t left = lapic_read(APIC_TIMER_CUR);

	lapic_write(APIC_TIMER_INIT, 0);
	CHECK(left != 0);
	uint32_t per_tick = (UINT32_MAX - left) / CALIBRATE_TICKS;

	CHECK(per_tick != 0);
	return per_tick;
}

void lapic_init_secondary(void)
{
	lapic_enable_here();
	/* 11.5.1: leave LINT0/LINT1 masked here; the 8259 goes to CPU 0. */
	lapic_write(APIC_LVT_LINT0, LVT_MASKED);
	lapic_write(APIC_LVT_LINT1, LVT_NMI);
	lapic_write(APIC_LVT_ERROR, LVT_MASKED);

	uint32_t count = atomic_load(&timer_count_per_tick);

	if (count == 0) {
		count = calibrate();
		atomic_store(&timer_count_per_tick, count);
	}
	/* 11.5.4: periodic mode reloads the initial count at zero. */
	lapic_write(APIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(APIC_LVT_TIMER, LVT_TIMER_PERIODIC | LAPIC_VECTOR_TIMER);
	lapic_write(APIC_TIMER_INIT, count);
}

bool lapic_irq(unsigned int vector)
{
	switch (vector) {
	case LAPIC_VECTOR_SPURIOUS:
		/* 11.9: a spurious vector is not in service: no EOI. */
		return true;
	case LAPIC_VECTOR_TIMER:
		/* EOI first: the tick handler never switches away, but a
		 * late EOI would only delay the next tick. */
		lapic_eoi();
		ostd_timer_tick();
		return true;
	case LAPIC_VECTOR_IPI:
		/*
		 * EOI before the calls run: a call that posts to this CPU
		 * again must find the vector free to raise a new IPI, not
		 * merged into the one being handled (11.8.4).
		 */
		lapic_eoi();
		atomic_fetch_add_explicit(&cpu_local()->ipis_received, 1,
					  memory_order_relaxed);
		smp_ipi_handle();
		return true;
	default:
		return false;
	}
}

void plat_send_ipi(const struct cpu_local *target)
{
	/*
	 * The sender's stores before this call are visible to the target's
	 * handler: in xAPIC mode the ICR is uncached MMIO, which the CPU
	 * orders after earlier stores (12.3 / 9.2.2, UC writes are not
	 * reordered with other stores); in x2APIC mode icr_send() fences.
	 */
	lapic_send_ipi((uint32_t)target->hw_id, LAPIC_VECTOR_IPI);
}

void plat_cpu_init_secondary(void)
{
	lapic_init_secondary();
}
