/*
 * report.c - KASAN reports: what went wrong, where, and whose memory it was.
 *
 * The shape follows the kernel's reports (DESIGN.md §5) so that people and
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
 * granule whose shadow forbids it.  The bug type comes from that granule's
 * shadow code and the state of the mapping (bug_type(): the one switch).
 *
 * One report at a time: a spinlock orders threads, a per-thread flag stops
 * a report from reporting on itself.  Text is collected in a static buffer
 * and written with few write() calls, so concurrent output from the program
 * does not cut a report apart, and nothing here calls malloc.
 */
#include "vk_internal.h"

#include <limits.h>
#include <string.h>

extern int vki_log_fd; /* print.c: where vki_write_log writes */

#define MAX_FRAMES 64
#define SEPARATOR "=================================================================="

static int report_lock;
static unsigned long reports; /* printed so far */
static __thread int in_report __attribute__((tls_model("initial-exec")));

static char rbuf[32768];
static size_t rlen;

static bool halted_by_fault;
static uintptr_t peek_page = 1; /* shadow page last asked about; 1: none */
static bool peek_ok;

/* ------------------------------------------------------------ output */

static void rflush(void)
{
	if (rlen)
		vki_write_log(rbuf, rlen);
	rlen = 0;
}

static void rvprintf(const char *fmt, va_list ap)
{
	char tmp[1024];
	int n = vki_vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1;
	if (rlen + len > sizeof(rbuf))
		rflush();
	vki_copy(rbuf + rlen, tmp, len);
	rlen += len;
}

void vki_report_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (in_report)
		rvprintf(fmt, ap);
	else
		vki_vprintf(fmt, ap);
	va_end(ap);
}

#define P vki_report_printf

/* ------------------------------------------------------------ log stream */

static char log_base[PATH_MAX]; /* log_path the open log belongs to */
static int log_pid;

static void report_child_after_fork(void)
{
	__atomic_store_n(&report_lock, 0, __ATOMIC_RELAXED);
}

/*
 * Point vki_log_fd at "<log_path>.<pid>" (once per path and process: a
 * forked child gets its own file), or stderr.  "stderr" and "stdout" name
 * the streams, as in the sanitizers.
 */
void vki_report_init(void)
{
	static bool atfork_done;
	if (!atfork_done) {
		atfork_done = true;
		pthread_atfork(NULL, NULL, report_child_after_fork);
	}
	const char *p = vki_opt.log_path;
	int want = -1;
	if (!p || !*p || !strcmp(p, "stderr"))
		want = 2;
	else if (!strcmp(p, "stdout"))
		want = 1;
	if (want >= 0) {
		if (vki_log_fd > 2)
			vki_os_close(vki_log_fd);
		vki_log_fd = want;
		log_base[0] = 0;
		return;
	}
	int pid = vki_os_getpid();
	if (vki_log_fd > 2 && pid == log_pid && !strcmp(p, log_base))
		return;
	char path[PATH_MAX + 16];
	vki_snprintf(path, sizeof(path), "%s.%d", p, pid);
	int fd = vki_os_open_log(path);
	if (vki_log_fd > 2)
		vki_os_close(vki_log_fd);
	if (fd < 0) {
		vki_log_fd = 2;
		log_base[0] = 0;
		vki_printf("vkasan: cannot open log file %s; reporting to stderr\n", path);
		return;
	}
	vki_log_fd = fd;
	log_pid = pid;
	vki_snprintf(log_base, sizeof(log_base), "%s", p);
}

/* ------------------------------------------------------------ begin / end */

static void lock(void)
{
	while (__atomic_exchange_n(&report_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&report_lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

bool vki_in_report(void)
{
	return in_report != 0;
}

/* False when this report must not be printed (recursion, report limit). */
static bool report_begin(void)
{
	if (in_report)
		return false;
	in_report = 1;
	lock();
	long max = vki_opt.max_reports;
	if (max > 0 && reports >= (unsigned long)max) {
		__atomic_store_n(&report_lock, 0, __ATOMIC_RELEASE);
		in_report = 0;
		return false;
	}
	vki_report_init();
	vki_symbolize_reset();
	peek_page = 1;
	rlen = 0;
	P("%s\n", SEPARATOR);
	return true;
}

/* Halt as the options say; a fault cannot be resumed, so it always halts. */
static void report_end(bool must_halt)
{
	P("%s\n", SEPARATOR);
	__atomic_add_fetch(&reports, 1, __ATOMIC_RELAXED);
	if (must_halt && !vki_opt.halt_on_error)
		P("vkasan: cannot continue after a fault; exiting\n");
	rflush();
	if (vki_opt.halt_on_error || must_halt) {
		/* Keep the lock: other threads' reports wait while we exit.  A
		 * fault may have hit the runtime itself, holding the arena lock,
		 * so the statistics at exit (which take it) are skipped. */
		halted_by_fault = must_halt;
		if (vki_opt.abort_on_error)
			vki_os_abort();
		vki_os_exit((int)vki_opt.exitcode);
	}
	__atomic_store_n(&report_lock, 0, __ATOMIC_RELEASE);
	in_report = 0;
}

/* The report being printed faulted (signal.c, before the default action
 * ends the process): print what there is, and say so. */
void vki_report_nested_fault(uintptr_t addr)
{
	if (!in_report)
		return;
	P("\nvkasan: fault at 0x%lx while printing this report\n", (unsigned long)addr);
	rflush();
}

unsigned long vki_report_count(void)
{
	return __atomic_load_n(&reports, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ pieces */

/*
 * Task names.  A report names the task that freed a mapping, which has often
 * exited by then, and asking the kernel for every vk_vfree would cost a
 * system call each time.  Instead each thread that records a stack gets a
 * thread-specific value once (vki_task_note); its destructor runs when the
 * thread exits and files the thread's name, as it is then, in a small table
 * by tid.  Live threads are asked through /proc at report time.
 */
#define TASK_SLOTS 4096

struct task_slot {
	uint32_t tid; /* 0: empty; written last */
	char name[16];
};

static struct task_slot task_table[TASK_SLOTS];
static pthread_key_t task_key;
static pthread_once_t task_once = PTHREAD_ONCE_INIT;
static bool task_key_ok;
static __thread bool task_noted __attribute__((tls_model("initial-exec")));

static void task_exit(void *unused)
{
	uint32_t tid = (uint32_t)vki_os_gettid();
	struct task_slot *s = &task_table[tid % TASK_SLOTS];
	char name[16];
	vki_os_thread_name(name, sizeof(name));
	__atomic_store_n(&s->tid, 0, __ATOMIC_RELAXED);
	for (size_t i = 0; i < sizeof(name); i++)
		s->name[i] = name[i];
	__atomic_store_n(&s->tid, tid, __ATOMIC_RELEASE);
}

static void task_key_create(void)
{
	task_key_ok = pthread_key_create(&task_key, task_exit) == 0;
}

void vki_task_note(void)
{
	if (VKI_LIKELY(task_noted))
		return;
	task_noted = true;
	pthread_once(&task_once, task_key_create);
	if (task_key_ok)
		pthread_setspecific(task_key, (void *)1);
}

/* The name an exited thread left behind, if its slot still holds it. */
static bool task_from_table(uint32_t tid, char *buf, size_t size)
{
	struct task_slot *s = &task_table[tid % TASK_SLOTS];
	if (!tid || __atomic_load_n(&s->tid, __ATOMIC_ACQUIRE) != tid)
		return false;
	char name[16];
	for (size_t i = 0; i < sizeof(name); i++)
		name[i] = s->name[i];
	name[sizeof(name) - 1] = 0;
	if (__atomic_load_n(&s->tid, __ATOMIC_ACQUIRE) != tid)
		return false;
	vki_snprintf(buf, size, "%s", name);
	return true;
}

/* Name of thread tid: ours from the kernel, another's from /proc while it
 * lives, from the table once it has gone; "?" if nobody knows. */
static void task_name(uint32_t tid, char *buf, size_t size)
{
	if ((int)tid == vki_os_gettid()) {
		vki_os_thread_name(buf, size);
		return;
	}
	vki_snprintf(buf, size, "?");
	char path[64];
	vki_snprintf(path, sizeof(path), "/proc/self/task/%u/comm", tid);
	long n = tid ? vki_os_read_file(path, buf, size - 1) : -1;
	if (n <= 0) {
		if (!task_from_table(tid, buf, size))
			vki_snprintf(buf, size, "?");
		return;
	}
	buf[n] = 0;
	if (buf[n - 1] == '\n')
		buf[n - 1] = 0;
}

static void print_task(uint32_t tid)
{
	char name[32];
	task_name(tid, name, sizeof(name));
	P("%s/%u", name, tid);
}

/*
 * Read one shadow byte for the report.  The presence bitmap is what checks
 * trust, but a report is also what runs when something has gone wrong, and
 * a report that faults prints nothing; so the page is also asked of the OS
 * (mincore: a released page is not resident).  The answer for the last
 * page is remembered: rows and ranges walk pages in order.
 */
static bool peek(uintptr_t addr, uint8_t *out)
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
 * The bug type: the shadow code of the first bad granule, refined by the
 * state of the mapping that holds the address.
 */
static const char *bug_type(bool present, uint8_t code, uintptr_t addr, bool found,
			    enum vki_area_state state)
{
	bool live = found && state == VKI_AREA_BUSY, freed = found && state == VKI_AREA_LAZY;
	if (!present)
		return freed ? "use-after-free" : "wild-memory-access";
	switch (code) {
	case 1 ... 7: /* partial last granule of a live mapping */
		if (!vki_in_arena(addr)) { /* of a variable: its redzone says which */
			uint8_t next = 0;
			if (peek(addr + VKI_GRANULE, &next) && (next & 0x80))
				return bug_type(true, next, addr + VKI_GRANULE, false, state);
			return "unknown-crash";
		}
		return "vmalloc-out-of-bounds";
	case VKI_SHADOW_VMALLOC_INVALID: /* == STACK_USE_AFTER_SCOPE outside the arena */
		if (!vki_in_arena(addr))
			return "stack-use-after-scope";
		return live ? "vmalloc-out-of-bounds" : freed ? "use-after-free"
							      : "wild-memory-access";
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
		if (!peek(g, &s)) {
			*present = false;
			*code = 0;
			return g;
		}
		uintptr_t last = (hi < g + VKI_GRANULE ? hi : g + VKI_GRANULE) - 1;
		if (s && (int8_t)(last & 7) >= (int8_t)s) {
			*present = true;
			*code = s;
			return g;
		}
	}
	*present = peek(addr, code);
	return VKI_ROUND_DOWN(addr, VKI_GRANULE);
}

static void print_stack(uint32_t handle)
{
	uintptr_t frames[MAX_FRAMES];
	int n = vki_stack_fetch(handle, frames, MAX_FRAMES);
	if (n)
		vki_print_frames(frames, n);
	else
		P(" (stack not recorded)\n");
}

/* Collect every frame the report will print, for one symbolizer run. */
static void symbolize_all(const uintptr_t *trace, int n, bool first_exact, bool found,
			  const struct vki_area_info *ai)
{
	uintptr_t all[3 * MAX_FRAMES];
	int k = 0;
	for (int i = 0; i < n; i++)
		all[k++] = trace[i];
	if (found) {
		k += vki_stack_fetch(ai->alloc_stack, all + k, MAX_FRAMES);
		if (ai->state == VKI_AREA_LAZY)
			k += vki_stack_fetch(ai->free_stack, all + k, MAX_FRAMES);
	}
	vki_symbolize_batch(all, k, first_exact);
}

void vki_report_stack(uint32_t handle)
{
	print_stack(handle);
}

void vki_report_task(uint32_t tid)
{
	print_task(tid);
}

/* A heap mapping: the heap describes the object (slab.c); its stacks are
 * symbolized with the others through ai. */
static bool heap_describe(uintptr_t addr, bool found, struct vki_area_info *ai, uint8_t code,
			  bool present, struct vki_heap_desc *hd)
{
	if (!found || !vki_heap_describe(addr, ai, code, present, hd))
		return false;
	ai->alloc_stack = hd->alloc_stack;
	ai->free_stack = hd->free_stack;
	ai->state = hd->freed ? VKI_AREA_LAZY : VKI_AREA_BUSY;
	return true;
}

static void print_mapping(uintptr_t addr, bool found, const struct vki_area_info *ai)
{
	if (!found) {
		if (vki_in_arena(addr))
			P("The buggy address belongs to no mapping: it is free space of the vmalloc "
			  "arena\n\n");
		else
			P("The buggy address is outside the vmalloc arena [0x%lx, 0x%lx)\n\n",
			  (unsigned long)vki_arena_base, (unsigned long)vki_arena_end);
		return;
	}
	/* [start, end) without the guard page, as the kernel shows a vm area */
	uintptr_t end = ai->end - VKI_PAGE_SIZE > ai->start ? ai->end - VKI_PAGE_SIZE : ai->end;
	P("The buggy address belongs to the virtual mapping at\n");
	P(" [0x%lx, 0x%lx) created by:\n", (unsigned long)ai->start, (unsigned long)end);
	print_stack(ai->alloc_stack);
	P("\n");
	if (ai->state == VKI_AREA_LAZY) {
		P("Freed by task ");
		print_task(ai->free_tid);
		P(":\n");
		print_stack(ai->free_stack);
		P("\n");
	}
	uintptr_t rs = ai->start, re = ai->start + ai->size;
	const char *freed = ai->state == VKI_AREA_LAZY ? "freed " : "";
	if (addr < rs)
		P("The buggy address is located %lu bytes to the left of\n",
		  (unsigned long)(rs - addr));
	else if (addr >= re)
		P("The buggy address is located %lu bytes to the right of\n",
		  (unsigned long)(addr - re));
	else
		P("The buggy address is located %lu bytes inside of\n", (unsigned long)(addr - rs));
	P(" %s%lu-byte region [0x%lx, 0x%lx)\n\n", freed, (unsigned long)ai->size,
	  (unsigned long)rs, (unsigned long)re);
}

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
			if (peek(row + i * VKI_GRANULE, &s))
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

static void print_header(const char *type, uintptr_t pc, bool exact)
{
	char fn[256];
	vki_symbolize_function(pc, exact, fn, sizeof(fn));
	P("BUG: KASAN: %s in %s\n", type, fn);
}

static void print_trace(const uintptr_t *frames, int n, bool first_exact)
{
	P("\nCall Trace:\n");
	vki_print_frames_ex(frames, n, first_exact);
	P("\n");
}

/* ------------------------------------------------------------ reports */

static void access_report(uintptr_t addr, size_t size, bool is_write, uintptr_t *frames, int n,
			  bool fault)
{
	struct vki_area_info ai;
	bool found = vki_arena_describe(addr, &ai);
	bool present;
	uint8_t code;
	uintptr_t bad = first_bad_granule(addr, size, &present, &code);
	struct vki_heap_desc hd;
	enum vki_area_state state = ai.state;
	bool heap = heap_describe(addr, found, &ai, code, present, &hd);
	symbolize_all(frames, n, fault, found, &ai);
	print_header(heap ? hd.type : bug_type(present, code, bad, found, state), frames[0], fault);
	if (fault)
		P("%s of unknown size at addr 0x%lx by task ", is_write ? "Write" : "Read",
		  (unsigned long)addr);
	else
		P("%s of size %lu at addr 0x%lx by task ", is_write ? "Write" : "Read",
		  (unsigned long)size, (unsigned long)addr);
	print_task((uint32_t)vki_os_gettid());
	P("\n");
	print_trace(frames, n, fault);
	if (heap)
		vki_heap_print(addr, &hd);
	else if (found || !vki_redzone_describe(addr, bad)) /* stack or global (inline) */
		print_mapping(addr, found, &ai);
	print_shadow(bad);
}

void vki_report_access(uintptr_t addr, size_t size, bool is_write, uintptr_t pc)
{
	if (!report_begin())
		return;
	uintptr_t frames[MAX_FRAMES];
	int n = trace_from(pc, frames, vki_stack_capture(frames, MAX_FRAMES, 0));
	access_report(addr, size, is_write, frames, n, false);
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
	access_report(addr, 1, is_write, frames, n, true);
	report_end(true);
}

void vki_report_free(uintptr_t addr, enum vki_free_bug bug, uintptr_t pc)
{
	if (!report_begin())
		return;
	uintptr_t frames[MAX_FRAMES];
	int n = trace_from(pc, frames, vki_stack_capture(frames, MAX_FRAMES, 0));
	struct vki_area_info ai;
	bool found = vki_arena_describe(addr, &ai);
	struct vki_heap_desc hd;
	bool heap = heap_describe(addr, found, &ai, 0, true, &hd);
	symbolize_all(frames, n, false, found, &ai);
	print_header(bug == VKI_DOUBLE_FREE		   ? "double-free"
		     : bug == VKI_ALLOC_DEALLOC_MISMATCH ? "alloc-dealloc-mismatch"
							 : "invalid-free",
		     frames[0], false);
	P("Free of addr 0x%lx by task ", (unsigned long)addr);
	print_task((uint32_t)vki_os_gettid());
	P("\n");
	print_trace(frames, n, false);
	if (heap)
		vki_heap_print(addr, &hd);
	else
		print_mapping(addr, found, &ai);
	if (vki_in_arena(addr))
		print_shadow(VKI_ROUND_DOWN(addr, VKI_GRANULE));
	report_end(false);
}

/* ------------------------------------------------------------ statistics */

/* print_stats: the counters as a table when the program exits. */
__attribute__((destructor)) static void print_stats_at_exit(void)
{
	if (!vki_opt.print_stats || !vki_arena_base || halted_by_fault)
		return;
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
#undef ROW
	vki_printf("  %-30s %lu\n", "stack_depot_bytes", (unsigned long)vki_stack_depot_bytes());
}
