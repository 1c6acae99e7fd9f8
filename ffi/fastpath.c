// SPDX-License-Identifier: GPL-2.0
/*
 * The stash fast paths of rust_slab_hp: what an allocation or a free that hits a stash does,
 * and the zeroing the kernel's init_on_alloc and init_on_free switches ask for.
 *
 * The protocol is percpu.rs's ("Locking"); in short, for a CPU's stash:
 *  - a fast path runs on the stash's CPU with preemption disabled, and uses the stash only if
 *    its flag (`busy`) is clear, without setting it: nothing else can run on that CPU
 *    meanwhile, and code on other CPUs uses the stash only while holding the flag, which it
 *    takes (see below) only after every fast path that could have seen it clear has ended;
 *  - a slow path takes the flag of the stash of the CPU it runs on, with preemption disabled,
 *    by compare-and-exchange (rsh_cpu_lock_current()), and may then be preempted, block and
 *    migrate while it holds it; fast paths on that CPU meanwhile see it set and go slow;
 *  - a flush takes the flag of any CPU's stash by compare-and-exchange, then waits for an RCU
 *    grace period (every preemption-disabled region that began before has ended) before using
 *    the stash.
 * A node's stash is shared by all CPUs: every use takes its flag by compare-and-exchange.
 *
 * Zeroing follows SLUB exactly (mm/slab.h: slab_want_init_on_alloc/free, mm/slub.c:
 * maybe_wipe_obj_freeptr), through the kernel's own switches, the static keys init_on_alloc
 * and init_on_free that want_init_on_alloc() and want_init_on_free() read: a free zeroes the
 * object if init_on_free is on; an allocation zeroes it if init_on_alloc is on or the caller
 * asked for zeroed memory, and otherwise, with init_on_free on, wipes the freelist link a free
 * object may have carried in its first word; with both on, both happen, as in SLUB.
 */
#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/gfp_types.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/string.h>
#include "fastpath.h"

/* What an allocation does to an object before handing it out. */
static __always_inline void prepare_alloc(void *obj, unsigned int size, bool zero)
{
	if (want_init_on_alloc(zero ? __GFP_ZERO : 0))
		memset(obj, 0, size);
	else if (want_init_on_free())
		memset((char *)obj + RSH_FREEPTR_OFFSET, 0, sizeof(void *));
}

/* What a free does to an object before taking it back. */
static __always_inline void prepare_free(void *obj, unsigned int size)
{
	if (want_init_on_free())
		memset(obj, 0, size);
}

/*
 * Pops an object from the current CPU's stash if its flag is clear; NULL if the stash is held
 * or empty (the caller's slow path then decides which).
 */
void *rsh_cpu_alloc(const struct rsh_fast *f, bool zero)
{
	struct rsh_stash *s;
	void *obj = NULL;
	unsigned int len;

	preempt_disable();
	s = f->cpus[smp_processor_id()];
	/* Acquire: the last holder's writes to the stash, released with the flag, are seen. */
	if (likely(!smp_load_acquire(&s->busy))) {
		len = s->len;
		if (likely(len)) {
			obj = s->objs[--len];
			WRITE_ONCE(s->len, len);
		}
	}
	preempt_enable();
	if (obj)
		prepare_alloc(obj, f->size, zero);
	return obj;
}

/* Pushes obj to `s`, a node's stash, if its flag is free and there is room. */
static bool node_push(struct rsh_stash *s, void *obj, unsigned int cap)
{
	unsigned int len;
	bool pushed = false;

	if (cmpxchg_acquire(&s->busy, 0, 1) != 0)
		return false;
	len = s->len;
	if (len < cap && len < RSH_STASH_MAX) {
		s->objs[len] = obj;
		WRITE_ONCE(s->len, len + 1);
		pushed = true;
	}
	smp_store_release(&s->busy, 0);
	return pushed;
}

/*
 * Frees obj through the current CPU's stash. `node` is the stash of obj's node, if the cache
 * has one for it; when the CPU's node is known and is another, obj goes there instead, as SLUB
 * keeps remote objects out of its sheaves. Returns RSH_FREE_STASHED, RSH_FREE_SLOW (the CPU's
 * stash is held or full) or RSH_FREE_NODE_SLOW (the node's stash is held or full); obj has had
 * init_on_free's zeroing in every case.
 */
int rsh_cpu_free(const struct rsh_fast *f, void *obj, struct rsh_stash *node)
{
	struct rsh_stash *s;
	unsigned int len;
	int ret = RSH_FREE_SLOW;
	bool remote = false;
	int home;

	prepare_free(obj, f->size);
	preempt_disable();
	s = f->cpus[smp_processor_id()];
	home = READ_ONCE(s->home);
	if (unlikely(node) && home >= 0 && home != READ_ONCE(node->home)) {
		remote = true;
	} else if (likely(!smp_load_acquire(&s->busy))) {
		len = s->len;
		if (likely(len < f->cap && len < RSH_STASH_MAX)) {
			s->objs[len] = obj;
			WRITE_ONCE(s->len, len + 1);
			ret = RSH_FREE_STASHED;
		}
	}
	preempt_enable();
	if (unlikely(remote))
		ret = node_push(node, obj, f->cap) ? RSH_FREE_STASHED : RSH_FREE_NODE_SLOW;
	return ret;
}

/*
 * Takes the flag of the current CPU's stash and returns the stash (and the CPU in *cpu), or
 * NULL if someone holds it. The caller then owns the stash wherever it runs, until it clears
 * the flag (a release store). Preemption is disabled around the exchange so that no fast path
 * on this CPU is half way through the stash when it succeeds.
 */
struct rsh_stash *rsh_cpu_lock_current(const struct rsh_fast *f, unsigned int *cpu)
{
	struct rsh_stash *s;

	preempt_disable();
	*cpu = smp_processor_id();
	s = f->cpus[*cpu];
	if (cmpxchg_acquire(&s->busy, 0, 1) != 0)
		s = NULL;
	preempt_enable();
	return s;
}

/*
 * Pops an object from `s`, a node's stash, if its flag is free; NULL if it is held or empty.
 */
void *rsh_node_alloc(struct rsh_stash *s, unsigned int size, bool zero)
{
	void *obj = NULL;
	unsigned int len;

	if (cmpxchg_acquire(&s->busy, 0, 1) != 0)
		return NULL;
	len = s->len;
	if (len) {
		obj = s->objs[--len];
		WRITE_ONCE(s->len, len);
	}
	smp_store_release(&s->busy, 0);
	if (obj)
		prepare_alloc(obj, size, zero);
	return obj;
}

/* An allocation's zeroing, for the slow paths (which are in Rust). */
void rsh_init_alloc(void *obj, unsigned int size, bool zero)
{
	prepare_alloc(obj, size, zero);
}

/* A free's zeroing, for the slow paths. */
void rsh_init_free(void *obj, unsigned int size)
{
	prepare_free(obj, size);
}

/* Whether allocations are zeroed (init_on_alloc), as the kernel sees it. */
bool rsh_want_init_on_alloc(void)
{
	return want_init_on_alloc(0);
}

/* Whether frees are zeroed (init_on_free), as the kernel sees it. */
bool rsh_want_init_on_free(void)
{
	return want_init_on_free();
}
