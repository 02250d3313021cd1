// SPDX-License-Identifier: MPL-2.0
/*
 * The EL1 exception handler. Every vector lands in aarch64_trap() with one
 * frame layout (trap.S), and goes:
 *
 *   - IRQs (from EL1 or EL0) to the board's interrupt controller driver,
 *     as plat_irq_handle(0) (FIQs as 1): it reads the interrupt number;
 *   - anything synchronous from EL0 back to user_mode_execute()'s caller,
 *     with the user state saved and ESR_EL1 / FAR_EL1 decoded (svc is a
 *     system call);
 *   - a kernel abort at an exception-table pc (a fallible copy, a probe,
 *     an exit-device probe) to its fixup, and a kernel fetch fault of
 *     arch_probe_exec()'s target back to its caller;
 *   - anything else to a register dump, a backtrace and a panic.
 *
 * "Arm ARM" is DDI 0487 (G.b numbering).
 */

#include <stddef.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_layout.h"
#include "ostd/arch/aarch64_smp.h"
#include "ostd/arch/cpu.h"
#include "ostd/arch/probe.h"
#include "ostd/arch/user.h"

#include "ostd/assert.h"
#include "ostd/console.h"
#include "ostd/extable.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"
#include "ostd/user.h"

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
	/* TTBR0_EL1 at the exception, for software PAN (trap.S). */
	uint64_t ttbr0;
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

extern char __kernel_start[];
extern char __kernel_end[];
NORETURN void aarch64_user_return(enum user_return_reason why);

void aarch64_trap(struct aarch64_trap_frame *f);

/* trap.S's vector index: 4 groups of 4 (D1.10.2, Table D1-7). */
#define VECTOR_CUR_SPX_SYNC 4
#define VECTOR_FIRST_LOWER 8

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

/*
 * Kernel stacks are in the image (the boot stack) or in the linear map
 * (task stacks): a frame record anywhere else is corrupt.
 */
static bool on_kernel_stack(uint64_t addr, uint64_t size)
{
	/* The linear map ends where the never-mapped test region starts. */
	return (addr >= (uintptr_t)__kernel_start &&
		addr <= (uintptr_t)__kernel_end - size) ||
	       (addr >= PHYS_OFFSET &&
		addr <= AARCH64_UNMAPPED_TEST_ADDR - size);
}

static void dump_backtrace(uint64_t fp)
{
	/*
	 * AAPCS64 frame records {fp, lr} (-fno-omit-frame-pointer).
	 * Checking the range keeps a corrupt fp from faulting again here.
	 */
	for (int depth = 0; fp != 0 && depth < 16; depth++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)fp;

		if ((fp & 15) != 0 || !on_kernel_stack(fp, 16)) {
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

/* ---------------------------------------------------------------------
 * Traps from EL0.
 * --------------------------------------------------------------------- */

/*
 * ESR_EL1.ISS of a Data or Instruction Abort (D13.2.37 "ESR_EL1", "ISS
 * encoding for an exception from a Data Abort"): DFSC/IFSC [5:0] and, for
 * data, WnR [6].
 */
#define ISS_FSC_MASK 0x3fU
#define ISS_WNR (1U << 6)

/* Translation, Access flag or Permission fault, levels 0-3 (0x04-0x0f). */
static bool fsc_is_page_fault(unsigned int fsc)
{
	return fsc >= 0x04 && fsc <= 0x0f;
}

static void decode_user_exception(const struct aarch64_trap_frame *f,
				  struct cpu_exception *exc)
{
	unsigned int ec = esr_ec(f->esr);
	unsigned int fsc = (unsigned int)f->esr & ISS_FSC_MASK;

	*exc = (struct cpu_exception){
		.kind = CPU_EXC_OTHER,
		.code = ec,
		.detail = f->esr & AARCH64_ESR_ISS_MASK,
		.name = ec_names[ec] != NULL ? ec_names[ec] : "exception",
	};
	switch (ec) {
	case AARCH64_EC_DABT_LOWER:
	case AARCH64_EC_IABT_LOWER:
		exc->addr = f->far;
		if (fsc == 0x21) {
			exc->kind = CPU_EXC_ALIGNMENT;
		} else if (fsc_is_page_fault(fsc)) {
			exc->kind = CPU_EXC_PAGE_FAULT;
			exc->name = "page fault";
			exc->access = ec == AARCH64_EC_IABT_LOWER ? PROT_X
				      : (f->esr & ISS_WNR) != 0   ? PROT_W
								  : PROT_R;
		} else {
			exc->kind = CPU_EXC_GENERAL;
		}
		break;
	case AARCH64_EC_UNKNOWN:
	case AARCH64_EC_ILLEGAL_STATE:
	case AARCH64_EC_FP_ASIMD:
	case AARCH64_EC_SVE:
	case AARCH64_EC_SYSREG:
	case AARCH64_EC_WFX:
		exc->kind = CPU_EXC_ILLEGAL_INSN;
		break;
	case AARCH64_EC_BRK64:
		exc->kind = CPU_EXC_BREAKPOINT;
		break;
	case AARCH64_EC_PC_ALIGN:
	case AARCH64_EC_SP_ALIGN:
		exc->kind = CPU_EXC_ALIGNMENT;
		exc->addr = f->far;
		break;
	default:
		break;
	}
}

/* The program this CPU runs at EL0 (user.S recorded it on entry). */
static struct user_context *save_user_state(const struct aarch64_trap_frame *f)
{
	struct user_context *ctx =
		(struct user_context *)(uintptr_t)*aarch64_cpu_word(
			AARCH64_CL_USER_CTX);

	CHECK(ctx != NULL);
	for (unsigned int i = 0; i < 31; i++) {
		ctx->regs[i] = f->x[i];
	}
	ctx->regs[31] = f->sp;
	/*
	 * After svc, ELR_EL1 is already the next instruction; after an
	 * interrupt it is the first one not executed (D1.10.1 "Preferred
	 * exception return address"): either way, where to resume.
	 */
	ctx->pc = f->elr;
	ctx->flags = f->spsr;
	ctx->tls = aarch64_read_sysreg(tpidr_el0);
	return ctx;
}

static NORETURN void user_trap(const struct aarch64_trap_frame *f)
{
	struct user_context *ctx = save_user_state(f);
	unsigned int ec = esr_ec(f->esr);

	if (ec == AARCH64_EC_SVC64) {
		aarch64_user_return(USER_RETURN_SYSCALL);
	}
	decode_user_exception(f, &ctx->exc);
	aarch64_user_return(USER_RETURN_EXCEPTION);
}

/* ---------------------------------------------------------------------
 * Kernel faults: recoverable ones, then the fatal path.
 * --------------------------------------------------------------------- */

static bool kernel_fixup(struct aarch64_trap_frame *f)
{
	/* Only synchronous exceptions taken from EL1 itself. */
	if (f->vector != VECTOR_CUR_SPX_SYNC) {
		return false;
	}
	uintptr_t fixup = extable_fixup(f->elr);

	if (fixup != 0) {
		f->elr = fixup;
		return true;
	}
	/*
	 * arch_probe_exec() branched (blr) to a page the CPU refused to
	 * fetch from: ELR is the target and x30 the return address. Return
	 * to the caller as the probed `ret` would have.
	 */
	if (esr_ec(f->esr) == AARCH64_EC_IABT_CUR && probe_exec_fault(f->elr)) {
		f->elr = f->x[30];
		return true;
	}
	return false;
}

void aarch64_trap(struct aarch64_trap_frame *f)
{
	static unsigned int depth;
	unsigned int vector = (unsigned int)f->vector & 15;
	unsigned int kind = vector % 4;

	if (kind == AARCH64_VEC_IRQ || kind == AARCH64_VEC_FIQ) {
		plat_irq_handle(kind == AARCH64_VEC_IRQ ? 0 : 1);
		/*
		 * Preemption of user mode (ostd/arch/user.h): after an
		 * interrupt taken at EL0, still masked (PSTATE.I was set on
		 * entry, D1.10.1), the core may want the CPU back; then the
		 * program's state goes to its context and
		 * arch_user_enter() returns, else the eret resumes it.
		 */
		if (vector >= VECTOR_FIRST_LOWER && user_mode_should_leave()) {
			save_user_state(f);
			aarch64_user_return(USER_RETURN_INTERRUPT);
		}
		return;
	}
	if (vector >= VECTOR_FIRST_LOWER && kind == AARCH64_VEC_SYNC) {
		user_trap(f);
	}
	if (kernel_fixup(f)) {
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

	ostd_printf("\nEXCEPTION: %s from %s", vector_kinds[kind],
		    vector_groups[vector / 4]);
	ostd_printf(": EC 0x%02x (%s)\n", ec, ec_name);
	ostd_printf("  ELR %016llx FAR %016llx ESR %08llx (ISS 0x%07llx)\n",
		    (unsigned long long)f->elr, (unsigned long long)f->far,
		    (unsigned long long)f->esr,
		    (unsigned long long)(f->esr & AARCH64_ESR_ISS_MASK));
	if (ec == AARCH64_EC_DABT_CUR || ec == AARCH64_EC_DABT_LOWER) {
		/* ISS[6] WnR: the access was a write. */
		bool write = (f->esr & ISS_WNR) != 0;

		ostd_printf("  %s access\n", write ? "write" : "read");
	}
	if (is_abort(ec)) {
		print_fault_status(f->esr);
	}
	dump_frame(f);
	panic("unhandled kernel exception (%s, EC 0x%02x)", vector_kinds[kind],
	      ec);
}
