// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace and its run-time owners (DESIGN.md §7). The comments name the
 * vostd clause each check stands for.
 *
 * The framework holds the state: spaces live in a pool here, each with
 * its owner and its token table; callers hold pointers into the pool
 * (checked with vm_space_checked()) and token handles (checked against
 * the token table at every use).
 *
 * Lock order: a space's lock, then page-table node locks (cursors). No
 * function here holds two spaces' locks.
 */

#include "ostd/vm_space.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/tlb.h"

#include "ostd/config.h"
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
	return err;
}

struct page_table *vm_space_kernel_pt(void)
{
	return kernel_pt_ready ? &kernel_pt : NULL;
}

/* The user config of the kernel table's format (same codec and levels). */
static const struct pt_config *user_cfg(const struct page_table *kernel)
{
	const struct pt_config *user = arch_pt_config_user();

	if (user->new_pt == kernel->cfg->new_pt &&
	    user->nr_levels == kernel->cfg->nr_levels) {
		return user;
	}
	/* The host has every format: find the kernel config's twin. */
	unsigned int n;
	const struct pt_config *const *all = arch_pt_configs_for_tests(&n);

	for (unsigned int i = 0; i < n; i++) {
		if (all[i]->top_level_can_unmap &&
		    all[i]->new_pt == kernel->cfg->new_pt &&
		    all[i]->nr_levels == kernel->cfg->nr_levels) {
			return all[i];
		}
	}
	return NULL;
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
		 kernel->cfg->top_level_can_unmap || user_cfg(kernel) == NULL) {
		return OSTD_EINVAL;
	}
	struct vm_space *vs = pool_take();

	if (vs == NULL) {
		return OSTD_ENOMEM;
	}
	struct page_table pt;
	ostd_err_t err = page_table_new_user(user_cfg(kernel), kernel, &pt);

	if (err != OSTD_OK) {
		pool_give_back(vs);
		return err;
	}
	spin_lock(&vs->lock);
	vs->pt = pt;
	vs->id = atomic_fetch_add(&next_space_id, 1);
	vs->gen = 1;
	vs->owner = (struct vm_space_owner){ .active = true,
					     .shared_reader = shared_reader };
	vs->next_token = 1;
	for (unsigned int i = 0; i < VM_SPACE_MAX_TOKENS; i++) {
		vs->tokens[i] = (struct vm_io_slot){ .id = 0 };
	}
	vs->fault_handler = NULL;
	vs->fault_ctx = NULL;
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
	vs->gen++; /* Every token of this space is stale from now on. */
	vs->owner.active = false;
	/* Its created and disposed tokens stay, to be removed (only). */
	spin_unlock(&vs->lock);

	/* Unmap everything; the cursor's drop flushes every active CPU. */
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
	arch_vm_activate(pt);
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

/* ---------------------------------------------------------------------
 * Cursors with user-mapping rules.
 * --------------------------------------------------------------------- */

ostd_err_t vm_space_cursor(struct vm_space *vs, uint64_t start, uint64_t end,
			   struct vm_space_cursor *out)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	return pt_cursor_new(&vs->pt, start, end, vm_space_cursor_raw(out));
}

ostd_err_t vm_space_cursor_mut(struct vm_space *vs, uint64_t start,
			       uint64_t end, struct vm_space_cursor *out)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	CHECKIF (out == NULL) {
		return OSTD_EINVAL;
	}
	/* The rules come with the table (pt_is_vm_space_table()). */
	return pt_cursor_new_mut_internal(&vs->pt, start, end,
					  vm_space_cursor_raw(out));
}

uint64_t vm_space_cursor_va(struct vm_space_cursor *c)
{
	return pt_cursor_va(vm_space_cursor_raw(c));
}

struct tlb_flusher *vm_space_cursor_flusher(struct vm_space_cursor *c)
{
	return pt_cursor_flusher(vm_space_cursor_raw(c));
}

void vm_space_cursor_drop(struct vm_space_cursor *c)
{
	pt_cursor_drop(vm_space_cursor_raw(c));
}

ostd_err_t vm_space_cursor_query(struct vm_space_cursor *c, struct pt_query *q)
{
	return pt_cursor_query(vm_space_cursor_raw(c), q);
}

ostd_err_t vm_space_cursor_find_next(struct vm_space_cursor *c, uint64_t len,
				     uint64_t *found)
{
	return pt_cursor_find_next(vm_space_cursor_raw(c), len, found);
}

ostd_err_t vm_space_cursor_jump(struct vm_space_cursor *c, uint64_t va)
{
	return pt_cursor_jump(vm_space_cursor_raw(c), va);
}

ostd_err_t vm_space_cursor_unmap(struct vm_space_cursor *c, uint64_t len,
				 uint64_t *count)
{
	return pt_cursor_unmap(vm_space_cursor_raw(c), len, count);
}

ostd_err_t vm_space_cursor_protect_next(struct vm_space_cursor *c, uint64_t len,
					pt_protect_op op, void *ctx,
					uint64_t *range_start,
					uint64_t *range_len)
{
	return pt_cursor_protect_next(vm_space_cursor_raw(c), len, op, ctx,
				      range_start, range_len);
}

/*
 * S6: the privileged bits are the framework's, never the caller's. The
 * accessed bit is set up front, as Linux's default protections do: an
 * AArch64 core without FEAT_HAFDBS (Cortex-A72) never sets AF itself, so a
 * user leaf without it would take an access-flag fault on every access,
 * and nothing handles those.
 */
static ostd_err_t user_prop(struct pt_prop *prop)
{
	CHECKIF ((prop->flags &
		  (PROT_USER | PT_GLOBAL | PT_AVAIL1 | PT_AVAIL2)) != 0) {
		return OSTD_EINVAL;
	}
	prop->flags |= PROT_USER | PT_ACCESSED;
	return OSTD_OK;
}

ostd_err_t vm_space_map_frame(struct vm_space_cursor *c, paddr_t frame,
			      struct pt_prop prop)
{
	CHECKIF (c == NULL) {
		return OSTD_EINVAL;
	}
	/* S1: only untyped frames (user data) ever reach user space, and
	 * only through a user table. pt_cursor_map() checks it again. */
	CHECKIF (!frame_is_untyped(frame) ||
		 !pt_is_vm_space_table(vm_space_cursor_raw(c)->pt)) {
		return OSTD_EPERM;
	}
	ostd_err_t err = user_prop(&prop);

	if (err != OSTD_OK) {
		return err;
	}
	/* The kernel may have just written code into it (an ELF loader). */
	if ((prop.flags & PROT_X) != 0) {
		arch_sync_icache(frame, PAGE_SIZE);
	}
	return pt_cursor_map(vm_space_cursor_raw(c), pt_item_frame(frame),
			     prop);
}

ostd_err_t vm_space_map_io(struct vm_space_cursor *c, const struct io_mem *io,
			   uint64_t offset, pt_level_t level,
			   struct pt_prop prop)
{
	CHECKIF (c == NULL || io == NULL || level < 1 ||
		 level > PT_MAX_LEVELS) {
		return OSTD_EINVAL;
	}
	uint64_t size = pt_page_size(level);

	CHECKIF (!is_aligned(offset, size)) {
		return OSTD_EUNALIGNED;
	}
	CHECKIF (!range_within(offset, size, 0, io->len)) {
		return OSTD_EINVAL;
	}
	paddr_t pa = pa_init(pa_addr(io->pa) + offset);

	/* S1: device memory only; RAM reaches users as untyped frames. */
	CHECKIF (frame_range_is_managed(pa, size) ||
		 !pt_is_vm_space_table(vm_space_cursor_raw(c)->pt)) {
		return OSTD_EPERM;
	}
	ostd_err_t err = user_prop(&prop);

	if (err != OSTD_OK) {
		return err;
	}
	prop.cache = PT_CACHE_UNCACHED;
	/* A format that cannot say "uncached" leaves it to the platform. */
	if (!pt_cfg_prop_ok(vm_space_cursor_raw(c)->pt->cfg, prop)) {
		prop.cache = PT_CACHE_WRITEBACK;
	}
	return pt_cursor_map(vm_space_cursor_raw(c),
			     pt_item_untracked(pa, level), prop);
}

/* ---------------------------------------------------------------------
 * The owner: the token table (the registry) and the invariant.
 * --------------------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Non-empty ranges inside user space: no sum can wrap. */
	return a < b + blen && b < a + alen;
}

/* An active token of @p kind other than slot @p skip overlaps the range. */
static bool overlaps_active(const struct vm_space *vs, enum vm_io_kind kind,
			    unsigned int skip, uint64_t va, uint64_t len)
{
	for (unsigned int i = 0; i < VM_SPACE_MAX_TOKENS; i++) {
		const struct vm_io_slot *t = &vs->tokens[i];

		if (i != skip && t->id != 0 && t->state == VM_IO_ACTIVE &&
		    t->kind == kind && overlaps(t->va, t->len, va, len)) {
			return true;
		}
	}
	return false;
}

/* vostd VmSpaceOwner::can_create_reader / can_create_writer. Lock held. */
static bool can_create(const struct vm_space *vs, enum vm_io_kind kind,
		       unsigned int skip, uint64_t va, uint64_t len)
{
	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return true;
	}
	if (overlaps_active(vs, VM_IO_WRITER, skip, va, len)) {
		return false;
	}
	if (kind == VM_IO_WRITER || !vs->owner.shared_reader) {
		return !overlaps_active(vs, VM_IO_READER, skip, va, len);
	}
	return true;
}

/* The invariant over the token table. Lock held. */
static bool owner_inv_locked(const struct vm_space *vs)
{
	unsigned int readers = 0;
	unsigned int writers = 0;

	for (unsigned int i = 0; i < VM_SPACE_MAX_TOKENS; i++) {
		const struct vm_io_slot *t = &vs->tokens[i];

		if (t->id == 0) {
			continue;
		}
		if (t->id >= vs->next_token ||
		    !range_within(t->va, t->len, 0, MAX_USER_VADDR) ||
		    t->va == 0 || t->len == 0) {
			return false;
		}
		if (t->state != VM_IO_ACTIVE) {
			continue;
		}
		*(t->kind == VM_IO_READER ? &readers : &writers) += 1;
		if (IS_ENABLED(CONFIG_VM_OWNER_REGISTRY) &&
		    !can_create(vs, t->kind, i, t->va, t->len)) {
			return false;
		}
	}
	return readers == vs->owner.reader_count &&
	       writers == vs->owner.writer_count &&
	       readers + writers == vs->owner.active_tokens;
}

bool vm_space_owner_inv(struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	if (vs == NULL) {
		return false;
	}
	spin_lock(&vs->lock);
	bool ok = owner_inv_locked(vs);

	spin_unlock(&vs->lock);
	return ok;
}

/*
 * The slot @p t names in @p vs, if it is live (created, active or
 * disposed) and of @p kind; NULL otherwise. Lock held.
 */
static struct vm_io_slot *
slot_of(struct vm_space *vs, const struct vm_io_owner *t, enum vm_io_kind kind)
{
	if (t == NULL || t->space_id != vs->id ||
	    t->slot >= VM_SPACE_MAX_TOKENS || t->id == 0) {
		return NULL;
	}
	struct vm_io_slot *s = &vs->tokens[t->slot];

	return s->id == t->id && s->kind == kind ? s : NULL;
}

struct vm_io_slot *vm_space_slot_locked(struct vm_space *vs,
					const struct vm_io_owner *t,
					enum vm_io_kind kind)
{
	return slot_of(vs, t, kind);
}

/*
 * The checks of vostd's reader_requires / writer_requires, in order, one
 * error each. Lock held.
 */
static ostd_err_t create_check(const struct vm_space *vs, enum vm_io_kind kind,
			       uint64_t va, uint64_t len)
{
	if (vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	if (!vs->owner.active) {
		return OSTD_EINACTIVE; /* requires owner.active */
	}
	if (!vm_space_slot_is_current(vs)) {
		/* requires: this CPU's page table is this space's root. */
		return OSTD_ENOTCURRENT;
	}
	if (va == 0 || len == 0) {
		return OSTD_EINVAL; /* requires vaddr != 0 && len > 0 */
	}
	if (!range_within(va, len, 0, MAX_USER_VADDR)) {
		/* requires vaddr + len <= MAX_USERSPACE_VADDR (no wrap). */
		return OSTD_ERANGE;
	}
	if (!can_create(vs, kind, VM_SPACE_MAX_TOKENS, va, len)) {
		return OSTD_EBUSY; /* requires can_create_reader/writer */
	}
	if ((kind == VM_IO_READER
		     ? vs->owner.reader_count
		     : vs->owner.writer_count) == VM_SPACE_MAX_IO) {
		return OSTD_ENOMEM; /* The registry is full. */
	}
	return OSTD_OK;
}

static ostd_err_t create_io(struct vm_space *vs, enum vm_io_kind kind,
			    uint64_t va, uint64_t len,
			    struct vm_io_owner *token)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || token == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = create_check(vs, kind, va, len);
	unsigned int slot = VM_SPACE_MAX_TOKENS;

	for (unsigned int i = 0; err == OSTD_OK && i < VM_SPACE_MAX_TOKENS;
	     i++) {
		if (vs->tokens[i].id == 0) {
			slot = i;
			break;
		}
	}
	if (err == OSTD_OK && slot == VM_SPACE_MAX_TOKENS) {
		err = OSTD_ENOMEM; /* The token table is full. */
	}
	if (err == OSTD_OK) {
		unsigned int active = vs->owner.active_tokens;

		vs->tokens[slot] = (struct vm_io_slot){
			.id = vs->next_token++,
			.kind = kind,
			.state = VM_IO_CREATED,
			.va = va,
			.len = len,
		};
		*token = (struct vm_io_owner){
			.space_id = vs->id,
			.id = vs->tokens[slot].id,
			.slot = slot,
		};
		/* ensures: the registry is unchanged; the token has no view. */
		ASSERT(vs->owner.active_tokens == active);
		ASSERT(owner_inv_locked(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_create_reader(struct vm_space *vs, uint64_t va,
				  uint64_t len, struct vm_user_reader *reader,
				  struct vm_io_owner *token)
{
	CHECKIF (reader == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = create_io(vs, VM_IO_READER, va, len, token);

	if (err == OSTD_OK) {
		*reader = (struct vm_user_reader){ .cursor = va,
						   .end = va + len,
						   .space = vs,
						   .owner = *token };
	}
	return err;
}

ostd_err_t vm_space_create_writer(struct vm_space *vs, uint64_t va,
				  uint64_t len, struct vm_user_writer *writer,
				  struct vm_io_owner *token)
{
	CHECKIF (writer == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = create_io(vs, VM_IO_WRITER, va, len, token);

	if (err == OSTD_OK) {
		*writer = (struct vm_user_writer){ .cursor = va,
						   .end = va + len,
						   .space = vs,
						   .owner = *token };
	}
	return err;
}

static unsigned int *count_of(struct vm_space *vs, enum vm_io_kind kind)
{
	return kind == VM_IO_READER ? &vs->owner.reader_count
				    : &vs->owner.writer_count;
}

static ostd_err_t activate_io(struct vm_space *vs, const struct vm_io_owner *t,
			      enum vm_io_kind kind)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || t == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = OSTD_OK;
	struct vm_io_slot *s = slot_of(vs, t, kind);
	unsigned int *count = count_of(vs, kind);

	if (s == NULL || vs->destroyed || s->state == VM_IO_ACTIVE) {
		err = OSTD_EBADSTATE;
	} else if (!vs->owner.active) {
		err = OSTD_EINACTIVE; /* requires owner.active */
	} else if (!can_create(vs, kind, t->slot, s->va, s->len)) {
		err = OSTD_EBUSY;
	} else if (*count == VM_SPACE_MAX_IO) {
		err = OSTD_ENOMEM;
	}
	if (err == OSTD_OK) {
		(*count)++;
		vs->owner.active_tokens++;
		s->state = VM_IO_ACTIVE;
		ASSERT(owner_inv_locked(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

static ostd_err_t dispose_io(struct vm_space *vs, const struct vm_io_owner *t,
			     enum vm_io_kind kind)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || t == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = OSTD_EBADSTATE;
	struct vm_io_slot *s = slot_of(vs, t, kind);
	unsigned int *count = count_of(vs, kind);

	if (s != NULL && !vs->destroyed && s->state == VM_IO_ACTIVE) {
		CHECK(vs->owner.active_tokens > 0 && *count > 0);
		(*count)--;
		vs->owner.active_tokens--;
		s->state = VM_IO_DISPOSED;
		err = OSTD_OK;
		ASSERT(owner_inv_locked(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

static ostd_err_t remove_io(struct vm_space *vs, const struct vm_io_owner *t,
			    enum vm_io_kind kind)
{
	vs = vm_space_checked(vs);
	CHECKIF (vs == NULL || t == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = OSTD_EBADSTATE;

	/* Also in a destroyed space: that is how a holder cleans up. */
	struct vm_io_slot *s = slot_of(vs, t, kind);

	if (s != NULL && s->state != VM_IO_ACTIVE) {
		/* Its number is never handed out again. */
		*s = (struct vm_io_slot){ .id = 0 };
		err = OSTD_OK;
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_activate_reader(struct vm_space *vs,
				    const struct vm_io_owner *token)
{
	return activate_io(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_activate_writer(struct vm_space *vs,
				    const struct vm_io_owner *token)
{
	return activate_io(vs, token, VM_IO_WRITER);
}

ostd_err_t vm_space_dispose_reader(struct vm_space *vs,
				   const struct vm_io_owner *token)
{
	return dispose_io(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_dispose_writer(struct vm_space *vs,
				   const struct vm_io_owner *token)
{
	return dispose_io(vs, token, VM_IO_WRITER);
}

ostd_err_t vm_space_remove_reader(struct vm_space *vs,
				  const struct vm_io_owner *token)
{
	return remove_io(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_remove_writer(struct vm_space *vs,
				  const struct vm_io_owner *token)
{
	return remove_io(vs, token, VM_IO_WRITER);
}

enum vm_io_state vm_space_io_state(struct vm_space *vs,
				   const struct vm_io_owner *token)
{
	vs = vm_space_checked(vs);
	if (vs == NULL || token == NULL) {
		return VM_IO_REMOVED;
	}
	spin_lock(&vs->lock);
	struct vm_io_slot *s = slot_of(vs, token, VM_IO_READER);

	if (s == NULL) {
		s = slot_of(vs, token, VM_IO_WRITER);
	}
	enum vm_io_state st = s == NULL ? VM_IO_REMOVED : s->state;

	spin_unlock(&vs->lock);
	return st;
}

/* ---------------------------------------------------------------------
 * Test-only.
 * --------------------------------------------------------------------- */

void vm_space_test_set_owner_active(struct vm_space *vs, bool active)
{
	vs = vm_space_checked(vs);
	CHECK(vs != NULL);
	spin_lock(&vs->lock);
	vs->owner.active = active && !vs->destroyed;
	spin_unlock(&vs->lock);
}

void vm_space_test_dispose_all(struct vm_space *vs)
{
	vs = vm_space_checked(vs);
	CHECK(vs != NULL);
	spin_lock(&vs->lock);
	for (unsigned int i = 0; i < VM_SPACE_MAX_TOKENS; i++) {
		if (vs->tokens[i].id != 0 &&
		    vs->tokens[i].state == VM_IO_ACTIVE) {
			vs->tokens[i].state = VM_IO_DISPOSED;
		}
	}
	vs->owner.active_tokens = 0;
	vs->owner.reader_count = 0;
	vs->owner.writer_count = 0;
	spin_unlock(&vs->lock);
}
