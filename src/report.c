/*
 * report.c - KASAN reports: what went wrong, where, and whose memory it was.
 *
 * The shape follows the kernel's reports (docs/DESIGN.md, "Reports") so that people and
 * tools that read those read ours:
 *
 *   ==================================================================
 *   BUG: KASAN: <type> in <function>+0xoff/0xsize
 *   Read of size N at addr 0x... by task <name>/<tid>
 *
 *   Call Trace:
 *    <frames>
 *
 *   The buggy address belongs to the virtual mapping at
 *    [start, end) created by:
 *    <allocation stack>
 *
 *   Freed by task <name>/<tid>:             (use-after-free, double-free)
 *    <free stack>
 *
 *   The buggy address is located N bytes to the right of
 *    M-byte region [start, start + M)
 *
 *   Memory state around the buggy address:
 *    <2 rows, the row of the first bad granule marked '>', '^' under it, 2 rows>
 *   ==================================================================
 *
 * The address is the start of the bad access; the '^' points at the first
 * granule whose shadow forbids it.
 *
 * Two phases.  describe() classifies the access once into a struct vki_desc:
 * the first bad granule and its shadow code, the arena mapping (if any) and
 * its owner, and the bug type from the one switch (vki_bug_type), which the
 * owner's describe hook then refines (vmalloc: by the mapping's state;
 * outside the arena: stack and global codes), and the poison step (memory
 * poisoned by hand, whoever owns it) may refine again.  print() then writes the
 * report from the desc alone; the part about whose memory it is comes from
 * the owner's print hook.  A new owner of memory adds hooks, not cases here.
 *
 * One report at a time: a spinlock orders threads, a per-thread flag stops
 * a report from reporting on itself.  The text goes to the report stream
 * (print.c), and nothing here calls malloc.
 */
#include "vk_internal.h"

#define MAX_FRAMES 64
#define SEPARATOR "=================================================================="

static vki_spin_t report_lock = VKI_SPIN_INIT; /* lock #2 */

static bool halted_by_fault;
static uintptr_t peek_page = 1; /* shadow page last asked about; 1: none */
static bool peek_ok;

#define P vki_report_printf

/* The owners of memory and their hooks, indexed by enum vki_owner. */
static const struct vki_owner_ops *const owners[VKI_OWNER_COUNT] = {
	[VKI_OWNER_VMALLOC] = &vki_vmalloc_ops,
	[VKI_OWNER_SLAB] = &vki_heap_ops,
	[VKI_OWNER_LARGE] = &vki_heap_ops,
	[VKI_OWNER_MMAP] = &vki_mmap_ops,
	[VKI_OWNER_STACK] = &vki_stack_ops,
	[VKI_OWNER_VMAP] = &vki_vmap_ops,
	[VKI_OWNER_FREE] = &vki_free_ops,
	[VKI_OWNER_OUTSIDE] = &vki_outside_ops,
};

/* ------------------------------------------------------------ begin / end */

void vki_report_after_fork_child(void)
{
	vki_spin_reset(&report_lock);
}

/* False when this report must not be printed (recursion, report limit). */
static bool report_begin(void)
{
	if (vki_in_report())
		return false;
	vki_self()->in_report = 1;
	vki_spin_lock(&report_lock);
	long max = vki_opt.max_reports;
	if (max > 0 && vki_report_count() >= (unsigned long)max) {
		vki_spin_unlock(&report_lock);
		vki_self()->in_report = 0;
		return false;
	}
	vki_report_open_log();
	vki_symbolize_reset();
	peek_page = 1;
	vki_stream_begin();
	return true;
}

/*
 * A report that is not about one address (leak.c's list of unreferenced
 * objects): the same lock, log file and buffered stream as the others, and
 * counted as one report when it says so (for fail_on_report and the
 * summary at exit), but no halt: the caller decides the exit status.
 */
void vki_report_stream_open(void)
{
	vki_self()->in_report = 1;
	vki_spin_lock(&report_lock);
	vki_report_open_log();
	vki_symbolize_reset();
	vki_stream_begin();
}

void vki_report_stream_close(bool counted)
{
	if (counted)
		__atomic_add_fetch(&vki_reports, 1, __ATOMIC_RELAXED);
	vki_stream_end();
	vki_spin_unlock(&report_lock);
}

/* The owner said there is nothing to report (d->let_fault): nothing was
 * printed yet, give the lock back. */
static void report_cancel(void)
{
	vki_stream_end();
	vki_spin_unlock(&report_lock);
}

/* Halt as the options say; a fault cannot be resumed, so it always halts. */
static void report_end(bool must_halt)
{
	P("%s\n", SEPARATOR);
	__atomic_add_fetch(&vki_reports, 1, __ATOMIC_RELAXED);
	if (must_halt && !vki_opt.halt_on_error)
		P("vkasan: cannot continue after a fault; exiting\n");
	vki_stream_flush();
	if (vki_opt.halt_on_error || must_halt) {
		/* Keep the lock: other threads' reports wait while we exit.  A
		 * fault may have hit the runtime itself, holding the arena lock,
		 * so the statistics at exit (which take it) are skipped. */
		halted_by_fault = must_halt;
		if (vki_opt.abort_on_error)
			vki_os_abort();
		vki_os_exit((int)vki_opt.exitcode);
	}
	vki_stream_end();
	vki_spin_unlock(&report_lock);
}

/* The report being printed faulted (signal.c, before the default action
 * ends the process): print what there is, and say so. */
void vki_report_nested_fault(uintptr_t addr)
{
	if (!vki_in_report())
		return;
	P("\nvkasan: fault at 0x%lx while printing this report\n", (unsigned long)addr);
	vki_stream_flush();
}

/* ------------------------------------------------------------ pieces */

/*
 * Read one shadow byte for the report.  The presence bitmap is what checks
 * trust, but a report is also what runs when something has gone wrong, and
 * a report that faults prints nothing; so the page is also asked of the OS
 * (mincore: a released page is not resident).  The answer for the last
 * page is remembered: rows and ranges walk pages in order.
 */
bool vki_report_peek(uintptr_t addr, uint8_t *out)
{
	if (!vki_in_arena(addr)) /* inline mode: the full shadow (fullshadow.c) */
		return vki_fullshadow_peek(addr, out);
	if (!vki_window_present(addr))
		return false;
	uintptr_t page = VKI_ROUND_DOWN(vki_mem_to_shadow(addr), VKI_PAGE_SIZE);
	if (page != peek_page) {
		unsigned char vec = 0;
		peek_page = page;
		peek_ok = vki_os_mincore(page, VKI_PAGE_SIZE, &vec) == 0 && (vec & 1);
	}
	return peek_ok && vki_shadow_peek(addr, out);
}

/*
 * The bug type of a shadow code: the one switch.  Codes whose meaning
 * depends on whose memory it is (the partial granules 1..7, 0xF8 which is
 * both "vmalloc invalid" and "stack after scope", absent shadow) get their
 * arena-neutral meaning here; the owner's describe hook refines them.
 */
const char *vki_bug_type(bool present, uint8_t code)
{
	if (!present)
		return "wild-memory-access";
	switch (code) {
	case 1 ... 7: /* partial last granule: the owner says of what */
		return "out-of-bounds";
	case VKI_SHADOW_VMALLOC_INVALID: /* == STACK_USE_AFTER_SCOPE outside the arena */
		return "wild-memory-access";
	case VKI_SHADOW_PAGE_REDZONE:
		return "out-of-bounds";
	case VKI_SHADOW_SLAB_REDZONE:
		return "slab-out-of-bounds";
	case VKI_SHADOW_SLAB_FREE:
		return "use-after-free";
	case VKI_SHADOW_GLOBAL_REDZONE:
		return "global-out-of-bounds";
	case VKI_SHADOW_STACK_LEFT:
	case VKI_SHADOW_STACK_MID:
	case VKI_SHADOW_STACK_RIGHT:
		return "stack-out-of-bounds";
	case VKI_SHADOW_STACK_USE_AFTER_RETURN:
		return "stack-use-after-return";
	case VKI_SHADOW_ALLOCA_LEFT:
	case VKI_SHADOW_ALLOCA_RIGHT:
		return "alloca-out-of-bounds";
	case VKI_SHADOW_USER_POISON:
		return "use-after-poison";
	default: /* 0 (nothing bad any more: a race) or a code we do not know */
		return "unknown-crash";
	}
}

/*
 * The first granule of [addr, addr + size) whose shadow forbids the bytes
 * touched in it, or whose shadow is absent.  Falls back to addr's granule.
 */
static uintptr_t first_bad_granule(uintptr_t addr, size_t size, bool *present, uint8_t *code)
{
	uintptr_t lo = addr, hi = addr + (size ? size : 1);
	if (hi < lo)
		hi = UINTPTR_MAX;
	if (vki_in_arena(lo) || vki_in_arena(hi - 1) || !vki_fullshadow_on) {
		if (lo < vki_arena_base)
			lo = vki_arena_base;
		if (hi > vki_arena_end)
			hi = vki_arena_end;
	}
	for (uintptr_t g = VKI_ROUND_DOWN(lo, VKI_GRANULE); g < hi; g += VKI_GRANULE) {
		uint8_t s;
		if (!vki_report_peek(g, &s)) {
			*present = false;
			*code = 0;
			return g;
		}
		uintptr_t last = (hi < g + VKI_GRANULE ? hi : g + VKI_GRANULE) - 1;
		if (vki_granule_bad(s, last)) {
			*present = true;
			*code = s;
			return g;
		}
	}
	*present = vki_report_peek(addr, code);
	return VKI_ROUND_DOWN(addr, VKI_GRANULE);
}

/* Collect every frame the report will print, for one symbolizer run. */
static void symbolize_all(const uintptr_t *trace, int n, const struct vki_desc *d)
{
	uintptr_t all[3 * MAX_FRAMES];
	int k = 0;
	for (int i = 0; i < n; i++)
		all[k++] = trace[i];
	if (d->found) {
		k += vki_stack_fetch(d->area.alloc_stack, all + k, MAX_FRAMES);
		if (d->area.state == VKI_AREA_LAZY)
			k += vki_stack_fetch(d->area.free_stack, all + k, MAX_FRAMES);
	}
	vki_symbolize_batch(all, k, d->fault);
}

/* Arena space that no mapping holds. */
static void free_describe(struct vki_desc *d)
{
	if (d->kind == VKI_BUG_ACCESS && d->present && d->code >= 1 && d->code <= 7)
		d->bug_type = "vmalloc-out-of-bounds";
}

static void free_print(const struct vki_desc *d)
{
	P("The buggy address belongs to no mapping: it is free space of the vmalloc arena\n\n");
}

const struct vki_owner_ops vki_free_ops = {
	.name = "free",
	.describe = free_describe,
	.print = free_print,
};

/* Rows of 16 shadow bytes (128 bytes of memory), 2 around the bad one. */
static void print_shadow(uintptr_t bad)
{
	uint8_t unused;
	if (!vki_in_arena(bad) && !vki_fullshadow_peek(bad, &unused))
		return;
	enum { ROW = 16 * VKI_GRANULE, AROUND = 2 };
	uintptr_t row0 = VKI_ROUND_DOWN(bad, ROW);
	P("Memory state around the buggy address:\n");
	for (int r = -AROUND; r <= AROUND; r++) {
		uintptr_t row = row0 + (intptr_t)r * ROW;
		char line[128];
		int len = vki_snprintf(line, sizeof(line), "%c0x%lx:", r ? ' ' : '>',
				       (unsigned long)row);
		int prefix = len + 1;
		for (int i = 0; i < 16; i++) {
			uint8_t s;
			if (vki_report_peek(row + i * VKI_GRANULE, &s))
				len += vki_snprintf(line + len, sizeof(line) - len, " %02x", s);
			else
				len += vki_snprintf(line + len, sizeof(line) - len, " --");
		}
		P("%s\n", line);
		if (r == 0) {
			int col = prefix + 3 * (int)((bad - row) / VKI_GRANULE);
			for (len = 0; len < col && len < (int)sizeof(line) - 2; len++)
				line[len] = ' ';
			line[len] = '^';
			line[len + 1] = 0;
			P("%s\n", line);
		}
	}
}

/* The Call Trace starts at pc, the return address into the faulty code:
 * drop the runtime's own frames above it. */
static int trace_from(uintptr_t pc, uintptr_t *frames, int n)
{
	int i = 0;
	while (i < n && frames[i] != pc)
		i++;
	if (i == n) { /* pc not on the frame chain: show it alone */
		frames[0] = pc;
		return 1;
	}
	for (int j = i; j < n; j++)
		frames[j - i] = frames[j];
	return n - i;
}

/* ------------------------------------------------------------ describe */

/* Phase one: everything the report will say, classified once. */
static void describe(struct vki_desc *d)
{
	d->found = vki_arena_describe(d->addr, &d->area);
	if (d->found)
		d->owner = d->area.owner;
	else
		d->owner = vki_in_arena(d->addr) ? VKI_OWNER_FREE : VKI_OWNER_OUTSIDE;
	if (d->owner >= VKI_OWNER_COUNT || !owners[d->owner])
		d->owner = VKI_OWNER_FREE; /* a tag we do not know: say what we can */
	if (d->kind == VKI_BUG_ACCESS) {
		d->bad = first_bad_granule(d->addr, d->size, &d->present, &d->code);
		d->bug_type = vki_bug_type(d->present, d->code);
		/* The first bad byte: in the bad granule, past its accessible
		 * bytes.  A range (memcpy of 12768 bytes) is described from it:
		 * "0 bytes to the right of", not "20000 bytes inside of". */
		d->bad_byte = d->bad + (d->present && d->code > 0 && d->code < VKI_GRANULE
						? d->code : 0);
		if (d->bad_byte < d->addr || d->fault)
			d->bad_byte = d->addr;
	} else {
		d->bad = VKI_ROUND_DOWN(d->addr, VKI_GRANULE);
		d->bad_byte = d->addr;
		d->present = vki_in_arena(d->addr) && vki_report_peek(d->bad, &d->code);
		d->bug_type = d->kind == VKI_BUG_DOUBLE_FREE		? "double-free"
			      : d->kind == VKI_BUG_ALLOC_DEALLOC_MISMATCH ? "alloc-dealloc-mismatch"
									  : "invalid-free";
	}
	if (owners[d->owner]->describe)
		owners[d->owner]->describe(d);
	/* Poisoning by hand is not an owner: an allocator poisons inside
	 * memory it got from any owner (a pool in a vk_vmalloc mapping, a
	 * heap object, a global in inline mode).  So it is one more step for
	 * every address, after the owner's: poison.c says whether the bad
	 * byte lies in a range poisoned by hand, and then the bug is a
	 * use-after-poison whatever the owner called it. */
	vki_poison_describe(d);
}

/* ------------------------------------------------------------ print */

/* Phase two: the report from the desc; frames[0] is the faulting pc. */
static void print(const struct vki_desc *d, const uintptr_t *frames, int n)
{
	P("%s\n", SEPARATOR);
	symbolize_all(frames, n, d);
	char fn[256];
	vki_symbolize_function(frames[0], d->fault, fn, sizeof(fn));
	P("BUG: KASAN: %s in %s\n", d->bug_type, fn);
	if (d->kind != VKI_BUG_ACCESS)
		P("Free of addr 0x%lx by task ", (unsigned long)d->addr);
	else if (d->fault)
		P("%s of unknown size at addr 0x%lx by task ", d->is_write ? "Write" : "Read",
		  (unsigned long)d->addr);
	else
		P("%s of size %lu at addr 0x%lx by task ", d->is_write ? "Write" : "Read",
		  (unsigned long)d->size, (unsigned long)d->addr);
	vki_report_task((uint32_t)vki_os_gettid());
	P("\n");
	P("\nCall Trace:\n");
	vki_print_frames_ex(frames, n, d->fault);
	P("\n");
	if (d->poisoned) /* who poisoned it (the poison step of describe) */
		vki_poison_print(d->bad_byte);
	if (owners[d->owner]->print)
		owners[d->owner]->print(d);
	if (d->kind == VKI_BUG_ACCESS || vki_in_arena(d->addr))
		print_shadow(d->bad);
}

/* ------------------------------------------------------------ reports */

void vki_report_access(uintptr_t addr, size_t size, bool is_write, uintptr_t pc)
{
	if (!report_begin())
		return;
	struct vki_desc d = { .addr = addr, .size = size, .is_write = is_write };
	describe(&d);
	if (d.let_fault) { /* e.g. PROT_NONE mmap pages: the access faults by itself */
		report_cancel();
		return;
	}
	uintptr_t frames[MAX_FRAMES];
	int n = trace_from(pc, frames, vki_stack_capture(frames, MAX_FRAMES, 0));
	print(&d, frames, n);
	report_end(false);
}

void vki_report_fault(uintptr_t addr, bool is_write, void *ucontext)
{
	if (!report_begin())
		return;
	uintptr_t frames[MAX_FRAMES];
	int n = vki_signal_context_frames(ucontext, frames, MAX_FRAMES);
	if (n == 0) {
		frames[0] = 0;
		n = 1;
	}
	struct vki_desc d = { .addr = addr, .size = 1, .is_write = is_write, .fault = true };
	describe(&d);
	print(&d, frames, n);
	report_end(true);
}

void vki_report_free(uintptr_t addr, enum vki_free_bug bug, uintptr_t pc)
{
	if (!report_begin())
		return;
	uintptr_t frames[MAX_FRAMES];
	int n = trace_from(pc, frames, vki_stack_capture(frames, MAX_FRAMES, 0));
	struct vki_desc d = {
		.addr = addr,
		.kind = bug == VKI_DOUBLE_FREE		    ? VKI_BUG_DOUBLE_FREE
			: bug == VKI_ALLOC_DEALLOC_MISMATCH ? VKI_BUG_ALLOC_DEALLOC_MISMATCH
							    : VKI_BUG_INVALID_FREE,
	};
	describe(&d);
	print(&d, frames, n);
	report_end(false);
}

/* ------------------------------------------------------------ other reports */

/* A report that is not about an address (stack.c's guard page): the same
 * frame, one at a time, the separator and halting as the options say.
 * vki_report_begin false: print nothing. */
bool vki_report_begin(void)
{
	if (!report_begin())
		return false;
	P("%s\n", SEPARATOR);
	return true;
}

void vki_report_end(bool must_halt)
{
	report_end(must_halt);
}

/* ------------------------------------------------------------ statistics */

/* print_stats: the counters as a table when the program exits. */
__attribute__((destructor)) static void print_stats_at_exit(void)
{
	if (!vki_opt.print_stats || !vki_arena_base || halted_by_fault)
		return;
	vki_report_open_log();
	struct vk_stats s;
	vk_get_stats(&s);
	vki_printf("vkasan statistics (pid %d):\n", vki_os_getpid());
#define ROW(field) vki_printf("  %-30s %lu\n", #field, (unsigned long)s.field)
	ROW(live_areas);
	ROW(live_bytes);
	ROW(lazy_areas);
	ROW(lazy_bytes);
	ROW(free_regions);
	ROW(shadow_pages);
	ROW(shadow_pages_populated_total);
	ROW(shadow_pages_released_total);
	ROW(shadow_populate_calls);
	ROW(shadow_release_calls);
	ROW(purges);
	ROW(alloc_failures);
	ROW(reports);
	ROW(arena_committed);
	ROW(heap_mappings);
	ROW(heap_shadow_pages);
	ROW(heap_objects);
	ROW(heap_bytes);
	ROW(heap_quarantine_bytes);
	ROW(heap_slabs);
	ROW(heap_large_objects);
#undef ROW
	vki_printf("  %-30s %lu\n", "stack_depot_bytes", (unsigned long)vki_stack_depot_bytes());
}
