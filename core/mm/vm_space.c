// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace (DESIGN.md §7): the kernel table, the pool of spaces and their
 * handles, creation and destruction, activation and fault handlers.
 * Cursors are in vm_space_cursor.c, the owner and its tokens in
 * vm_space_tokens.c.
 *
 * The framework holds the state: spaces live in a pool here, each with
 * its owner and its token table; callers hold pointers into the pool
 * (checked with vm_space_checked()) and token handles (checked against
 * the token table at every use).
 *
 * Lock order: a space's lock, then page-table node locks (cursors). No
 * function holds two spaces' locks.
 */

#include "ostd/vm_space.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/config.h"
#include "ostd/internal/asid.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/math.h"
#include "ostd/printf.h"
#include "ostd/smp.h"
#include "ostd/task.h"

#include "pt_internal.h"
#include "vm_space_internal.h"

static struct page_table kernel_pt;
static bool kernel_pt_ready;
static _Atomic uint64_t next_space_id = 1;

ostd_err_t vm_space_init_kernel(const struct pt_config *kernel)
{
	CHECKIF (kernel == NULL) {
		return OSTD_EINVAL;
	}
	if (kernel_pt_ready) {
		return kernel_pt.cfg == kernel ? OSTD_OK : OSTD_EINVAL;
	}
	ostd_err_t err = page_table_new_kernel(kernel, &kernel_pt);

	kernel_pt_ready = err == OSTD_OK;
	/* Before any space exists, on the boot CPU: the width is fixed. */
	asid_init(CONFIG_ASID ? arch_asid_bits() : 0);
	return err;
}

struct page_table *vm_space_kernel_pt(void)
{
	return kernel_pt_ready ? &kernel_pt : NULL;
}

/*
 * The framework's storage for spaces. A destroyed space keeps its slot
 * (so that its stale handles are refused, not reinterpreted) until a new
 * space needs one: a never-used slot first, else the one destroyed
 * longest ago.
 */
static struct vm_space pool[VM_SPACE_POOL_SIZE];
static struct spinlock pool_lock = SPINLOCK_INIT;
static uint64_t pool_seq;

STATIC_ASSERT(sizeof(struct vm_space) == VM_SPACE_SLOT_ALIGN,
	      "A space slot is one aligned page: the handle's tag bits are "
	      "the low bits of the slot's address.");

/* The slot at @p p, an address anywhere in it, or NULL. */
static struct vm_space *slot_at(uintptr_t p)
{
	uintptr_t base = (uintptr_t)pool;

	if (p < base || p - base >= sizeof(pool)) {
		return NULL;
	}
	return &pool[(p - base) / sizeof(pool[0])];
}

struct vm_space *vm_space_checked(const struct vm_space *vs)
{
	uintptr_t p = (uintptr_t)vs;
	uintptr_t tag = p & (VM_SPACE_SLOT_ALIGN - 1);
	struct vm_space *slot = slot_at(p - tag);

	if (slot == NULL ||
	    atomic_load_explicit(&slot->tag, memory_order_acquire) != tag) {
		return NULL;
	}
	return slot;
}

struct vm_space *vm_space_handle(struct vm_space *slot)
{
	uintptr_t tag = atomic_load_explicit(&slot->tag, memory_order_relaxed);

	/* Not a pointer to dereference: the caller's type is opaque. */
	return (struct vm_space *)((uintptr_t)slot + tag);
}

STATIC_ASSERT(__builtin_offsetof(struct vm_space, pt) == 0,
	      "A space's table is its first member, so the table's address "
	      "is the slot's.");

struct vm_space *vm_space_of_table(const struct page_table *pt)
{
	uintptr_t p = (uintptr_t)pt;
	struct vm_space *slot = slot_at(p);

	return slot != NULL && (uintptr_t)&slot->pt == p ? slot : NULL;
}

bool pt_is_vm_space_table(const struct page_table *pt)
{
	return vm_space_of_table(pt) != NULL;
}

/* A slot for a new space, claimed (still destroyed), or NULL. */
static struct vm_space *pool_take(void)
{
	struct vm_space *best = NULL;

	spin_lock(&pool_lock);
	for (unsigned int i = 0; i < VM_SPACE_POOL_SIZE; i++) {
		struct vm_space *vs = &pool[i];

		if (!vs->in_use) {
			best = vs;
			break;
		}
		if (vs->destroyed && !vs->claimed &&
		    (best == NULL || vs->freed_seq < best->freed_seq)) {
			best = vs;
		}
	}
	if (best != NULL) {
		best->in_use = true;
		best->destroyed = true;
		best->claimed = true;
		/* Every handle of the slot's last space is stale from now. */
		atomic_store_explicit(
			&best->tag,
			(atomic_load_explicit(&best->tag,
					      memory_order_relaxed) +
			 1) % VM_SPACE_SLOT_ALIGN,
			memory_order_release);
	}
	spin_unlock(&pool_lock);
	return best;
}

/* Marks @p vs destroyed and its slot free for reuse. */
static void pool_give_back(struct vm_space *vs)
{
	spin_lock(&pool_lock);
	vs->freed_seq = ++pool_seq;
	vs->destroyed = true;
	vs->claimed = false;
	spin_unlock(&pool_lock);
}

ostd_err_t vm_space_new(struct vm_space **out, struct page_table *kernel,
			bool shared_reader)
{
	if (kernel == NULL) {
		kernel = vm_space_kernel_pt();
	}
	/*
	 * Only a kernel table: sharing a user table's root entries would
	 * share its sub-trees, which both spaces would then free.
	 */
	CHECKIF (out == NULL || kernel == NULL ||
		 kernel->cfg->top_level_can_unmap ||
		 kernel->cfg->twin == NULL) {
		return OSTD_EINVAL;
	}
	struct vm_space *vs = pool_take();

	if (vs == NULL) {
		return OSTD_ENOMEM;
	}
	struct page_table pt;
	ostd_err_t err = page_table_new_user(kernel->cfg->twin, kernel, &pt);

	if (err != OSTD_OK) {
		pool_give_back(vs);
		return err;
	}
	spin_lock(&vs->lock);
	vs->pt = pt;
	vs->id = atomic_fetch_add(&next_space_id, 1);
	vs->owner = (struct vm_space_owner){ .active = true,
					     .shared_reader = shared_reader };
	vs->next_token = 1;
	for (unsigned int i = 0; i < VM_SPACE_MAX_TOKENS; i++) {
		vs->tokens[i] = (struct vm_io_slot){ .id = 0 };
	}
	vs->index = (struct vm_io_index){ .used = { 0 } };
	vs->fault_handler = NULL;
	vs->fault_ctx = NULL;
	/*
	 * No id yet: the slot's last space's ASID stays taken until the
	 * generation rolls over (asid.c), so this space cannot inherit its
	 * entries.
	 */
	asid_ctx_init(&vs->asid);
	vs->claimed = false;
	vs->destroyed = false;
	spin_unlock(&vs->lock);
	*out = vm_space_handle(vs);
	return OSTD_OK;
}

static void drop_table_here(void *arg);
static void drop_task_ref(struct page_table *pt);

ostd_err_t vm_space_destroy(struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL) {
		return OSTD_EBADSTATE;
	}
	spin_lock(&vs->lock);
	CHECKIF (vs->destroyed) {
		spin_unlock(&vs->lock);
		return OSTD_EBADSTATE;
	}
	/* Tasks other than the caller that run in this space. */
	unsigned int others =
		vs->task_refs - (task_current()->pt == &vs->pt ? 1 : 0);

	CHECKIF (vs->owner.active_tokens != 0 || others != 0) {
		spin_unlock(&vs->lock);
		return OSTD_EBUSY;
	}
	vs->destroyed = true;
	vs->owner.active = false;
	/* Its created and disposed tokens stay, to be removed (only). */
	spin_unlock(&vs->lock);

	/*
	 * Unmap everything; the cursor's drop flushes every active CPU and
	 * marks the space's ASID stale on the CPUs that ran it. The ASID is
	 * not freed: it stays taken until the generation rolls over, when
	 * every CPU drops every ASID's entries (asid.c).
	 */
	struct pt_cursor cur;
	ostd_err_t err = pt_cursor_new_mut_internal(&vs->pt, vs->pt.va_start,
						    vs->pt.va_last + 1, &cur);

	if (err == OSTD_OK) {
		err = pt_cursor_unmap(
			&cur, vs->pt.va_last + 1 - vs->pt.va_start, NULL);
		pt_cursor_drop(&cur);
	}
	/* Unmapping an aligned whole range needs no memory: cannot fail. */
	CHECK(err == OSTD_OK);
	pt_rcu_barrier();
	/*
	 * No task but the caller holds the table (task_refs), yet other
	 * CPUs may still have its root loaded from a task that has since
	 * moved on: each drops it before the root is freed.
	 */
	uint64_t lazy = atomic_load(&vs->pt.active_cpus.bits) &
			~(1ULL << arch_cpu_id());

	if (lazy != 0) {
		CHECK(smp_call(lazy & smp_cpu_online_mask(), drop_table_here,
			       &vs->pt, true) == OSTD_OK);
	}
	drop_table_here(&vs->pt);
	struct task *self = task_current();

	if (self->pt == &vs->pt) {
		self->pt = NULL;
		drop_task_ref(&vs->pt);
	}
	CHECK(vs->task_refs == 0);
	page_table_destroy(&vs->pt);
	pool_give_back(vs);
	return OSTD_OK;
}

/* Takes @p pt's root out of this CPU's MMU if it is there. */
static void drop_table_here(void *arg)
{
	struct page_table *pt = arg;
	struct cpu_local *cl = cpu_local();

	if (cl->current_pt == pt) {
		arch_vm_activate(pt->kernel);
		cl->current_pt = NULL;
	}
	cpu_set_remove(&pt->active_cpus, cl->id);
}

/*
 * The root switch: with ASIDs on, a space keeps its TLB entries across
 * switches and the allocator says what must go (asid.c); a kernel table
 * and every space with ASIDs off run with ASID 0 and flush.
 */
static void switch_root(struct cpu_local *cl, struct page_table *pt)
{
	struct asid_ctx *ctx = asid_ctx_of_table(pt);

	if (ctx == NULL) {
		arch_vm_activate(pt);
		return;
	}
	enum asid_flush flush;
	uint16_t asid = asid_switch(ctx, cl->id, &flush);

	arch_vm_activate_asid(pt, asid, flush);
}

/* Loads @p pt on this CPU (NULL: nothing to load), keeping the sets. */
static void load_table(struct page_table *pt)
{
	struct cpu_local *cl = cpu_local();
	struct page_table *prev = cl->current_pt;

	if (pt == NULL || prev == pt) {
		return;
	}
	/* In the set before the root is loaded: no flush can miss us. */
	cpu_set_add(&pt->active_cpus, cl->id);
	switch_root(cl, pt);
	cl->current_pt = pt;
	/* The old space no longer needs this CPU's TLB shootdowns. */
	if (prev != NULL) {
		cpu_set_remove(&prev->active_cpus, cl->id);
	}
}

static void drop_task_ref(struct page_table *pt)
{
	struct vm_space *slot = vm_space_of_table(pt);

	if (slot != NULL) {
		spin_lock(&slot->lock);
		CHECK(slot->task_refs > 0);
		slot->task_refs--;
		spin_unlock(&slot->lock);
	}
}

ostd_err_t vm_space_activate(struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL) {
		return OSTD_EBADSTATE;
	}
	struct task *self = task_current();
	/* No switch of CPU between the checks and the load. */
	unsigned long flags = arch_irq_save();

	spin_lock(&vs->lock);
	CHECKIF (vs->destroyed) {
		spin_unlock(&vs->lock);
		arch_irq_restore(flags);
		return OSTD_EBADSTATE;
	}
	struct page_table *old = self->pt;

	if (old != &vs->pt) {
		vs->task_refs++;
		self->pt = &vs->pt;
	}
	spin_unlock(&vs->lock);
	load_table(&vs->pt);
	arch_irq_restore(flags);
	if (old != NULL && old != &vs->pt) {
		drop_task_ref(old);
	}
	return OSTD_OK;
}

void vm_space_task_resumed(struct task *t)
{
	load_table(t->pt);
}

void vm_space_task_exit(struct task *t)
{
	if (t->pt != NULL) {
		drop_task_ref(t->pt);
		t->pt = NULL;
	}
}

struct vm_space *vm_space_current(void)
{
	/* current_pt only ever holds a space's own table (activate). */
	struct vm_space *slot = vm_space_of_table(cpu_local()->current_pt);

	return slot == NULL ? NULL : vm_space_handle(slot);
}

bool vm_space_slot_is_current(const struct vm_space *slot)
{
	return !slot->destroyed &&
	       pa_addr(arch_vm_current_root()) == pa_addr(slot->pt.root);
}

bool vm_space_is_current(const struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	return vs != NULL && vm_space_slot_is_current(vs);
}

bool vm_space_is_destroyed(const struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	return vs == NULL || vs->destroyed;
}

void vm_space_set_fault_handler(struct vm_space *vs, vm_fault_handler fn,
				void *ctx)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL) {
		return;
	}
	spin_lock(&vs->lock);
	vs->fault_handler = fn;
	vs->fault_ctx = ctx;
	spin_unlock(&vs->lock);
}

bool vm_space_fault_is_spurious(struct vm_space *vs, uint64_t va,
				uint32_t access)
{
	struct vm_space_cursor c;
	uint64_t page = align_down(va, PAGE_SIZE);
	struct pt_query q;
	bool mapped = false;

	vs = vm_space_checked(vs);
	if (vs == NULL ||
	    (access != PROT_R && access != PROT_W && access != PROT_X)) {
		return false;
	}
	if (page >= MAX_USER_VADDR ||
	    vm_space_cursor(vm_space_handle(vs), page, page + PAGE_SIZE, &c) !=
		    OSTD_OK) {
		return false;
	}
	if (vm_space_cursor_query(&c, &q) == OSTD_OK &&
	    q.item.kind != PT_ITEM_NONE) {
		uint32_t need = PROT_USER | access;

		mapped = (q.prop.flags & need) == need;
	}
	vm_space_cursor_drop(&c);
	if (mapped) {
		arch_tlb_flush_local(&vs->pt,
				     (struct tlb_op){ .kind = TLB_OP_PAGE,
						      .va = page,
						      .len = PAGE_SIZE });
	}
	return mapped;
}

ostd_err_t vm_space_handle_fault(struct vm_space *vs, uint64_t va, bool write)
{
	vs = vm_space_checked(vs);
	if (vs == NULL) {
		return OSTD_EFAULT;
	}
	spin_lock(&vs->lock);
	vm_fault_handler fn = vs->destroyed ? NULL : vs->fault_handler;
	void *ctx = vs->fault_ctx;

	spin_unlock(&vs->lock);
	if (fn == NULL) {
		return OSTD_EFAULT;
	}
	return fn(vm_space_handle(vs), va, write, ctx) == OSTD_OK ? OSTD_OK
								  : OSTD_EFAULT;
}
