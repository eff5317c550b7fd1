/*
 * vk_internal.h - what the runtime's files share.  Public names are vk_*,
 * internal ones vki_*; the compiler ABI keeps the compiler's __asan_* names.
 * Declarations are grouped by the file that defines them.
 *
 * Address-space layout on x86_64 (shadow(a) = (a >> 3) + 0x7fff8000, the
 * AddressSanitizer mapping, so inline instrumentation works unchanged):
 *
 *   range                                 what
 *   ------------------------------------  ----------------------------------
 *   [0x000000000000, 0x00007fff8000)      low memory (program, heap, libs)
 *   [0x00007fff8000, 0x00008fff7000)      low shadow
 *   [0x00008fff7000, 0x02008fff7000)      shadow gap
 *   [0x02008fff7000, 0x10007fff8000)      high shadow
 *     [0x0c007fff8000, 0x0c207fff8000)      shadow of the arena (128 GiB)
 *   [0x10007fff8000, 0x800000000000)      high memory
 *     [0x600000000000, 0x610000000000)      the vmalloc arena (1 TiB)
 *
 * Only the arena's shadow is ever backed by the core runtime; inline programs
 * also get the low and high shadow (zero) and the gap (inaccessible) mapped
 * around it by fullshadow.c.  A *window* is the 32 KiB of arena described by
 * one 4 KiB shadow page.
 */
#ifndef VK_INTERNAL_H
#define VK_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "vkasan.h"

#define VKI_EXPORT __attribute__((visibility("default")))
#define VKI_NOINLINE __attribute__((noinline))
#define VKI_LIKELY(x) __builtin_expect(!!(x), 1)
#define VKI_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define VKI_PAGE_SHIFT 12
#define VKI_PAGE_SIZE (1UL << VKI_PAGE_SHIFT)
#define VKI_GRANULE_SHIFT 3
#define VKI_GRANULE (1UL << VKI_GRANULE_SHIFT)
#define VKI_SHADOW_OFFSET 0x7fff8000UL
#define VKI_WINDOW_SHIFT (VKI_PAGE_SHIFT + VKI_GRANULE_SHIFT)
#define VKI_WINDOW_SIZE (1UL << VKI_WINDOW_SHIFT) /* 32 KiB */

#define VKI_ARENA_BASE 0x600000000000UL
#define VKI_ARENA_MAX (1UL << 40)                 /* 1 TiB */
#define VKI_ARENA_MIN (64UL << 20)
#define VKI_COMMIT_CHUNK (64UL << 20)             /* arena grows by this */

#define VKI_ROUND_UP(x, a) (((x) + (a) - 1) & ~((uintptr_t)(a) - 1))
#define VKI_ROUND_DOWN(x, a) ((x) & ~((uintptr_t)(a) - 1))

static inline uintptr_t vki_mem_to_shadow(uintptr_t a)
{
	return (a >> VKI_GRANULE_SHIFT) + VKI_SHADOW_OFFSET;
}

static inline uintptr_t vki_shadow_to_mem(uintptr_t s)
{
	return (s - VKI_SHADOW_OFFSET) << VKI_GRANULE_SHIFT;
}

/*
 * Shadow codes: the one table.  0 = granule fully accessible, 1..7 = only the
 * first k bytes are; codes with the top bit set say why nothing is.
 */
#define VKI_SHADOW_CODES(X)                                                   \
	X(VMALLOC_INVALID, 0xF8, "vmalloc tail, guard page or freed mapping") \
	X(PAGE_REDZONE, 0xFE, "page redzone")                                 \
	X(SLAB_REDZONE, 0xFC, "slab redzone")                                 \
	X(SLAB_FREE, 0xFB, "freed slab object")                               \
	X(GLOBAL_REDZONE, 0xF9, "redzone around a global")                    \
	X(STACK_LEFT, 0xF1, "stack left redzone")                             \
	X(STACK_MID, 0xF2, "stack mid redzone")                               \
	X(STACK_RIGHT, 0xF3, "stack right redzone")                           \
	X(STACK_USE_AFTER_RETURN, 0xF5, "stack after return")                 \
	X(STACK_USE_AFTER_SCOPE, 0xF8, "stack after scope (same as F8)")      \
	X(ALLOCA_LEFT, 0xCA, "alloca left redzone")                           \
	X(ALLOCA_RIGHT, 0xCB, "alloca right redzone")

enum vki_shadow_code {
#define VKI_CODE_ENUM(name, val, why) VKI_SHADOW_##name = val,
	VKI_SHADOW_CODES(VKI_CODE_ENUM)
#undef VKI_CODE_ENUM
};

/* ------------------------------------------------------------ options.c */

enum vki_opt_type { VKI_OPT_BOOL, VKI_OPT_INT, VKI_OPT_SIZE, VKI_OPT_STR };

/* X(name, type, default, description): the one table of options. */
#define VKI_OPTIONS(X)                                                                 \
	X(halt_on_error, BOOL, 1, "exit after the first report")                       \
	X(exitcode, INT, 1, "exit status used by halt_on_error")                       \
	X(abort_on_error, BOOL, 0, "abort() instead of exit after a halting report")   \
	X(max_reports, INT, 0, "stop printing after this many reports (0: no limit)")  \
	X(log_path, STR, 0, "write reports to <log_path>.<pid> instead of stderr")     \
	X(symbolize, BOOL, 1, "symbolize stacks with llvm-symbolizer/addr2line")       \
	X(print_stats, BOOL, 0, "print the statistics at exit")                        \
	X(shadow, BOOL, 1, "back the arena with shadow (0: allocator only, no checks)")\
	X(upstream_release, BOOL, 0, "release rule of Linux >= 2024 (no widening)")    \
	X(lazy_max, SIZE, 32UL << 20, "purge when lazily freed bytes exceed this")     \
	X(arena_size, SIZE, 1UL << 40, "bytes of address space for the arena")         \
	X(guard_pages, BOOL, 0, "make guard pages fault for uninstrumented code too")  \
	X(decommit, BOOL, 1, "give freed data pages back to the OS at purge")          \
	X(fail_mmap_every, INT, 0, "fault injection: fail every Nth OS mapping call")  \
	X(verify_every, INT, 0, "run the invariant walk every N purges (0: never)")    \
	X(stack_depth, INT, 32, "frames kept per allocation/free stack (max 64)")      \
	X(heap, BOOL, 1, "check malloc/free/new/delete (0: leave them to libc)")         \
	X(quarantine_size, SIZE, 256UL << 20, "bytes of freed heap objects held back")  \
	X(handle_segv, BOOL, 1, "turn faults in the arena or its shadow into reports") \
	X(detect_leaks, BOOL, 1, "report unreferenced heap objects and mappings at exit")  \
	X(leak_report_only, BOOL, 0, "leaks are reported but do not change the exit status")\
	X(leak_suppressions, STR, 0, "file of leak:pattern lines (function or library)")  \
	X(verbosity, INT, 0, "print what the runtime does (0: only reports)")

struct vki_options {
#define VKI_OPT_FIELD_BOOL bool
#define VKI_OPT_FIELD_INT long
#define VKI_OPT_FIELD_SIZE size_t
#define VKI_OPT_FIELD_STR const char *
#define VKI_OPT_FIELD(name, type, def, desc) VKI_OPT_FIELD_##type name;
	VKI_OPTIONS(VKI_OPT_FIELD)
#undef VKI_OPT_FIELD
};

extern struct vki_options vki_opt;

/* Parse "a=1:b=2" (also ',' or spaces between options); warn on bad input. */
void vki_options_parse(const char *s);
int vki_option_set(const char *name, size_t namelen, const char *value, size_t vallen);
void vki_options_init(void); /* defaults, then $VKASAN_OPTIONS */
void vki_options_freeze(void); /* arena built: start-up-only options are fixed */

/* ------------------------------------------------------------ print.c */

/* printf subset without malloc, safe in signal handlers: %d %i %u %x %p %s %c %%,
 * with l/ll/z modifiers, width, "0" and "-" flags, "%.*s". */
int vki_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int vki_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print to the report stream (stderr or log_path). */
void vki_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vki_vprintf(const char *fmt, va_list ap);
extern int vki_log_fd; /* where reports go: 2, or the log_path file */
void vki_write_log(const char *s, size_t n);
/* Always-on integrity check: print and abort. */
void vki_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#define VKI_CHECK(cond)                                                        \
	do {                                                                   \
		if (VKI_UNLIKELY(!(cond)))                                     \
			vki_die("vkasan: internal check failed: %s at %s:%d\n", \
				#cond, __FILE__, __LINE__);                    \
	} while (0)
#ifdef VKI_DEBUG
#define VKI_ASSERT(cond) VKI_CHECK(cond)
#else
#define VKI_ASSERT(cond) ((void)0)
#endif

/* ------------------------------------------------------------ os.c */

/*
 * Every system call the runtime makes goes through here, so that fault
 * injection (fail_mmap_every) and porting touch one file.  The mapping calls
 * return 0 on success and -1 on failure; the "kind" names the caller for
 * fault injection and messages.
 */
enum vki_os_kind {
	VKI_OS_RESERVE,   /* reserve address space */
	VKI_OS_COMMIT,    /* make arena/shadow range usable (growth) */
	VKI_OS_POPULATE,  /* back a run of shadow pages */
	VKI_OS_RELEASE,   /* release a run of shadow pages */
	VKI_OS_DECOMMIT,  /* give data pages back */
	VKI_OS_GUARD,     /* install a guard page */
	VKI_OS_META,      /* memory for the runtime's own metadata */
	VKI_OS_NKINDS
};

/* Memory. */
void *vki_os_reserve(uintptr_t addr, size_t len, enum vki_os_kind kind); /* fixed, noreplace, PROT_NONE */
void *vki_os_map_anywhere(size_t len, enum vki_os_kind kind);           /* RW, for metadata */
void vki_os_unmap(void *p, size_t len);
/* Fixed, never replacing, NORESERVE: zero RW when accessible, else PROT_NONE.
 * For the shadow outside the arena (fullshadow.c).  0 or -1. */
int vki_os_map_shadow(uintptr_t addr, size_t len, bool accessible);
int vki_os_commit(uintptr_t addr, size_t len, bool guard_markers);     /* RW (+ guard markers) */
int vki_os_guard_install(uintptr_t addr, size_t len, enum vki_os_kind kind); /* zap + fault on access */
int vki_os_guard_remove(uintptr_t addr, size_t len, enum vki_os_kind kind);  /* accessible (zero) again */
int vki_os_decommit(uintptr_t addr, size_t len);                       /* MADV_DONTNEED */
int vki_os_mincore(uintptr_t addr, size_t len, unsigned char *vec);
bool vki_os_has_guard_markers(void); /* MADV_GUARD_INSTALL works (Linux >= 6.13) */
/* Files: /proc and the report log.  The mapping that holds addr, from
 * /proc/self/maps without malloc: 0 with [*lo, *hi), or -1. */
int vki_os_find_mapping(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);
long vki_os_read_file(const char *path, char *buf, size_t size); /* one read; bytes or -1 */
void vki_os_write(int fd, const char *s, size_t n);
int vki_os_open_log(const char *path);    /* O_WRONLY|O_CREAT|O_APPEND; -1 on error */
void vki_os_close(int fd);
/* Tasks. */
int vki_os_gettid(void);
void vki_os_forget_tid(void); /* in a fork()ed child */
int vki_os_getpid(void);
void vki_os_thread_name(char *buf, size_t size);
/* Signals, and this thread's alternate signal stack (signal.c).  Stacks are
 * never fault-injected: [sp, sp + size) above a guard page that faults. */
struct sigaction;
int vki_os_sigaction(int sig, const struct sigaction *sa, struct sigaction *old);
void vki_os_raise(int sig);
void *vki_os_map_stack(size_t size); /* sp, or NULL */
void vki_os_unmap_stack(void *sp, size_t size);
/* 0 with the stack and whether this thread runs on it now; -1: none. */
int vki_os_altstack_get(void **sp, size_t *size, bool *on_it);
int vki_os_altstack_set(void *sp, size_t size); /* 0 or -1 */
int vki_os_altstack_disable(void);              /* 0, or -1 while on it */
/* The leak checker's stop-the-world: this process's threads (count, or
 * -1), a signal to one (0 or -1), a private futex (timeout_ms < 0: none). */
int vki_os_list_tasks(int *tids, int max);
int vki_os_tgkill(int tid, int sig);
void vki_os_futex_wait(int *word, int val, long timeout_ms);
void vki_os_futex_wake(int *word);
/* Exit. */
void vki_os_exit(int status) __attribute__((noreturn));
/* From an exit handler: flush stdio, then _exit (no more exit handlers). */
void vki_os_exit_now(int status) __attribute__((noreturn));
void vki_os_abort(void) __attribute__((noreturn));
unsigned long vki_os_fail_count(void); /* OS calls failed by injection so far */
/* Child processes (symbolizer.c): thin wrappers, errno kept, never injected. */
struct pollfd;
long vki_os_now_ms(void);                  /* CLOCK_MONOTONIC, in ms */
bool vki_os_executable(const char *path);  /* access(X_OK) */
int vki_os_pipe(int p[2]);                 /* O_CLOEXEC, both ends above fd 2; 0 or -1 */
void vki_os_set_nonblock(int fd);
unsigned long vki_os_fifo_ino(int fd);     /* inode of the pipe on fd; 0: not a pipe */
int vki_os_poll(struct pollfd *p, unsigned long n, int timeout_ms);
long vki_os_read_once(int fd, void *buf, size_t n);        /* one read() */
long vki_os_write_once(int fd, const void *buf, size_t n); /* one write() */
int vki_os_kill(int pid, int sig);
void vki_os_reap_clone(int pid); /* waitpid(__WALL) a child without exit signal */

/* ------------------------------------------------------------ tree.c */

/*
 * Intrusive AVL tree ordered by key, optionally augmented: each node keeps
 * the maximum of a per-node value over its subtree (the free-space tree uses
 * it for the largest free block, which makes lowest-fit search O(log n)).
 */
struct vki_node {
	struct vki_node *left, *right;
	uintptr_t key;     /* start address */
	uintptr_t aug;     /* max of value() over the subtree */
	int height;
};

struct vki_tree {
	struct vki_node *root;
	uintptr_t (*value)(const struct vki_node *); /* NULL: not augmented */
	size_t count;
};

void vki_tree_insert(struct vki_tree *t, struct vki_node *n); /* keys unique */
void vki_tree_remove(struct vki_tree *t, struct vki_node *n);
struct vki_node *vki_tree_find(const struct vki_tree *t, uintptr_t key);
struct vki_node *vki_tree_floor(const struct vki_tree *t, uintptr_t key); /* last key <= */
struct vki_node *vki_tree_ceil(const struct vki_tree *t, uintptr_t key);  /* first key >= */
struct vki_node *vki_tree_first(const struct vki_tree *t);
struct vki_node *vki_tree_next(const struct vki_tree *t, const struct vki_node *n);
/* Refresh augmentation on the path to n after its value changed. */
void vki_tree_update(struct vki_tree *t, struct vki_node *n);
/* Check order, balance, heights, augmentation, count; returns problems. */
int vki_tree_verify(const struct vki_tree *t, const char *name);

/* ------------------------------------------------------------ arena.c */

enum vki_area_state { VKI_AREA_FREE, VKI_AREA_BUSY, VKI_AREA_LAZY };

/* A range of the arena: a free region, a live mapping or a lazily freed one. */
struct vki_area {
	struct vki_node node;   /* in the free, busy or lazy tree; key = start */
	uintptr_t end;          /* one past the last byte (guard page included) */
	size_t size;            /* requested bytes (busy and lazy) */
	uint32_t alloc_stack;   /* stack depot handle of the vk_vmalloc call */
	uint32_t free_stack;    /* stack depot handle of the vk_vfree call */
	uint32_t alloc_tid;     /* thread that allocated */
	uint32_t free_tid;      /* thread that freed */
	uint8_t state;          /* enum vki_area_state */
	uint8_t settling;       /* busy, shadow not yet unpoisoned (no lock) */
	uint8_t guarded;        /* its guard page carries a fault marker */
	uint8_t owner;          /* enum vki_owner: vk_vmalloc's or the heap's */
	struct vki_area *next;  /* purge batch / metadata free list */
};

/* What a report needs to know about an address in the arena. */
struct vki_area_info {
	enum vki_area_state state; /* FREE: no mapping owns the address */
	uintptr_t start, end;      /* mapping range, guard page included */
	size_t size;               /* requested bytes */
	uint32_t alloc_stack, free_stack;
	uint32_t alloc_tid, free_tid;
	uint8_t owner;             /* enum vki_owner */
};

/* Who made a mapping: vk_vmalloc, or the heap (a slab, a large object). */
enum vki_owner { VKI_OWNER_VMALLOC, VKI_OWNER_SLAB, VKI_OWNER_LARGE };

extern uintptr_t vki_arena_base, vki_arena_end; /* [base, end): the arena */

static inline bool vki_in_arena(uintptr_t a)
{
	return a - vki_arena_base < vki_arena_end - vki_arena_base;
}

/* Ensure the runtime is set up (cheap after the first call). */
void vki_init(void);
/* Look up the mapping (live or lazily freed) that holds addr.  Takes the
 * arena lock unless the caller already holds it (a report from inside). */
bool vki_arena_describe(uintptr_t addr, struct vki_area_info *out);
/* Shared by vk_check_invariants (caller holds the arena lock): walk trees
 * and accounting; visit free regions or mappings (busy and lazy) in order. */
int vki_arena_verify(void);
void vki_arena_for_each(int which, void (*fn)(const struct vki_area *, void *), void *ctx);
#define VKI_EACH_FREE 1
#define VKI_EACH_MAPPING 2 /* busy and lazy, each tree in address order */
uintptr_t vki_arena_committed_end(void);
/* The heap's mappings: like vk_vmalloc (shadow unpoisoned for size bytes,
 * guard page, lazily freed) but tagged with owner != 0; NULL on failure.
 * vki_arena_free: p must start a live mapping of that owner. */
void *vki_arena_alloc(size_t size, size_t align, uint8_t owner, uint32_t stack);
void vki_arena_free(void *p, uint8_t owner);
/* fork() support: the arena lock is held across fork. */
void vki_arena_lock(void);
void vki_arena_unlock(void);

/* ------------------------------------------------------------ shadow.c */

/*
 * The dynamic shadow of the arena: populate, poison, unpoison, release, and
 * the presence bitmap (one bit per window) that checks consult so that they
 * never read a shadow page that is not there.
 */
extern unsigned long *vki_shadow_present; /* bit w: window w is backed */

struct vki_shadow_stats {
	unsigned long present;         /* windows backed now */
	unsigned long populated_total; /* windows ever backed */
	unsigned long released_total;  /* windows ever released */
	unsigned long populate_calls;  /* OS calls to back shadow */
	unsigned long release_calls;   /* OS calls to release it */
	bool debt; /* a release failed: some wholly free windows are still
		    * backed; the next purge sweeps all free space for them */
};
extern struct vki_shadow_stats vki_shadow_stats; /* under the arena lock */

static inline bool vki_window_present(uintptr_t a)
{
	uintptr_t w = (a - vki_arena_base) >> VKI_WINDOW_SHIFT;
	return (__atomic_load_n(&vki_shadow_present[w / (8 * sizeof(long))], __ATOMIC_ACQUIRE)
		>> (w % (8 * sizeof(long)))) & 1;
}

int vki_shadow_init(uintptr_t base, size_t size);
/* Arena grew to cover [start, end): make its shadow range ready (absent). */
int vki_shadow_commit(uintptr_t start, uintptr_t end);
/* Back every absent window of [start, end), filled with 0xF8.  0 or -1. */
int vki_shadow_populate(uintptr_t start, uintptr_t end);
/* Set [start, start + size) accessible, partial last granule included. */
void vki_shadow_unpoison(uintptr_t start, size_t size);
/* Set [start, end) (granule aligned) to code. */
void vki_shadow_poison(uintptr_t start, uintptr_t end, uint8_t code);

/*
 * Release: for a freed area [start, end) that merged into free region
 * [fs, fe), the windows to release (see the diagram in shadow.c).  Returns
 * false when there are none.
 */
bool vki_shadow_release_range(uintptr_t start, uintptr_t end, uintptr_t fs, uintptr_t fe,
			      uintptr_t *rs, uintptr_t *re);
/* Batch of release ranges of one purge, coalesced into runs; no allocation. */
struct vki_release_batch {
	uintptr_t run_start, run_end; /* current run, empty when equal */
	unsigned long pages;          /* present pages released so far */
	unsigned long calls;          /* OS calls made */
	int failures;                 /* OS calls that failed */
};
void vki_shadow_release_add(struct vki_release_batch *b, uintptr_t rs, uintptr_t re);
void vki_shadow_release_flush(struct vki_release_batch *b);
/* Present windows counted from the bitmap in [start, end). */
unsigned long vki_shadow_count_present(uintptr_t start, uintptr_t end);
/* Where shadow.c keeps its copy of the arena base (leak.c skips it). */
const uintptr_t *vki_shadow_base_var(void);
/* Read one shadow byte for a report; false when its window is absent. */
bool vki_shadow_peek(uintptr_t addr, uint8_t *out);

/* ------------------------------------------------------------ check.c */

/* The outline check for any size, for runtime code checking on behalf of
 * instrumented code (pc: where the report's Call Trace starts). */
void vki_check_range(uintptr_t addr, size_t size, bool is_write, uintptr_t pc);

/* ------------------------------------------------------------ memcopy.c */

/* Unchecked byte moving that never calls the C library (whose memcpy the
 * runtime replaces).  vki_copy: forward, for apart ranges or dst < src;
 * vki_move: any overlap. */
void vki_copy(void *dst, const void *src, size_t n);
void vki_move(void *dst, const void *src, size_t n);
void vki_fill(void *dst, int c, size_t n);

/* ------------------------------------------------------------ stackdepot.c */

/* Capture the stack of the function calling vki_stack_save, starting at
 * the call site in *its* caller (skip = 0: vk_vmalloc's caller), dropping
 * skip more frames, and store it once; returns a handle, 0 when none could
 * be stored.  At most stack_depth frames are kept. */
uint32_t vki_stack_save(int skip);
/* Copy a stored stack into frames (at most max); returns the count. */
int vki_stack_fetch(uint32_t handle, uintptr_t *frames, int max);
/* Capture into a caller buffer without storing (reports); skip = 0: the
 * first frame is the return address of the function calling this one. */
int vki_stack_capture(uintptr_t *frames, int max, int skip);
/* Capture an interrupted context (fault handler): frames[0] = pc, then the
 * frame-pointer chain from fp, checked against the stack holding sp. */
int vki_stack_capture_from(uintptr_t pc, uintptr_t fp, uintptr_t sp, uintptr_t *frames, int max);
/* Bytes of the depot's pool in use. */
size_t vki_stack_depot_bytes(void);

/* ------------------------------------------------------------ symbolize.c */

/* Print frames, one per line, " function+0xoff/0xsize file:line". */
void vki_print_frames(const uintptr_t *frames, int n);
/* The same; frames[0] is an exact pc (a faulting instruction) when
 * first_exact, every other frame a return address. */
void vki_print_frames_ex(const uintptr_t *frames, int n, bool first_exact);
/* Symbolize all frames of a report with one symbolizer query; the results
 * stay cached for vki_print_frames until vki_symbolize_reset. */
void vki_symbolize_batch(const uintptr_t *frames, int n, bool first_exact);
void vki_symbolize_reset(void);
/* "function+0xoff/0xsize" (else a readable fallback) into buf; true when a
 * function name was found. */
bool vki_symbolize_function(uintptr_t pc, bool exact, char *buf, size_t size);

/* symbolizer.c: the external symbolizer process behind symbolize.c. */
#define VKI_SYMBOLIZER_MAX 256 /* queries per call; any beyond are not asked */
struct vki_sym_query {
	const char *module;      /* in: the module's file */
	uintptr_t offset;        /* in: module-relative address */
	char *func;              /* out: the tool's function name, "" if unknown */
	size_t func_size;
	char *where;             /* out: "file:line", "" if unknown */
	size_t where_size;
};
/* Ask llvm-symbolizer (one process kept across reports) or else addr2line
 * about q[0..n) in one go.  Writes func and where only of queries it
 * asked about, so the caller empties them first; returns how many got an
 * answer (0: no tool, or it failed).  One caller at a time (reports are). */
int vki_symbolizer_query(struct vki_sym_query *q, int n);
/* The llvm-symbolizer kept running across reports, for tests: how many
 * were started (the count is inherited over fork), the pid of this
 * process's running one (0: none), and how long a report may wait for its
 * answers (ms; 0: the default, 10 s). */
unsigned vki_symbolizer_spawns(void);
int vki_symbolizer_pid(void);
void vki_symbolizer_set_timeout(int ms);

/* ------------------------------------------------------------ report.c */

/* A checked access went wrong.  pc: the instrumented code's return address. */
void vki_report_access(uintptr_t addr, size_t size, bool is_write, uintptr_t pc);
enum vki_free_bug { VKI_DOUBLE_FREE, VKI_INVALID_FREE, VKI_ALLOC_DEALLOC_MISMATCH };
void vki_report_free(uintptr_t addr, enum vki_free_bug bug, uintptr_t pc);
/* A fault in the arena or its shadow (from the SIGSEGV handler). */
void vki_report_fault(uintptr_t addr, bool is_write, void *ucontext);
unsigned long vki_report_count(void);
/* For the heap's part of a report: a stored stack, a task as "name/tid". */
void vki_report_stack(uint32_t handle);
void vki_report_task(uint32_t tid);
/* Append to the report being printed (one write at its end); outside a
 * report, print at once. */
void vki_report_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Point the report stream at log_path (or stderr) as the options say. */
void vki_report_init(void);
/* This thread is printing a report (a fault now must not report again). */
bool vki_in_report(void);
/* ... and it faulted: flush what it has before the process dies. */
void vki_report_nested_fault(uintptr_t addr);
/* Remember this thread's name when it exits (once per thread, cheap after):
 * stacks record only a tid, and reports print "name/tid". */
void vki_task_note(void);

/* ------------------------------------------------------------ signal.c */

void vki_signal_init(void);
/* Give this thread an alternate signal stack on its first call (the fault
 * handler needs one to report a fault on a full stack); after that, one TLS
 * load.  Called where threads enter the runtime: vk_vmalloc, vk_vfree. */
extern __thread bool vki_signal_thread_ready __attribute__((tls_model("initial-exec")));
void vki_signal_thread_setup(void);
static inline void vki_signal_thread_init(void)
{
	if (VKI_UNLIKELY(!vki_signal_thread_ready))
		vki_signal_thread_setup();
}
/* The interrupted code's stack from a signal's ucontext: frames[0] is the
 * faulting pc, then return addresses. */
int vki_signal_context_frames(void *ucontext, uintptr_t *frames, int max);

/* ------------------------------------------------------------ fullshadow.c */

/*
 * Inline mode: AddressSanitizer's whole shadow layout around the arena's
 * dynamic shadow (the layout table is in fullshadow.c).
 */
extern bool vki_fullshadow_on; /* the full shadow is mapped: inline code runs here */
/* Map it; exported: the .preinit_array entry of vkasan-inline.o calls it. */
void vki_fullshadow_init(void);
/* Hook in vki_init, after the arena (and its shadow) was set up or not. */
void vki_fullshadow_arena_ready(bool arena_ok);
/* One shadow byte of application memory outside the arena; false when
 * there is no full shadow or addr is not application memory. */
bool vki_fullshadow_peek(uintptr_t addr, uint8_t *out);
/* The check for [a, a + size) outside the arena (both ends), full shadow on. */
void vki_fullshadow_check(uintptr_t a, size_t size, bool is_write, uintptr_t pc);
/* Fault handler: an inline check read absent arena shadow at fault.  If the
 * instruction is a shadow read we know, finish it as if it read 0xF8 and
 * return true (resume: the check then reports with the exact access). */
bool vki_fullshadow_resume(void *ucontext, uintptr_t fault);

/* ------------------------------------------------------------ redzone.c */

/* Report: describe addr outside the arena (stack frame or global) from the
 * code of the first bad granule; false when there is nothing to say. */
bool vki_redzone_describe(uintptr_t addr, uintptr_t bad);

/* ------------------------------------------------------------ slab.c */

/*
 * The heap: size-classed slabs and large objects, each an arena mapping
 * (owner SLAB or LARGE); objects with KASAN generic redzones, metadata kept
 * beside them, a quarantine (quarantine.c), malloc and friends (malloc.c).
 */
enum vki_alloc_kind { VKI_KIND_MALLOC, VKI_KIND_NEW, VKI_KIND_NEW_ARRAY, VKI_KIND_CACHE };
#define VKI_KIND_LEAK_IGNORED 0x80 /* or'ed into a live object's kind: vk_leak_ignore */
struct vki_kcache; /* a cache: kmalloc-N, or one of kmem_cache_create */

/* Allocate size bytes aligned to align (a power of two) from cache c, or
 * from the kmalloc cache that fits (c NULL; large objects above 32 KiB).
 * NULL when out of memory. */
void *vki_heap_alloc(struct vki_kcache *c, size_t size, size_t align, uint8_t kind,
		     uint32_t stack);
/* Free p allocated as kind (from cache c when not NULL): quarantined, or a
 * report (double-free, invalid-free, alloc-dealloc-mismatch at pc). */
void vki_heap_free(const void *p, uint8_t kind, struct vki_kcache *c, uintptr_t pc,
		   uint32_t stack);
/* Requested size of a live object, 0 when p is none. */
size_t vki_heap_size(const void *p);
/* p lies in a heap mapping (live or not): the heap answers for it. */
bool vki_heap_owns(const void *p);
/* Drain the quarantine and give empty slabs back (vk_purge). */
void vki_heap_drain(void);
/* The per-object walk of vk_check_invariants; returns problems. */
int vki_heap_verify(void);
/* Once, after vki_init (malloc.c starts it): false when there is no arena. */
bool vki_heap_setup(void);
/* malloc.c: start the runtime and set the heap up (kmalloc & co.). */
bool vki_heap_start(void);
void vki_heap_stats(struct vk_stats *out); /* heap_objects, _bytes, _quarantine_bytes */
/* ksize(): the whole slot becomes usable; its new size (0: not live). */
size_t vki_heap_ksize(const void *p);
/* krealloc() in place: true when p's slot holds new_size (shadow follows). */
bool vki_heap_resize(const void *p, size_t new_size);
struct vki_kcache *vki_kcache_create(const char *name, size_t size, size_t align,
				     void (*ctor)(void *));
bool vki_kcache_destroy(struct vki_kcache *c); /* false: objects still live */
size_t vki_kcache_size(const struct vki_kcache *c);
/* fork() */
void vki_heap_lock_all(void);
void vki_heap_unlock_all(void);

/* Reports: what the heap knows about addr in one of its mappings. */
struct vki_heap_desc {
	const char *type;         /* bug type for an access there */
	bool object;              /* an object was found */
	bool freed;               /* ... and it is free (quarantined or reused) */
	uintptr_t obj;            /* its start */
	size_t size;              /* its requested size */
	char cache[32];           /* kmalloc-64, or the name given */
	size_t cache_size;
	uint8_t kind;             /* enum vki_alloc_kind */
	uint32_t alloc_stack, free_stack, alloc_tid, free_tid;
};
bool vki_heap_describe(uintptr_t addr, const struct vki_area_info *ai, uint8_t code,
		       bool present, struct vki_heap_desc *out);
void vki_heap_print(uintptr_t addr, const struct vki_heap_desc *d);

/* leak.c: the live objects of the heap mapping that starts at mapping (a
 * slab: each live object; a large object: itself), in address order, with
 * their requested size, allocation stack and whether vk_leak_ignore marked
 * them.  Caller holds vki_heap_lock_all() and the arena lock. */
void vki_heap_for_each_live(uintptr_t mapping,
			    void (*fn)(uintptr_t start, size_t size, uint32_t alloc_stack,
				       bool ignored, void *ctx),
			    void *ctx);
/* Mark the live object p starts as not a leak (its allocation clears the
 * mark); false when p starts no live object. */
bool vki_heap_leak_ignore(const void *p);

/* leaksupp.c: read the leak_suppressions file (patterns; 0: none), and
 * whether a stored stack matches one.  Takes the loader lock. */
int vki_leak_supp_load(void);
bool vki_leak_supp_match(uint32_t stack);

/* quarantine.c: freed objects wait here (FIFO, quarantine_size bytes)
 * before their memory is reused. */
void vki_quarantine_put(void *obj, size_t bytes);
void vki_quarantine_drain(void);
void vki_quarantine_thread_exit(void);
size_t vki_quarantine_bytes(void);
void vki_quarantine_lock(void);
void vki_quarantine_unlock(void);
void vki_quarantine_after_fork_child(void);
/* slab.c: an object leaves the quarantine. */
void vki_heap_recycle(void *obj);

/* ------------------------------------------------------------ verify.c */

int vki_verify_shadow(void); /* present == windows in use, via bitmap and mincore */

#endif /* VK_INTERNAL_H */
