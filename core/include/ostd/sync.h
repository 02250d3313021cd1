/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * A test-and-test-and-set spinlock on C11 atomics (freestanding-safe).
 * Interrupt masking comes with the timer; until then nothing preempts a
 * lock holder on a kernel CPU.
 */

#include <stdatomic.h>
#include <stdbool.h>

/*
 * The spin-wait hint, out of line so this kernel-author header does not
 * pull in the arch contract (ostd/arch/cpu.h's arch_cpu_relax()).
 */
void spin_relax(void);

struct spinlock {
	atomic_bool locked;
};

#define SPINLOCK_INIT           \
	{                       \
		.locked = false \
	}

static inline void spin_lock(struct spinlock *l)
{
	for (;;) {
		if (!atomic_exchange_explicit(&l->locked, true,
					      memory_order_acquire)) {
			return;
		}
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			spin_relax();
		}
	}
}

static inline bool spin_trylock(struct spinlock *l)
{
	return !atomic_exchange_explicit(&l->locked, true,
					 memory_order_acquire);
}

static inline void spin_unlock(struct spinlock *l)
{
	atomic_store_explicit(&l->locked, false, memory_order_release);
}

static inline bool spin_is_locked(struct spinlock *l)
{
	return atomic_load_explicit(&l->locked, memory_order_relaxed);
}
