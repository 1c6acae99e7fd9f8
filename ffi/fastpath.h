/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stash fast paths of rust_slab_hp, in C (ffi/fastpath.c), and the layout they share with
 * the Rust code (which gets it from bindgen, through ffi/generated.h: never copied by hand).
 *
 * Why C: a stash hit must run with preemption disabled and without an atomic instruction, as
 * SLUB's sheaves do under local_trylock(), and the kernel's Rust has neither preempt_disable()
 * nor this_cpu access; nor can a GCC-built kernel's Rust inline its C helpers. The protocol
 * itself (who may touch a stash, and when) is percpu.rs's: see its "Locking" section.
 */
#ifndef RSH_FASTPATH_H
#define RSH_FASTPATH_H

#include <linux/types.h>

/* The most objects a stash holds. */
#define RSH_STASH_MAX 64

/* Where a free object keeps its freelist link (slab.rs): its first word. */
#define RSH_FREEPTR_OFFSET 0

/* What rsh_cpu_free() did with the object. */
#define RSH_FREE_STASHED 0	/* it is in the CPU's stash, or in the node stash given */
#define RSH_FREE_SLOW 1		/* the CPU's stash is held or full: over to the caller */
#define RSH_FREE_NODE_SLOW 2	/* it belongs in the node stash given, which is held or full */

/*
 * A stash: a CPU's (used by the fast paths on that CPU, see percpu.rs) or a node's (shared).
 * `objs[0..len)` are free objects. Only whoever may use the stash (its flag's holder, or a fast
 * path on its CPU while the flag is clear) touches `objs` and writes `len`; statistics read
 * `len` without any of that (READ_ONCE).
 */
struct rsh_stash {
	void *objs[RSH_STASH_MAX];
	unsigned int len;
	/* The flag: 1 while a task holds the stash (percpu.rs). */
	unsigned int busy;
	/* A CPU stash: its CPU's node, -1 if not known; a node stash: its node. */
	int home;
};

/* What the CPU fast paths of one cache need. */
struct rsh_fast {
	/* The cache's CPU stashes, one per possible CPU (nr_cpu_ids entries). */
	struct rsh_stash *const *cpus;
	/* Objects per stash (at most RSH_STASH_MAX). */
	unsigned int cap;
	/* Bytes zeroed by init_on_alloc, init_on_free and zeroing allocations: the object size. */
	unsigned int size;
};

void *rsh_cpu_alloc(const struct rsh_fast *f, bool zero);
int rsh_cpu_free(const struct rsh_fast *f, void *obj, struct rsh_stash *node);
struct rsh_stash *rsh_cpu_lock_current(const struct rsh_fast *f, unsigned int *cpu);
void *rsh_node_alloc(struct rsh_stash *s, unsigned int size, bool zero);
void rsh_init_alloc(void *obj, unsigned int size, bool zero);
void rsh_init_free(void *obj, unsigned int size);
bool rsh_want_init_on_alloc(void);
bool rsh_want_init_on_free(void);

#endif /* RSH_FASTPATH_H */
