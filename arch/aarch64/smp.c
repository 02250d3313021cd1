// SPDX-License-Identifier: MPL-2.0
/*
 * aarch64 SMP (the contract in ostd/arch/smp.h): TPIDR_EL1 as the per-CPU
 * register, the CPUs from the device tree's /cpus, and starting them by
 * PSCI CPU_ON or a spin table.
 *
 * - The CPUs are the /cpus children with device_type = "cpu" (Devicetree
 *   Specification v0.4, 3.7 "/cpus" and 3.8 "/cpus/cpu*"; status "okay"
 *   or absent); `reg` is the MPIDR_EL1 affinity (Linux
 *   Documentation/devicetree/bindings/arm/cpus.yaml). The boot CPU is the
 *   one whose MPIDR_EL1 Aff3..Aff0 equal its reg.
 * - `enable-method = "psci"`: CPU_ON through the conduit /psci `method`
 *   names ("hvc" when QEMU implements PSCI for an EL1 guest, "smc" with
 *   virtualization=on or under EL3 firmware).
 * - `enable-method = "spin-table"`: the CPU polls `cpu-release-addr` with
 *   wfe; we write the entry's physical address there (booting.rst,
 *   "spin-table"). A board without a device tree (raspi3b: QEMU's stub,
 *   hw/arm/raspi.c, polls 0xd8 + 8 * core) names the first release
 *   address in its manifest (BOARD_CPU_RELEASE_BASE), one 64-bit slot per
 *   core, cores 0..3.
 *
 * Either way the CPU enters aarch64_secondary_entry (boot.S) at its
 * physical address with the MMU off, and finds its boot record: from
 * CPU_ON's context_id, or from the spin table by its MPIDR_EL1.
 *
 * "Arm ARM" is DDI 0487 (G.b numbering); PSCI is DEN 0022 (D.b).
 */

#include "ostd/arch/smp.h"

#include <stddef.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/aarch64_layout.h"
#include "ostd/arch/aarch64_smp.h"
#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/boot.h"
#include "ostd/fdt.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/printf.h"
#include "ostd/vm_space.h"

#include "generated/board.h"

struct aarch64_boot_record {
	uint64_t mpidr;
	uint64_t cl;
	uint64_t stack_top;
	uint64_t ttbr1;
} __attribute__((aligned(AARCH64_BOOT_REC_SIZE)));

STATIC_ASSERT(offsetof(struct aarch64_boot_record, mpidr) ==
		      AARCH64_BOOT_REC_MPIDR,
	      "boot.S reads the record's mpidr at AARCH64_BOOT_REC_MPIDR.");
STATIC_ASSERT(offsetof(struct aarch64_boot_record, cl) == AARCH64_BOOT_REC_CL,
	      "boot.S reads the record's cl at AARCH64_BOOT_REC_CL.");
STATIC_ASSERT(offsetof(struct aarch64_boot_record, stack_top) ==
		      AARCH64_BOOT_REC_STACK,
	      "boot.S reads the record's stack at AARCH64_BOOT_REC_STACK.");
STATIC_ASSERT(offsetof(struct aarch64_boot_record, ttbr1) ==
		      AARCH64_BOOT_REC_TTBR1,
	      "boot.S reads the record's TTBR1 at AARCH64_BOOT_REC_TTBR1.");
STATIC_ASSERT(sizeof(struct aarch64_boot_record) == AARCH64_BOOT_REC_SIZE,
	      "boot.S steps through the records by AARCH64_BOOT_REC_SIZE.");
STATIC_ASSERT(AARCH64_BOOT_RECORD_COUNT == OSTD_MAX_CPUS,
	      "boot.S searches AARCH64_BOOT_RECORD_COUNT records, one per "
	      "possible CPU index.");
STATIC_ASSERT(AARCH64_BOOT_MPIDR_AFF == AARCH64_MPIDR_AFF_MASK,
	      "boot.S and C must agree on MPIDR_EL1's affinity fields.");
STATIC_ASSERT(AARCH64_CL_ARCH_END <= sizeof(((struct cpu_local *)0)->arch),
	      "The aarch64 per-CPU words must fit in cpu_local.arch[].");
STATIC_ASSERT(offsetof(struct cpu_local, arch) == CPU_LOCAL_ARCH_OFFSET,
	      "The assembly reaches cpu_local.arch[] at [TPIDR_EL1, #off].");

/* Read by boot.S with the MMU off, by physical address. */
struct aarch64_boot_record aarch64_boot_records[OSTD_MAX_CPUS];

void aarch64_secondary_entry(void);

enum start_method {
	START_NONE,
	START_PSCI,
	START_SPIN_TABLE,
};

/* What arch_smp_enumerate() found for each CPU, by hardware id order. */
static struct {
	uint64_t hw_id;
	enum start_method method;
	uint64_t release_pa;
} found[OSTD_MAX_CPUS];
static unsigned int found_count;

void arch_cpu_local_install(struct cpu_local *cl)
{
	aarch64_write_sysreg(tpidr_el1, (uint64_t)(uintptr_t)cl);
	/* D13.1.2: later reads of TPIDR_EL1 by this PE see the write. */
	__asm__ volatile("isb" : : : "memory");
}

struct cpu_local *arch_cpu_local(void)
{
	struct cpu_local *cl =
		(struct cpu_local *)(uintptr_t)aarch64_read_sysreg(tpidr_el1);

	/* boot.S zeroes it: a panic before smp_init_boot_cpu() is CPU 0. */
	return cl != NULL ? cl : &cpu_locals[0];
}

uint64_t *aarch64_cpu_word(unsigned int offset)
{
	CHECK(offset < AARCH64_CL_ARCH_END && offset % 8 == 0);
	return &arch_cpu_local()->arch[offset / 8];
}

static bool str_eq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static uint64_t my_mpidr(void)
{
	return aarch64_read_sysreg(mpidr_el1) & AARCH64_MPIDR_AFF_MASK;
}

static const void *boot_fdt(void)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	if (info == NULL || pa_addr(info->fdt) == 0) {
		return NULL;
	}
	return arch_paddr_to_ptr(info->fdt);
}

/* "/cpus/<name>" into @p buf; false if it does not fit. */
static bool cpu_path(char *buf, size_t size, const char *name)
{
	static const char prefix[] = "/cpus/";
	size_t n = 0;

	for (; prefix[n] != '\0'; n++) {
		buf[n] = prefix[n];
	}
	for (size_t i = 0; name[i] != '\0'; i++, n++) {
		if (n + 1 >= size) {
			return false;
		}
		buf[n] = name[i];
	}
	buf[n] = '\0';
	return true;
}

/* One /cpus child: adds it to found[] if it is a CPU we can start. */
static void add_fdt_cpu(const void *fdt, const char *name)
{
	char path[64];
	uint64_t reg = 0;

	if (!cpu_path(path, sizeof(path), name)) {
		return;
	}
	const char *type = ostd_fdt_prop_string(fdt, path, "device_type");
	const char *status = ostd_fdt_prop_string(fdt, path, "status");

	if (type == NULL || !str_eq(type, "cpu") ||
	    (status != NULL && !str_eq(status, "okay") &&
	     !str_eq(status, "ok")) ||
	    ostd_fdt_prop_u64(fdt, path, "reg", &reg) != OSTD_OK ||
	    found_count == OSTD_MAX_CPUS) {
		return;
	}
	const char *method = ostd_fdt_prop_string(fdt, path, "enable-method");
	uint64_t release = 0;
	enum start_method how = START_NONE;

	if (method != NULL && str_eq(method, "psci")) {
		how = START_PSCI;
	} else if (method != NULL && str_eq(method, "spin-table") &&
		   ostd_fdt_prop_u64(fdt, path, "cpu-release-addr", &release) ==
			   OSTD_OK) {
		how = START_SPIN_TABLE;
	}
	found[found_count].hw_id = reg & AARCH64_MPIDR_AFF_MASK;
	found[found_count].method = how;
	found[found_count].release_pa = release;
	found_count++;
}

/* Without a device tree: the manifest's spin table, or this CPU alone. */
static void add_manifest_cpus(void)
{
#ifdef BOARD_CPU_RELEASE_BASE
	/* BCM2837: four cores, Aff0 = 0..3 (hw/arm/bcm2836.c). */
	for (unsigned int core = 0; core < 4; core++) {
		found[found_count].hw_id = core;
		found[found_count].method = START_SPIN_TABLE;
		found[found_count].release_pa =
			BOARD_CPU_RELEASE_BASE + 8ULL * core;
		found_count++;
	}
#else
	found[0].hw_id = my_mpidr();
	found[0].method = START_NONE;
	found_count = 1;
#endif
}

unsigned int arch_smp_enumerate(uint64_t *hw_ids, unsigned int max,
				unsigned int *boot)
{
	const void *fdt = boot_fdt();
	uint64_t self = my_mpidr();

	CHECK(max >= 1 && max <= OSTD_MAX_CPUS);
	found_count = 0;
	if (fdt != NULL) {
		const char *name;

		for (uint32_t i = 0;
		     (name = ostd_fdt_child_name(fdt, "/cpus", i)) != NULL;
		     i++) {
			add_fdt_cpu(fdt, name);
		}
	}
	if (found_count == 0) {
		add_manifest_cpus();
	}
	unsigned int n = found_count < max ? found_count : max;
	bool have_boot = false;

	for (unsigned int i = 0; i < n; i++) {
		hw_ids[i] = found[i].hw_id;
		if (found[i].hw_id == self) {
			*boot = i;
			have_boot = true;
		}
	}
	if (!have_boot) {
		/*
		 * The tree does not list the CPU we run on (or it was cut off
		 * by max): we cannot tell which entries are others, so run on
		 * this one alone.
		 */
		ostd_printf("smp: MPIDR %#llx is not among the %u CPU(s) the "
			    "firmware lists; staying on one CPU\n",
			    (unsigned long long)self, found_count);
		hw_ids[0] = self;
		found[0].hw_id = self;
		*boot = 0;
		return 1;
	}
	return n;
}

/*
 * Clean [p, p + len) to the point of coherency (Arm ARM D4.4.7 "Data and
 * unified caches", DC CVAC), then DSB SY: a CPU with its MMU and caches
 * off reads memory, not our cache.
 */
static void clean_to_poc(const void *p, size_t len)
{
	uint64_t ctr = aarch64_read_sysreg(ctr_el0);
	/* CTR_EL0.DminLine [19:16]: log2 of the smallest line in words. */
	uintptr_t line = 4UL << ((ctr >> 16) & 0xf);
	uintptr_t end = (uintptr_t)p + len;

	for (uintptr_t a = (uintptr_t)p & ~(line - 1); a < end; a += line) {
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	}
	__asm__ volatile("dsb sy" : : : "memory");
}

/*
 * PSCI (DEN 0022, 5.6 "CPU_ON", SMC64: function ID 0xC4000003; x1 = the
 * target's MPIDR, x2 = the entry point's physical address, x3 =
 * context_id, which the CPU finds in x0) over the SMC Calling Convention
 * (DEN 0028, 2.x "SMC64/HVC64 argument passing": x0-x3 results, x4-x17
 * may be clobbered). If the conduit is missing, the instruction is
 * undefined and the fixup (ostd/arch/aarch64.h) resumes after it with x0
 * still the function ID, which is not PSCI_SUCCESS either.
 */
#define PSCI_CPU_ON_64 0xC4000003U
#define PSCI_SUCCESS 0

#define PSCI_CLOBBERS                                                          \
	"x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", \
		"x15", "x16", "x17", "memory"

static int64_t psci_call(bool hvc, uint64_t fn, uint64_t a1, uint64_t a2,
			 uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	if (hvc) {
		__asm__ volatile("1:\thvc #0\n"
				 "2:\n" AARCH64_EXTABLE("1b", "2b")
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : PSCI_CLOBBERS);
	} else {
		__asm__ volatile("1:\tsmc #0\n"
				 "2:\n" AARCH64_EXTABLE("1b", "2b")
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : PSCI_CLOBBERS);
	}
	return (int64_t)x0;
}

static ostd_err_t start_psci(uint64_t mpidr, uint64_t entry_pa,
			     uint64_t record_pa)
{
	const void *fdt = boot_fdt();
	const char *method =
		fdt != NULL ? ostd_fdt_prop_string(fdt, "/psci", "method")
			    : NULL;

	if (method == NULL ||
	    (!str_eq(method, "hvc") && !str_eq(method, "smc"))) {
		return OSTD_ENODEV;
	}
	static bool said;

	if (!said) {
		said = true;
		ostd_printf("smp: PSCI CPU_ON over %s\n", method);
	}
	int64_t ret = psci_call(str_eq(method, "hvc"), PSCI_CPU_ON_64, mpidr,
				entry_pa, record_pa);

	if (ret != PSCI_SUCCESS) {
		ostd_printf("smp: PSCI CPU_ON(%#llx) returned %lld\n",
			    (unsigned long long)mpidr, (long long)ret);
		return OSTD_ENODEV;
	}
	return OSTD_OK;
}

/*
 * The spin table (booting.rst "spin-table"; QEMU raspi's stub spins on
 * `wfe; ldr x4, [release]; cbz x4, spin`): the entry's physical address
 * in the CPU's 64-bit release slot, cleaned to the point of coherency
 * since the waiting CPU reads with its caches off, then DSB SY so the
 * write has completed before SEV wakes it (Arm ARM D1.16.1 "Wait for
 * Event mechanism and Send event").
 */
static ostd_err_t start_spin_table(uint64_t release_pa, uint64_t entry_pa)
{
	if (release_pa == 0 || (release_pa & 7) != 0) {
		return OSTD_ENODEV;
	}
	volatile uint64_t *slot = arch_paddr_to_ptr(pa_init(release_pa));

	*slot = entry_pa;
	clean_to_poc((const void *)(uintptr_t)slot, sizeof(*slot));
	__asm__ volatile("sev" : : : "memory");
	return OSTD_OK;
}

ostd_err_t arch_cpu_start(struct cpu_local *cl, uintptr_t stack_top)
{
	unsigned int i = 0;

	while (i < found_count && found[i].hw_id != cl->hw_id) {
		i++;
	}
	CHECK(i < found_count && cl->id < OSTD_MAX_CPUS && stack_top != 0);
	if (found[i].method == START_NONE) {
		return OSTD_ENODEV;
	}
	struct aarch64_boot_record *rec = &aarch64_boot_records[cl->id];
	struct page_table *kpt = vm_space_kernel_pt();

	rec->mpidr = cl->hw_id;
	rec->cl = (uint64_t)(uintptr_t)cl;
	rec->stack_top = stack_top;
	rec->ttbr1 = pa_addr(kpt->root) + AARCH64_ROOT_KERNEL_HALF;
	/*
	 * The CPU reads its record, and walks the kernel table, before its
	 * caches are on (the table walks are cacheable once its MMU is on,
	 * TCR_EL1.IRGN1/ORGN1, and coherent with ours then).
	 */
	clean_to_poc(rec, sizeof(*rec));

	uint64_t entry_pa = pa_addr(
		arch_ptr_to_paddr((const void *)aarch64_secondary_entry));

	if (found[i].method == START_PSCI) {
		return start_psci(cl->hw_id, entry_pa,
				  pa_addr(arch_ptr_to_paddr(rec)));
	}
	return start_spin_table(found[i].release_pa, entry_pa);
}

/*
 * RCU's expedited grace period (core/mm/pt_node.c): an IPI whose handler
 * executes a full fence on each target, answered before this returns.
 */
void arch_cpu_barrier_remote(uint64_t targets)
{
	smp_barrier_by_ipi(targets);
}
