/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Aggregation of exact repeats of open records (aggregate_window ms, off by
 * default).  A record that equals the thread's last one emitted and comes
 * within the window of it (or of the last repeat counted) is only counted;
 * the repeats leave as one record flagged CLAWOS_FILE_X_REPEAT carrying their
 * count and the times of the first and the last of them:
 *  - before the thread's next, different, open record (order is kept);
 *  - when the window since the first repeat has passed (the timer, below,
 *    or the next repeat, which then starts a new aggregate);
 *  - when the thread exits, and at agent stop (clawos_agg_ctl).
 * A record that raises something (protected path, tamper) or carries root
 * or requested is never counted and ends the sequence.
 *
 * Why three programs: tracepoint programs may not use a map that holds a
 * bpf_timer or a bpf_spin_lock (the verifier refuses it, 6.18 included), so
 * the open exits tail-call clawos_agg_x, which works on the plain hash
 * clawos_agg without a lock, and a syscall program run by the agent arms the
 * timer that emits aggregates whose window has ended.  An entry's `state`
 * says who owns count, first, last and rec, changed by compare-and-swap
 * only: the thread itself (FREE or PENDING -> OWNED -> FREE or PENDING) or
 * a taker, the timer or clawos_agg_ctl (PENDING or FREE -> TAKEN -> FREE).
 * A taker reserves its ring-buffer slot before it takes, so the summary
 * comes before any record the thread emits after the take.  Loaded only
 * where the kernel has bpf_timer (5.15) and task storage: the agent probes.
 */
#include "common.bpf.h"
#include "path.bpf.h"

#define AGG_FREE 0    /* no repeats pending */
#define AGG_OWNED 1   /* the thread is updating it */
#define AGG_PENDING 2 /* repeats pending */
#define AGG_TAKEN 3   /* a taker is emitting them */
#define AGG_TRIES 256 /* compare-and-swap attempts before giving up */
#define NSEC_PER_MSEC 1000000ULL
#define AGG_CLOCK_MONOTONIC 1 /* not in vmlinux.h */

static __always_inline struct clawos_file_event *agg_rec(struct clawos_agg_entry *v)
{
	return (struct clawos_file_event *)v->rec;
}

static __always_inline void agg_pending_add(__s64 d)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&clawos_agg_n, &zero);

	if (n)
		__sync_fetch_and_add(n, d);
}

/* Fills the reserved slot out with the summary of v's pending repeats;
 * the caller owns v (OWNED or TAKEN). */
static __always_inline void agg_fill(struct clawos_agg_entry *v, struct clawos_file_event *out)
{
	__u64 span = v->last - v->first;

	__builtin_memcpy(out, v->rec, CLAWOS_FILE_MIN_SIZE);
	out->hdr.size = CLAWOS_FILE_MIN_SIZE;
	out->hdr.ts_ns = v->first;
	out->xflags |= CLAWOS_FILE_X_REPEAT;
	out->repeat_count = v->count;
	out->repeat_span_hi = (__u16)(span >> 32);
	out->repeat_span_lo = (__u32)span;
	hdr_stamp(&out->hdr);
	v->count = 0;
}

/* Emits the pending repeats of v, which the caller owns. */
static __always_inline void agg_emit_owned(struct clawos_agg_entry *v)
{
	struct clawos_file_event *out = bpf_ringbuf_reserve(&clawos_events, CLAWOS_FILE_MIN_SIZE, 0);

	if (!out) {
		seq_next(); /* a gap: the summary is a lost record like any other */
		count_drop(CLAWOS_EV_FILE);
		v->count = 0;
	} else {
		agg_fill(v, out);
		bpf_ringbuf_submit(out, 0);
	}
	agg_pending_add(-1);
}

/* The thread takes v: its previous state (FREE or PENDING), or -1 when a
 * taker kept it through every attempt. */
static __always_inline int agg_acquire(struct clawos_agg_entry *v)
{
	for (int i = 0; i < AGG_TRIES; i++) {
		if (__sync_val_compare_and_swap(&v->state, AGG_FREE, AGG_OWNED) == AGG_FREE)
			return AGG_FREE;
		if (__sync_val_compare_and_swap(&v->state, AGG_PENDING, AGG_OWNED) == AGG_PENDING)
			return AGG_PENDING;
	}
	return -1;
}

/* Gives v back.  Repeats left pending after aggregate_window went to 0
 * (reload, stop) are emitted here: the agent's flush may have passed this
 * entry while the thread owned it; the exchange and the load of the window
 * order against its CONFIG write and flush, so one of the two sees them. */
static __always_inline void agg_release(struct clawos_config *cfg, struct clawos_agg_entry *v, __u64 state)
{
	__sync_lock_test_and_set(&v->state, state);
	if (state != AGG_PENDING || cfg->aggregate_window)
		return;
	if (__sync_val_compare_and_swap(&v->state, AGG_PENDING, AGG_OWNED) != AGG_PENDING)
		return;
	agg_emit_owned(v);
	__sync_lock_test_and_set(&v->state, AGG_FREE);
}

/* Words of the record that make it the same record: all but the header's
 * size, cpu, seq and time; the path only up to its length. */
static __always_inline bool agg_same(const struct clawos_agg_entry *v, const struct clawos_file_event *e)
{
	const __u64 *a = v->rec, *b = (const __u64 *)e;
	__u32 len = e->path_len;

	if (len > CLAWOS_FILE_PATH_LEN)
		return false;
	/* type, version; flags; pid */
	if ((a[0] ^ b[0]) & 0xffffULL || (a[0] ^ b[0]) & 0xffff000000000000ULL || a[1] >> 32 != b[1] >> 32)
		return false;
	for (int i = 3; i < 11; i++) /* tid .. reserved (bytes 24..88) */
		if (a[i] != b[i])
			return false;
	for (int i = 0; i < CLAWOS_FILE_PATH_LEN / 8; i++) {
		__u64 x;

		if (i * 8 >= len)
			break;
		x = a[11 + i] ^ b[11 + i];
		if (len - i * 8 < 8)
			x &= (1ULL << ((len - i * 8) * 8)) - 1; /* bytes past the NUL are stale */
		if (x)
			return false;
	}
	for (int i = 38; i < 41; i++) /* ino, dev .. repeat fields (bytes 304..328) */
		if (a[i] != b[i])
			return false;
	return true;
}

/* A record that may be folded: it raises nothing and is of the short form. */
static __always_inline bool agg_eligible(const struct clawos_file_event *e)
{
	return !(e->path_flags & (CLAWOS_PATH_F_VIOLATION | CLAWOS_PATH_F_TAMPER)) &&
	       !(e->xflags & CLAWOS_FILE_X_ROOT) && !e->requested_len;
}

/* Whether e must be emitted (1) or was counted as a repeat (0).  Pending
 * repeats it ends are emitted here, before it. */
static __always_inline int agg_open(struct clawos_config *cfg, struct clawos_file_event *e)
{
	__u64 window = (__u64)cfg->aggregate_window * NSEC_PER_MSEC, now = e->hdr.ts_ns;
	bool eligible = window && agg_eligible(e);
	__u32 tid = e->hdr.tid, zero = 0;
	struct clawos_agg_entry *v;
	void *blank;
	int prev;

	v = bpf_map_lookup_elem(&clawos_agg, &tid);
	if (!v) {
		if (!eligible)
			return 1;
		blank = bpf_map_lookup_elem(&clawos_zero, &zero);
		/* full: this thread is not aggregated */
		if (!blank || bpf_map_update_elem(&clawos_agg, &tid, blank, BPF_NOEXIST) < 0)
			return 1;
		v = bpf_map_lookup_elem(&clawos_agg, &tid);
		if (!v)
			return 1;
	}
	prev = agg_acquire(v);
	if (prev < 0)
		return 1;
	if (eligible && v->valid && now - v->seen <= window && agg_same(v, e)) {
		v->seen = now;
		if (prev == AGG_PENDING && now - v->first <= window) {
			v->count++;
			v->last = now;
			agg_release(cfg, v, AGG_PENDING);
			return 0;
		}
		if (prev == AGG_PENDING)
			agg_emit_owned(v); /* its window is over: a new aggregate */
		v->count = 1;
		v->first = v->last = now;
		agg_pending_add(1);
		agg_release(cfg, v, AGG_PENDING);
		return 0;
	}
	if (prev == AGG_PENDING)
		agg_emit_owned(v);
	v->valid = eligible;
	if (eligible) {
		__builtin_memcpy(v->rec, e, CLAWOS_FILE_MIN_SIZE);
		agg_rec(v)->hdr.size = CLAWOS_FILE_MIN_SIZE;
		v->seen = now;
	}
	agg_release(cfg, v, AGG_FREE);
	return 1;
}

/* Tail-called by the open exits (file.bpf.c) with the record parked and
 * decided on: emits it unless it was a repeat, then unparks it. */
SEC("tracepoint")
int clawos_agg_x(void *ctx)
{
	struct clawos_config *cfg = cfg_get();
	struct clawos_file_event *e = open_parked();

	if (!e)
		return 0;
	if (!cfg || agg_open(cfg, e))
		file_emit(e);
	e->hdr.type = 0;
	return 0;
}

/* Every thread's exit: what it left pending, then its entry. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(clawos_agg_exit, struct task_struct *p)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct clawos_agg_entry *v = bpf_map_lookup_elem(&clawos_agg, &tid);

	if (!v)
		return 0;
	if (agg_acquire(v) == AGG_PENDING)
		agg_emit_owned(v);
	bpf_map_delete_elem(&clawos_agg, &tid);
	return 0;
}

struct agg_sweep {
	__u64 now;
	__u64 window;
	bool all; /* every pending aggregate, and forget the records */
};

/* One entry of the walk: a taker's turn. */
static long agg_sweep_one(struct bpf_map *map, __u32 *tid, struct clawos_agg_entry *v, struct agg_sweep *c)
{
	struct clawos_file_event *out;

	if (c->all && __sync_val_compare_and_swap(&v->state, AGG_FREE, AGG_TAKEN) == AGG_FREE) {
		v->valid = 0;
		__sync_lock_test_and_set(&v->state, AGG_FREE);
		return 0;
	}
	if (v->state != AGG_PENDING || (!c->all && c->now - v->first < c->window))
		return 0;
	/* the slot first: whatever the thread emits after the take comes after it */
	out = bpf_ringbuf_reserve(&clawos_events, CLAWOS_FILE_MIN_SIZE, 0);
	if (!out)
		return 0; /* left pending: the next turn, the thread or its exit */
	if (__sync_val_compare_and_swap(&v->state, AGG_PENDING, AGG_TAKEN) != AGG_PENDING) {
		bpf_ringbuf_discard(out, 0);
		return 0;
	}
	agg_fill(v, out);
	if (c->all)
		v->valid = 0;
	__sync_lock_test_and_set(&v->state, AGG_FREE);
	bpf_ringbuf_submit(out, 0);
	agg_pending_add(-1);
	return 0;
}

static void agg_sweep(bool all)
{
	struct clawos_config *cfg = cfg_get();
	struct agg_sweep c = {.now = bpf_ktime_get_boot_ns(), .all = all};

	if (!cfg)
		return;
	c.window = (__u64)cfg->aggregate_window * NSEC_PER_MSEC;
	bpf_for_each_map_elem(&clawos_agg, agg_sweep_one, &c, 0);
}

/* A quarter of the window: an aggregate leaves at most that late. */
static __always_inline __u64 agg_period(const struct clawos_config *cfg)
{
	__u64 p = (__u64)cfg->aggregate_window * NSEC_PER_MSEC / 4;

	return p < NSEC_PER_MSEC ? NSEC_PER_MSEC : p;
}

static int agg_tick(void *map, __u32 *key, struct clawos_agg_timer *t)
{
	struct clawos_config *cfg = cfg_get();
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&clawos_agg_n, &zero);

	if (!cfg || !cfg->aggregate_window) {
		agg_sweep(true);
		return 0; /* stopped until the agent arms it again */
	}
	if (n && *n)
		agg_sweep(false);
	bpf_timer_start(&t->timer, agg_period(cfg), 0);
	return 0;
}

/* Run by the agent (BPF_PROG_TEST_RUN): at start and reload (ARM, with
 * FLUSH around a change of the window) and at stop (FLUSH). */
SEC("syscall")
int clawos_agg_ctl(struct clawos_agg_ctl *args)
{
	struct clawos_config *cfg = cfg_get();
	__u32 zero = 0;
	struct clawos_agg_timer *t = bpf_map_lookup_elem(&clawos_agg_tmr, &zero);

	if (!cfg || !t)
		return -1;
	if (args->op == CLAWOS_AGG_CTL_FLUSH) {
		agg_sweep(true);
		return 0;
	}
	if (args->op != CLAWOS_AGG_CTL_ARM)
		return -1;
	if (!cfg->aggregate_window) {
		bpf_timer_cancel(&t->timer);
		return 0;
	}
	bpf_timer_init(&t->timer, &clawos_agg_tmr, AGG_CLOCK_MONOTONIC); /* -EBUSY once armed before */
	bpf_timer_set_callback(&t->timer, agg_tick);
	return bpf_timer_start(&t->timer, agg_period(cfg), 0);
}
