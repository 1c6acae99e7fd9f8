/*
 * The stash protocol of rust_slab_hp (percpu.rs "Locking", ffi/fastpath.c, cache.rs), checked
 * with spin (scripts/models.sh).
 *
 * Processes:
 *   task0     allocates and frees (Cache::alloc_fast, Cache::free_fast), pinned to CPU 0 (a
 *             CPU-bound kthread, as the benchmark's).
 *   task1     the same, and allocates on node 1 exactly (Cache::alloc_fast_on) through node
 *             1's stash, which its first such allocation makes. It migrates: each region with
 *             preemption disabled (a fast path, Stashes::lock_current) may run on either CPU,
 *             so it can take a CPU's flag on one CPU and go on using that stash from the other,
 *             next to task0.
 *   flusher   Cache::shrink (flush_stashes, then Node::shrink: what a node losing its last
 *             memory and cache destruction do) and Cache::flush_cpu (a CPU going offline),
 *             through Stashes::drain_cpus; on a third CPU (on CPU 0 with LIVENESS, below).
 *   a never claim: the invariants, in every reachable state.
 *
 * CPU stashes (stashes 0, 1: CPUs 0, 1):
 *   - a fast path (fastpath.c rsh_cpu_alloc, rsh_cpu_free) is a region with preemption
 *     disabled on the stash's CPU, in two steps: preempt_disable, smp_processor_id and the
 *     flag's acquire load; then, if the flag was clear, the pop or push and preempt_enable. No
 *     flag is set. Other tasks on that CPU take no step in between (`pd`: task0 is on CPU 0
 *     all the time, task1 on CPU c while it is in a region there); other CPUs interleave.
 *   - a slow path takes the flag of the current CPU's stash (rsh_cpu_lock_current:
 *     preempt_disable, compare_exchange, preempt_enable) in one step at a moment no other
 *     task is in a region on that CPU; it may then be preempted, and task1 migrate, flag held.
 *   - a flush (Stashes::drain_cpus) takes the flags of the CPU stashes it empties, CPU order,
 *     sleeping while one is held, then waits for a grace period (synchronize_rcu: every
 *     region that began before it has ended; `gpw` are the regions it waits for), and only
 *     then touches the arrays. If the chosen stashes are all empty (lengths read without
 *     flags) it takes nothing.
 * Node stashes (stash 2: node 1's): every use, fast (rsh_node_alloc, node_push) or slow, takes
 * the flag by compare_exchange; a flush sleeps between tries (NodeStash::lock).
 *
 * A task is preemptible between any two steps outside a region, a stash flag held or not. A
 * step is one access to shared state (a flag's exchange or release, one depot or Node::lists
 * critical section, a fast path's half) with the task's local work around it.
 *
 * Objects 1..N0 are node 0's slab, N0+1..N0+N1 node 1's; a slab is on its node's lists or
 * back in the page allocator. Stashes hold CAP = 2 objects (Stashes::cap), a magazine MAG = 1
 * (cap / 2), the depot DEPOT_MAGS = 1 magazine: the sizes at which every path is reachable
 * (a spill needs a full stash; a spill into a full depot, N0 = 4; a remote spill into a full
 * node stash, N1 = 3). Both CPUs are on node 0 (their `home`). A task holds at most one
 * object.
 *
 * Properties:
 *   - safety (every run): only a legitimate user touches a stash's array, one at a time (the
 *     ghost `user`: a fast path that saw the flag clear, in its region; a slow path from its
 *     flag's exchange to its release; a flush after the flag and the grace period; a node
 *     stash's flag holder; StashGuard's invariant; checked when a user begins and at every
 *     access); each object is in exactly one place: free on its slab, in the page
 *     allocator, in a stash (below its length), in a depot magazine, held by a task, or in
 *     the local batch of the function moving it (none lost or handed out twice); each node's
 *     `inuse` counter (NodeStats) equals its objects off its slab's freelist; Depot::count
 *     equals the objects in the magazines; a node stash holds only its node's objects;
 *     free_on_node gets only objects of its node.
 *   - liveness (-DLIVENESS, `pan -a -f`: weak fairness): every flush that starts finishes.
 *     The flusher then runs on task0's CPU at a higher priority: task0 takes no step while the
 *     flusher is awake (RUN), only while it sleeps; the flusher wakes only when no task is in
 *     a region on CPU 0 (it cannot preempt one). The tasks do OPS operations each (with
 *     unbounded operations a flush can be starved under weak fairness alone: a task may take
 *     the flag again before every retry, forever).
 *
 * Waiting for a stash flag (percpu.rs take_sleeping, for flushes):
 *   default       try the flag; if it is held, sleep and try again (ffi::sleep_us, 20 us
 *                 doubling to 2 ms: the CPU goes to other tasks; the sleep is modelled as
 *                 lasting until the flag is free, as a wake-up while it is still held only
 *                 repeats the try). synchronize_rcu sleeps too.
 *   -DSPIN_WAIT   an older lock(): `while busy.load() { spin_loop() }`, keeping the CPU.
 *                 With LIVENESS the flush never finishes once task0 holds CPU 0's flag: task0
 *                 cannot run while the flusher spins on its CPU.
 * Mutants (each must make a check fail; scripts/models.sh checks that they do):
 *   -DMUTANT_RACY_TRYLOCK          the flag's compare_exchange as a load and a store, where
 *                                  it is taken outside a region (flushes, node stashes)
 *   -DMUTANT_FLUSH_NO_LOCK         a flush empties CPU stashes without taking their flags
 *                                  (it still waits for the grace period)
 *   -DMUTANT_NO_GRACE_PERIOD       a flush touches the arrays right after taking the flags
 *   -DMUTANT_FASTPATH_PREEMPTIBLE  a fast path's region does not keep other tasks of its CPU
 *                                  out (as with preemption enabled; the grace period still
 *                                  waits for it, as for an RCU reader)
 *   -DMUTANT_SLOWPATH_PREEMPTIBLE  rsh_cpu_lock_current without preemption disabled: the
 *                                  task may migrate between picking the CPU's stash and the
 *                                  exchange, and take the flag while a fast path is inside
 *   -DMUTANT_NODE_FAST_NO_FLAG     rsh_node_alloc and node_push use a node stash as the CPU
 *                                  fast paths use theirs: only if the flag is clear, without
 *                                  setting it (a node stash is shared by every CPU)
 *   -DMUTANT_PUT_LOST              a spill that finds the depot full drops its batch
 * Gone with the C fast path (f89bc43): the invariant that an unheld stash's LockedStash::len
 * equals its length (`len` is now the stash's own, written with each pop and push); a CPU fast
 * path's try_lock (it sets no flag now: MUTANT_RACY_TRYLOCK covers the exchanges that remain).
 *
 * Abstractions: sequentially consistent memory (the flag's acquire exchange or load and
 * release store order one user's accesses before the next one's; synchronize_rcu orders a
 * region's accesses before the flush's; the depot and Node::lists are spinlocks); a depot or
 * Node::lists critical section is one step (on !PREEMPT_RT their holders are not preempted;
 * on PREEMPT_RT a holder blocked on Node::lists is one more way of not running, which the
 * flush's sleep covers in the same way); free_batch's per-node frees are one step; one slab
 * per node, so Pages::alloc fails (ENOMEM) where the node's slab is on its lists (new_slab's
 * retries on other nodes are not modelled); node metadata always exists (model 1 is about
 * that); nodes_near is node 0, then 1; Cache::alloc_any's partial-list scan and new slab are
 * one step; a flush's take_oldest, guard drop and free_batch are one step; in safety runs, a
 * drain's last flag and the start of its grace period are one step, and so are the grace
 * period's end and the first stash it empties (lock_stash_gp, drain_cpus); cache destruction
 * (drain_exclusive: no one else can reach the stashes) and the zeroing are not modelled; no
 * interrupt handler uses a cache (the API's rule).
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
 * Whether a task may take a step: task0 cannot while the flusher is awake on its CPU, nor
 * while task1 is in a region there. (A guard on each of task0's shared-state steps rather
 * than a `provided` clause, which pan's weak fairness does not treat as disabling.)
 */
#define RUN (me != 0 || (!hog && (pd[0] == 0 || pd[0] == 1)))
/* Whether the flusher may wake on CPU 0 (LIVENESS): no region there to wait for. */
#define FRUN (!HOG || pd[0] == 0)

/* ffi/fastpath.h struct rsh_stash */
bool busy[NS];			/* the flag */
byte user[NS];			/* ghost: me + 1 of the task in the array, 0 if none */
byte slen[NS];			/* len */
byte sobj[NS * CAP];		/* objs */

/* Preemption: pd[c] = me + 1 of the task in a region with preemption disabled on CPU c. */
byte pd[2];
bool inpd[2];			/* task t is in a region (for the grace period) */
bool gpw[2];			/* the running grace period waits for task t's region */

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

/*
 * The ghost `user`: who is in a stash's array. A user begins only when no one else is in it
 * (StashGuard's invariant, and the fast path's premise), and touches it only while it is.
 */
inline use_begin(s) {
	say_who();
	printf("uses stash %d\n", s);
	assert(user[s] == 0);		/* no one else is in the array */
	user[s] = me + 1
}
#define OWN(s) assert(user[s] == me + 1)	/* only a legitimate user touches the array */
inline use_end(s) {
	OWN(s);
	user[s] = 0
}

/*
 * A region with preemption disabled on CPU c: preempt_disable(), smp_processor_id(). task0 is
 * on CPU 0; task1 on either CPU, if no other task has preemption disabled there (nor, on CPU
 * 0, the flusher is awake there).
 */
inline cpu_pick_if(g, c) {
	if
	:: RUN && (g) && me == 0 && pd[0] == 0 -> c = 0
	:: (g) && me == 1 && pd[0] == 0 && !hog -> c = 0
	:: (g) && me == 1 && pd[1] == 0 -> c = 1
	fi
}
#define cpu_pick(c) cpu_pick_if(true, c)
inline pd_begin(c) {
#ifndef MUTANT_FASTPATH_PREEMPTIBLE
	pd[c] = me + 1;
#endif
	inpd[me] = true
}
/* preempt_enable(): the region ends, and with it what a grace period waits for. */
inline pd_end(c) {
#ifndef MUTANT_FASTPATH_PREEMPTIBLE
	pd[c] = 0;
#endif
	inpd[me] = false;
	gpw[me] = false
}

/*
 * percpu.rs try_take: busy.compare_exchange(0, 1, Acquire, Relaxed), one step with the local
 * work around it (LOCKSTEP), where it is taken outside a region (flushes, node stashes).
 */
#ifdef MUTANT_RACY_TRYLOCK
#define LOCKSTEP(x) RUN; x
#define LOCKSTEP_IF(g, x) (RUN && (g)) -> x
inline try_lock(s, ok) {
	ok = !busy[s];
	if :: ok -> busy[s] = true :: else fi
}
#else
#define LOCKSTEP(x) atomic { RUN -> x }
#define LOCKSTEP_IF(g, x) atomic { RUN && (g) -> x }
inline try_lock(s, ok) {
	ok = !busy[s];
	busy[s] = true
}
#endif
/* A node stash's try_lock (and rsh_node_alloc's, node_push's exchange): then its user. */
inline try_node(ok) {
	try_lock(NODE_STASH, ok);
	say_who();
	if
	:: ok -> printf("NodeStash::try_lock takes the flag of stash 2\n")
	:: else -> printf("NodeStash::try_lock: stash 2 is held\n")
	fi;
	if :: ok -> use_begin(NODE_STASH) :: else fi
}

/*
 * fastpath.c rsh_cpu_lock_current (Stashes::lock_current): preempt_disable, this CPU's stash,
 * compare_exchange, preempt_enable; the task is then the stash's user (it took the flag on the
 * stash's CPU with no fast path there half way through), wherever it runs next. One step.
 */
inline say_lock_current(c, ok) {
	say_who();
	if
	:: ok -> printf("Stashes::lock_current takes the flag of stash %d\n", c)
	:: else -> printf("Stashes::lock_current: stash %d is held\n", c)
	fi
}
#ifdef MUTANT_SLOWPATH_PREEMPTIBLE
#define LOCK_CURRENT_IF(g, c, ok) atomic { cpu_pick_if(g, c); \
	printf("MSG task%d: lock_current picks CPU %d's stash, preemptible\n", me, c) }; \
	atomic { RUN -> ok = !busy[c]; say_lock_current(c, ok); if :: ok -> busy[c] = true; use_begin(c) :: else fi }
#else
#define LOCK_CURRENT_IF(g, c, ok) atomic { cpu_pick_if(g, c); \
	ok = !busy[c]; say_lock_current(c, ok); if :: ok -> busy[c] = true; use_begin(c) :: else fi }
#endif

/* percpu.rs StashGuard::drop: busy.store(0, Release). */
inline unlock_stash(s) {
	use_end(s);
	busy[s] = false;
	say_who();
	printf("StashGuard::drop(stash %d)\n", s)
}

/*
 * fastpath.c rsh_node_alloc and node_push: the node stash's flag by compare_exchange, then the
 * pop or push, then the release (node stashes are shared by every CPU).
 */
#ifdef MUTANT_NODE_FAST_NO_FLAG
#define NODE_FAST(ok) ok = !busy[NODE_STASH]; if :: ok -> use_begin(NODE_STASH) :: else fi
#define NODE_FAST_END use_end(NODE_STASH)
#else
#define NODE_FAST(ok) try_node(ok)
#define NODE_FAST_END unlock_stash(NODE_STASH)
#endif

/* percpu.rs Stash::pop into the task's hand (which stays 0 if the stash is empty). */
inline pop_to(s) {
	OWN(s);
	if
	:: slen[s] > 0 -> slen[s]--; hand[me] = S(s, slen[s]); S(s, slen[s]) = 0
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
 * cache.rs Cache::take_from_new_slab(ns or the current CPU's stash, node n, slab), after
 * Pages::alloc and Node::add_slab_and_alloc_batch put the new batch into X(): the first object
 * for the caller; as many of the rest as fit into the stash if its flag is free
 * (NodeStash::try_lock, Stashes::lock_current); what does not fit back to the slab
 * (free_on_node).
 */
inline new_slab_first(n) {
	new_slab_batch(n, CAP);
	if
	:: xn[me] > 0 -> hand[me] = X(0); X(0) = X(1); X(1) = 0; xn[me]--; got = n
	:: else -> got = 2	/* ENOMEM */
	fi
}
inline take_rest_stash() {
	d_step {
		RUN ->
		if
		:: ok ->
			OWN(cs);
			do
			:: xn[me] > 0 && slen[cs] < CAP -> xn[me]--; S(cs, slen[cs]) = X(xn[me]); X(xn[me]) = 0; slen[cs]++
			:: else -> break
			od;
			unlock_stash(cs)
		:: else
		fi;
		free_on_node(got)			/* free_on_node(node, rest) */
	}
}
inline take_from_new_slab_rest_node() {
	if
	:: LOCKSTEP_IF(got < 2, cs = NODE_STASH; try_node(ok));	/* ns.try_lock() */
		take_rest_stash()
	:: got == 2					/* ENOMEM */
	fi
}
inline take_from_new_slab_rest_cpu() {
	if
	:: LOCK_CURRENT_IF(got < 2, cs, ok);		/* lock_current() */
		take_rest_stash()
	:: got == 2					/* ENOMEM */
	fi
}

/*
 * fastpath.c rsh_cpu_alloc, first half: preempt_disable, this CPU's stash, the flag's acquire
 * load and `len`; a clear flag and an object to pop make the task the array's user until the
 * second half (else the region ends here: with the flag clear, no one else writes `len`).
 */
inline cpu_fast_begin() {
	atomic {
		cpu_pick(cs);
		pd_begin(cs);
		say_who();
		if
		:: !busy[cs] && slen[cs] > 0 -> printf("rsh_cpu_alloc on CPU %d: flag clear\n", cs); use_begin(cs); ok = true
		:: else -> printf("rsh_cpu_alloc on CPU %d: flag set or empty\n", cs); ok = false; pd_end(cs)
		fi
	}
}

/* cache.rs Cache::alloc_fast: rsh_cpu_alloc, then alloc_refill with the stash empty or held. */
inline alloc_fast() {
	cpu_fast_begin();
	if
	:: d_step { RUN && ok -> pop_to(cs); use_end(cs); pd_end(cs) }	/* pop; preempt_enable */
	:: !ok
	fi;
	if
	:: LOCK_CURRENT_IF(hand[me] == 0, cs, ok);	/* alloc_refill: lock_current() */
		if
		:: atomic { RUN && !ok -> alloc_any_body() }		/* held: the node lists */
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
					take_from_new_slab_rest_cpu()
				:: hand[me] != 0	/* (not `else`: that would be taken while preempted) */
				fi
			:: hand[me] != 0
			fi
		fi
	:: hand[me] != 0
	fi
}

/*
 * cache.rs Cache::alloc_fast_on(1): rsh_node_alloc (compare_exchange, pop, release), then
 * alloc_node_refill with an empty or held node stash.
 */
inline alloc_fast_on() {
	/* Stashes::node_or_new(1): compare_exchange from null, then any_node.store(true) */
	if
	:: !ns_made -> ns_made = true; any_node = true
	:: else
	fi;
	LOCKSTEP(NODE_FAST(ok));			/* rsh_node_alloc */
	if
	:: !ok
	:: d_step { RUN && ok -> pop_to(NODE_STASH); NODE_FAST_END }
	fi;
	if
	:: LOCKSTEP_IF(hand[me] == 0, try_node(ok));	/* alloc_node_refill: ns.try_lock() */
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
				take_from_new_slab_rest_node()
			:: hand[me] != 0
			fi
		fi
	:: hand[me] != 0
	fi
}

/* cache.rs Cache::free (Node::free): the object straight back to its slab. */
inline free_direct_body() {
	onlist[hand[me]] = true; inuse[NODE_OF(hand[me])]--; hand[me] = 0
}

/* cache.rs Cache::free_fast: rsh_cpu_free, then free_spill or free_remote_spill. */
inline free_fast() {
	/*
	 * rsh_cpu_free, first half: preempt_disable, this CPU's stash; a remote object (the node
	 * stash given, of another node than the CPU's home, node 0) leaves the region for
	 * node_push; else the flag's acquire load.
	 */
	atomic {
		cpu_pick(cs);
		pd_begin(cs);
		if
		:: any_node && NODE_OF(hand[me]) != 0 && ns_made -> ok = false; pd_end(cs); cs = NODE_STASH
		:: else ->
			say_who();
			if
			:: !busy[cs] && slen[cs] < CAP -> printf("rsh_cpu_free on CPU %d: flag clear\n", cs); use_begin(cs); ok = true
			:: else -> printf("rsh_cpu_free on CPU %d: flag set or full\n", cs); ok = false; pd_end(cs)
			fi
		fi
	};
	if
	:: d_step { RUN && ok -> push_hand(cs); use_end(cs); pd_end(cs) }	/* push if not full */
	:: !ok
	fi;
	if
	:: LOCKSTEP_IF(hand[me] != 0 && cs == NODE_STASH, NODE_FAST(ok));	/* node_push */
		if
		:: d_step { RUN && ok -> push_hand(NODE_STASH); NODE_FAST_END }
		:: !ok
		fi;
		if
		:: LOCKSTEP_IF(hand[me] != 0, try_node(ok));
			/* Freed::NodeSlow: free_remote_spill(ns, p): ns.try_lock() swap_half, else p */
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
	:: LOCK_CURRENT_IF(hand[me] != 0 && cs != NODE_STASH, cs, ok);
		/* Freed::Slow: free_spill(p): lock_current(), swap_half */
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

/*
 * ffi::fastpath::synchronize_rcu: sleeps until every region with preemption disabled that
 * began before it has ended (each task's region, at its end, clears its gpw). GP_START is its
 * beginning, the step that takes the last flag in safety runs (lock_stash_gp).
 */
#ifdef MUTANT_NO_GRACE_PERIOD
#define GP_START skip
inline synchronize_rcu() {
	printf("MSG flusher: no grace period\n")
}
#else
#define GP_START gpw[0] = inpd[0]; gpw[1] = inpd[1]; hog = false; \
	printf("MSG flusher: synchronize_rcu (waits for task0: %d, task1: %d)\n", gpw[0], gpw[1])
inline synchronize_rcu() {
	atomic { FRUN && !gpw[0] && !gpw[1] -> hog = HOG; printf("MSG flusher: the grace period has passed\n") }
}
#endif

/* percpu.rs take_sleeping (NodeStash::lock, drain_cpus): wait for stash s's flag. */
#if !defined(LIVENESS) && !defined(SPIN_WAIT) && !defined(MUTANT_RACY_TRYLOCK)
/*
 * Safety runs: failed tries and the sleeps between them change nothing, so the wait is one
 * step taken at some moment the flag is free (fewer states, the same behaviours).
 */
inline lock_stash(s) {
	atomic { !busy[s] -> busy[s] = true; printf("MSG flusher: takes the flag of stash %d\n", s) }
}
/*
 * The last flag of a drain_cpus and the start of its grace period: one step (a region that
 * begins between them on a CPU being drained sees the flag set and ends at once; one on another
 * CPU is no concern of this flush's, and whether it waits for it only moves its next step).
 */
inline lock_stash_gp(s) {
	atomic { !busy[s] -> busy[s] = true; printf("MSG flusher: takes the flag of stash %d\n", s); GP_START }
}
#else
inline lock_stash(s) {
	do
	:: LOCKSTEP(try_lock(s, ok));
		if
		:: ok -> printf("MSG flusher: takes the flag of stash %d\n", s); ok = false; break
		:: else
		fi;
#ifdef SPIN_WAIT
		/* before: while busy.load(Relaxed) { spin_loop() }, keeping the CPU */
		do
		:: busy[s] -> printf("MSG flusher: waits for the flag of stash %d spinning, keeping its CPU\n", s)
		:: else -> break
		od
#else
		/* ffi::sleep_us(wait_us): the CPU goes to other tasks; wakes to retry */
		atomic { hog = false; printf("MSG flusher: the flag of stash %d is held: sleeps (sleep_us)\n", s) };
		atomic { FRUN && !busy[s] -> hog = HOG; printf("MSG flusher: wakes, tries stash %d again\n", s) }
#endif
	od
}
inline lock_stash_gp(s) {
	lock_stash(s);
	atomic { GP_START }
}
#endif

/* drain_cpus's f (cache.rs): take_oldest(STASH_MAX, out), the guard's drop, free_batch(out). */
inline flush_one(s) {
	atomic {
		use_begin(s);
		take_oldest(s, CAP);
#ifdef MUTANT_FLUSH_NO_LOCK
		use_end(s);
#else
		unlock_stash(s);
#endif
		free_batch();
		ok = false
	}
}

/*
 * percpu.rs Stashes::drain_cpus of CPU stashes lo..hi (lo = hi: flush_cpu; 0, 1: every CPU's):
 * nothing if they are all empty (lengths read without flags), else every flag in CPU order,
 * a grace period, then each stash through flush_one. (The check and the first flag are one
 * choice: going on is always possible, as after a check that found objects since taken.)
 */
inline drain_cpus(lo, hi) {
	if
	:: atomic { slen[lo] == 0 && slen[hi] == 0 -> printf("MSG flusher: the stashes are empty: no flag, no grace period\n") }
	::
#ifndef MUTANT_FLUSH_NO_LOCK
		if
		:: hi != lo -> lock_stash(lo)
		:: hi == lo
		fi;
		lock_stash_gp(hi);
#else
		atomic { GP_START };
#endif
#if !defined(LIVENESS) && !defined(MUTANT_NO_GRACE_PERIOD)
		/* safety runs: the grace period's end, seen by the flusher only, and its next step */
		atomic { !gpw[0] && !gpw[1] -> printf("MSG flusher: the grace period has passed\n"); flush_one(lo) };
#else
		synchronize_rcu();
		flush_one(lo);
#endif
		if :: hi != lo -> flush_one(hi) :: else fi
	fi
}

/* cache.rs Cache::flush_stashes: every CPU stash, every node stash, then the depot. */
inline flush_stashes() {
	drain_cpus(0, 1);
	if
	:: ns_made ->
		lock_stash(NODE_STASH);			/* ns.lock() */
		atomic { use_begin(NODE_STASH); take_oldest(NODE_STASH, CAP); unlock_stash(NODE_STASH); free_batch(); ok = false }
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
		atomic { FRUN -> hog = HOG; flushing = true; printf("MSG flusher: a flush begins, on CPU 0 above task0\n") };
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
