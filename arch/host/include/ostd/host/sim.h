/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The host machine: simulated physical memory, simulated CPUs, and per CPU
 * a software MMU and a software TLB. It is the oracle the page-table core is
 * tested against (../shared/TESTING.md, "Testability architecture").
 *
 * - Physical memory is one arena: paddr = offset into it.
 * - The MMU walks a root in one of the real formats with code written from
 *   each ISA manual (sim_mmu_<format>.c), not with the codec under test.
 * - The TLB caches translations, global ones too, and forgets them only
 *   through the flush functions, so a missing flush is observable.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/pt_config.h"
#include "ostd/sync.h"
#include "ostd/types.h"

/* --- Physical memory. --- */

/** Creates the arena and resets every CPU. Called once by the host main. */
void sim_init(uint64_t phys_bytes);

/*
 * Host-only tests that build tables by hand take their pages from this
 * reserved window, which the frame allocator never hands out.
 */
#define SIM_SCRATCH_BASE (16ULL << 20)
#define SIM_SCRATCH_SIZE (16ULL << 20)

/** Size of the simulated physical memory, in bytes. */
uint64_t sim_phys_size(void);

/**
 * The host pointer for @p pa, or NULL if [@p pa, @p pa + @p len) is not
 * inside the arena.
 */
void *sim_phys_ptr(paddr_t pa, uint64_t len);

/* --- Translation. --- */

enum sim_access {
	SIM_READ,
	SIM_WRITE,
	SIM_EXEC,
};

enum sim_fault {
	SIM_OK,
	/* The address is not canonical for the format. */
	SIM_FAULT_NON_CANONICAL,
	/* No valid entry on the way to a leaf. */
	SIM_FAULT_NOT_PRESENT,
	/* A valid leaf forbids this access in this mode. */
	SIM_FAULT_PERMISSION,
	/* An entry has a reserved bit or encoding set. */
	SIM_FAULT_RESERVED,
	/* AArch64: the leaf's AF is clear (no hardware AF update). */
	SIM_FAULT_ACCESS_FLAG,
	/* A table or leaf points outside physical memory. */
	SIM_FAULT_BUS,
};

/* CPU state that changes what an access may do. */
struct sim_mode {
	bool user; /* The access comes from user mode. */
	/* x86_64: CR0.WP, CR4.SMEP, CR4.SMAP, EFER.NXE, RFLAGS.AC. */
	bool wp;
	bool smep;
	bool smap;
	bool nxe;
	bool ac;
	/* RISC-V: sstatus.SUM and sstatus.MXR. */
	bool sum;
	bool mxr;
	/* AArch64: PSTATE.PAN. */
	bool pan;
};

/* The longest walk a format has (five levels). */
#define SIM_PATH_MAX 5

/*
 * A successful translation, as a TLB caches it: what the format's check()
 * needs to decide a later access from the cache.
 */
struct sim_translation {
	paddr_t pa;       /* Of the accessed byte. */
	uint64_t page_va; /* Base of the page containing the address. */
	uint64_t page_size;
	paddr_t page_pa;
	bool readable; /* Rights, all levels combined, as the format's */
	bool writable; /* check() reads them (raw bits or per mode). */
	bool executable;
	bool user; /* User-accessible. */
	bool global;
	bool dirty; /* The leaf was dirty when cached. */
	/*
	 * The descriptors the walk read, root level first: where each was
	 * and what it held (path_len 0 if the format's walker does not
	 * record them). The break-before-make check compares them with
	 * memory when the entry is flushed.
	 */
	unsigned int path_len;
	paddr_t path_pa[SIM_PATH_MAX];
	uint64_t path_desc[SIM_PATH_MAX];
};

/*
 * One format's "hardware": how a CPU of that ISA walks and checks. Each is
 * written from the ISA manual and cites it.
 */
struct sim_mmu_hw {
	const char *name;
	/**
	 * Walks from @p root for an access of @p kind at @p va in @p mode.
	 * Like the hardware, it may set accessed/dirty bits in memory, but
	 * only for an access it permits.
	 */
	enum sim_fault (*walk)(const struct sim_mmu_hw *hw, paddr_t root,
			       uint64_t va, enum sim_access kind,
			       const struct sim_mode *mode,
			       struct sim_translation *out);
	/** Checks a cached translation for an access (a TLB hit). */
	enum sim_fault (*check)(const struct sim_translation *t,
				enum sim_access kind,
				const struct sim_mode *mode);
	/* Format-specific parameter (RISC-V: number of levels). */
	unsigned int levels;
	/**
	 * For a format that requires break-before-make (AArch64): true if
	 * replacing the valid descriptor @p old, read at OSTD level @p level
	 * of the walk, by the valid descriptor @p now needs it. NULL for the
	 * formats that allow any direct change.
	 */
	bool (*needs_bbm)(const struct sim_mmu_hw *hw, uint64_t old,
			  uint64_t now, unsigned int level);
	/** Whether descriptor @p desc is valid (read only with needs_bbm). */
	bool (*desc_valid)(uint64_t desc);
};

/*
 * One walk of a format whose hardware updates A/D bits itself. It sets
 * *again when an entry changed between its read and its A/D update (the
 * locked update lands only on the entry as read), and the walk restarts.
 */
typedef enum sim_fault (*sim_walk_once_fn)(paddr_t root, uint64_t va,
					   enum sim_access kind,
					   const struct sim_mode *mode,
					   struct sim_translation *out,
					   bool *again);

/** Runs @p once until a walk completes without a concurrent change. */
enum sim_fault sim_walk_until_stable(sim_walk_once_fn once, paddr_t root,
				     uint64_t va, enum sim_access kind,
				     const struct sim_mode *mode,
				     struct sim_translation *out);

extern const struct sim_mmu_hw sim_mmu_x86_64;
extern const struct sim_mmu_hw sim_mmu_sv48;
extern const struct sim_mmu_hw sim_mmu_sv39;
extern const struct sim_mmu_hw sim_mmu_aarch64;
extern const struct sim_mmu_hw sim_mmu_hostile;

/** The hardware for a config (by its format), or NULL. */
const struct sim_mmu_hw *sim_mmu_for(const struct pt_config *cfg);

/* --- CPUs and TLBs. --- */

#define SIM_MAX_CPUS 8
#define SIM_TLB_ENTRIES 64

/*
 * Entries are also keyed by the privilege that filled them: a translation
 * carries rights as the walker computed them for one mode (AArch64's UXN
 * and PXN differ), so a kernel-filled entry never answers a user access.
 * That only makes the TLB miss more often than a real one, never hit
 * wrongly.
 */
struct sim_tlb_entry {
	bool valid;
	bool user_mode;
	uint16_t asid;
	paddr_t root; /* The root the walk started from. */
	struct sim_translation t;
};

struct sim_cpu {
	/* Guards the TLB: remote flushes come from other threads. */
	struct spinlock lock;
	unsigned int id;
	const struct sim_mmu_hw *hw;
	paddr_t root;
	uint16_t asid;
	struct sim_mode mode;
	struct sim_tlb_entry tlb[SIM_TLB_ENTRIES];
	uint64_t rng; /* Replacement choice: deterministic per CPU. */
	/* Counters for tests. */
	uint64_t tlb_hits;
	uint64_t tlb_misses;
	uint64_t flushes;
};

/** Simulated CPU @p id (< SIM_MAX_CPUS). */
struct sim_cpu *sim_cpu(unsigned int id);

/** The CPU the calling thread runs as (CPU 0 unless set). */
struct sim_cpu *sim_cpu_current(void);

/** Makes the calling thread run as CPU @p id. */
void sim_cpu_set_current(unsigned int id);

/**
 * Loads a root on @p cpu, as writing CR3/satp/TTBR0 would. Like the
 * hardware, this does not flush the TLB; the arch hook that switches
 * spaces decides that.
 */
void sim_cpu_set_root(struct sim_cpu *cpu, const struct sim_mmu_hw *hw,
		      paddr_t root, uint16_t asid);

/**
 * Translates an access through the TLB, walking on a miss. The TLB keeps
 * what it cached until flushed, even if the table changed since.
 */
enum sim_fault sim_cpu_translate(struct sim_cpu *cpu, uint64_t va,
				 enum sim_access kind,
				 struct sim_translation *out);

/** Reads or writes @p len bytes of virtual memory (no page crossing). */
enum sim_fault sim_cpu_read(struct sim_cpu *cpu, uint64_t va, void *buf,
			    uint64_t len);
enum sim_fault sim_cpu_write(struct sim_cpu *cpu, uint64_t va, const void *buf,
			     uint64_t len);

/* Flushes, as the arch TLB hooks issue them. */
void sim_tlb_flush_page(struct sim_cpu *cpu, uint64_t va);
void sim_tlb_flush_all(struct sim_cpu *cpu, bool include_global);
void sim_tlb_flush_asid(struct sim_cpu *cpu, uint16_t asid);

/*
 * The break-before-make detector (formats with needs_bbm: AArch64). The
 * hardware may cache a translation until a TLB invalidation removes it; so
 * when a flush removes an entry, every descriptor its walk read must hold
 * either what it held then, or an invalid descriptor, or a change that
 * needs no break-before-make. A valid descriptor of another block size,
 * output address or memory type there means it was written over the old
 * one while the old translation could still be used: a violation ("Using
 * break-before-make when updating translation table entries", Arm ARM
 * D8.16.1). Checked only for entries of the CPU's current root (a root
 * that was switched away from may be freed). Each violation is printed
 * and counted.
 */

/** The violations seen since start. */
uint64_t sim_bbm_violations(void);

/**
 * Declares @p n of the violations seen as planted by a test (the
 * detector's own test): the host runner fails a test whose run adds any
 * violation it did not declare.
 */
void sim_bbm_expect(uint64_t n);

/** The violations seen and not declared planted. */
uint64_t sim_bbm_unexpected(void);

/** True if any TLB entry of @p cpu translates into [@p pa, +@p len). */
bool sim_tlb_caches_pa(const struct sim_cpu *cpu, paddr_t pa, uint64_t len);

/** Names a fault ("not present"), for messages. */
const char *sim_fault_name(enum sim_fault f);
