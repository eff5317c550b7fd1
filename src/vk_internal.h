/*
 * vk_internal.h - what the runtime's files share.  Public names are vk_*,
 * internal ones vki_*; the compiler ABI keeps the compiler's __asan_* names.
 * Declarations are grouped by the file that defines them.
 *
 * The address-space layout (shadow offset, arena) is in vk_mapping.h.
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

#include "vk_mapping.h"

#define VKI_ROUND_UP(x, a) (((x) + (a) - 1) & ~((uintptr_t)(a) - 1))
#define VKI_ROUND_DOWN(x, a) ((x) & ~((uintptr_t)(a) - 1))

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
	X(ALLOCA_RIGHT, 0xCB, "alloca right redzone")                         \
	X(USER_POISON, 0xF7, "poisoned by hand (vk_poison, ASan's interface)")

enum vki_shadow_code {
#define VKI_CODE_ENUM(name, val, why) VKI_SHADOW_##name = val,
	VKI_SHADOW_CODES(VKI_CODE_ENUM)
#undef VKI_CODE_ENUM
};

/*
 * The rules every check and report shares, written once.  A granule with
 * shadow s allows the bytes before s (s in 1..7), all (0) or none (s has the
 * top bit set); last: the address of the last byte touched in it.
 */
static inline __attribute__((always_inline)) bool vki_granule_bad(uint8_t s, uintptr_t last)
{
	return s && (int8_t)(last & (VKI_GRANULE - 1)) >= (int8_t)s;
}

/* ------------------------------------------------------------ locks */

/*
 * Every lock of the runtime, what it guards, and the order in which they
 * nest (take a lower number before a higher one, never the reverse):
 *
 *   #  lock                     guards                                   across a
 *                                                                        syscall?
 *   0  check_lock  (leak.c)     one leak check at a time                 yes (mmap,
 *      pthread mutex                                                      /proc, write)
 *   1  init_lock   (init.c)     start-up order, init_state               yes (mmap)
 *   2  report lock (report.c)   one report at a time: the report stream,  yes (write,
 *      vki_spin                 symbolizer process, peek cache            symbolizer)
 *  2.1 start_lock  (malloc.c)  the heap's start (boot/heap/libc mode)   yes (setup)
 *  2.2 setup_lock  (slab.c)    the heap's one-time setup                yes (mmap)
 *  2.3 qlock  (quarantine.c)   the global quarantine FIFO, batch pool   yes (mmap)
 *  2.4 caches list (slab.c)    the list of caches                       no
 *  2.5 cache lock (slab.c)     one per cache, in list order: its slabs  yes (arena
 *                              and free lists                            calls)
 *  2.6 large lock (slab.c)     the large-object list                    yes (arena)
 *  2.7 hdr_lock   (slab.c)     slab headers, the magazine pool          yes (mmap)
 *      (pthread mutexes; the heap calls into the arena under 2.5/2.6,
 *      so they come before 3; a report never takes them)
 *   3  arena lock  (arena.c)    the free/busy/lazy trees, the metadata   short ones
 *      pthread mutex            pool, commit state, the presence bitmap   (a few windows;
 *                               writes, vki_shadow_stats, st.* but        purges, growth,
 *                               alloc_failures (atomic), the cold ring    big poison drop
 *                               (arenaq.c)                                it; big populate
 *                                                                         with populate_
 *                                                                         unlocked=1)
 *   4  depot lock  (stackdepot) inserts into the stack depot              no
 *      vki_spin
 *   5  reg lock    (redzone.c)  the globals registry                      yes (mmap of
 *      vki_spin                                                           its pages)
 *   6  stack lock  (stack.c)    detached threads to reap, the reuse ring,  no
 *      vki_spin                 the pool of start records
 *   7  vmap lock   (vmap.c)     page frame sets, aliases, vm_map_ram      yes (mmap of
 *      pthread mutex            blocks, the memfd                          frames, memfd)
 *   8  poison lock (poison.c)   the records of manual poisoning           yes (mmap of
 *      pthread mutex                                                      record chunks)
 *
 * A report (2) takes the arena lock (3) to describe an address, unless this
 * thread already holds it (vki_self()->holding_arena: a report from inside
 * the arena, e.g. an invalid free).  The depot (4) is taken with or without
 * 3 held and takes nothing itself.  The leak check takes 0, the heap's
 * locks (vki_heap_lock_all), 3, stops the other threads, and takes 2 only
 * after resuming them and releasing 3 and the heap's (docs/DESIGN.md).  A
 * report only try-locks 5 (dlopen may be registering globals).  6 is a
 * leaf: nothing is taken under it, and it is never taken with 3 held.  7
 * and 8 are taken after 3 (the invariant walk holds 3 when it asks them)
 * and never together; a report from a thread holding one of them skips
 * what it would say from it.  The fork handler (init.c) holds 2.1
 * (malloc.c's), 2.2-2.7 (vki_heap_lock_all), 3, 6, 7 and 8 across fork, so
 * that a heap start-up in progress on another thread is waited for; the
 * heap's are made new in the child, and init_lock (1) too (a thread can
 * be past registering the fork handler, still holding it);
 * the spinlocks are reset in the child, whose other threads are gone.
 * Lock-free: the presence bitmap reads (acquire), vki_arena_base (release/
 * acquire publication), the depot's lookups, st.alloc_failures.
 */
typedef struct {
	int locked;
} vki_spin_t;
#define VKI_SPIN_INIT { 0 }

static inline void vki_spin_lock(vki_spin_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline bool vki_spin_trylock(vki_spin_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void vki_spin_unlock(vki_spin_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* In a fork()ed child: the thread that held it does not exist there. */
static inline void vki_spin_reset(vki_spin_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ thread.c */

/*
 * Everything the runtime keeps per thread, in one initial-exec TLS
 * variable (safe when libvkasan.so is loaded late, and one TLS offset from
 * %fs in the code that reads it).  All zero in a new thread.
 */
struct vki_fiber_range {
	uintptr_t bottom;
	size_t size;
};

struct vki_thread {
	int tid;                /* cached gettid(); 0: not asked yet (fork child) */
	int in_report;          /* printing a report (print.c, report.c) */
	int holding_arena;      /* holds the arena lock (reports from inside) */
	bool holding_vmap;      /* holds the vmap lock #7 (a report skips vmap.c) */
	bool holding_poison;    /* holds the poison lock #8 (a report skips the records) */
	bool signal_ready;      /* signal stack set up, or decided against */
	bool exit_noted;        /* the thread-exit destructor is armed */
	bool resolving;         /* intercept_io.c: vki_real's dlsym runs here */
	void *altstack;         /* our signal stack to unmap at exit, or NULL */
	bool altstack_arena;    /* the signal stack is part of the thread's arena
				 * stack mapping (stack.c): not ours to unmap */
	void *stack_rec;        /* stack.c: the record of the arena stack it runs on */
	struct vki_fiber_range fiber_cur, fiber_prev, fiber_next; /* fiber.c */
	uintptr_t stack_lo, stack_hi; /* redzone.c: the mapping holding our sp */
	struct {                /* check.c: last inline N-byte report */
		uintptr_t a, sp, pc;
		size_t size;
		bool is_write;
	} last_n;
	bool in_init;           /* running vki_init: malloc.c serves this
				 * thread's calls from its start-up buffer */
	bool in_heap_setup;     /* slab.c: setting the heap up (setup_lock) */
	uint8_t heap_mismatch_kind; /* slab.c: alloc-dealloc-mismatch report
				     * being made: 1 + how it is freed
				     * (enum vki_alloc_kind); 0: none */
	/* The heap (slab.c, quarantine.c): this thread's magazines (mapped
	 * on first use, back to a pool at exit: TLS stays small, so that
	 * libvkasan.so can still be dlopen()ed) and its open quarantine
	 * batch; heap_dead: the exit hook ran, later frees (other
	 * destructors) skip the per-thread caches. */
	struct vki_heap_mags *heap_mags;
	struct vki_qbatch *quarantine_batch;
	bool heap_entered;
	bool heap_dead;
	uint32_t heap_shared_steps; /* slab.c: lock-free heap steps of this
				     * thread counted in the shared counter
				     * (it has no magazines) */
	/*
	 * Per-thread caches of owners of memory to come (
	 * the thread's stack allocation, fiber bookkeeping) go here, each
	 * owner one named field; their destructors are called from
	 * thread_exit() in thread.c.
	 */
};

extern __thread struct vki_thread vki_thread_self __attribute__((tls_model("initial-exec")));

static inline struct vki_thread *vki_self(void)
{
	return &vki_thread_self;
}

/* Arm the thread-exit destructor for this thread (once; cheap after):
 * it files the thread's name for reports and frees its signal stack. */
void vki_thread_note(void);
#define vki_task_note vki_thread_note /* the old name */
/* Name of thread tid for reports: ours from the kernel, another's from
 * /proc while it lives, from the table of exited ones after; else "?". */
void vki_task_name(uint32_t tid, char *buf, size_t size);
/* A fork()ed child: only the forking thread survives; forget its tid. */
void vki_thread_after_fork_child(void);
/* A thread enters the runtime (vki_area_alloc/free): on its first time,
 * give it a signal stack for the fault handler; one TLS load after that. */
void vki_thread_setup(void);
static inline void vki_thread_enter(void)
{
	if (VKI_UNLIKELY(!vki_self()->signal_ready))
		vki_thread_setup();
}
#define vki_signal_thread_init vki_thread_enter /* the old name */
/* signal.c, once handle_segv is on: threads get signal stacks from now. */
void vki_thread_altstack_enable(void);
/* stack.c, as a thread starts on an arena stack: its signal stack is
 * [sp, sp + size) inside that mapping, freed with it (never unmapped by
 * the thread-exit hook). */
void vki_thread_arena_altstack(void *sp, size_t size);

/* ------------------------------------------------------------ init.c */

/* Ensure the runtime is set up (cheap after the first call): options, the
 * arena and its shadow, the full shadow (inline mode), signals, fork. */
void vki_init(void);

/* ------------------------------------------------------------ options.c */

enum vki_opt_type { VKI_OPT_BOOL, VKI_OPT_INT, VKI_OPT_SIZE, VKI_OPT_STR };

/* X(name, type, default, description): the one table of options. */
#define VKI_OPTIONS(X)                                                                 \
	X(halt_on_error, BOOL, 1, "exit after the first report")                       \
	X(exitcode, INT, 1, "exit status used by halt_on_error (0..255)")              \
	X(abort_on_error, BOOL, 0, "abort() instead of exit after a halting report")   \
	X(max_reports, INT, 0, "stop printing after this many reports (0: no limit)")  \
	X(log_path, STR, 0, "write reports to <log_path>.<pid> instead of stderr")     \
	X(symbolize, BOOL, 1, "symbolize stacks with llvm-symbolizer/addr2line")       \
	X(print_stats, BOOL, 0, "print the statistics at exit")                        \
	X(shadow, BOOL, 1, "back the arena with shadow (0: allocator only, no checks)")\
	X(upstream_release, BOOL, 0, "release rule of Linux >= 2024 (no widening)")    \
	X(lazy_max, SIZE, 32UL << 20, "purge when lazily freed bytes exceed this")     \
	X(vmalloc_quarantine, SIZE, 10UL << 30, "address space of purged mappings kept out of reuse (0: none)") \
	X(release_delay, INT, 4, "automatic purges a free shadow window waits (0..16) before release") \
	X(arena_size, SIZE, 1UL << 40, "bytes of address space for the arena")         \
	X(guard_pages, BOOL, 0, "make guard pages fault for uninstrumented code too")  \
	X(decommit, BOOL, 1, "give freed data pages back to the OS at purge")          \
	X(fail_mmap_every, INT, 0, "fault injection: fail every Nth OS mapping call")  \
	X(verify_every, INT, 0, "run the invariant walk every N purges (0: never)")    \
	X(lock_stats, BOOL, 0, "time every arena-lock hold; histogram at exit")       \
	X(populate_unlocked, BOOL, 0, "big mappings back their inner shadow windows without the arena lock (experimental)") \
	X(stack_depth, INT, 32, "frames kept per allocation/free stack (max 64)")      \
	X(heap, BOOL, 1, "check malloc/free/new/delete (0: leave them to libc)")         \
	X(quarantine_size, SIZE, 256UL << 20, "bytes of freed heap objects held back")  \
	X(handle_segv, BOOL, 1, "turn faults in the arena or its shadow into reports") \
	X(mmap, BOOL, 1, "place the program's mmap mappings in the arena (mmap.c)")   \
	X(detect_leaks, BOOL, 1, "report unreferenced heap objects and mappings at exit")  \
	X(leak_report_only, BOOL, 0, "leaks are reported but do not change the exit status")\
	X(leak_suppressions, STR, 0, "file of leak:pattern lines (function or library)")  \
	X(verbosity, INT, 0, "print what the runtime does (0: only reports)")         \
	X(fail_on_report, BOOL, 0, "halt_on_error=0: exit with exitcode at the end if any report was printed") \
	X(arena_stacks, BOOL, 1, "thread stacks from the arena, guard page below (stack.c)")   \
	X(intercept, BOOL, 1, "check the memory libc string/I/O functions touch")     \
	X(strict_string_checks, BOOL, 0, "check whole string arguments, not the bytes read")

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
/* verbosity>=1: one line when the runtime is up (version, arena, mode). */
void vki_options_startup_note(void);
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
/* The report stream: while this thread has a report open, vki_report_printf
 * appends to the report buffer (written at vki_stream_flush/end); outside a
 * report it prints at once.  report.c opens and closes it. */
void vki_report_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vki_stream_begin(void);
void vki_stream_flush(void);
void vki_stream_end(void);
/* This thread is printing a report (a fault now must not report again). */
bool vki_in_report(void);
/* Reports printed so far (report.c adds, atomically). */
extern unsigned long vki_reports;
unsigned long vki_report_count(void);
/* Point the report stream at stderr/stdout as log_path says; a file is
 * created only by vki_report_open_log. */
void vki_report_init(void);
/* Create the log_path file if it is the report stream and not open yet:
 * before the first thing that is written to it (reports, statistics). */
void vki_report_open_log(void);
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
	VKI_OS_MMAP,      /* place or protect a program's mapping in the arena */
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
void vki_os_prefault(uintptr_t addr, size_t len);                      /* MADV_POPULATE_WRITE */
int vki_os_mincore(uintptr_t addr, size_t len, unsigned char *vec);
/* Read own memory without faulting (process_vm_readv): bytes copied, or -1. */
long vki_os_read_self(uintptr_t addr, void *buf, size_t len);
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
/* slab.c's heap quiescence: membarrier(2) private expedited, registered
 * once (false: unavailable), then a full barrier on every running thread of
 * the process (0 or -1); sched_yield. */
bool vki_os_membarrier_register(void);
int vki_os_membarrier(void);
void vki_os_yield(void);
/* Exit. */
void vki_os_exit(int status) __attribute__((noreturn));
/* At exit already (a destructor): flush the program's stdio, then _exit. */
void vki_os_exit_now(int status) __attribute__((noreturn));
void vki_os_abort(void) __attribute__((noreturn));
unsigned long vki_os_fail_count(void); /* OS calls failed by injection so far */
/* Child processes (symbolizer.c): thin wrappers, errno kept, never injected. */
struct pollfd;
long vki_os_now_ms(void);                  /* CLOCK_MONOTONIC, in ms */
uint64_t vki_os_now_ns(void);              /* this thread's CPU time, for lock_stats */
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

/*
 * Who owns a range of memory: the tag on each arena mapping, and the index
 * of the owner's hooks for reports (owners[] in report.c).  A new owner
 * of arena memory adds its kind here (before VKI_OWNER_FREE), one entry in
 * owners[], and one file holding its allocator and its hooks
 * (docs/DESIGN.md, "How to add an owner of memory").  In place:
 * VKI_OWNER_VMALLOC (vmalloc.c), VKI_OWNER_MMAP (the program's mappings,
 * mmap.c), VKI_OWNER_SLAB and VKI_OWNER_LARGE (the heap, slab.c),
 * VKI_OWNER_STACK (thread and fiber stacks, stack.c and fiber.c),
 * VKI_OWNER_VMAP (aliases of page frames, vmap.c).
 */
enum vki_owner {
	VKI_OWNER_VMALLOC = 0, /* vk_vmalloc (vmalloc.c) */
	VKI_OWNER_SLAB,        /* a slab of the heap: many objects */
	VKI_OWNER_LARGE,       /* one large heap object */
	VKI_OWNER_MMAP,        /* a mapping the program asked mmap for */
	VKI_OWNER_STACK,       /* a thread or fiber stack */
	VKI_OWNER_VMAP,        /* an alias of existing pages (vmap, vm_map_ram) */
	/* new owners of arena mappings go here */
	VKI_OWNER_FREE,        /* not an area owner: arena space no mapping holds */
	VKI_OWNER_OUTSIDE,     /* not an area owner: outside the arena (redzone.c) */
	VKI_OWNER_COUNT
};

/* A range of the arena: a free region, a live mapping or a lazily freed one. */
struct vki_area {
	struct vki_node node;   /* in the free, busy or lazy tree; key = start */
	uintptr_t end;          /* one past the last byte (guard page included) */
	size_t size;            /* requested bytes (busy and lazy) */
	uintptr_t priv;         /* the owner's own word (e.g. its slab header) */
	uint32_t alloc_stack;   /* stack depot handle of the allocation */
	uint32_t free_stack;    /* stack depot handle of the free */
	uint32_t alloc_tid;     /* thread that allocated */
	uint32_t free_tid;      /* thread that freed */
	uint8_t state;          /* enum vki_area_state */
	uint8_t owner;          /* enum vki_owner (busy and lazy) */
	uint8_t settling;       /* busy, shadow not yet unpoisoned (no lock) */
	uint8_t guarded;        /* its guard page carries a fault marker */
	uint8_t noguard;        /* mmap: a piece of a split mapping, no guard page */
	uint8_t noshadow;       /* mmap: inaccessible (PROT_NONE), needs no shadow */
	uint8_t markers_below;  /* stack: guard markers inside, removed at purge */
	uintptr_t lazy_lo, lazy_hi; /* stack: windows in [lazy_lo, lazy_hi) are
				     * backed on first use (arena.c) */
	uint8_t poisoned;       /* poisoned by hand at some time (poison.c) */
	uint8_t resized;        /* vk_vrealloc shrank it in place: pages > size */
	uint8_t releasing;      /* lazy: 1 a purge took it (its guard markers and
				 * data go without the arena lock), 2 its free is
				 * poisoning it without the lock (arena.c) */
	uint8_t populating;     /* busy: its inner windows are being backed
				 * without the arena lock (arena.c, area_populate) */
	struct vki_area *next;  /* purge batch / metadata free list */
};

/* What a report needs to know about an address in the arena. */
struct vki_area_info {
	enum vki_area_state state; /* FREE: no mapping owns the address */
	uint8_t owner;             /* enum vki_owner of the mapping */
	uintptr_t start, end;      /* mapping range, guard page included */
	size_t size;               /* requested bytes */
	uintptr_t priv;            /* the owner's word */
	uint32_t alloc_stack, free_stack;
	uint32_t alloc_tid, free_tid;
	uint8_t noguard, noshadow; /* as in struct vki_area */
};

extern uintptr_t vki_arena_base, vki_arena_end; /* [base, end): the arena */

static inline bool vki_in_arena(uintptr_t a)
{
	return a - vki_arena_base < vki_arena_end - vki_arena_base;
}

/* a is in the shadow of the arena (a released page there faults). */
static inline bool vki_in_arena_shadow(uintptr_t a)
{
	return a >= vki_mem_to_shadow(vki_arena_base) && a < vki_mem_to_shadow(vki_arena_end);
}

/* Reserve the arena and its shadow (init.c, once).  0 or -1. */
int vki_arena_setup(void);

/*
 * The allocation path, along vmalloc's seams (arena.c, in this order):
 *   reserve   find space (lowest fit, alignment), commit it, carve it out
 *             of the free tree, install the guard page          [arena lock]
 *   populate  back the shadow windows it touches, poisoned       [arena lock]
 *   publish   record owner/size/stack, insert in the busy tree   [arena lock]
 *   unpoison  the requested bytes accessible                     [no lock]
 * and back: unpublish + poison (lazy tree, quarantine) [arena lock], then a
 * purge releases data pages and the wholly free shadow windows.
 *
 * vki_area_alloc runs all of it: size bytes (plus a guard page) aligned to
 * align (a power of two; at least a page), owned by owner, with the
 * allocation stack handle; returns the start or NULL.  The requested bytes
 * are accessible on return; an owner that wants them poisoned (a slab's
 * redzones) poisons them itself before handing any out.
 * vki_area_free: the mapping starting at addr, if it is a live one of
 * owner, is poisoned and quarantined (returns true); otherwise nothing is
 * freed and the caller reports (vki_area_free_bug says which bug).
 */
enum vki_free_bug {
	VKI_DOUBLE_FREE,
	VKI_INVALID_FREE,
	VKI_ALLOC_DEALLOC_MISMATCH, /* the heap: free() of new'd memory, ... */
};
void *vki_area_alloc(size_t size, size_t align, uint8_t owner, uint32_t stack);
bool vki_area_free(uintptr_t addr, uint8_t owner, uint32_t stack);
enum vki_free_bug vki_area_free_bug(uintptr_t addr);
/* Requested bytes of the live mapping of owner starting at addr, else 0. */
size_t vki_area_size(uintptr_t addr, uint8_t owner);
/* Set the owner's word of its live mapping at addr; false if none. */
bool vki_area_set_priv(uintptr_t addr, uint8_t owner, uintptr_t priv);
/* Count an allocation that failed before reaching the arena. */
void vki_arena_count_failure(void);

/* Look up the mapping (live or lazily freed) that holds addr.  Takes the
 * arena lock unless the caller already holds it (a report from inside). */
bool vki_arena_describe(uintptr_t addr, struct vki_area_info *out);
/* Mappings whose shadow is being populated or poisoned without the arena
 * lock right now (lock held): the walk then skips the present counter. */
unsigned long vki_arena_in_flight(void);
/* Shared by vk_check_invariants (caller holds the arena lock): walk trees
 * and accounting; visit free regions or mappings (busy and lazy) in order. */
int vki_arena_verify(void);
void vki_arena_for_each(int which, void (*fn)(const struct vki_area *, void *), void *ctx);
#define VKI_EACH_FREE 1
#define VKI_EACH_MAPPING 2 /* busy and lazy, each tree in address order */
uintptr_t vki_arena_committed_end(void);
/* The arena lock (#3); fork() support holds it across fork. */
void vki_arena_lock(void);
void vki_arena_unlock(void);
/* lock_stats: this hold is the leak check's (counted apart, as vk_purge's). */
void vki_arena_hold_leak_check(void);
/* lock_stats: arena-lock holds timed so far (tests: a purge is many holds). */
uint64_t vki_arena_lock_holds(void);
void vki_arena_after_fork_child(void);

/*
 * Mappings whose pieces the owner manages itself (mmap.c).
 * vki_area_alloc_ex: vki_area_alloc with more said about the mapping: the
 * owner's word set at publish; shadow false leaves it without shadow
 * (noshadow, a PROT_NONE reservation); zero: the data must read as zero
 * (freed data pages are decommitted at purge, unless decommit=0 or a
 * decommit failed).  The rest need the arena lock held (vki_arena_lock).
 */
struct vki_area_req {
	size_t size, align;
	uint8_t owner;
	uint32_t stack;
	uintptr_t priv;
	bool shadow, zero;
	/* Stacks (stack.c, fiber.c; arena.c "lazily backed windows"): lazy
	 * backs only the first window and the windows of the last eager_top
	 * bytes now, the others on first use; a guard marker (a real fault)
	 * on the page at each of the nmarkers offsets in markers_below. */
	bool lazy;
	size_t eager_top;
	const size_t *markers_below;
	int nmarkers;
};
void *vki_area_alloc_ex(const struct vki_area_req *req);
/* The busy area holding addr (data or guard), else the first above it. */
struct vki_area *vki_arena_busy_from(uintptr_t addr);
/* One past the data of a busy area: its guard page (if any) excluded. */
static inline uintptr_t vki_area_data_end(const struct vki_area *a)
{
	return a->noguard ? a->end : a->end - VKI_PAGE_SIZE;
}
/* Split busy area a (page-multiple size) at page-aligned at, inside its
 * data: a keeps the lower part (no guard page), the upper part is returned
 * (NULL: no metadata, nothing changed). */
struct vki_area *vki_arena_split(struct vki_area *a, uintptr_t at);
/* Give busy area a shadow (populate [start, end), unpoison the data) or take
 * it away (poison, release the windows no one else needs).  0 or -1. */
int vki_arena_set_shadow(struct vki_area *a, bool on);
/* Busy -> lazily freed (poisoned, quarantined) with the freeing stack;
 * the caller must call vki_arena_purge_if_needed afterwards, last before it
 * unlocks: a big piece is poisoned there, and a purge runs if lazily freed
 * bytes exceed lazy_max.  It drops and retakes the lock (short holds). */
void vki_arena_retire(struct vki_area *a, uint32_t stack);
void vki_arena_purge_if_needed(void);

/* ------------------------------------------------------------ arenaq.c */

/*
 * The address-space quarantine (arenaq.c): purged ranges stay out of
 * reuse ("cold": in no tree, no data, no shadow of their own) in a FIFO of
 * 32-byte records bounded by vmalloc_quarantine bytes.  All under the
 * arena lock.  push: a lazy area being purged becomes cold (false: the
 * quarantine is off or has no ring; the caller frees it as before).
 * over(len): the oldest record must go to make room for len more bytes
 * (len 0 and all: any record).  pop: the oldest range, for free space.
 */
bool vki_coldq_push(const struct vki_area *a);
bool vki_coldq_over(size_t len, bool all);
bool vki_coldq_pop(uintptr_t *start, uintptr_t *end);
uint64_t vki_coldq_count(void);
/* A report or a refused free: the cold range holding addr, described as a
 * lazily freed mapping (state VKI_AREA_LAZY); one starting at addr. */
bool vki_coldq_describe(uintptr_t addr, struct vki_area_info *out);
bool vki_coldq_starts_at(uintptr_t addr);
/* Records, address-space bytes held, resident bytes of the ring. */
void vki_coldq_stats(uint64_t *count, uint64_t *held, uint64_t *meta);
/* The invariant walk: begin sorts the ranges (problems found); cover
 * advances *at over cold ranges that tile [*at, to) (true when they do);
 * end: every range was used.  for_each: every cold range, oldest first. */
int vki_coldq_verify_begin(void);
bool vki_coldq_verify_cover(uintptr_t *at, uintptr_t to);
int vki_coldq_verify_end(void);
void vki_coldq_for_each(void (*fn)(uintptr_t start, uintptr_t end, void *ctx), void *ctx);

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
	unsigned long deferred; /* windows an automatic purge set aside for
				 * release_delay purges (the bound on excess) */
	bool debt; /* a release failed: some wholly free windows are still
		    * backed; the next purge sweeps all free space for them */
};
/* Written under the arena lock; populate and release count atomically (a
 * purge releases big areas' inner windows without the lock, and so does a
 * big mapping's populate with populate_unlocked=1, arena.c). */
extern struct vki_shadow_stats vki_shadow_stats;

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
/* Back every absent window of [start, end) filled with 0 (accessible):
 * a stack's lazily backed windows.  0 or -1. */
int vki_shadow_populate_accessible(uintptr_t start, uintptr_t end);
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
/* Any non-zero byte in the shadow bytes [s, e)?  The one scan, for the
 * arena's checks and the full shadow's; short runs inline. */
bool vki_shadow_run_nonzero_long(const uint8_t *s, const uint8_t *e);
static inline __attribute__((always_inline)) bool vki_shadow_run_nonzero(const uint8_t *s,
									  const uint8_t *e)
{
	if (e - s > 16)
		return vki_shadow_run_nonzero_long(s, e);
	uint8_t acc = 0;
	for (; s < e; s++)
		acc |= *s;
	return acc != 0;
}

/* ------------------------------------------------------------ check.c */

/* The outline check for any size, for runtime code checking on behalf of
 * instrumented code (pc: where the report's Call Trace starts). */
void vki_check_range(uintptr_t addr, size_t size, bool is_write, uintptr_t pc);
/* The outline fast path reads arena shadow without the presence bitmap; a
 * read of an absent window faults and signal.c's handler resumes it here
 * (true: ucontext now points at the check's slow path).  vki_check_arm:
 * signal.c, once its handler is in place (on) or gives way (off). */
bool vki_check_fault_fixup(void *ucontext, uintptr_t fault);
void vki_check_arm(bool on);
unsigned long vki_check_fixup_count(void); /* faults resumed so far */

/* ------------------------------------------------------------ memcopy.c */

/* Unchecked byte moving that never calls the C library (whose memcpy the
 * runtime replaces).  vki_copy: forward, for apart ranges or dst < src;
 * vki_move: any overlap. */
void vki_copy(void *dst, const void *src, size_t n);
void vki_move(void *dst, const void *src, size_t n);
void vki_fill(void *dst, int c, size_t n);
/* The C library's string functions, for the runtime's own use: vkstring.c
 * (vki_strlen, vki_strcmp, vki_memcmp, ..., declared with the interceptors). */

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
void vki_depot_after_fork_child(void);

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
/* A frame inlined at a queried address (the tool's demangled name). */
struct vki_sym_frame {
	char func[128];
	char where[200];
};
struct vki_sym_query {
	const char *module;      /* in: the module's file */
	uintptr_t offset;        /* in: module-relative address */
	char *func;              /* out: the tool's (demangled) name of the
				  * function the address is in, "" if unknown */
	size_t func_size;
	char *where;             /* out: its "file:line", "" if unknown */
	size_t where_size;
	struct vki_sym_frame *inl; /* out: frames inlined there, innermost */
	int inl_max;             /*      first, at most inl_max (0: none asked) */
	int ninl;                /* out: how many */
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

enum vki_bug {
	VKI_BUG_ACCESS,       /* a checked access or a fault */
	VKI_BUG_DOUBLE_FREE,
	VKI_BUG_INVALID_FREE,
	VKI_BUG_ALLOC_DEALLOC_MISMATCH,
};

/*
 * Reports run in two phases.  describe: the address is classified once into
 * one struct vki_desc (report.c fills the generic part from the shadow and
 * the arena, then the owner's describe hook refines it); print: the header,
 * the trace, the owner's print hook, the shadow rows, all from the desc.
 */
struct vki_desc {
	uintptr_t addr;          /* start of the bad access (or freed pointer) */
	size_t size;             /* bytes accessed; 0 for a free */
	bool is_write;
	bool fault;              /* from the fault handler: size unknown */
	enum vki_bug kind;
	uintptr_t bad;           /* first granule whose shadow forbids the access */
	uintptr_t bad_byte;      /* the access's first bad byte (addr for a fault,
				  * a free or a one-granule access): owners
				  * describe a range from it */
	bool present;            /* bad's shadow is backed */
	uint8_t code;            /* its shadow code (0 when absent) */
	uint8_t owner;           /* enum vki_owner: whose hooks describe it */
	bool found;              /* an arena mapping holds addr: area is valid */
	struct vki_area_info area;
	const char *bug_type;    /* "use-after-free", ... (describe may refine) */
	bool let_fault;          /* describe: no bug, the access itself faults as
				  * without vkasan (an mmap PROT_NONE page);
				  * only for a checked access, never a fault */	bool poisoned;           /* bad_byte lies in a range poisoned by hand
				  * (poison.c's step, any owner): print its
				  * stacks */
};

/* Each owner of memory answers these; NULL hooks are skipped. */
struct vki_owner_ops {
	const char *name;                          /* "vmalloc", ... */
	void (*describe)(struct vki_desc *d);      /* refine d->bug_type */
	void (*print)(const struct vki_desc *d);   /* "The buggy address belongs to" */
};
extern const struct vki_owner_ops vki_vmalloc_ops;   /* vmalloc.c */
extern const struct vki_owner_ops vki_mmap_ops;      /* mmap.c */
extern const struct vki_owner_ops vki_stack_ops;     /* stack.c */
extern const struct vki_owner_ops vki_heap_ops;      /* slabinfo.c: SLAB, LARGE */
/* vmalloc.c's print for any owner of a virtual mapping: the mapping, a
 * "how" line under "created by:" (NULL: none), stacks, offset. */
void vki_report_vm_area(const struct vki_desc *d, const char *how);
extern const struct vki_owner_ops vki_free_ops;      /* report.c */
extern const struct vki_owner_ops vki_outside_ops;   /* redzone.c */

/* The one switch: bug type from a shadow code (absent: present = false). */
const char *vki_bug_type(bool present, uint8_t code);
/* For print hooks: a stored stack, or "(stack not recorded)" (defined in
 * symbolize.c), and "name/tid" of a task (thread.c). */
void vki_report_stack(uint32_t handle);
void vki_report_task(uint32_t tid);
/* Read one shadow byte for a report (arena or full shadow); false when
 * it is not there.  Safe against released pages (mincore). */
bool vki_report_peek(uintptr_t addr, uint8_t *out);

/* A checked access went wrong.  pc: the instrumented code's return address. */
void vki_report_access(uintptr_t addr, size_t size, bool is_write, uintptr_t pc);
void vki_report_free(uintptr_t addr, enum vki_free_bug bug, uintptr_t pc);
/* A fault in the arena or its shadow (from the SIGSEGV handler). */
void vki_report_fault(uintptr_t addr, bool is_write, void *ucontext);
/* ... and it faulted: flush what it has before the process dies. */
void vki_report_nested_fault(uintptr_t addr);
void vki_report_after_fork_child(void);
/* A report of another shape (leak.c): open the stream under the report
 * lock, print with vki_report_printf, close (counted: one more report). */
void vki_report_stream_open(void);
void vki_report_stream_close(bool counted);

/* ------------------------------------------------------------ signal.c */

void vki_signal_init(void);
/* Give this thread an alternate signal stack on its first call (the fault
 * handler needs one to report a fault on a full stack); after that, one TLS
 * load.  Called where threads enter the runtime: vk_vmalloc, vk_vfree. */
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
 * code of the first bad granule; false when there is nothing to say.
 * Used by the outside owner's print hook (vki_outside_ops). */
bool vki_redzone_describe(uintptr_t addr, uintptr_t bad);

/* ------------------------------------------------------------ arch_x86_64.c */

/* The interrupted code's registers from a signal's ucontext. */
void vki_arch_context_regs(void *ucontext, uintptr_t *pc, uintptr_t *fp, uintptr_t *sp);
/* The page fault was a write. */
bool vki_arch_fault_is_write(void *ucontext);
/* The instruction at the context's pc read shadow byte(s) at fault: if it
 * is one of the shapes inline checks use, finish it as if every byte read
 * said value, step over it, and return true. */
bool vki_arch_finish_shadow_read(void *ucontext, uintptr_t fault, uint8_t value);

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
void vki_heap_stats(struct vk_stats *out); /* heap_objects, _bytes, _quarantine_bytes,
					   * _slabs, _large_objects */
/* ksize(): the whole slot becomes usable; its new size (0: not live). */
size_t vki_heap_ksize(const void *p);
/* krealloc() in place: true when p's slot holds new_size (shadow follows). */
bool vki_heap_resize(const void *p, size_t new_size);
struct vki_kcache *vki_kcache_create(const char *name, size_t size, size_t align,
				     void (*ctor)(void *));
int vki_kcache_destroy(struct vki_kcache *c); /* 0; 1: objects live; -1: destroyed before */
size_t vki_kcache_size(const struct vki_kcache *c);
/* fork() (init.c's handler): every heap lock, the quarantine's first,
 * taken before the arena lock; made new in the child. */
void vki_heap_lock_all(void);
void vki_heap_unlock_all(void);
void vki_heap_after_fork_child(void);
/* malloc.c's part of the fork handler, before vki_heap_lock_all: its
 * start-up lock (a start-up on another thread is waited for). */
void vki_malloc_fork_prepare(void);
void vki_malloc_fork_parent(void);
void vki_malloc_fork_child(void);

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
/* leak.c: the check at exit (init.c calls it); the number of leaks reported. */
int vki_leak_check_at_exit(void);

/* quarantine.c: freed objects wait here (FIFO, quarantine_size bytes)
 * before their memory is reused. */
void vki_quarantine_put(void *obj, size_t bytes);
void vki_quarantine_drain(void);
void vki_quarantine_thread_exit(void);
/* slab.c: thread.c's exit hook calls it (no-op for a thread that never
 * used the heap). */
void vki_heap_thread_exit(void);
size_t vki_quarantine_bytes(void);
void vki_quarantine_lock(void);
void vki_quarantine_unlock(void);
void vki_quarantine_after_fork_child(void);
/* slab.c: an object leaves the quarantine. */
void vki_heap_recycle(void *obj);

/* ------------------------------------------------------------ verify.c */

int vki_verify_shadow(void); /* present == windows in use, via bitmap and mincore */

/* ------------------------------------------------------------ mmap.c */

/*
 * The program's mmap, munmap, mremap, mprotect and madvise (and sigaction
 * and signal, to keep the fault handler first): mmap.c.  The OS calls it
 * needs (os.c): the kernel's own, never injected ...
 */
void *vki_os_mmap(void *addr, size_t len, int prot, int flags, int fd, long off); /* MAP_FAILED */
int vki_os_munmap(void *addr, size_t len);
int vki_os_mprotect(void *addr, size_t len, int prot);
int vki_os_madvise(void *addr, size_t len, int advice);
void *vki_os_mremap(void *old, size_t oldlen, size_t newlen, int flags, void *newaddr);
/* ... and the injected ones (VKI_OS_MMAP): map over an arena range with
 * MAP_FIXED, change its protection.  0 or -1 with errno. */
int vki_os_map_fixed(uintptr_t addr, size_t len, int prot, int flags, int fd, long off);
int vki_os_protect(uintptr_t addr, size_t len, int prot);
/* An arena range back to the arena's own anonymous RW pages.  0 or -1. */
int vki_os_arena_restore(uintptr_t addr, size_t len);
void *vki_os_map_file(int fd, size_t len); /* read-only, private; NULL */
long vki_os_fd_path(int fd, char *buf, size_t size); /* readlink of the fd */

/* "mmap(anonymous|shared|file <path>)" for an MMAP area (its print hook,
 * vki_mmap_ops, says it under "created by:"). */
bool vki_mmap_describe(const struct vki_area_info *ai, char *buf, size_t size);
/* A check found [addr, addr + size) bad: true when that is because it lies
 * in an inaccessible (PROT_NONE) part of a live mapping, which must fault
 * as without vkasan instead of being reported (the describe hook sets
 * d->let_fault from it). */
bool vki_mmap_let_fault(uintptr_t addr, size_t size);
/* A live MMAP piece the leak checker may read as a root (leak.c, arena
 * lock held): anonymous (private or shared; a file's pages past its end
 * would fault) and readable. */
bool vki_mmap_scannable(const struct vki_area *a);
/* A fault at addr in the arena: 0 not in a live mapping of the program's;
 * 1 in an inaccessible (PROT_NONE) part (the program's handler gets it, or
 * else it is reported); 2 in an accessible part (a write to read-only
 * pages, SIGBUS past the end of a file: the program's, as without vkasan). */
int vki_mmap_fault_is_program(uintptr_t addr);
/* signal.c: the handler the program set for SIGSEGV or SIGBUS while ours
 * stays installed; -1 when ours is not installed (the caller passes the
 * call on).  vki_signal_program_handles: the program has a handler. */
int vki_signal_program_action(int sig, const struct sigaction *act, struct sigaction *old);
bool vki_signal_program_handles(int sig);

/* ------------------------------------------------------------ the compiler ABI */

/*
 * What instrumented code calls, with the compilers' names (check.c,
 * redzone.c): declared here so that every definition has a prototype.  Not
 * in instrumented code that includes this header (tests): gcc predeclares
 * these names there, with its own types.
 */
#ifndef __SANITIZE_ADDRESS__
#define VKI_ABI_SIZED(size)                                                   \
	void __asan_load##size##_noabort(uintptr_t a);                       \
	void __asan_store##size##_noabort(uintptr_t a);                      \
	void __asan_load##size(uintptr_t a);                                 \
	void __asan_store##size(uintptr_t a);                                \
	void __asan_report_load##size##_noabort(uintptr_t a);                \
	void __asan_report_store##size##_noabort(uintptr_t a);               \
	void __asan_report_load##size(uintptr_t a);                          \
	void __asan_report_store##size(uintptr_t a);
VKI_ABI_SIZED(1)
VKI_ABI_SIZED(2)
VKI_ABI_SIZED(4)
VKI_ABI_SIZED(8)
VKI_ABI_SIZED(16)
#undef VKI_ABI_SIZED
void __asan_loadN_noabort(uintptr_t a, size_t size);
void __asan_storeN_noabort(uintptr_t a, size_t size);
void __asan_loadN(uintptr_t a, size_t size);
void __asan_storeN(uintptr_t a, size_t size);
void __asan_report_load_n_noabort(uintptr_t a, size_t size);
void __asan_report_store_n_noabort(uintptr_t a, size_t size);
void __asan_report_load_n(uintptr_t a, size_t size);
void __asan_report_store_n(uintptr_t a, size_t size);
/* The checked copies: exported under the C library's names too. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *__asan_memcpy(void *dst, const void *src, size_t n);
void *__asan_memmove(void *dst, const void *src, size_t n);
void *__asan_memset(void *dst, int c, size_t n);

/* The layout both gcc 12 and clang 14 pass to __asan_register_globals. */
struct asan_global_loc {
	const char *filename;
	int line;
	int column;
};

struct asan_global {
	uintptr_t beg;             /* the variable */
	size_t size;               /* its size in bytes */
	size_t size_with_redzone;  /* size + the redzone after it */
	const char *name;
	const char *module_name;   /* the translation unit */
	uintptr_t has_dynamic_init; /* C++ dynamic initialisation (unused) */
	const struct asan_global_loc *location; /* may be NULL */
	uintptr_t odr_indicator;   /* unused */
};

void __asan_register_globals(const struct asan_global *g, size_t n);
void __asan_unregister_globals(const struct asan_global *g, size_t n);
void __asan_before_dynamic_init(const char *module_name);
void __asan_after_dynamic_init(void);
void __asan_alloca_poison(uintptr_t addr, size_t size);
void __asan_allocas_unpoison(uintptr_t top, uintptr_t bottom);
#define VKI_ABI_SET_SHADOW(xx) void __asan_set_shadow_##xx(uintptr_t addr, size_t size);
VKI_ABI_SET_SHADOW(00)
VKI_ABI_SET_SHADOW(f1)
VKI_ABI_SET_SHADOW(f2)
VKI_ABI_SET_SHADOW(f3)
VKI_ABI_SET_SHADOW(f5)
VKI_ABI_SET_SHADOW(f8)
#undef VKI_ABI_SET_SHADOW
void __asan_poison_stack_memory(uintptr_t addr, size_t size);
void __asan_unpoison_stack_memory(uintptr_t addr, size_t size);
void __asan_handle_no_return(void);
/* The fiber interface (fiber.c), as sanitizer/common_interface_defs.h has it. */
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);
/* AddressSanitizer's manual poisoning interface (poison.c). */
void __asan_poison_memory_region(void const volatile *p, size_t size);
void __asan_unpoison_memory_region(void const volatile *p, size_t size);
int __asan_address_is_poisoned(void const volatile *p);
void *__asan_region_is_poisoned(void *p, size_t size);
#endif /* !__SANITIZE_ADDRESS__ */

/* ------------------------------------------------------------ stacks
 *
 * Thread and fiber stacks in the arena (stack.c, fiber.c), on arena.c's
 * lazily backed windows (see "lazily backed windows" in arena.c).
 */

/* arena.c: a stack mapping comes from vki_area_alloc_ex (owner STACK,
 * lazy, markers_below).  Take back a freed stack of the same size still on
 * the lazy list (its guard markers and shadow intact): true, live again,
 * its marker pages poisoned. */
bool vki_arena_revive_stack(uintptr_t start, size_t size, uint32_t stack, const size_t *markers,
			    int nmarkers);
/* vki_area_free for a STACK mapping, naming tid (the thread that ran on
 * it) as the one that freed it; false: not a live stack (nothing freed,
 * the caller reports). */
bool vki_arena_free_stack(uintptr_t addr, uint32_t stack, uint32_t tid);
/* addr's window is a lazily backed window of a live stack: back it
 * (accessible) if absent and return true.  check.c asks before reporting
 * absent shadow; the fault handler via vki_stack_fault. */
bool vki_arena_fill_window(uintptr_t addr);

/* stack.c: the fault handler's first question (si_code > 0 faults only):
 * a lazily backed stack window (back it: true, resume) or a stack guard
 * page (report, never returns); false: not a stack matter. */
bool vki_stack_fault(uintptr_t fault, void *ucontext);
/* The usable range [*lo, *hi) of the arena stack holding addr (false:
 * none); redzone.c's __asan_handle_no_return must not run past it. */
bool vki_stack_bounds(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);
/* A thread's stack (pthread_create), not a fiber's (vk_stack_alloc). */
bool vki_stack_of_thread(const struct vki_area_info *ai);
/* Free stacks of detached threads that the kernel is done with. */
void vki_stack_reap(void);
/* Clear stale stack poison (inline redzones of frames that will never
 * return) in [lo, hi): only bytes that are not zero are written, and only
 * in backed arena windows. */
void vki_stack_clear_shadow(uintptr_t lo, uintptr_t hi);

/* report.c: a report of another kind (stack.c's guard page): begin
 * prints the separator (false: nothing may be printed, skip it), end the
 * closing one and halts as the options say (always when must_halt). */
bool vki_report_begin(void);
void vki_report_end(bool must_halt);

/* fork() (init.c's handler): lock #6 held across it, reset in the child. */
void vki_stack_fork_prepare(void);
void vki_stack_fork_parent(void);
void vki_stack_fork_child(void);

/* os.c */
bool vki_os_task_gone(int tid); /* the kernel has released thread tid */

/* ------------------------------------------------------------ poison.c, vmap.c */

/*
 * Manual poisoning (poison.c: vk_poison, AddressSanitizer's interface, with
 * stack records) and aliases of page frames (vmap.c: vk_vmap, vm_map_ram
 * blocks, the VMAP owner).  Their locks (#7 vmap, #8 poison) come after the
 * arena lock: the walk holds 3 when it asks them.
 */

/* arena.c: the live mapping holding addr: start and requested size; mark:
 * it is poisoned by hand (the walk accepts user codes in it, its free
 * drops the poison records). */
bool vki_arena_live(uintptr_t addr, uintptr_t *start, size_t *size, bool mark);

/* os.c: page frames on a memfd.  Creating and sizing the memfd and mapping
 * it (MAP_SHARED|MAP_FIXED, RW) are fault-injectable; putting a range back
 * to the arena's own pages is vki_os_arena_restore (never injected). */
int vki_os_memfd(const char *name); /* fd above 2, or -1 */
int vki_os_ftruncate(int fd, uint64_t size);
int vki_os_map_memfd(uintptr_t addr, size_t len, int fd, uint64_t off);
void vki_os_punch_hole(int fd, uint64_t off, uint64_t len); /* free the pages */

/* poison.c: the stack records of manual poisoning. */
struct vki_poison_info {
	uintptr_t start, end;       /* the poisoned range as recorded */
	uint32_t poison_stack, poison_tid;
	uint32_t unpoison_stack, unpoison_tid; /* 0: never unpoisoned */
	const char *name;           /* the allocator's name for it, or NULL */
};
/* Does a poison record cover addr (a report asks)?  Fills what to print. */
bool vki_poison_lookup(uintptr_t addr, struct vki_poison_info *out);
/* The report pipeline's poison step (report.c's describe, after the
 * owner's hook, for memory of any owner): d->poisoned and the bug type when
 * the bad byte lies in a range poisoned by hand. */
void vki_poison_describe(struct vki_desc *d);
/* "The buggy address was poisoned by task ...:" and the rest; true when
 * something was printed. */
bool vki_poison_print(uintptr_t addr);
/* A mapping went away: drop records in [start, end). */
void vki_poison_forget(uintptr_t start, uintptr_t end);
int vki_poison_verify(void); /* record tree and pool accounting */
/* init.c's fork handler, in lock order. */
void vki_poison_fork_prepare(void);
void vki_poison_fork_parent(void);
void vki_poison_fork_child(void);

/* vmap.c: the VMAP owner's hooks for reports. */
extern const struct vki_owner_ops vki_vmap_ops;
/* The walk (caller holds the arena lock): check the shadow of the VMAP
 * mapping [start, end) (alias, block or page set); problems found, or -1
 * when it is a plain mapping (an alias or a page set). */
int vki_vmap_verify_area(uintptr_t start, uintptr_t end, size_t size, bool user_poison);
void vki_vmap_fork_prepare(void);
void vki_vmap_fork_parent(void);
void vki_vmap_fork_child(void);
/* ------------------------------------------------------------ intercept*.c */

/*
 * Checked libc functions (intercept_string.c, intercept_format.c,
 * intercept_io.c): exported under libc's names, so the program's calls (and
 * other libraries') reach them instead of libc's.  Every name is listed in
 * tools/intercepted-names.txt; the Makefile's rt-check fails when any other
 * runtime object references one of them.  The runtime itself uses the
 * unchecked vki_str* helpers below.
 */

/* check.c: check [addr, addr + size) on behalf of an interceptor; the Call
 * Trace starts at the interceptor (this call's return address), then its
 * caller.  Interceptors must not tail-call it (the Makefile builds them with
 * -fno-optimize-sibling-calls). */
void vki_check_range_in(uintptr_t addr, size_t size, bool is_write);

/* The interceptors' common cases without a call: [a, a + n) wholly outside
 * the arena in an outline program, or up to 64 bytes in the arena whose
 * windows are present and whose shadow says accessible.  Anything else
 * goes to vki_check_range_in, which decides. */
static inline bool vki_intercept_fast_ok(uintptr_t a, size_t n)
{
	uintptr_t last = a + n - 1;
	if (last < a)
		return false;
	if (last < vki_arena_base || a >= vki_arena_end)
		return !vki_fullshadow_on;
	if (n > 64 || !vki_in_arena(a) || !vki_in_arena(last) || !vki_window_present(a) ||
	    !vki_window_present(last))
		return false;
	const int8_t *s = (const int8_t *)vki_mem_to_shadow(a);
	const int8_t *e = (const int8_t *)vki_mem_to_shadow(last);
	for (; s < e; s++)
		if (*s)
			return false;
	return *e == 0 || (int8_t)(last & 7) < *e;
}

#define VKI_INTERCEPT_CHECK(p, n, is_write)                                    \
	do {                                                                   \
		size_t vki_n_ = (n);                                           \
		uintptr_t vki_a_ = (uintptr_t)(p);                             \
		if (VKI_LIKELY(vki_opt.intercept) && vki_n_ &&                 \
		    !vki_intercept_fast_ok(vki_a_, vki_n_))                    \
			vki_check_range_in(vki_a_, vki_n_, (is_write));        \
	} while (0)
#define VKI_READ_RANGE(p, n) VKI_INTERCEPT_CHECK(p, n, false)
#define VKI_WRITE_RANGE(p, n) VKI_INTERCEPT_CHECK(p, n, true)

/* vkstring.c: libc's string functions without libc, unchecked (the runtime
 * uses these; the interceptors check around them). */
size_t vki_strlen(const char *s);
size_t vki_strnlen(const char *s, size_t max);
int vki_strcmp(const char *a, const char *b);
int vki_strncmp(const char *a, const char *b, size_t n);
char *vki_strchr(const char *s, int c);
char *vki_strrchr(const char *s, int c);
char *vki_strpbrk(const char *s, const char *set);
char *vki_strcpy(char *d, const char *s);
char *vki_strchrnul(const char *s, int c);
int vki_memcmp(const void *a, const void *b, size_t n);
/* A byte set as a 256-bit map (returns strlen(set)); the length of the
 * prefix of s whose bytes are (in) or are not (!in) in it. */
size_t vki_byteset_make(uint64_t map[4], const char *set);
size_t vki_byteset_span(const char *s, const uint64_t map[4], bool in);
static inline bool vki_byteset_has(const uint64_t map[4], unsigned char c)
{
	return (map[c >> 6] >> (c & 63)) & 1;
}

/* intercept_io.c: the real libc function behind an interceptor, looked up
 * with dlsym(RTLD_NEXT) on first use (NULL while that lookup runs on this
 * thread: dlsym may allocate). */
void *vki_real(const char *name);
#define VKI_REAL(type, name)                                                   \
	({                                                                     \
		static type vki_real_;                                         \
		type vki_r_ = __atomic_load_n(&vki_real_, __ATOMIC_ACQUIRE);   \
		if (VKI_UNLIKELY(!vki_r_)) {                                   \
			vki_r_ = (type)vki_real(#name);                        \
			__atomic_store_n(&vki_real_, vki_r_, __ATOMIC_RELEASE); \
		}                                                              \
		vki_r_;                                                        \
	})

#endif /* VK_INTERNAL_H */
