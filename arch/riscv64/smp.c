// SPDX-License-Identifier: MPL-2.0
/*
 * riscv64 SMP (ostd/arch/smp.h): the harts come from the device tree's
 * /cpus, start through the SBI HSM extension (SBI v1.0.0, ch. 9) at
 * boot.S's riscv_secondary_entry, and find their per-CPU area in tp
 * (trap.S keeps it there in the kernel and in sscratch while user code
 * runs, Privileged Spec v1.12, 4.1.6). Remote TLB flushes go through SBI
 * RFENCE (ch. 8), which reaches a hart whatever its sstatus.SIE says.
 * References are to the RISC-V Privileged Spec v1.12 and SBI v1.0.0.
 */

#include "ostd/arch/smp.h"

#include <stddef.h>
#include <stdint.h>

#include "ostd/arch/mm.h"
#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_asm.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/boot.h"
#include "ostd/fdt.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/panic.h"
#include "ostd/printf.h"
#include "ostd/smp.h"
#include "ostd/vm_space.h"

STATIC_ASSERT(CPU_LOCAL_ARCH_OFFSET == CL_KERNEL_SP &&
		      CL_USER_SP + 8 <= CPU_LOCAL_SELF_OFFSET,
	      "trap.S's per-CPU words must be in cpu_local.arch[]");

/*
 * What a starting hart reads before its MMU is on (boot.S): one per CPU
 * slot, in the image, so its physical address is known.
 */
struct riscv_start_record {
	uint64_t hartid;
	uint64_t satp;
	uint64_t stack_top;
	uint64_t cl;
};

STATIC_ASSERT(
	offsetof(struct riscv_start_record, hartid) == RISCV_START_HARTID &&
		offsetof(struct riscv_start_record, satp) == RISCV_START_SATP &&
		offsetof(struct riscv_start_record, stack_top) ==
			RISCV_START_STACK &&
		offsetof(struct riscv_start_record, cl) == RISCV_START_CL &&
		sizeof(struct riscv_start_record) == RISCV_START_SIZE,
	"boot.S reads the start record at these offsets");

static struct riscv_start_record start_records[OSTD_MAX_CPUS];

/* SBI RFENCE: probed by arch_smp_enumerate(), before any other CPU runs. */
static bool have_rfence;
static bool rfence_probed;

/* boot.S: where HSM starts a secondary hart (a physical address). */
extern char riscv_secondary_entry[];

/* ---------------------------------------------------------------------
 * The per-CPU register.
 * --------------------------------------------------------------------- */

void arch_cpu_local_install(struct cpu_local *cl)
{
	/*
	 * tp is the psABI's thread pointer, which freestanding kernel code
	 * never uses otherwise (no TLS); sscratch = 0 tells trap.S that the
	 * kernel runs.
	 */
	__asm__ volatile("mv tp, %0" : : "r"(cl) : "memory");
	riscv_csr_write(sscratch, 0);
}

struct cpu_local *arch_cpu_local(void)
{
	struct cpu_local *cl;

	__asm__ volatile("mv %0, tp" : "=r"(cl));
	return cl;
}

/* ---------------------------------------------------------------------
 * Finding the harts.
 * --------------------------------------------------------------------- */

/*
 * True if a hart whose /cpus node says `mmu-type = @p mmu` can run this
 * kernel: it must translate in the kernel's mode (Sv39 or Sv48, 4.1.11;
 * a hart with Sv48 has Sv39 too, 4.5). The property is the robust test
 * for S-mode: `riscv,isa` strings never list "s" (sifive_u's E51 monitor
 * hart has "rv64imac..." and no mmu-type; the U54s "riscv,sv48"), and a
 * hart without S-mode has no MMU to describe (Linux's DT binding
 * riscv/cpus.yaml: "riscv,none" or absent means no MMU).
 */
static bool mmu_type_fits(const char *mmu)
{
	if (mmu == NULL) {
		return false;
	}
	static const char *const modes[] = { "riscv,sv39", "riscv,sv48",
					     "riscv,sv57" };
	unsigned int need = IS_ENABLED(CONFIG_RISCV_SV39) ? 0 : 1;

	for (unsigned int i = need; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *a = mmu;
		const char *b = modes[i];

		while (*a != '\0' && *a == *b) {
			a++;
			b++;
		}
		if (*a == *b) {
			return true;
		}
	}
	return false;
}

static bool str_is(const char *s, const char *want)
{
	if (s == NULL) {
		return false;
	}
	while (*s != '\0' && *s == *want) {
		s++;
		want++;
	}
	return *s == *want;
}

/* "/cpus/" + @p name into @p buf; false if it does not fit. */
static bool cpu_path(char *buf, size_t size, const char *name)
{
	static const char prefix[] = "/cpus/";
	size_t n = 0;

	for (; prefix[n] != '\0'; n++) {
		buf[n] = prefix[n];
	}
	for (size_t i = 0; name[i] != '\0'; i++) {
		if (n + 1 >= size) {
			return false;
		}
		buf[n++] = name[i];
	}
	buf[n] = '\0';
	return true;
}

/*
 * The hart id of /cpus child @p name if it can run the kernel: a
 * `device_type = "cpu"` node (DT spec v0.4, 3.7), status okay or absent
 * (2.3.4), with an MMU in the kernel's mode; its `reg` is the hart id
 * (Linux riscv/cpus.yaml).
 */
static bool usable_hart(const void *fdt, const char *name, uint64_t *hartid)
{
	char path[64];

	if (!cpu_path(path, sizeof(path), name) ||
	    !str_is(ostd_fdt_prop_string(fdt, path, "device_type"), "cpu")) {
		return false;
	}
	const char *status = ostd_fdt_prop_string(fdt, path, "status");

	if (status != NULL && !str_is(status, "okay") &&
	    !str_is(status, "ok")) {
		return false;
	}
	if (!mmu_type_fits(ostd_fdt_prop_string(fdt, path, "mmu-type"))) {
		return false;
	}
	return ostd_fdt_prop_u64(fdt, path, "reg", hartid) == OSTD_OK;
}

unsigned int arch_smp_enumerate(uint64_t *hw_ids, unsigned int max,
				unsigned int *boot)
{
	CHECK(max >= 1);
	const struct ostd_boot_info *info = ostd_boot_info();

	have_rfence = riscv_sbi_has(RISCV_SBI_EXT_RFENCE);
	rfence_probed = true;

	/* boot.S passed on a0 from the firmware: the boot hart's id. */
	hw_ids[0] = info->boot_cpu_id;
	*boot = 0;
	if (pa_addr(info->fdt) == 0) {
		return 1;
	}
	const void *fdt = arch_paddr_to_ptr(info->fdt);
	unsigned int count = 1;
	bool saw_boot = false;
	const char *name;

	for (uint32_t i = 0;
	     (name = ostd_fdt_child_name(fdt, "/cpus", i)) != NULL; i++) {
		uint64_t hartid;

		if (!usable_hart(fdt, name, &hartid)) {
			continue;
		}
		if (hartid == info->boot_cpu_id) {
			saw_boot = true;
			continue;
		}
		if (count == max) {
			ostd_printf("smp: hart %llu left out (at most %u "
				    "CPUs)\n",
				    (unsigned long long)hartid, max);
			continue;
		}
		hw_ids[count++] = hartid;
	}
	if (!saw_boot) {
		/* The tree contradicts the firmware: trust neither with more. */
		ostd_printf("smp: boot hart %llu is not a usable /cpus node; "
			    "staying on one CPU\n",
			    (unsigned long long)info->boot_cpu_id);
		return 1;
	}
	return count;
}

/* ---------------------------------------------------------------------
 * Starting a hart.
 * --------------------------------------------------------------------- */

ostd_err_t arch_cpu_start(struct cpu_local *cl, uintptr_t stack_top)
{
	CHECK(cl->id > 0 && cl->id < OSTD_MAX_CPUS);
	struct riscv_start_record *rec = &start_records[cl->id];

	*rec = (struct riscv_start_record){
		.hartid = cl->hw_id,
		.satp = riscv_satp_for(vm_space_kernel_pt()),
		.stack_top = stack_top,
		.cl = (uint64_t)(uintptr_t)cl,
	};
	/*
	 * The record and everything the hart reads after it (the kernel
	 * table, the cpu_local) must be visible to it. An ecall is no fence,
	 * and RVWMO (Unprivileged Spec v20191213, ch. 14) lets another hart
	 * see the stores late: FENCE RW,RW orders them before the call, and
	 * the firmware's own IPI to that hart follows the call.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	struct riscv_sbiret r = riscv_sbi_call4(
		RISCV_SBI_EXT_HSM, RISCV_SBI_HSM_HART_START, cl->hw_id,
		pa_addr(arch_ptr_to_paddr(riscv_secondary_entry)),
		pa_addr(arch_ptr_to_paddr(rec)), 0);

	if (r.error != 0) {
		/*
		 * SBI v1.0.0, 9.1: SBI_ERR_ALREADY_AVAILABLE (the hart runs
		 * something else), SBI_ERR_INVALID_PARAM (no such hart) and
		 * the rest all mean this hart is not ours.
		 */
		ostd_printf("smp: SBI hart_start(%llu) failed: error %ld\n",
			    (unsigned long long)cl->hw_id, r.error);
		return OSTD_ENODEV;
	}
	return OSTD_OK;
}

/* ---------------------------------------------------------------------
 * Hart sets for SBI calls.
 * --------------------------------------------------------------------- */

long riscv_sbi_call_harts(unsigned long ext, unsigned long fid, uint64_t cpus,
			  unsigned long arg2, unsigned long arg3)
{
	long first_error = 0;

	/*
	 * SBI v1.0.0, 3.1: one call reaches the harts base .. base + 63.
	 * Hart ids are small and dense on every board here, so one window
	 * usually does; take the lowest id left as each window's base.
	 */
	while (cpus != 0) {
		uint64_t base = UINT64_MAX;

		for (uint64_t left = cpus; left != 0; left &= left - 1) {
			uint64_t id =
				cpu_local_of(
					(unsigned int)__builtin_ctzll(left))
					->hw_id;

			base = id < base ? id : base;
		}
		uint64_t mask = 0;

		for (uint64_t left = cpus; left != 0; left &= left - 1) {
			unsigned int cpu = (unsigned int)__builtin_ctzll(left);
			uint64_t id = cpu_local_of(cpu)->hw_id;

			if (id - base < RISCV_SBI_HART_MASK_BITS) {
				mask |= 1ULL << (id - base);
				cpus &= ~(1ULL << cpu);
			}
		}
		struct riscv_sbiret r =
			riscv_sbi_call4(ext, fid, mask, base, arg2, arg3);

		if (r.error != 0 && first_error == 0) {
			first_error = r.error;
		}
	}
	return first_error;
}

/* ---------------------------------------------------------------------
 * Remote TLB flushes.
 * --------------------------------------------------------------------- */

/*
 * Remote flushes go to the SBI RFENCE extension's remote_sfence_vma
 * (SBI v1.0.0, 8.2): the firmware interrupts the target harts in M-mode,
 * which S-mode cannot mask, so a target spinning with sstatus.SIE clear
 * still flushes, and it covers every ASID like the local
 * `sfence.vma va, zero`: the targets drop the pages under whatever
 * ASID they cache them, so one that switched away from the space since
 * the flusher read its set keeps nothing stale either. OpenSBI returns
 * only once every target has fenced (lib/sbi/sbi_tlb.c, tlb_sync: the
 * caller waits for each target's acknowledgement), as the contract
 * (ostd/arch/tlb.h) needs before kept frames are freed; Linux relies on
 * the same. Without RFENCE (a pre-v0.2 SBI), IPIs do it (core/smp.c).
 */
void arch_tlb_flush_remote(uint64_t cpus, const struct page_table *pt,
			   const struct tlb_op *ops, unsigned int count)
{
	CHECK(rfence_probed && (cpus & (1ULL << arch_cpu_id())) == 0);
	if (!have_rfence) {
		smp_tlb_flush_by_ipi(cpus, pt, ops, count);
		return;
	}
	for (unsigned int i = 0; i < count; i++) {
		uint64_t start = 0;
		uint64_t size = 0;

		switch (ops[i].kind) {
		case TLB_OP_PAGE:
			start = ops[i].va;
			size = PAGE_SIZE;
			break;
		case TLB_OP_RANGE:
			start = ops[i].va;
			size = ops[i].len;
			break;
		case TLB_OP_ALL:
		case TLB_OP_ALL_GLOBAL:
			/*
			 * 8.2: start 0 and size 0 (or 2^XLEN - 1) fence the
			 * whole address space, global entries included.
			 */
			start = 0;
			size = 0;
			break;
		}
		long err = riscv_sbi_call_harts(RISCV_SBI_EXT_RFENCE,
						RISCV_SBI_RFENCE_SFENCE_VMA,
						cpus, start, size);

		if (err != 0) {
			panic("SBI remote_sfence_vma failed: error %ld", err);
		}
	}
}

static void fence_i_here(void *arg)
{
	(void)arg;
	__asm__ volatile("fence.i" : : : "memory");
}

void riscv_remote_fence_i(uint64_t cpus)
{
	CHECK(rfence_probed && (cpus & (1ULL << arch_cpu_id())) == 0);
	if (!have_rfence) {
		CHECK(smp_call(cpus, fence_i_here, NULL, true) == OSTD_OK);
		return;
	}
	/* SBI v1.0.0, 8.1; synchronous in OpenSBI as for 8.2 above. */
	long err = riscv_sbi_call_harts(RISCV_SBI_EXT_RFENCE,
					RISCV_SBI_RFENCE_FENCE_I, cpus, 0, 0);

	if (err != 0) {
		panic("SBI remote_fence_i failed: error %ld", err);
	}
}

/*
 * RCU's expedited grace period (core/mm/pt_node.c): an IPI whose handler
 * executes a full fence on each target, answered before this returns.
 */
void arch_cpu_barrier_remote(uint64_t targets)
{
	smp_barrier_by_ipi(targets);
}
