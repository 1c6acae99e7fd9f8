/*
 * The stash protocol of rust_slab_hp (percpu.rs, cache.rs), checked with spin
 * (scripts/models.sh).
 *
 * Processes:
 *   task0     allocates and frees (Cache::alloc_fast, Cache::free_fast), pinned to CPU 0 (a
 *             CPU-bound kthread, as the benchmark's): its stash is always CPU 0's.
 *   task1     the same, and allocates on node 1 exactly (Cache::alloc_fast_on) through node
 *             1's stash, which its first such allocation makes. It migrates: each time it
 *             picks a CPU (a fast path's preempt_disable(), Stashes::lock_current()) it may be
 *             on either, so it can hold a stash's flag it took on one CPU while it runs on the
 *             other, next to task0.
 *   flusher   Cache::shrink (flush_stashes, then Node::shrink: what a node losing its last
 *             memory and cache destruction do) and Cache::flush_cpu (a CPU going offline).
 *   a never claim: the invariants, in every reachable state.
 *
 * Every task can be preempted between any two steps, a stash flag held or not, except inside
 * a fast path (ffi/fastpath.c), which runs with preemption disabled: no other task takes a
 * step on that CPU until it ends (task0 none at all while task1 is in one on CPU 0), while
 * the flusher, on another CPU, may take any number. A step is one access to shared state (a
 * flag's exchange, load or release, a stash hit, one depot or Node::lists critical section)
 * together with the task's local work around it, which no other process sees.
 *
 * Objects 1..N0 are node 0's slab, N0+1..N0+N1 node 1's; a slab is on its node's lists or
 * back in the page allocator. Stashes hold CAP = 2 objects (Stashes::cap), a magazine MAG = 1
 * (cap / 2), the depot DEPOT_MAGS = 1 magazine: the sizes at which every path is reachable
 * (a spill needs a full stash; a spill into a full depot, N0 = 4; a remote spill into a full
 * node stash, N1 = 3). Stashes 0, 1 are CPUs 0, 1 (both on node 0, their `home`), stash 2 is
 * node 1's. A task holds at most one object.
 *
 * Properties:
 *   - safety (every run): a stash's array is touched by the holder of its flag, or by a fast
 *     path on the stash's CPU that found the flag clear, never by both at once: a holder's
 *     every access checks that it holds the flag and that no fast path is in the stash (a
 *     fast path that saw the flag clear before a flush took it is waited for, by the
 *     flush's grace period); each object is in exactly one place: free on its
 *     slab, in the page allocator, in a stash (below its length), in a depot magazine, held by
 *     a task, or in the local batch of the function moving it (none lost or handed out twice);
 *     each node's `inuse` counter (NodeStats) equals its objects off its slab's freelist;
 *     Depot::count equals the objects in the magazines; a node stash holds only its node's
 *     objects; free_on_node gets only objects of its node.
 *   - liveness (-DLIVENESS, `pan -a -f`: weak fairness): every flush that starts finishes.
 *     The flusher then runs on task0's CPU at a higher priority: task0 takes no step while the
 *     flusher is awake (RUN), only while it sleeps. The tasks do OPS operations each (with
 *     unbounded operations a flush can be starved under weak fairness alone: a task may take
 *     the flag again before every retry, forever).
 *
 * take_sleeping (a flush's wait for a stash flag):
 *   default       try the flag; if it is held, sleep and try again (ffi::sleep_us, 20 us
 *                 doubling to 2 ms: the CPU goes to other tasks; the sleep is modelled as
 *                 lasting until the flag is free, as a wake-up while it is still held only
 *                 repeats the try).
 *   -DSPIN_WAIT   the lock() before: `while busy.load() { spin_loop() }`, keeping the CPU.
 *                 With LIVENESS the flush never finishes once task0 holds CPU 0's flag: task0
 *                 cannot run while the flusher spins on its CPU.
 * Mutants (each must make a check fail; scripts/models.sh checks that they do):
 *   -DMUTANT_RACY_TRYLOCK   try_lock as a load and a store instead of compare_exchange
 *   -DMUTANT_FLUSH_NO_LOCK  the flush empties a stash without taking its flag
 *   -DMUTANT_NO_GP          the flush empties CPU stashes right after taking their flags,
 *                           without waiting for a grace period
 *   -DMUTANT_PUT_LOST       a spill that finds the depot full drops its batch
 *
 * Abstractions: sequentially consistent memory (the flag's acquire exchange and release store
 * order one holder's accesses before the next holder's, a fast path's acquire load orders
 * the last holder's accesses before its own, and synchronize_rcu() orders the flag a flush
 * took before every fast path that begins after; the depot and Node::lists are spinlocks); a
 * grace period is the flusher waiting, for each CPU in turn, until it is at some moment
 * outside a fast path (a quiescent state); a depot or Node::lists critical section is one step (on !PREEMPT_RT their holders
 * are not preempted; on PREEMPT_RT a holder blocked on Node::lists is one more way of not
 * running, which the flush's sleep covers in the same way); free_batch's per-node frees are one
 * step; one slab per node, so Pages::alloc fails (ENOMEM) where the node's slab is on its lists
 * (new_slab's retries on other nodes are not modelled); node metadata always exists (model 1
 * is about that); nodes_near is node 0, then 1; Cache::alloc_any's partial-list scan and new
 * slab are one step; a flush's take_oldest, guard drop and free_batch are one step.
 */

#ifndef OPS
#define OPS 0			/* operations per task; 0: unbounded */
#endif

#ifndef N0
#define N0 2			/* objects in node 0's slab: ids 1..N0 */
#endif
#ifndef N1
#define N1 2			/* objects in node 1's slab: ids N0+1..N0+N1 */
#endif
#define NOBJ (N0 + N1 + 1)	/* 0 = none */
#define NODE_OF(o) ((o) > N0 -> 1 : 0)
#define FIRST(n) ((n) == 0 -> 1 : N0 + 1)
#define LAST(n) ((n) == 0 -> N0 : N0 + N1)
#define NS 3			/* stashes: CPU 0, CPU 1, node 1 */
#define NODE_STASH 2
#define CAP 2			/* Stashes::cap */
#define MAG 1			/* (cap / 2).min(MAG_MAX) */
#define DEPOT_MAGS 1
#define XN 2			/* a local batch (`out`, `batch`) */
#define FLUSHER 2		/* process index of the flusher */

/* Where the flusher runs while awake. */
#ifdef LIVENESS
#define HOG true		/* on CPU 0, above task0 */
#else
#define HOG false		/* on another CPU: every interleaving */
#endif
/*
 * Whether the process may take a step: task0 cannot while the flusher is awake on its CPU.
 * (A guard on each of task0's shared-state steps rather than a `provided` clause, which
 * pan's weak fairness does not treat as disabling.)
 */
#define RUN (me != 0 || (!hog && pdcpu[0] != 2))

/* ffi/fastpath.h struct rsh_stash (percpu.rs RawStash) */
bool busy[NS];			/* rsh_stash.busy, the flag */
byte holder[NS];		/* ghost: me + 1 of the flag's holder, 0 if none */
byte slen[NS];			/* rsh_stash.len */
byte sobj[NS * CAP];		/* rsh_stash.objs */
byte fastuser[2];		/* ghost: me + 1 of a fast path in CPU c's stash (it saw the flag clear) */
byte pdcpu[2];			/* me + 1 of the task with preemption disabled on CPU c, 0 if none */

/* percpu.rs Stashes */
bool ns_made;			/* Stashes::nodes[1] is set */
bool any_node;			/* Stashes::any_node */

/* percpu.rs Depot: Depot::mags (a spinlock: one step per critical section) */
byte dobj[DEPOT_MAGS * MAG];
byte dlen[DEPOT_MAGS];
byte dn;			/* Magazines::n */
byte dcount;			/* Depot::count */

/* node.rs Node, slab.rs: one slab per node */
bool present[2];		/* the node's slab is on its lists (else in the page allocator) */
bool onlist[NOBJ];		/* free on its slab's freelist */
byte inuse[2];			/* NodeStats::inuse */

/* The object each task holds, and the local batches (`out`, `batch`) of each process. */
byte hand[2];
byte xfer[3 * XN];
byte xn[3];

bool hog;			/* the flusher is awake on CPU 0: task0 cannot run */
bool flushing;			/* a flush is in progress */

#define S(s, i) sobj[(s) * CAP + (i)]
#define X(i) xfer[me * XN + (i)]

/* For trails (spin -t): who does what, in the code's names. */
inline say_who() {
	if
	:: me == FLUSHER -> printf("MSG flusher: ")
	:: else -> printf("MSG task%d: ", me)
	fi
}
inline say_try_lock(s, ok) {
	say_who();
	if
	:: ok -> printf("LockedStash::try_lock(stash %d) takes the flag\n", s)
	:: else -> printf("LockedStash::try_lock(stash %d): held\n", s)
	fi
}

/*
 * percpu.rs LockedStash::try_lock: busy.compare_exchange(false, true, Acquire, Relaxed), one
 * step with the local work around it (LOCKSTEP). `holder` is a ghost: who the flag's exchange
 * made the stash's only user (StashGuard's invariant); every access to a stash's array checks
 * it, which is what lets the model treat a holder's work on its array as atomic.
 */
#ifdef MUTANT_RACY_TRYLOCK
#define LOCKSTEP(x) RUN; x
#define LOCKSTEP_IF(g, x) (RUN && (g)) -> x
inline try_lock(s, ok) {
	ok = !busy[s];
	if :: ok -> busy[s] = true; holder[s] = me + 1 :: else fi;
	say_try_lock(s, ok)
}
#else
#define LOCKSTEP(x) atomic { RUN -> x }
#define LOCKSTEP_IF(g, x) atomic { RUN && (g) -> x }
inline try_lock(s, ok) {
	ok = !busy[s];
	if :: ok -> holder[s] = me + 1 :: else fi;
	busy[s] = true;
	say_try_lock(s, ok)
}
#endif
/* Only the flag's holder touches the array, and never while a fast path is in it. */
#define OWN(s) assert(holder[s] == me + 1); assert(s >= 2 || fastuser[s] == 0)

/* percpu.rs StashGuard::drop: busy.store(0, Release). */
inline unlock_stash(s) {
	OWN(s);
	holder[s] = 0;
	busy[s] = false;
	say_who();
	printf("StashGuard::drop(stash %d)\n", s)
}

/* percpu.rs Stash::pop into the task's hand (which stays 0 if the stash is empty). */
inline pop_to(s) {
	OWN(s);
	if
	:: slen[s] > 0 -> slen[s]--; hand[me] = S(s, slen[s]); S(s, slen[s]) = 0
	:: else
	fi
}

/* rsh_cpu_alloc's pop and rsh_cpu_free's push, in a fast path that saw the flag clear. */
inline fast_pop(s) {
	assert(fastuser[s] == me + 1);
	if
	:: slen[s] > 0 -> slen[s]--; hand[me] = S(s, slen[s]); S(s, slen[s]) = 0
	:: else
	fi
}
inline fast_push(s) {
	assert(fastuser[s] == me + 1);
	if
	:: slen[s] < CAP -> S(s, slen[s]) = hand[me]; slen[s]++; hand[me] = 0
	:: else
	fi
}

/* percpu.rs Stash::push of the task's object, if there is room below cap. */
inline push_hand(s) {
	OWN(s);
	if
	:: slen[s] < CAP -> S(s, slen[s]) = hand[me]; slen[s]++; hand[me] = 0
	:: else
	fi
}

/* percpu.rs Stash::take_oldest(n, out) into X()[..xn]. */
inline take_oldest(s, n) {
	OWN(s);
	xn[me] = 0;
	do
	:: xn[me] < n && xn[me] < slen[s] -> X(xn[me]) = S(s, xn[me]); xn[me]++
	:: else -> break
	od;
	i = 0;				/* objs.copy_within(n..len, 0) */
	do
	:: i + xn[me] < slen[s] -> S(s, i) = S(s, i + xn[me]); i++
	:: else -> break
	od;
	do
	:: i < slen[s] -> S(s, i) = 0; i++
	:: else -> break
	od;
	slen[s] = slen[s] - xn[me];
	i = 0
}

/*
 * percpu.rs Stash::swap_half(p, cap, out): the older half into X(), then push the task's
 * object, or put it into X() too if the stash is still full.
 */
inline swap_half(s) {
	take_oldest(s, CAP / 2);
	push_hand(s);
	if
	:: hand[me] != 0 -> X(xn[me]) = hand[me]; xn[me]++; hand[me] = 0
	:: else
	fi
}

/* node.rs Node::free_many on node n of X()[..xn] (cache.rs free_on_node). */
inline free_on_node(n) {
	i = 0;
	do
	:: i < xn[me] ->
		assert(NODE_OF(X(i)) == n);	/* free_on_node gets its node's objects only */
		onlist[X(i)] = true; inuse[n]--; X(i) = 0; i++
	:: else -> break
	od;
	xn[me] = 0;
	i = 0
}

/* cache.rs Cache::free_batch: every object of X() back to its own node's slab. */
inline free_batch() {
	i = 0;
	do
	:: i < xn[me] -> onlist[X(i)] = true; inuse[NODE_OF(X(i))]--; X(i) = 0; i++
	:: else -> break
	od;
	xn[me] = 0;
	i = 0
}

/* node.rs Node::alloc_batch(g, spare) of node n into the held stash s; adds to got. */
inline alloc_batch(n, s) {
	OWN(s);
	o = FIRST(n);
	do
	:: o <= LAST(n) && slen[s] < CAP ->
		if
		:: onlist[o] -> onlist[o] = false; inuse[n]++; S(s, slen[s]) = o; slen[s]++; got++
		:: else
		fi;
		o++
	:: else -> break
	od;
	o = 0
}

/*
 * Pages::alloc and node.rs Node::add_slab_and_alloc_batch(slab, g, batch): node n's slab, if
 * it is in the page allocator, goes onto the lists and up to `want` of its objects into X().
 * ENOMEM (xn = 0) if it is already on the lists.
 */
inline new_slab_batch(n, want) {
	xn[me] = 0;
	if
	:: !present[n] && LAST(n) >= FIRST(n) ->
		present[n] = true;
		o = FIRST(n);
		do
		:: o <= LAST(n) && xn[me] < want -> X(xn[me]) = o; xn[me]++; inuse[n]++; o++
		:: o <= LAST(n) && xn[me] >= want -> onlist[o] = true; o++
		:: else -> break
		od;
		o = 0
	:: else
	fi
}

/*
 * cache.rs Cache::alloc_any: a partial slab, node 0's then node 1's (Node::alloc), else a new
 * slab from the page allocator (either node) with Node::add_slab_and_alloc. One step: what
 * the page allocator and the lists do between the scan and the new slab changes no stash.
 */
inline alloc_any_body() {
	o = 1;
	do
	:: o < NOBJ && !onlist[o] -> o++
	:: else -> break
	od;
	if
	:: o < NOBJ -> onlist[o] = false; inuse[NODE_OF(o)]++; hand[me] = o; o = 0
	:: else ->
		o = 0;
		if
		:: new_slab_batch(0, 1); hand[me] = X(0); X(0) = 0; xn[me] = 0
		:: new_slab_batch(1, 1); hand[me] = X(0); X(0) = 0; xn[me] = 0
		fi
	fi
}

/* cache.rs Cache::alloc_on(1): node 1's partial slab, else a new slab there (one step). */
inline alloc_on_body() {
	if
	:: present[1] ->
		o = FIRST(1);
		do
		:: o <= LAST(1) && !onlist[o] -> o++
		:: else -> break
		od;
		if
		:: o <= LAST(1) -> onlist[o] = false; inuse[1]++; hand[me] = o
		:: else			/* ENOMEM */
		fi;
		o = 0
	:: else -> new_slab_batch(1, 1); hand[me] = X(0); X(0) = 0; xn[me] = 0
	fi
}

/*
 * The CPU a task is on when it disables preemption (a fast path, Stashes::lock_current):
 * task0 is on CPU 0; task1 on either, and may move at any other time, but not onto a CPU
 * where task0 has preemption disabled.
 */
inline current(cs) {
	if
	:: me == 0 -> cs = 0
	:: me == 1 && pdcpu[0] == 0 -> cs = 0
	:: me == 1 -> cs = 1
	fi
}

/*
 * ffi/fastpath.c, a CPU stash hit, first step: preempt_disable() on the task's CPU, then the
 * flag's acquire load; a clear flag lets the fast path use the array without taking it.
 */
inline fast_enter(cs) {
	current(cs);
	pdcpu[cs] = me + 1;
	ok = !busy[cs];
	if
	:: ok -> fastuser[cs] = me + 1; say_who(); printf("fast path on CPU %d: the flag is clear, in the stash\n", cs)
	:: else
	fi
}

/* ...and its end: preempt_enable(). */
inline fast_leave(cs) {
	fastuser[cs] = 0;
	pdcpu[cs] = 0
}

/*
 * cache.rs Cache::take_from_new_slab(stash s, node n, slab), after Pages::alloc and
 * Node::add_slab_and_alloc_batch put the new batch into X(): the first object for the caller;
 * as many of the rest as fit into the stash if its flag is free (try_lock); what does not fit
 * back to the slab (free_on_node).
 */
inline new_slab_first(n) {
	new_slab_batch(n, CAP);
	if
	:: xn[me] > 0 -> hand[me] = X(0); X(0) = X(1); X(1) = 0; xn[me]--; got = n
	:: else -> got = 2	/* ENOMEM */
	fi
}
inline take_from_new_slab_rest(s, cpu) {
	if
	/* node stash: ns.try_lock(); CPU stash: lock_current(), on the CPU the task is on now */
	:: LOCKSTEP_IF(got < 2, if :: cpu -> current(cs) :: else fi; try_lock(s, ok));
		d_step {
			RUN ->
			if
			:: ok ->
				OWN(s);
				do
				:: xn[me] > 0 && slen[s] < CAP -> xn[me]--; S(s, slen[s]) = X(xn[me]); X(xn[me]) = 0; slen[s]++
				:: else -> break
				od;
				unlock_stash(s)
			:: else
			fi;
			free_on_node(got)			/* free_on_node(node, rest) */
		}
	:: got == 2					/* ENOMEM */
	fi
}

/*
 * cache.rs Cache::alloc_fast (rsh_cpu_alloc: the flag clear, pop), then alloc_refill with the
 * stash held or empty.
 */
inline alloc_fast() {
	atomic { RUN -> fast_enter(cs) };
	d_step { RUN -> if :: ok -> fast_pop(cs) :: else fi; fast_leave(cs) };
	if
	:: true ->
		if
		:: LOCKSTEP_IF(hand[me] == 0, current(cs); try_lock(cs, ok));	/* alloc_refill: lock_current */
			if
			:: atomic { RUN && !ok -> alloc_any_body() }
			:: d_step {
				/* pop (another task may have refilled it), else depot().take(spare) */
				RUN && ok ->
				pop_to(cs);
				got = 0;
				if
				:: hand[me] != 0 -> unlock_stash(cs)
				:: hand[me] == 0 && dn > 0 && dlen[dn - 1] <= CAP - slen[cs] ->
					OWN(cs);
					dn--;
					do
					:: got < dlen[dn] -> S(cs, slen[cs]) = dobj[dn * MAG + got]; dobj[dn * MAG + got] = 0; slen[cs]++; got++
					:: else -> break
					od;
					dcount = dcount - got; dlen[dn] = 0
				:: else
				fi
			   };
				if
				:: d_step {
					/*
					 * nothing in the depot: partial slabs, home node first
					 * (Node::alloc_batch), then pop and drop(s); one step (each
					 * Node::lists section is atomic, and the flag is held throughout)
					 */
					RUN && hand[me] == 0 ->
					if :: got == 0 -> alloc_batch(0, cs) :: else fi;
					if :: got == 0 -> alloc_batch(1, cs) :: else fi;
					pop_to(cs);
					unlock_stash(cs)
				   };
					if
					:: atomic {
						/* a new slab, outside every lock */
						RUN && hand[me] == 0 ->
						if
						:: new_slab_first(0)
						:: new_slab_first(1)
						fi
					   };
						take_from_new_slab_rest(cs, true)
					:: hand[me] != 0	/* (not `else`: that would be taken while preempted) */
					fi
				:: hand[me] != 0
				fi
			fi
		:: hand[me] != 0
		fi
	fi
}

/* cache.rs Cache::alloc_fast_on(1), then alloc_node_refill with an empty node stash. */
inline alloc_fast_on() {
	/* Stashes::node_or_new(1): compare_exchange from null, then any_node.store(true) */
	if
	:: !ns_made -> ns_made = true; any_node = true
	:: else
	fi;
	LOCKSTEP(try_lock(NODE_STASH, ok));		/* ns.try_with(Stash::pop) */
	if
	:: atomic { RUN && !ok -> alloc_on_body() }
	:: d_step { RUN && ok -> pop_to(NODE_STASH); unlock_stash(NODE_STASH) };
		if
		:: LOCKSTEP_IF(hand[me] == 0, try_lock(NODE_STASH, ok));
			if
			:: atomic { RUN && !ok -> alloc_on_body() }
			:: d_step {
				RUN && ok ->
				pop_to(NODE_STASH);
				if
				:: hand[me] == 0 -> got = 0; alloc_batch(1, NODE_STASH); pop_to(NODE_STASH)
				:: else
				fi;
				unlock_stash(NODE_STASH)
			   };
				if
				:: atomic { RUN && hand[me] == 0 -> new_slab_first(1) };	/* Placement::Exact(1) */
					take_from_new_slab_rest(NODE_STASH, false)
				:: hand[me] != 0
				fi
			fi
		:: hand[me] != 0
		fi
	fi
}

/* cache.rs Cache::free (Node::free): the object straight back to its slab. */
inline free_direct_body() {
	onlist[hand[me]] = true; inuse[NODE_OF(hand[me])]--; hand[me] = 0
}

/*
 * cache.rs Cache::free_fast (rsh_cpu_free: a remote object to its node's stash, node_push;
 * else, the flag clear, push), then free_remote_spill or free_spill.
 */
inline free_fast() {
	atomic {
		RUN ->
		if
		/* a remote object (its node has a stash; the CPUs' home is node 0) */
		:: any_node && NODE_OF(hand[me]) != 0 && ns_made -> cs = NODE_STASH
		:: else -> fast_enter(cs)
		fi
	};
	if
	:: cs == NODE_STASH ->
		LOCKSTEP(try_lock(NODE_STASH, ok));		/* node_push */
		d_step { RUN -> if :: ok -> push_hand(NODE_STASH); unlock_stash(NODE_STASH) :: else fi };
		if
		:: LOCKSTEP_IF(hand[me] != 0, try_lock(NODE_STASH, ok));
			/* free_remote_spill(ns, p): ns.try_lock() and swap_half, else just p */
			d_step {
				RUN ->
				if
				:: ok -> swap_half(NODE_STASH); unlock_stash(NODE_STASH)
				:: else -> X(0) = hand[me]; xn[me] = 1; hand[me] = 0
				fi;
				free_on_node(1)		/* free_on_node(ns.home(), out) */
			}
		:: hand[me] == 0
		fi
	:: cs != NODE_STASH ->
		d_step { RUN -> if :: ok -> fast_push(cs) :: else fi; fast_leave(cs) };
		if
		:: LOCKSTEP_IF(hand[me] != 0, current(cs); try_lock(cs, ok));
			/* free_spill(p): lock_current(), swap_half */
			if
			:: d_step { RUN && !ok -> free_direct_body() }	/* free_batch(&[p]) */
			:: d_step {
				/* swap_half, drop the guard, then depot().put(out), else free_batch(out) */
				RUN && ok ->
				swap_half(cs);
				unlock_stash(cs);
				if
				:: xn[me] > 0 && xn[me] <= MAG && dn < DEPOT_MAGS ->
					i = 0;
					do
					:: i < xn[me] -> dobj[dn * MAG + i] = X(i); X(i) = 0; i++
					:: else -> break
					od;
					dlen[dn] = xn[me]; dn++; dcount = dcount + xn[me]; xn[me] = 0; i = 0
				:: else ->
#ifdef MUTANT_PUT_LOST
					xn[me] = 0		/* mutant: a full depot drops the batch */
#else
					free_batch()
#endif
				fi
			   }
			fi
		:: hand[me] == 0
		fi
	fi
}

inline task_body() {
	do
	:: (OPS == 0 || ops < OPS) ->
		if
		:: hand[me] == 0 -> alloc_fast()
#if N1 > 0
		:: hand[me] == 0 && me == 1 -> alloc_fast_on()
#endif
		:: hand[me] != 0 -> free_fast()
		fi;
		d_step { cs = 0; ok = false; got = 0; n = 0; if :: OPS != 0 -> ops++ :: else fi }
	:: OPS != 0 && ops >= OPS -> break
	od
}

proctype task0() {
	byte me = 0, cs, i, o, n, got, ops;
	bool ok;
	task_body()
}

proctype task1() {
	byte me = 1, cs, i, o, n, got, ops;
	bool ok;
	task_body()
}

/* percpu.rs take_sleeping (drain_cpus, NodeStash::lock): wait for stash s's flag. */
inline lock_stash(s) {
#if !defined(LIVENESS) && !defined(SPIN_WAIT) && !defined(MUTANT_RACY_TRYLOCK)
	/*
	 * Safety runs: failed tries and the sleeps between them change nothing, so the wait is
	 * one step taken at some moment the flag is free (fewer states, the same behaviours).
	 */
	atomic { !busy[s] -> try_lock(s, ok) }
#else
	do
	:: LOCKSTEP(try_lock(s, ok));
		if
		:: ok -> break
		:: else
		fi;
#ifdef SPIN_WAIT
		/* before: while busy.load(Relaxed) { spin_loop() }, keeping the CPU */
		do
		:: busy[s] -> printf("MSG flusher: take_sleeping(stash %d) spins on busy, keeping its CPU\n", s)
		:: else -> break
		od
#else
		/* ffi::sleep_us(wait_us): the CPU goes to other tasks; wakes to retry */
		atomic { hog = false; printf("MSG flusher: take_sleeping(stash %d) sleeps (sleep_us)\n", s) };
		atomic { !busy[s] && pdcpu[0] == 0 -> hog = HOG; printf("MSG flusher: wakes, tries stash %d again\n", s) }
#endif
	od
#endif
}

/* cache.rs: cs.with(|s| s.take_oldest(STASH_MAX, out)), then free_batch(out). */
inline flush_one(s) {
#ifdef MUTANT_FLUSH_NO_LOCK
	atomic { holder[s] = me + 1; take_oldest(s, CAP); holder[s] = 0; free_batch() };	/* no flag */
#else
	lock_stash(s);
	/* take_oldest, drop the guard, free_batch(out): one step (the batch is local) */
	atomic { take_oldest(s, CAP); unlock_stash(s); free_batch(); ok = false };
#endif
}

/*
 * ffi::fastpath::synchronize_rcu(): the flusher sleeps until each CPU has been, at some moment
 * since, outside a fast path (a preemption-disabled region is an RCU read-side critical
 * section).
 */
inline grace_period() {
#ifndef MUTANT_NO_GP
	atomic { hog = false; printf("MSG flusher: synchronize_rcu() sleeps\n") };
	(pdcpu[0] == 0);
	(pdcpu[1] == 0);
	atomic { pdcpu[0] == 0 -> hog = HOG; printf("MSG flusher: the grace period is over\n") }
#else
	printf("MSG flusher: no grace period (mutant)\n")
#endif
}

/* One CPU stash, its flag taken and a grace period over: take_oldest, drop, free_batch. */
inline drain_one(s) {
#ifdef MUTANT_FLUSH_NO_LOCK
	atomic { holder[s] = me + 1; take_oldest(s, CAP); holder[s] = 0; free_batch() };	/* no flag */
#else
	atomic { take_oldest(s, CAP); unlock_stash(s); free_batch(); ok = false };
#endif
}

/*
 * percpu.rs Stashes::drain_cpus: CPU stashes lo..=hi (both, or one), nothing if they are all
 * empty (read without their flags); else every flag in CPU order, a grace period, and then
 * each stash emptied.
 */
inline drain_cpus(lo, hi) {
	atomic { ok = (slen[lo] == 0 && slen[hi] == 0) };
	if
	:: ok -> ok = false
	:: !ok ->
#ifndef MUTANT_FLUSH_NO_LOCK
		lock_stash(lo);
		if :: hi != lo -> lock_stash(hi) :: else fi;
		grace_period();
#endif
		drain_one(lo);
		if :: hi != lo -> drain_one(hi) :: else fi
	fi
}

/* cache.rs Cache::flush_stashes: every CPU stash, every node stash, then the depot. */
inline flush_stashes() {
	drain_cpus(0, 1);
	if
	:: ns_made -> flush_one(NODE_STASH)
	:: else
	fi;
	do
	:: atomic {	/* depot().take(out) */
			if
			:: dn > 0 ->
				dn--;
				do
				:: xn[me] < dlen[dn] -> X(xn[me]) = dobj[dn * MAG + xn[me]]; dobj[dn * MAG + xn[me]] = 0; xn[me]++
				:: else -> break
				od;
				dcount = dcount - xn[me]; dlen[dn] = 0;
				free_batch();		/* with the batch local: one step */
				ok = true
			:: else -> ok = false
			fi
		};
		if
		:: !ok -> break
		:: else
		fi
	od;
	ok = false
}

/* node.rs Node::shrink: node n's slab, if it is empty, back to the page allocator. */
inline node_shrink(n) {
	if
	:: present[n] && inuse[n] == 0 ->
		present[n] = false;
		o = FIRST(n);
		do
		:: o <= LAST(n) -> onlist[o] = false; o++
		:: else -> break
		od;
		o = 0
	:: else
	fi
}

proctype flusher() {
	byte me = FLUSHER, i, o;
	bool ok;
	do
	::
#ifdef LIVENESS
		atomic { pdcpu[0] == 0 -> hog = HOG; flushing = true; printf("MSG flusher: a flush begins, on CPU 0 above task0\n") };
#endif
		if
		:: /* Cache::shrink */
			flush_stashes();
			/* Node::shrink: empty slabs back to the page allocator */
			atomic {
				node_shrink(0);
				node_shrink(1)
			}
		:: drain_cpus(0, 0)	/* Cache::flush_cpu(0) */
		:: drain_cpus(1, 1)	/* Cache::flush_cpu(1) */
		fi;
#ifdef LIVENESS
		atomic { flushing = false; hog = false; ok = false; printf("MSG flusher: the flush is done\n") }	/* idle */
#else
		ok = false
#endif
	od
}

/*
 * The invariants, as one expression checked in every reachable state (a never claim: it sees
 * the states between steps, never those inside an atomic step). Written out for the model's
 * fixed sizes: NS = 3 stashes of CAP = 2, one magazine of one object, batches of XN = 2.
 */
#define B(c) ((c) -> 1 : 0)
#define IN_STASHES(o) (B(sobj[0] == (o) && slen[0] > 0) + B(sobj[1] == (o) && slen[0] > 1) + \
	B(sobj[2] == (o) && slen[1] > 0) + B(sobj[3] == (o) && slen[1] > 1) + \
	B(sobj[4] == (o) && slen[2] > 0) + B(sobj[5] == (o) && slen[2] > 1))
#define IN_DEPOT(o) B(dobj[0] == (o) && dn > 0 && dlen[0] > 0)
#define IN_HANDS(o) (B(hand[0] == (o)) + B(hand[1] == (o)))
#define IN_BATCHES(o) (B(xfer[0] == (o) && xn[0] > 0) + B(xfer[1] == (o) && xn[0] > 1) + \
	B(xfer[2] == (o) && xn[1] > 0) + B(xfer[3] == (o) && xn[1] > 1) + \
	B(xfer[4] == (o) && xn[2] > 0) + B(xfer[5] == (o) && xn[2] > 1))
#define IN_PAGES(o) B(!present[NODE_OF(o)])
/* Object o is in exactly one place: not lost, not handed out twice. */
#define ONE_PLACE(o) ((o) >= NOBJ || \
	(B(onlist[o]) + IN_PAGES(o) + IN_STASHES(o) + IN_DEPOT(o) + IN_HANDS(o) + IN_BATCHES(o) == 1 && \
	 !(onlist[o] && !present[NODE_OF(o)])))
/* Object o counts in NodeStats::inuse of node n: on n's slab, off its freelist. */
#define USED(o, n) B((o) < NOBJ && NODE_OF(o) == (n) && present[n] && !onlist[o])
#define INUSE_EXACT(n) (inuse[n] == USED(1, n) + USED(2, n) + USED(3, n) + USED(4, n))
#define INVARIANTS (ONE_PLACE(1) && ONE_PLACE(2) && ONE_PLACE(3) && ONE_PLACE(4) && \
	INUSE_EXACT(0) && INUSE_EXACT(1) && \
	dcount == (dn > 0 -> dlen[0] : 0) && \
	(slen[2] < 1 || NODE_OF(sobj[4]) == 1) && (slen[2] < 2 || NODE_OF(sobj[5]) == 1))

#ifndef LIVENESS
never {		/* [] INVARIANTS: reaching the end of the claim is a violation */
	do
	:: !(INVARIANTS) -> break
	:: else
	od
}
#endif

#ifdef LIVENESS
ltl flush_finishes { [] (flushing -> <> !flushing) }
#endif

init {
	atomic {
		run task0();
		run task1();
		run flusher()
	}
}
