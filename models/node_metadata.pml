/*
 * The node metadata lifecycle of rust_slab_hp, checked with spin (scripts/models.sh).
 *
 * Processes, each step after the code (file and function at each step):
 *
 *   memory_hotplug  the kernel's online_pages() and offline_pages() (mm/memory_hotplug.c) of
 *                   a node's first and last memory block. One process: device_hotplug_lock
 *                   and mem_hotplug_lock serialise every node event, so the notifier never
 *                   runs twice at once. Every order the kernel can send: NODE_ADDING refused by
 *                   a callback before ours (we then see only NODE_CANCEL_ADDING), by ours (a
 *                   metadata allocation fails) or after ours (a later callback, or
 *                   MEM_GOING_ONLINE); NODE_REMOVING refused before ours, or the offline failing
 *                   after it (migration, a signal).
 *   module_init     rust_slab_hp.rs RustSlabHp::init: NodeNotifier::register, then
 *                   Registry::sync_nodes, then the cache of `caches=`; then the debugfs control
 *                   (control/mod.rs Control::run, one command at a time):
 *                   create and destroy of a second cache, and `alloc`, whose Cache::alloc_any
 *                   loads node pointers without a lock and uses them. The module may load at
 *                   any point of the hotplug process: between NODE_ADDING and NODE_ADDED, or
 *                   between NODE_REMOVING and NODE_REMOVED, too.
 *   sysfs_show      a statistics reader (sysfs.rs per_node, cache.rs Cache::for_each_node):
 *                   loads a node pointer (acquire) and uses it a step later.
 *   invariants      checked in every reachable state.
 *
 * Invariants:
 *   - no reader (sysfs_show, or the allocation path) ever uses freed metadata;
 *   - none is freed before its cache is destroyed (impl Drop for Cache), none twice;
 *   - at most one Node per cache and node: install_node never finds its slot taken, and every
 *     live Node is the one in its slot (none leaked);
 *   - every cache has a Node for every node with memory once the online completes (unless a
 *     metadata allocation failed at NODE_ADDED_FIRST_MEMORY or in a later retry, and has not
 *     succeeded since: notifier.rs then keeps the node out of mem_nodes);
 *   - allocations target only nodes every cache has a Node for (mem_nodes).
 *
 * Variants: by default the kept rule (metadata is freed only when its cache is). With
 * -DPRE_5_12 the notifier also frees it at NODE_REMOVED_LAST_MEMORY (registry.rs
 * Locked::free_node_like_pre_5_12, the test-only reproduce_offline_uaf mode, SLUB before 5.12):
 * spin must then find a reader using freed metadata.
 * Mutants (each must make an invariant fail; scripts/models.sh checks that they do):
 *   -DMUTANT_NO_ADDED     NODE_ADDED_FIRST_MEMORY allocates nothing (notifier.rs handle)
 *   -DMUTANT_NO_SYNC      nothing at load looks at N_MEMORY: no Registry::sync_nodes, and no
 *                         adopt_nodes_with_memory in create (either alone is enough: with
 *                         sync_nodes gone, create's adopt_nodes_with_memory finds the nodes)
 *   -DMUTANT_NO_HAS_NODE  add_node allocates for caches that have a Node already
 *   -DMUTANT_NO_DRAIN     destroy frees the cache without waiting for sysfs readers
 *                         (ffi/sysfs.rs SysfsDir::drop: kobject_del waits for show())
 *
 * Abstractions: memory is sequentially consistent, which is sound here because every hand-over
 * between processes goes through a release/acquire pair or a lock: a slot is published with
 * compare_exchange(AcqRel) and loaded with Acquire (once.rs SetOnceBox::populate, as_ref); the
 * registry's state is under Registry::inner; N_MEMORY is set before the notifier chain's rwsem
 * is taken for NODE_ADDED_FIRST_MEMORY, and NodeNotifier::register takes it for writing, so a
 * module registered after that call sees N_MEMORY in sync_nodes. Node 0 (the boot node) always
 * has memory; node 1 is hot-pluggable. Every metadata allocation may fail (GFP_KERNEL), except
 * in create (which fails with ENOMEM and leaves nothing behind, not modelled). Slabs, objects
 * and stashes are left out (model 2 is about those), and so are CPU hotplug (which takes the
 * registry mutex but publishes and frees no metadata), the test-only skip_adding control and
 * module unload; a Node is "live" or "freed". Freed memory is used again for new metadata only
 * when no process holds a pointer to it, so a stale pointer stays detectably freed.
 */

#ifndef NNODES
#define NNODES 2		/* node 0: the boot node; node 1 (and 2): hot-pluggable */
#endif
#define NCACHES 2		/* cache 0: from caches= at load; cache 1: debugfs create/destroy */
#define NREADERS 1		/* sysfs_show processes */
#define CTL NREADERS		/* held[] slot of the control's allocation path */
#define NOBJ 9			/* Node memory (index 0 = null) */

/* obj[]: the memory of one Node. */
#define UNUSED 0
#define FRESH 1			/* KBox::pin_init(Node::new(nid)), not published */
#define LIVE 2			/* in a slot */
#define FREED 3

/* cstate[]: a Cache. */
#define ABSENT 0
#define ALIVE 1
#define DROPPING 2		/* its node table is being dropped */

mtype = {
	NODE_ADDING_FIRST_MEMORY, NODE_ADDED_FIRST_MEMORY, NODE_CANCEL_ADDING_FIRST_MEMORY,
	NODE_REMOVING_LAST_MEMORY, NODE_REMOVED_LAST_MEMORY, NODE_CANCEL_REMOVING_LAST_MEMORY
};

/* The kernel. */
bool n_memory[NNODES];		/* node_state(nid, N_MEMORY) */
bool online_done[NNODES];	/* ghost: online_pages() returned 0, and no offline_pages() since */
bool registered;		/* on the notifier chain (ffi/notifier.rs NodeNotifier::register) */

/* registry.rs Registry */
byte mutex;			/* Registry::inner: 0, or the holder's _pid + 1 */
bool mem_nodes[NNODES];		/* Registry::mem_nodes */
bool listed[NCACHES];		/* Inner::caches has the cache's Entry */
bool failed[NNODES];		/* ghost: the last add_node for the node (not at ADDING) failed */

/* cache.rs Cache, ffi/sysfs.rs SysfsDir */
byte cstate[NCACHES];
byte meta[NCACHES * NNODES];	/* Cache::nodes[nid], a SetOnceBox<Node>: 0 = empty */
bool dir_active[NCACHES];	/* the cache's sysfs directory takes show() calls */
byte readers_in[NCACHES];	/* show() calls in progress (kernfs active references) */

/* Node memory, and the pointers lock-free users hold between loading and using them. */
byte obj[NOBJ];
byte owner[NOBJ];		/* cache * NNODES + nid of a published Node */
byte held[NREADERS + 1];

byte fresh[NCACHES];		/* registry.rs add_node's `fresh` (memory_hotplug's, or create's) */

#define SLOT(c, n) meta[(c) * NNODES + (n)]
#define HELD(o) (held[0] == (o) || held[1] == (o))
#define ANY_LISTED (listed[0] || listed[1])

inline lock() {
	atomic { mutex == 0 -> mutex = _pid + 1 }
}

inline unlock() {
	assert(mutex == _pid + 1);
	mutex = 0
}

/* KBox::pin_init(Node::new(nid), GFP_KERNEL): the lowest memory that is free and that nobody
 * still points to. */
inline alloc_node(o) {
	d_step {
		o = 1;
		do
		:: o < NOBJ && (obj[o] == UNUSED || obj[o] == FREED) && !HELD(o) -> break
		:: o < NOBJ && !((obj[o] == UNUSED || obj[o] == FREED) && !HELD(o)) -> o++
		:: o == NOBJ -> assert(false)	/* NOBJ too small */
		od;
		obj[o] = FRESH;
		owner[o] = 0
	}
}

/*
 * cache.rs Cache::install_node -> once.rs SetOnceBox::populate: compare_exchange(null, node,
 * AcqRel). The registry holds its mutex, so the slot is still empty ("installing cannot
 * collide"); were it taken, the fresh Node would be dropped (`let _ =`): flagged here as the
 * protocol error it would be.
 */
inline install_node(c, n, o) {
	d_step {
		assert(SLOT(c, n) == 0);
		SLOT(c, n) = o;
		obj[o] = LIVE;
		owner[o] = (c) * NNODES + (n);
		o = 0
	}
}

/*
 * Frees slot (c, n)'s Node: once.rs SetOnceBox::take (a swap with null), or the drop of the
 * slot with its cache. The kept rule: only the cache's drop does this.
 */
inline free_slot(c, n) {
	d_step {
		if
		:: SLOT(c, n) != 0 ->
			assert(obj[SLOT(c, n)] == LIVE);	/* no double free */
#ifndef PRE_5_12
			assert(cstate[c] == DROPPING);		/* none freed before destroy */
#endif
			obj[SLOT(c, n)] = FREED;
			SLOT(c, n) = 0
		:: else
		fi
	}
}

/*
 * registry.rs Locked::add_node(nid, count_reuse), the mutex held: a Node for every listed
 * cache without one, all allocated first (any allocation, the `fresh` vector's too, may fail:
 * then nothing changes), then published. ret: 0, or 1 for ENOMEM.
 */
inline add_node(nid, ret) {
	ret = 0;
	if
	:: ANY_LISTED -> ret = 1			/* ENOMEM: `fresh` is dropped unpublished */
	:: true ->
		c = 0;
		do
		:: c < NCACHES ->
			if
#ifdef MUTANT_NO_HAS_NODE
			:: listed[c] -> alloc_node(fresh[c])
#else
			:: listed[c] && SLOT(c, nid) == 0 -> alloc_node(fresh[c])	/* !has_node */
#endif
			:: else
			fi;
			c++
		:: else -> break
		od;
		/* for (cache, node) in fresh.drain_all(): cache.install_node(node) */
		c = 0;
		do
		:: c < NCACHES ->
			if
			:: fresh[c] != 0 ->
				printf("MSG   add_node(%d): install_node: cache %d node %d -> Node #%d\n", nid, c, nid, fresh[c]);
				install_node(c, nid, fresh[c])
			:: else
			fi;
			c++
		:: else -> break
		od
	fi;
	c = 0;
	if
	:: ret != 0 -> printf("MSG   add_node(%d): ENOMEM, no cache changed\n", nid)
	:: else
	fi
}

/*
 * registry.rs Locked::adopt_nodes_with_memory: every node with N_MEMORY that is not in
 * mem_nodes (its metadata allocation failed at NODE_ADDED_FIRST_MEMORY) is tried again.
 */
inline adopt_nodes_with_memory() {
	a = 0;
	do
	:: a < NNODES ->
		if
		:: n_memory[a] && !mem_nodes[a] ->
			add_node(a, ret);
			if
			:: ret == 0 -> mem_nodes[a] = true; failed[a] = false	/* set_has_memory(nid, true) */
			:: else -> failed[a] = true
			fi
		:: else
		fi;
		a++
	:: else -> break
	od;
	a = 0;
	ret = 0
}

/*
 * ffi/notifier.rs NodeNotifier::call -> notifier.rs NodeEventHandler::node_event and handle,
 * if the module is on the chain. ret: what the chain gets back (notifier_to_errno).
 */
inline node_notify(ev, nid, ret) {
	ret = 0;
	if
	:: registered ->
		printf("MSG hotplug: node_notify(%e, %d) -> notifier::handle\n", ev, nid);
		lock();					/* registry.lock() */
		if
		:: ev == NODE_ADDING_FIRST_MEMORY ->
			add_node(nid, ret);		/* locked.add_node(nid, true)? */
			if
			:: ret == 0 -> mem_nodes[nid] = true; failed[nid] = false	/* set_has_memory */
			:: else					/* refuses the online */
			fi
		:: ev == NODE_ADDED_FIRST_MEMORY ->
#ifndef MUTANT_NO_ADDED
			add_node(nid, ret);		/* locked.add_node(nid, false) */
#endif
			if
			:: ret == 0 -> mem_nodes[nid] = true; failed[nid] = false
			:: else -> failed[nid] = true	/* the node stays out of mem_nodes */
			fi
		:: ev == NODE_CANCEL_ADDING_FIRST_MEMORY ->
			mem_nodes[nid] = false		/* set_has_memory(nid, false); metadata kept */
		:: ev == NODE_REMOVING_LAST_MEMORY ->
			skip				/* shrink_all: slabs, not metadata */
		:: ev == NODE_REMOVED_LAST_MEMORY ->
			mem_nodes[nid] = false;		/* set_has_memory(nid, false) */
#ifdef PRE_5_12
			/* free_node_like_pre_5_12(nid): every listed cache frees its Node */
			c = 0;
			do
			:: c < NCACHES ->
				if
				:: listed[c] && SLOT(c, nid) != 0 ->
					printf("MSG   free_node_like_pre_5_12(%d): cache %d: SetOnceBox::take -> Node #%d FREED\n", nid, c, SLOT(c, nid));
					free_slot(c, nid)
				:: else
				fi;
				c++
			:: else -> break
			od;
			c = 0;
#endif
			skip
		:: ev == NODE_CANCEL_REMOVING_LAST_MEMORY ->
			skip
		fi;
		/* the events that get to the end of handle (not a failed ADDING or ADDED): */
		if
		:: ret == 0 -> adopt_nodes_with_memory()
		:: else
		fi;
		if
		:: ev != NODE_ADDING_FIRST_MEMORY -> ret = 0	/* only NODE_ADDING can refuse */
		:: else
		fi;
		unlock()
	:: else ->
		printf("MSG hotplug: node_notify(%e, %d): module not registered\n", ev, nid)
	fi
}

/* The kernel: mm/memory_hotplug.c online_pages() / offline_pages() of a node's first / last
 * memory block, under lock_device_hotplug() and mem_hotplug_begin(). */
proctype memory_hotplug() {
	byte nid, c, a, ret;
	do
	:: nid = 1;
#if NNODES > 2
		if :: skip :: nid = 2 fi;
#endif
		if
		:: !n_memory[nid] ->
			/* online_pages(): !node_state(nid, N_MEMORY) */
			printf("MSG hotplug: online_pages(node %d)\n", nid);
			if
			:: printf("MSG hotplug: a callback before ours refuses NODE_ADDING_FIRST_MEMORY\n");
				ret = 1
			:: node_notify(NODE_ADDING_FIRST_MEMORY, nid, ret);
				if
				:: ret == 0 -> printf("MSG hotplug: a later callback or MEM_GOING_ONLINE fails\n"); ret = 1
				:: true
				fi
			fi;
			if
			:: ret != 0 ->
				/* failed_addition: */
				node_notify(NODE_CANCEL_ADDING_FIRST_MEMORY, nid, ret)
			:: else ->
				n_memory[nid] = true;	/* node_set_state(nid, N_MEMORY); pages usable */
				printf("MSG hotplug: node_set_state(%d, N_MEMORY)\n", nid);
				node_notify(NODE_ADDED_FIRST_MEMORY, nid, ret);
				online_done[nid] = true;
				printf("MSG hotplug: online_pages(node %d) done\n", nid)
			fi
		:: n_memory[nid] ->
			/* offline_pages(): the range is isolated first */
			printf("MSG hotplug: offline_pages(node %d)\n", nid);
			online_done[nid] = false;
			if
			:: printf("MSG hotplug: a callback before ours refuses NODE_REMOVING_LAST_MEMORY\n");
				ret = 1
			:: node_notify(NODE_REMOVING_LAST_MEMORY, nid, ret);
				if
				:: printf("MSG hotplug: migration fails or a signal comes\n"); ret = 1
				:: true
				fi
			fi;
			if
			:: ret != 0 ->
				/* failed_removal_isolated: */
				node_notify(NODE_CANCEL_REMOVING_LAST_MEMORY, nid, ret);
				online_done[nid] = true
			:: else ->
				n_memory[nid] = false;	/* node_clear_state(node, N_MEMORY) */
				printf("MSG hotplug: node_clear_state(%d, N_MEMORY)\n", nid);
				node_notify(NODE_REMOVED_LAST_MEMORY, nid, ret)
			fi
		fi;
		c = 0; a = 0; ret = 0		/* dead between operations */
	od
}

/* registry.rs Registry::create(spec) for cache c. */
inline create(c) {
	lock();				/* self.lock() */
#ifndef MUTANT_NO_SYNC
	adopt_nodes_with_memory();
#endif
	if
	:: listed[c] -> printf("MSG control: create(cache %d): EEXIST\n", c)
	:: else ->
		printf("MSG control: create(cache %d)\n", c);
		assert(cstate[c] == ABSENT);
		cstate[c] = ALIVE;			/* Cache::new: every slot empty */
		nid = 0;
		do
		:: nid < NNODES ->			/* for nid in self.mem_nodes.iter() */
			if
			:: mem_nodes[nid] ->
				alloc_node(o);
				printf("MSG   create: install_node: cache %d node %d -> Node #%d\n", c, nid, o);
				install_node(c, nid, o)
			:: else
			fi;
			nid++
		:: else -> break
		od;
		dir_active[c] = true;			/* SysfsDir::new: readers may start */
		listed[c] = true			/* inner.caches.push_within_capacity */
	fi;
	unlock()
}

/*
 * registry.rs Registry::destroy(name) for cache c, all under the mutex: the entry out of the
 * list, then drop(entry): SysfsDir::drop's kobject_del waits for show() calls in progress, and
 * its kobject_put drops the directory's Arc<Cache>, the last (control commands drop theirs
 * before they return), so the cache and its node table go.
 */
inline destroy(c) {
	lock();
	if
	:: !listed[c] -> printf("MSG control: destroy(cache %d): EINVAL\n", c)
	:: else ->
		listed[c] = false;			/* inner.caches.remove(i) */
		printf("MSG control: destroy(cache %d): drop(entry)\n", c);
		dir_active[c] = false;			/* kobject_del: no new show() */
#ifndef MUTANT_NO_DRAIN
		readers_in[c] == 0;			/* ... and waits for those in progress */
#endif
		cstate[c] = DROPPING;			/* the last Arc: impl Drop for Cache */
		nid = 0;
		do
		:: nid < NNODES -> free_slot(c, nid); nid++
		:: else -> break
		od;
		cstate[c] = ABSENT
	fi;
	unlock()
}

/*
 * control/kept.rs `alloc <cache> any 1`: Registry::find under the mutex (its Arc keeps the cache),
 * then cache.rs Cache::alloc_any without a lock: for each node of nodes_near (mem_nodes, read
 * without the mutex) self.node(nid) (an acquire load), then node.alloc(g) (Node::lists.lock():
 * uses the Node).
 */
inline alloc_any(c) {
	lock();
	if
	:: listed[c] ->
		unlock();
		nid = 0;
		do
		:: nid < NNODES ->
			if
			:: mem_nodes[nid] ->
				held[CTL] = SLOT(c, nid);		/* self.node(nid) */
				if
				:: held[CTL] != 0 ->
					printf("MSG control: alloc_any: cache %d: node(%d) -> Node #%d\n", c, nid, held[CTL]);
					atomic {
						printf("MSG control: node.alloc(g) locks Node #%d's lists\n", held[CTL]);
						if
						:: obj[held[CTL]] != LIVE -> printf("MSG control: USE-AFTER-FREE of Node #%d\n", held[CTL])
						:: else
						fi;
						assert(obj[held[CTL]] == LIVE);	/* no use of freed metadata */
						held[CTL] = 0
					}
				:: else
				fi
			:: else
			fi;
			nid++
		:: else -> break
		od
	:: else -> unlock()
	fi
}

/* rust_slab_hp.rs RustSlabHp::init, then the debugfs control (control/mod.rs Control::run). */
proctype module_init() {
	byte c, nid, o, a, ret;
	printf("MSG module: Registry::new\n");
	registered = true;			/* NodeNotifier::register(registry.clone(), 1) */
	printf("MSG module: NodeNotifier::register\n");
#ifndef MUTANT_NO_SYNC
	/* Registry::sync_nodes: under the mutex, mem_nodes |= N_MEMORY */
	lock();
	nid = 0;
	do
	:: nid < NNODES ->
		if
		:: n_memory[nid] -> mem_nodes[nid] = true;
			printf("MSG module: sync_nodes: node %d has memory\n", nid)
		:: else
		fi;
		nid++
	:: else -> break
	od;
	unlock();
#endif
	create(0);				/* the cache of `caches=` */
	do
	:: if
		:: create(1)
		:: destroy(1)
		:: if :: c = 0 :: c = 1 fi; alloc_any(c)
		fi;
		c = 0; nid = 0; o = 0	/* dead between commands */
	od
}

/* sysfs.rs per_node (`<cache>/objects` and the like) -> cache.rs Cache::for_each_node. */
proctype sysfs_show(byte r) {
	byte c, nid;
	do
	:: if :: c = 0 :: c = 1 fi;
		atomic { dir_active[c] -> readers_in[c]++ };	/* kernfs_get_active */
		nid = 0;
		do
		:: nid < NNODES ->
			held[r] = SLOT(c, nid);			/* self.node(nid): an acquire load */
			if
			:: held[r] != 0 ->
				printf("MSG reader %d: for_each_node: cache %d: node(%d) -> Node #%d\n", r, c, nid, held[r]);
				/* f(node): node.snapshot() reads the Node's counters */
				atomic {
					printf("MSG reader %d: node.snapshot() reads Node #%d\n", r, held[r]);
					if
					:: obj[held[r]] != LIVE -> printf("MSG reader %d: USE-AFTER-FREE of Node #%d\n", r, held[r])
					:: else
					fi;
					assert(obj[held[r]] == LIVE);	/* no reader uses freed metadata */
					held[r] = 0
				}
			:: else
			fi;
			nid++
		:: else -> break
		od;
		readers_in[c]--;				/* kernfs_put_active */
		nid = 0; c = 0
	od
}

/*
 * In every reachable state: a listed cache has a Node for every node in mem_nodes, and for
 * every node whose online completed unless its last metadata allocation failed; every live
 * Node is the one in its slot.
 */
proctype invariants() {
	byte c, n, o;
	d_step {
		c = 0;
		do
		:: c < NCACHES ->
			n = 0;
			do
			:: n < NNODES ->
				assert(!(listed[c] && mem_nodes[n]) || SLOT(c, n) != 0);
				assert(!(listed[c] && online_done[n] && !failed[n]) || SLOT(c, n) != 0);
				n++
			:: else -> break
			od;
			c++
		:: else -> break
		od;
		o = 1;
		do
		:: o < NOBJ ->
			assert(obj[o] != LIVE || meta[owner[o]] == o);
			o++
		:: else -> break
		od;
		c = 0; n = 0; o = 0
	}
}

init {
	atomic {
		n_memory[0] = true;		/* the boot node */
		online_done[0] = true;
		run invariants();
		run memory_hotplug();
		run module_init();
		run sysfs_show(0)
	}
}
