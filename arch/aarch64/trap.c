// SPDX-License-Identifier: MPL-2.0
/*
 * The EL1 exception handler. For now every exception is fatal: it prints
 * the exception class, ELR, FAR, ESR and the registers, then panics. The
 * one exception to that is the fixup table (ostd/arch/aarch64.h): an
 * instruction that is allowed to fault, such as the semihosting probe,
 * resumes at its fixup. User-mode routing comes with the aarch64 kernel
 * issue.
 *
 * "Arm ARM" is DDI 0487 (G.b numbering).
 */

#include <stddef.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/cpu.h"

#include "ostd/assert.h"
#include "ostd/console.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"

struct aarch64_trap_frame {
	uint64_t x[31];
	/* The stack pointer at the moment of the exception. */
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
	/* The vector table entry, 0-15 (trap.S). */
	uint64_t vector;
	uint64_t pad;
};

STATIC_ASSERT(sizeof(struct aarch64_trap_frame) == 38 * sizeof(uint64_t),
	      "The trap frame must match FRAME_SIZE in trap.S.");
STATIC_ASSERT(offsetof(struct aarch64_trap_frame, sp) == 31 * sizeof(uint64_t),
	      "The frame must match FRAME_SP in trap.S.");
STATIC_ASSERT(offsetof(struct aarch64_trap_frame, elr) == 32 * sizeof(uint64_t),
	      "The frame must match FRAME_ELR in trap.S.");
STATIC_ASSERT(offsetof(struct aarch64_trap_frame, esr) == 34 * sizeof(uint64_t),
	      "The frame must match FRAME_ESR in trap.S.");
STATIC_ASSERT(offsetof(struct aarch64_trap_frame, vector) ==
		      36 * sizeof(uint64_t),
	      "The frame must match FRAME_VECTOR in trap.S.");
STATIC_ASSERT(sizeof(struct aarch64_trap_frame) % 16 == 0,
	      "SP must stay 16-byte aligned across the trap frame.");

extern const struct aarch64_extable_entry __start_ostd_extable[];
extern const struct aarch64_extable_entry __stop_ostd_extable[];
extern char __kernel_start[];
extern char __kernel_end[];

void aarch64_trap(struct aarch64_trap_frame *f);

/* Arm ARM D1.10.2, Table D1-7 "Vector offsets from vector table base". */
static const char *const vector_groups[4] = {
	"current EL with SP_EL0",
	"current EL with SP_ELx",
	"lower EL using AArch64",
	"lower EL using AArch32",
};

static const char *const vector_kinds[4] = {
	"synchronous",
	"IRQ",
	"FIQ",
	"SError",
};

/* Arm ARM D13.2 ESR_EL1, field EC (bits [31:26]). */
static const char *const ec_names[64] = {
	[AARCH64_EC_UNKNOWN] = "unknown reason (undefined instruction)",
	[AARCH64_EC_WFX] = "trapped WFI or WFE",
	[AARCH64_EC_FP_ASIMD] = "trapped FP/SIMD access",
	[AARCH64_EC_ILLEGAL_STATE] = "illegal execution state",
	[AARCH64_EC_SVC64] = "SVC in AArch64",
	[AARCH64_EC_HVC64] = "HVC in AArch64",
	[AARCH64_EC_SMC64] = "SMC in AArch64",
	[AARCH64_EC_SYSREG] = "trapped MSR, MRS or system instruction",
	[AARCH64_EC_SVE] = "trapped SVE access",
	[AARCH64_EC_IABT_LOWER] = "instruction abort from a lower EL",
	[AARCH64_EC_IABT_CUR] = "instruction abort from current EL",
	[AARCH64_EC_PC_ALIGN] = "PC alignment fault",
	[AARCH64_EC_DABT_LOWER] = "data abort from a lower EL",
	[AARCH64_EC_DABT_CUR] = "data abort from current EL",
	[AARCH64_EC_SP_ALIGN] = "SP alignment fault",
	[AARCH64_EC_SERROR] = "SError interrupt",
	[AARCH64_EC_BRK64] = "BRK in AArch64",
};

static unsigned int esr_ec(uint64_t esr)
{
	return (unsigned int)(esr >> AARCH64_ESR_EC_SHIFT) &
	       AARCH64_ESR_EC_MASK;
}

static bool is_abort(unsigned int ec)
{
	return ec == AARCH64_EC_IABT_LOWER || ec == AARCH64_EC_IABT_CUR ||
	       ec == AARCH64_EC_DABT_LOWER || ec == AARCH64_EC_DABT_CUR;
}

/*
 * Arm ARM D13.2 ESR_EL1, "ISS encoding for an exception from a Data
 * Abort" / "... Instruction Abort": the fault status code, ISS[5:0].
 */
static void print_fault_status(uint64_t esr)
{
	static const char *const level_kinds[4] = {
		"address size fault",
		"translation fault",
		"access flag fault",
		"permission fault",
	};
	unsigned int fsc = (unsigned int)esr & 0x3f;
	const char *name = NULL;

	if (fsc < 0x10) {
		ostd_printf("  fault status 0x%02x: %s, level %u\n", fsc,
			    level_kinds[fsc >> 2], fsc & 3);
		return;
	}
	switch (fsc) {
	case 0x10:
		name = "synchronous external abort";
		break;
	case 0x21:
		name = "alignment fault";
		break;
	case 0x30:
		name = "TLB conflict abort";
		break;
	default:
		name = (fsc & 0x3c) == 0x14
			       ? "synchronous external abort on table walk"
			       : "other";
		break;
	}
	ostd_printf("  fault status 0x%02x: %s\n", fsc, name);
}

static bool in_kernel_image(uint64_t addr, uint64_t size)
{
	return addr >= (uintptr_t)__kernel_start &&
	       addr <= (uintptr_t)__kernel_end - size;
}

static void dump_backtrace(uint64_t fp)
{
	/*
	 * AAPCS64 frame records {fp, lr} (-fno-omit-frame-pointer). The
	 * stack lives in the image's BSS; checking that keeps a corrupt fp
	 * from faulting again in here.
	 */
	for (int depth = 0; fp != 0 && depth < 16; depth++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)fp;

		if ((fp & 15) != 0 || !in_kernel_image(fp, 16)) {
			break;
		}
		ostd_printf("  #%d %016llx\n", depth,
			    (unsigned long long)frame[1]);
		fp = frame[0];
	}
}

static void dump_frame(const struct aarch64_trap_frame *f)
{
	for (unsigned int i = 0; i < 31; i++) {
		ostd_printf("x%-2u=%016llx%s", i, (unsigned long long)f->x[i],
			    i % 4 == 3 ? "\n" : " ");
	}
	ostd_printf("sp =%016llx\n", (unsigned long long)f->sp);
	ostd_printf("elr=%016llx spsr=%08llx esr=%08llx far=%016llx\n",
		    (unsigned long long)f->elr, (unsigned long long)f->spsr,
		    (unsigned long long)f->esr, (unsigned long long)f->far);
	ostd_puts("backtrace:\n");
	dump_backtrace(f->x[29]);
}

static bool apply_fixup(struct aarch64_trap_frame *f)
{
	/* Only synchronous exceptions taken from EL1 itself. */
	if (f->vector != 0 && f->vector != 4) {
		return false;
	}
	for (const struct aarch64_extable_entry *e = __start_ostd_extable;
	     e < __stop_ostd_extable; e++) {
		if (e->insn == f->elr) {
			f->elr = e->fixup;
			return true;
		}
	}
	return false;
}

void aarch64_trap(struct aarch64_trap_frame *f)
{
	static unsigned int depth;

	if (apply_fixup(f)) {
		return;
	}
	/* A fault in the arch entry code comes before ostd_boot(). */
	if (!ostd_console_ready()) {
		ostd_console_init(NULL);
	}
	/*
	 * Nothing returns from here, so depth only grows. A fault while
	 * reporting a fault gets one line and a plain power-off; a third
	 * one (the power-off path itself faults) just stops.
	 */
	depth++;
	if (depth > 2) {
		arch_halt();
	}
	if (depth == 2) {
		ostd_printf("\nEXCEPTION while handling one: esr=%08llx "
			    "elr=%016llx far=%016llx\n",
			    (unsigned long long)f->esr,
			    (unsigned long long)f->elr,
			    (unsigned long long)f->far);
		plat_power_off(OSTD_EXIT_PANIC);
	}

	unsigned int ec = esr_ec(f->esr);
	const char *ec_name = ec_names[ec] != NULL ? ec_names[ec] : "unnamed";
	unsigned int vector = (unsigned int)f->vector & 15;
	unsigned int kind = vector % 4;

	ostd_printf("\nEXCEPTION: %s from %s", vector_kinds[kind],
		    vector_groups[vector / 4]);
	/* ESR_EL1 and FAR_EL1 describe only synchronous ones and SErrors. */
	if (kind == AARCH64_VEC_IRQ || kind == AARCH64_VEC_FIQ) {
		ostd_printf(" at ELR %016llx\n", (unsigned long long)f->elr);
		dump_frame(f);
		panic("unexpected %s", vector_kinds[kind]);
	}
	ostd_printf(": EC 0x%02x (%s)\n", ec, ec_name);
	ostd_printf("  ELR %016llx FAR %016llx ESR %08llx (ISS 0x%07llx)\n",
		    (unsigned long long)f->elr, (unsigned long long)f->far,
		    (unsigned long long)f->esr,
		    (unsigned long long)(f->esr & AARCH64_ESR_ISS_MASK));
	if (ec == AARCH64_EC_DABT_CUR || ec == AARCH64_EC_DABT_LOWER) {
		/* ISS[6] WnR: the access was a write. */
		bool write = (f->esr & (1 << 6)) != 0;

		ostd_printf("  %s access\n", write ? "write" : "read");
	}
	if (is_abort(ec)) {
		print_fault_status(f->esr);
	}
	dump_frame(f);
	panic("unhandled kernel exception (%s, EC 0x%02x)", vector_kinds[kind],
	      ec);
}
