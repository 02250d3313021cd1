// SPDX-License-Identifier: MPL-2.0
/*
 * GICv3 with affinity routing: the Arm Generic Interrupt Controller
 * Architecture Specification, GIC architecture version 3 and version 4
 * (IHI 0069, H.b numbering; sections by name as well).
 *
 * - Distributor (GICD, 12.9 "The GIC Distributor register descriptions"):
 *   GICD_CTLR.ARE = 1 (affinity routing), Group 1 enabled. Only SPIs live
 *   here with ARE; the kernel uses none, so they stay disabled.
 * - Redistributors (GICR, 12.10 / 12.11): one per CPU, each two 64 KiB
 *   frames (RD_base, then SGI_base for the SGI and PPI registers; four
 *   frames when GICR_TYPER.VLPIS says there are virtual LPI frames too),
 *   one after another in the device tree's second `reg` region until the
 *   frame with GICR_TYPER.Last. A CPU finds its own by GICR_TYPER's
 *   affinity value, which is its MPIDR_EL1 affinity (12.11.34 "GICR_TYPER":
 *   Affinity_Value [63:32] = Aff3.Aff2.Aff1.Aff0), and wakes it by clearing
 *   GICR_WAKER.ProcessorSleep and waiting for ChildrenAsleep to clear
 *   (12.11.45 "GICR_WAKER"; 11.1 "Power management").
 * - CPU interface: the system registers (12.1 "CPU interface registers"):
 *   ICC_SRE_EL1.SRE = 1, ICC_PMR_EL1, ICC_BPR1_EL1, ICC_IGRPEN1_EL1;
 *   ICC_IAR1_EL1 / ICC_EOIR1_EL1 acknowledge and end Group 1 interrupts
 *   (with ICC_CTLR_EL1.EOImode = 0, the EOI also deactivates), and
 *   ICC_SGI1R_EL1 sends an SGI by affinity (12.2.23 "ICC_SGI1R_EL1").
 *
 * QEMU virt without EL3 has one Security state (GICD_CTLR.DS reads 1):
 * Group 1 interrupts are signalled as IRQs to EL1, which is what trap.c
 * takes (4.6 "Interrupt grouping and security").
 */

#include "ostd/drivers/gicv3.h"

#include <stdbool.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"

#include "ostd/kernel_map.h"

/* Distributor (12.9). */
#define GICD_CTLR 0x0000      /* 12.9.4 */
#define GICD_TYPER 0x0004     /* 12.9.38: ITLinesNumber [4:0] */
#define GICD_ICENABLER 0x0180 /* 12.9.8 */
#define GICD_ICPENDR 0x0280   /* 12.9.10 */
#define GICD_SIZE 0x10000U

/*
 * GICD_CTLR with one Security state (DS = 1): EnableGrp0 [0],
 * EnableGrp1 [1], ARE [4], RWP [31] (a write is still taking effect).
 */
#define GICD_CTLR_GRP1 (1U << 1)
#define GICD_CTLR_ARE (1U << 4)
#define GICD_CTLR_RWP (1U << 31)

/* Redistributor, RD_base frame (12.10). */
#define GICR_CTLR 0x0000  /* 12.11.2: RWP [3] */
#define GICR_TYPER 0x0008 /* 12.11.34, 64 bits */
#define GICR_WAKER 0x0014 /* 12.11.45 */
#define GICR_CTLR_RWP (1U << 3)
#define GICR_TYPER_VLPIS (1ULL << 1)
#define GICR_TYPER_LAST (1ULL << 4)
#define GICR_TYPER_AFF_SHIFT 32
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)

/* Redistributor, SGI_base frame = RD_base + 64 KiB (12.10). */
#define GICR_SGI_FRAME 0x10000U
#define GICR_IGROUPR0 0x0080   /* 12.11.16: 1 = Group 1 */
#define GICR_ISENABLER0 0x0100 /* 12.11.26 */
#define GICR_ICENABLER0 0x0180 /* 12.11.8 */
#define GICR_ICPENDR0 0x0280   /* 12.11.10 */
#define GICR_IPRIORITYR 0x0400 /* 12.11.23, a byte each */
#define GICR_FRAME_SIZE 0x20000U
#define GICR_FRAME_SIZE_VLPI 0x40000U

/* ICC_SRE_EL1.SRE [0]: the system-register interface (12.2.26). */
#define ICC_SRE_SRE 1ULL
/* ICC_IGRPEN1_EL1.Enable [0] (12.2.16). */
#define ICC_IGRPEN1_ENABLE 1ULL
/* ICC_IAR1_EL1.INTID [23:0] (12.2.14). */
#define ICC_IAR_INTID_MASK 0xffffffU

/*
 * ICC_SGI1R_EL1 (12.2.23): TargetList [15:0] (a bit per Aff0 within the
 * cluster Aff3.Aff2.Aff1, offset by RS * 16), Aff1 [23:16], INTID
 * [27:24], Aff2 [39:32], IRM [40] = 0 (the list, not "all but self"),
 * RS [47:44], Aff3 [55:48].
 */
#define SGI1R_AFF1_SHIFT 16
#define SGI1R_INTID_SHIFT 24
#define SGI1R_AFF2_SHIFT 32
#define SGI1R_RS_SHIFT 44
#define SGI1R_AFF3_SHIFT 48

#define PRIORITY_DEFAULT 0xa0U
#define PMR_ALLOW_ALL 0xffU

/*
 * The GICv3 system registers by encoding (Arm ARM DDI 0487, C5.3 "A64
 * system instructions ..." / D13.8 "GIC system registers"): clang-14's
 * assembler knows the names only with the GIC feature on, so spell
 * them as S<op0>_<op1>_C<n>_C<m>_<op2>.
 */
#define ICC_PMR_EL1 "S3_0_C4_C6_0"
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_BPR1_EL1 "S3_0_C12_C12_3"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_SGI1R_EL1 "S3_0_C12_C11_5"

#define read_icc(reg)                                        \
	({                                                   \
		uint64_t v_;                                 \
		__asm__ volatile("mrs %0, " reg : "=r"(v_)); \
		v_;                                          \
	})
#define write_icc(reg, val)                                                 \
	do {                                                                \
		uint64_t w_ = (val);                                        \
		__asm__ volatile("msr " reg ", %0" : : "r"(w_) : "memory"); \
	} while (0)

static uintptr_t gicd;
static uintptr_t gicr_region;
static uint64_t gicr_region_size;
/* Each CPU's RD_base (by smp_cpu_id()), 0 until it ran init_cpu. */
static uintptr_t gicr_of[GICV3_MAX_CPUS];

static void write32(uintptr_t base, unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(base + reg) = v;
}

static uint32_t read32(uintptr_t base, unsigned int reg)
{
	return *(volatile uint32_t *)(base + reg);
}

static uint64_t read64(uintptr_t base, unsigned int reg)
{
	return *(volatile uint64_t *)(base + reg);
}

static bool wait_clear(uintptr_t base, unsigned int reg, uint32_t bits)
{
	for (uint64_t spins = 0; spins < (1ULL << 24); spins++) {
		if ((read32(base, reg) & bits) == 0) {
			return true;
		}
	}
	return false;
}

bool gicv3_init(uint64_t dist_pa, uint64_t redist_pa, uint64_t redist_size)
{
	gicd = (uintptr_t)kernel_map_device_or_panic(
		pa_init(dist_pa), GICD_SIZE, "the GICv3 distributor");
	gicr_region = (uintptr_t)kernel_map_device_or_panic(
		pa_init(redist_pa), redist_size, "the GICv3 redistributors");
	gicr_region_size = redist_size;

	/* 32 * (ITLinesNumber + 1) INTIDs (12.9.38). */
	unsigned int lines = 32 * ((read32(gicd, GICD_TYPER) & 0x1f) + 1);

	write32(gicd, GICD_CTLR, 0);
	if (!wait_clear(gicd, GICD_CTLR, GICD_CTLR_RWP)) {
		return false;
	}
	/* SPIs (32 and up; with ARE, INTIDs 0-31 are the GICR's). */
	for (unsigned int i = 32; i < lines; i += 32) {
		write32(gicd, GICD_ICENABLER + i / 8, 0xffffffffU);
		write32(gicd, GICD_ICPENDR + i / 8, 0xffffffffU);
	}
	write32(gicd, GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
	return wait_clear(gicd, GICD_CTLR, GICD_CTLR_RWP);
}

/* The packed Aff3.Aff2.Aff1.Aff0 of GICR_TYPER for an MPIDR. */
static uint32_t packed_affinity(uint64_t mpidr)
{
	return (uint32_t)(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
}

static uintptr_t find_redistributor(uint64_t mpidr)
{
	uint32_t want = packed_affinity(mpidr);
	uint64_t off = 0;

	while (off + GICR_FRAME_SIZE <= gicr_region_size) {
		uintptr_t rd = gicr_region + off;
		uint64_t typer = read64(rd, GICR_TYPER);

		if ((uint32_t)(typer >> GICR_TYPER_AFF_SHIFT) == want) {
			return rd;
		}
		if ((typer & GICR_TYPER_LAST) != 0) {
			break;
		}
		off += (typer & GICR_TYPER_VLPIS) != 0 ? GICR_FRAME_SIZE_VLPI
						       : GICR_FRAME_SIZE;
	}
	return 0;
}

bool gicv3_init_cpu(unsigned int cpu)
{
	uint64_t mpidr =
		aarch64_read_sysreg(mpidr_el1) & AARCH64_MPIDR_AFF_MASK;
	uintptr_t rd = find_redistributor(mpidr);

	if (rd == 0 || cpu >= GICV3_MAX_CPUS) {
		return false;
	}
	/* Wake the redistributor before touching its SGI/PPI state. */
	write32(rd, GICR_WAKER,
		read32(rd, GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	if (!wait_clear(rd, GICR_WAKER, GICR_WAKER_CHILDREN_ASLEEP)) {
		return false;
	}
	uintptr_t sgi = rd + GICR_SGI_FRAME;

	write32(sgi, GICR_ICENABLER0, 0xffffffffU);
	write32(sgi, GICR_ICPENDR0, 0xffffffffU);
	if (!wait_clear(rd, GICR_CTLR, GICR_CTLR_RWP)) {
		return false;
	}
	write32(sgi, GICR_IGROUPR0, 0xffffffffU);

	/*
	 * The system-register interface, then Group 1 on: SRE must read
	 * back 1 (it is RAO/WI, or stuck at 0 where EL2 forbids it,
	 * 12.2.26), and an ISB makes it take effect before the other ICC
	 * accesses (D13.1.2 "Synchronization requirements for AArch64
	 * System registers").
	 */
	write_icc(ICC_SRE_EL1, read_icc(ICC_SRE_EL1) | ICC_SRE_SRE);
	__asm__ volatile("isb" : : : "memory");
	if ((read_icc(ICC_SRE_EL1) & ICC_SRE_SRE) == 0) {
		return false;
	}
	write_icc(ICC_PMR_EL1, PMR_ALLOW_ALL);
	write_icc(ICC_BPR1_EL1, 0);
	write_icc(ICC_IGRPEN1_EL1, ICC_IGRPEN1_ENABLE);
	__asm__ volatile("isb" : : : "memory");
	gicr_of[cpu] = rd;
	return true;
}

void gicv3_enable_local(unsigned int cpu, unsigned int intid)
{
	uintptr_t sgi = gicr_of[cpu] + GICR_SGI_FRAME;

	if (gicr_of[cpu] == 0 || intid >= 32) {
		return;
	}
	*(volatile uint8_t *)(sgi + GICR_IPRIORITYR + intid) = PRIORITY_DEFAULT;
	write32(sgi, GICR_ISENABLER0, 1U << intid);
}

void gicv3_send_sgi(uint64_t mpidr, unsigned int sgi)
{
	uint64_t aff0 = mpidr & 0xff;
	uint64_t v = (1ULL << (aff0 % 16)) | ((aff0 / 16) << SGI1R_RS_SHIFT) |
		     (((mpidr >> 8) & 0xff) << SGI1R_AFF1_SHIFT) |
		     ((uint64_t)(sgi & 0xf) << SGI1R_INTID_SHIFT) |
		     (((mpidr >> 16) & 0xff) << SGI1R_AFF2_SHIFT) |
		     (((mpidr >> 32) & 0xff) << SGI1R_AFF3_SHIFT);

	/*
	 * A system-register write is not ordered after earlier memory
	 * stores by a DMB: DSB ISHST makes the posted call visible first,
	 * and the ISB issues the SGI now (IHI 0069, 12.2.23; Linux's
	 * gic_ipi_send_mask does the same).
	 */
	__asm__ volatile("dsb ishst" : : : "memory");
	write_icc(ICC_SGI1R_EL1, v);
	__asm__ volatile("isb" : : : "memory");
}

uint32_t gicv3_ack(void)
{
	return (uint32_t)read_icc(ICC_IAR1_EL1) & ICC_IAR_INTID_MASK;
}

void gicv3_eoi(uint32_t intid)
{
	write_icc(ICC_EOIR1_EL1, intid);
	__asm__ volatile("isb" : : : "memory");
}
