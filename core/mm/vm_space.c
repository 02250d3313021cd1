// SPDX-License-Identifier: MPL-2.0
/*
 * VmSpace and its run-time owners (DESIGN.md §7). The comments name the
 * vostd clause each check stands for.
 *
 * Lock order: a space's lock, then page-table node locks (cursors). No
 * function here holds two spaces' locks.
 */

#include "ostd/vm_space.h"

#include "ostd/config.h"
#include "ostd/math.h"

#include "pt_internal.h"

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

/* Which table each CPU translates user addresses with, to keep sets. */
static struct page_table *current_pt[OSTD_MAX_CPUS];

ostd_err_t vm_space_new(struct vm_space *vs, struct page_table *kernel,
			bool shared_reader)
{
	if (kernel == NULL) {
		kernel = vm_space_kernel_pt();
	}
	/*
	 * Only a kernel table: sharing a user table's root entries would
	 * share its sub-trees, which both spaces would then free.
	 */
	CHECKIF (vs == NULL || kernel == NULL ||
		 kernel->cfg->top_level_can_unmap || user_cfg(kernel) == NULL) {
		return OSTD_EINVAL;
	}
	struct page_table pt;
	ostd_err_t err = page_table_new_user(user_cfg(kernel), kernel, &pt);

	if (err != OSTD_OK) {
		return err;
	}
	*vs = (struct vm_space){
		.pt = pt,
		.lock = SPINLOCK_INIT,
		.id = atomic_fetch_add(&next_space_id, 1),
		.gen = 1,
		.owner = { .active = true, .shared_reader = shared_reader },
		.next_token = 1,
	};
	return OSTD_OK;
}

ostd_err_t vm_space_destroy(struct vm_space *vs)
{
	spin_lock(&vs->lock);
	CHECKIF (vs->destroyed) {
		spin_unlock(&vs->lock);
		return OSTD_EBADSTATE;
	}
	uint64_t others = atomic_load(&vs->pt.active_cpus.bits) &
			  ~(1ULL << arch_cpu_id());

	CHECKIF (vs->owner.active_tokens != 0 || others != 0) {
		spin_unlock(&vs->lock);
		return OSTD_EBUSY;
	}
	vs->destroyed = true;
	vs->gen++; /* Every token of this space is stale from now on. */
	vs->owner.active = false;
	spin_unlock(&vs->lock);

	/* Unmap everything; the cursor's drop flushes every active CPU. */
	struct pt_cursor cur;
	ostd_err_t err = pt_cursor_new_mut(&vs->pt, vs->pt.va_start,
					   vs->pt.va_last + 1, &cur);

	if (err == OSTD_OK) {
		err = pt_cursor_unmap(
			&cur, vs->pt.va_last + 1 - vs->pt.va_start, NULL);
		pt_cursor_drop(&cur);
	}
	/* Unmapping an aligned whole range needs no memory: cannot fail. */
	CHECK(err == OSTD_OK);
	pt_rcu_barrier();
	/* This CPU must not keep translating through a freed root. */
	unsigned int cpu = arch_cpu_id();

	if (current_pt[cpu] == &vs->pt) {
		arch_vm_activate(vs->pt.kernel);
		current_pt[cpu] = NULL;
	}
	cpu_set_remove(&vs->pt.active_cpus, cpu);
	page_table_destroy(&vs->pt);
	return OSTD_OK;
}

ostd_err_t vm_space_activate(struct vm_space *vs)
{
	CHECKIF (vs == NULL || vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	unsigned int cpu = arch_cpu_id();
	struct page_table *prev = current_pt[cpu];

	cpu_set_add(&vs->pt.active_cpus, cpu);
	arch_vm_activate(&vs->pt);
	current_pt[cpu] = &vs->pt;
	/* The old space no longer needs this CPU's TLB shootdowns. */
	if (prev != NULL && prev != &vs->pt) {
		cpu_set_remove(&prev->active_cpus, cpu);
	}
	return OSTD_OK;
}

struct vm_space *vm_space_current(void)
{
	struct page_table *pt = current_pt[arch_cpu_id()];

	/* current_pt only ever holds a space's own table (activate). */
	return pt == NULL ? NULL : CONTAINER_OF(pt, struct vm_space, pt);
}

bool vm_space_is_current(const struct vm_space *vs)
{
	return !vs->destroyed &&
	       pa_addr(arch_vm_current_root()) == pa_addr(vs->pt.root);
}

void vm_space_set_fault_handler(struct vm_space *vs, vm_fault_handler fn,
				void *ctx)
{
	spin_lock(&vs->lock);
	vs->fault_handler = fn;
	vs->fault_ctx = ctx;
	spin_unlock(&vs->lock);
}

ostd_err_t vm_space_handle_fault(struct vm_space *vs, uint64_t va, bool write)
{
	vm_fault_handler fn = vs->fault_handler;

	if (fn == NULL || vs->destroyed) {
		return OSTD_EFAULT;
	}
	return fn(vs, va, write, vs->fault_ctx) == OSTD_OK ? OSTD_OK
							   : OSTD_EFAULT;
}

/* ---------------------------------------------------------------------
 * Cursors with user-mapping rules.
 * --------------------------------------------------------------------- */

ostd_err_t vm_space_cursor(struct vm_space *vs, uint64_t start, uint64_t end,
			   struct pt_cursor *out)
{
	CHECKIF (vs == NULL || vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	return pt_cursor_new(&vs->pt, start, end, out);
}

ostd_err_t vm_space_cursor_mut(struct vm_space *vs, uint64_t start,
			       uint64_t end, struct pt_cursor *out)
{
	CHECKIF (vs == NULL || vs->destroyed) {
		return OSTD_EBADSTATE;
	}
	ostd_err_t err = pt_cursor_new_mut(&vs->pt, start, end, out);

	if (err == OSTD_OK) {
		out->user_rules = true;
	}
	return err;
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

ostd_err_t vm_space_map_frame(struct pt_cursor *cur, paddr_t frame,
			      struct pt_prop prop)
{
	/* S1: only untyped frames (user data) ever reach user space, and
	 * only through a user table. */
	CHECKIF (!frame_is_untyped(frame) ||
		 !cur->pt->cfg->top_level_can_unmap) {
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
	return pt_cursor_map(cur, pt_item_frame(frame), prop);
}

ostd_err_t vm_space_map_io(struct pt_cursor *cur, const struct io_mem *io,
			   uint64_t offset, pt_level_t level,
			   struct pt_prop prop)
{
	CHECKIF (io == NULL || level < 1 || level > PT_MAX_LEVELS) {
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
		 !cur->pt->cfg->top_level_can_unmap) {
		return OSTD_EPERM;
	}
	ostd_err_t err = user_prop(&prop);

	if (err != OSTD_OK) {
		return err;
	}
	prop.cache = PT_CACHE_UNCACHED;
	/* A format that cannot say "uncached" leaves it to the platform. */
	if (!pt_cfg_prop_ok(cur->pt->cfg, prop)) {
		prop.cache = PT_CACHE_WRITEBACK;
	}
	return pt_cursor_map(cur, pt_item_untracked(pa, level), prop);
}

/* ---------------------------------------------------------------------
 * The owner: registry and invariant.
 * --------------------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Non-empty ranges inside user space: no sum can wrap. */
	return a < b + blen && b < a + alen;
}

static bool overlaps_any(const struct vm_io_range *list, unsigned int n,
			 uint64_t va, uint64_t len)
{
	for (unsigned int i = 0; i < n; i++) {
		if (overlaps(list[i].va, list[i].len, va, len)) {
			return true;
		}
	}
	return false;
}

/* vostd VmSpaceOwner::can_create_reader / can_create_writer. */
static bool can_create(const struct vm_space_owner *o, enum vm_io_kind kind,
		       uint64_t va, uint64_t len)
{
	if (!IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
		return true;
	}
	if (overlaps_any(o->writers, o->writer_count, va, len)) {
		return false;
	}
	if (kind == VM_IO_WRITER || !o->shared_reader) {
		return !overlaps_any(o->readers, o->reader_count, va, len);
	}
	return true;
}

bool vm_space_owner_inv(const struct vm_space *vs)
{
	const struct vm_space_owner *o = &vs->owner;

	for (unsigned int i = 0; i < o->writer_count; i++) {
		const struct vm_io_range *w = &o->writers[i];

		if (!range_within(w->va, w->len, 0, MAX_USER_VADDR) ||
		    overlaps_any(o->readers, o->reader_count, w->va, w->len) ||
		    overlaps_any(o->writers, i, w->va, w->len)) {
			return false;
		}
	}
	for (unsigned int i = 0; i < o->reader_count; i++) {
		const struct vm_io_range *r = &o->readers[i];

		if (!range_within(r->va, r->len, 0, MAX_USER_VADDR) ||
		    (!o->shared_reader &&
		     overlaps_any(o->readers, i, r->va, r->len))) {
			return false;
		}
	}
	return true;
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
		return OSTD_EACCES; /* requires owner.active */
	}
	if (!vm_space_is_current(vs)) {
		/* requires: this CPU's page table is this space's root. */
		return OSTD_EACCES;
	}
	if (va == 0 || len == 0) {
		return OSTD_EINVAL; /* requires vaddr != 0 && len > 0 */
	}
	if (!range_within(va, len, 0, MAX_USER_VADDR)) {
		/* requires vaddr + len <= MAX_USERSPACE_VADDR (no wrap). */
		return OSTD_EACCES;
	}
	if (!can_create(&vs->owner, kind, va, len)) {
		return OSTD_EBUSY; /* requires can_create_reader/writer */
	}
	if (IS_ENABLED(CONFIG_VM_OWNER_REGISTRY) &&
	    (kind == VM_IO_READER
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
	CHECKIF (vs == NULL || token == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = create_check(vs, kind, va, len);

	if (err == OSTD_OK) {
		unsigned int readers = vs->owner.reader_count;
		unsigned int writers = vs->owner.writer_count;

		*token = (struct vm_io_owner){
			.space_id = vs->id,
			.space_gen = vs->gen,
			.id = vs->next_token++,
			.kind = kind,
			.state = VM_IO_CREATED,
			.va = va,
			.len = len,
		};
		/* ensures: the registry is unchanged; the token has no view. */
		ASSERT(vs->owner.reader_count == readers &&
		       vs->owner.writer_count == writers);
		ASSERT(vm_space_owner_inv(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_create_reader(struct vm_space *vs, uint64_t va,
				  uint64_t len, struct vm_reader *reader,
				  struct vm_io_owner *token)
{
	CHECKIF (reader == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = create_io(vs, VM_IO_READER, va, len, token);

	if (err == OSTD_OK) {
		*reader = (struct vm_reader){ .cursor = va,
					      .end = va + len,
					      .fallible = true,
					      .space = vs,
					      .owner = token };
	}
	return err;
}

ostd_err_t vm_space_create_writer(struct vm_space *vs, uint64_t va,
				  uint64_t len, struct vm_writer *writer,
				  struct vm_io_owner *token)
{
	CHECKIF (writer == NULL) {
		return OSTD_EINVAL;
	}
	ostd_err_t err = create_io(vs, VM_IO_WRITER, va, len, token);

	if (err == OSTD_OK) {
		*writer = (struct vm_writer){ .cursor = va,
					      .end = va + len,
					      .fallible = true,
					      .space = vs,
					      .owner = token };
	}
	return err;
}

/* A token of this space, of this kind, not stale. Lock held. */
static bool token_ok(const struct vm_space *vs, const struct vm_io_owner *t,
		     enum vm_io_kind kind)
{
	return t != NULL && !vs->destroyed && t->space_id == vs->id &&
	       t->space_gen == vs->gen && t->kind == kind &&
	       t->state != VM_IO_REMOVED;
}

static struct vm_io_range *list_of(struct vm_space *vs, enum vm_io_kind kind,
				   unsigned int **count)
{
	if (kind == VM_IO_READER) {
		*count = &vs->owner.reader_count;
		return vs->owner.readers;
	}
	*count = &vs->owner.writer_count;
	return vs->owner.writers;
}

static ostd_err_t activate_io(struct vm_space *vs, struct vm_io_owner *t,
			      enum vm_io_kind kind)
{
	CHECKIF (vs == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = OSTD_OK;
	unsigned int *count;
	struct vm_io_range *list = list_of(vs, kind, &count);

	if (!token_ok(vs, t, kind) || t->state == VM_IO_ACTIVE) {
		err = OSTD_EBADSTATE;
	} else if (!can_create(&vs->owner, kind, t->va, t->len)) {
		err = OSTD_EBUSY;
	} else if (IS_ENABLED(CONFIG_VM_OWNER_REGISTRY) &&
		   *count == VM_SPACE_MAX_IO) {
		err = OSTD_ENOMEM;
	}
	if (err == OSTD_OK) {
		if (IS_ENABLED(CONFIG_VM_OWNER_REGISTRY)) {
			list[(*count)++] = (struct vm_io_range){
				.id = t->id, .va = t->va, .len = t->len
			};
		}
		vs->owner.active_tokens++;
		t->state = VM_IO_ACTIVE;
		ASSERT(vm_space_owner_inv(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

static ostd_err_t dispose_io(struct vm_space *vs, struct vm_io_owner *t,
			     enum vm_io_kind kind)
{
	CHECKIF (vs == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	unsigned int *count;
	struct vm_io_range *list = list_of(vs, kind, &count);
	ostd_err_t err = OSTD_EBADSTATE;

	/*
	 * With the registry, the token must be in it: a stale copy of a
	 * token that was disposed already is refused. Without it, the
	 * token's own state is all there is to go by.
	 */
	bool found = false;

	if (token_ok(vs, t, kind) && t->state == VM_IO_ACTIVE) {
		/* Without it, a stale copy with nothing active is still
		 * refused, rather than underflowing the count. */
		found = !IS_ENABLED(CONFIG_VM_OWNER_REGISTRY) &&
			vs->owner.active_tokens > 0;
		for (unsigned int i = 0; i < *count && !found; i++) {
			if (list[i].id == t->id) {
				list[i] = list[--(*count)];
				found = true;
			}
		}
	}
	if (found) {
		CHECK(vs->owner.active_tokens > 0);
		vs->owner.active_tokens--;
		t->state = VM_IO_DISPOSED;
		err = OSTD_OK;
		ASSERT(vm_space_owner_inv(vs));
	}
	spin_unlock(&vs->lock);
	return err;
}

static ostd_err_t remove_io(struct vm_space *vs, struct vm_io_owner *t,
			    enum vm_io_kind kind)
{
	CHECKIF (vs == NULL) {
		return OSTD_EINVAL;
	}
	spin_lock(&vs->lock);
	ostd_err_t err = OSTD_EBADSTATE;

	/* A token of a destroyed space may still be removed. */
	if (t != NULL && t->space_id == vs->id && t->kind == kind &&
	    (t->state == VM_IO_CREATED || t->state == VM_IO_DISPOSED)) {
		t->state = VM_IO_REMOVED;
		err = OSTD_OK;
	}
	spin_unlock(&vs->lock);
	return err;
}

ostd_err_t vm_space_activate_reader(struct vm_space *vs,
				    struct vm_io_owner *token)
{
	return activate_io(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_activate_writer(struct vm_space *vs,
				    struct vm_io_owner *token)
{
	return activate_io(vs, token, VM_IO_WRITER);
}

ostd_err_t vm_space_dispose_reader(struct vm_space *vs,
				   struct vm_io_owner *token)
{
	return dispose_io(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_dispose_writer(struct vm_space *vs,
				   struct vm_io_owner *token)
{
	return dispose_io(vs, token, VM_IO_WRITER);
}

ostd_err_t vm_space_remove_reader(struct vm_space *vs,
				  struct vm_io_owner *token)
{
	return remove_io(vs, token, VM_IO_READER);
}

ostd_err_t vm_space_remove_writer(struct vm_space *vs,
				  struct vm_io_owner *token)
{
	return remove_io(vs, token, VM_IO_WRITER);
}
