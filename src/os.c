/*
 * os.c - the one layer between vkasan and the kernel.
 *
 * Every system call the runtime makes is here (aside, for now: symbolize.c's
 * mapping of ELF files, and symbolizer.c's clone children and signal
 * masks), so fault injection (option fail_mmap_every) sees every failure
 * point, and a port to another OS touches one file.  Grouped:
 * injection, memory, files (/proc and the log), tasks, signals, exit, child
 * processes (the symbolizer).
 *
 * Injection fails only the calls the runtime is built to survive failing
 * (arena growth, populate, release, decommit, guard pages, metadata).  What
 * it must get is never failed: the reservations (kind VKI_OS_RESERVE), the
 * full shadow, signal stacks; nor are files, tasks and signals.
 *
 * Shadow pages are released with MADV_GUARD_INSTALL (Linux 6.13): the page is
 * freed and any access faults, like PROT_NONE, but without splitting the VMA.
 * That matters: alternating present/absent shadow with mprotect would use one
 * VMA per run and hit vm.max_map_count (65530) long before a million
 * mappings.  On older kernels we fall back to mprotect and say so.
 */
#include "vk_internal.h"

#include <stdio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif

/* ---------------------------------------------------------------- raw calls */

/*
 * The program's mmap, munmap, mprotect, madvise and mremap are ours when the
 * runtime is linked in (mmap.c), and so are sigaction and signal: the
 * runtime reaches the kernel's with raw system calls, and the C library's
 * sigaction under its other exported name.  Likewise read and write, which
 * are the runtime's checked interceptors (intercept_io.c): raw system calls
 * here (no cancellation point, which the runtime never wants).
 */
extern int __sigaction(int sig, const struct sigaction *sa, struct sigaction *old);

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int sys_munmap(void *addr, size_t len)
{
	return (int)syscall(SYS_munmap, addr, len);
}

static int sys_mprotect(void *addr, size_t len, int prot)
{
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

static int sys_madvise(void *addr, size_t len, int advice)
{
	return (int)syscall(SYS_madvise, addr, len, advice);
}

static ssize_t sys_read(int fd, void *buf, size_t n)
{
	return (ssize_t)syscall(SYS_read, fd, buf, n);
}

static ssize_t sys_write(int fd, const void *buf, size_t n)
{
	return (ssize_t)syscall(SYS_write, fd, buf, n);
}

/* ---------------------------------------------------------------- injection */

static unsigned long call_count, fail_count;

/* Fault injection: every Nth mapping call fails, as if the OS refused. */
static bool inject_failure(enum vki_os_kind kind)
{
	long n = vki_opt.fail_mmap_every;
	if (n <= 0 || kind == VKI_OS_RESERVE)
		return false;
	if (__atomic_add_fetch(&call_count, 1, __ATOMIC_RELAXED) % (unsigned long)n)
		return false;
	__atomic_add_fetch(&fail_count, 1, __ATOMIC_RELAXED);
	errno = ENOMEM;
	return true;
}

unsigned long vki_os_fail_count(void)
{
	return __atomic_load_n(&fail_count, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- memory */

void *vki_os_reserve(uintptr_t addr, size_t len, enum vki_os_kind kind)
{
	if (inject_failure(kind))
		return NULL;
	void *p = sys_mmap((void *)addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if ((uintptr_t)p != addr) { /* kernels before 4.17 ignore NOREPLACE */
		sys_munmap(p, len);
		errno = EEXIST;
		return NULL;
	}
	/* Huge pages would make a one-page populate fault in 2 MiB. */
	sys_madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

void *vki_os_map_anywhere(size_t len, enum vki_os_kind kind)
{
	if (inject_failure(kind))
		return NULL;
	void *p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void vki_os_unmap(void *p, size_t len)
{
	sys_munmap(p, len);
}

int vki_os_map_shadow(uintptr_t addr, size_t len, bool accessible)
{
	void *p = sys_mmap((void *)addr, len, accessible ? PROT_READ | PROT_WRITE : PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if ((uintptr_t)p != addr) { /* kernels before 4.17 ignore NOREPLACE */
		sys_munmap(p, len);
		errno = EEXIST;
		return -1;
	}
	/* Terabytes of zeros: no huge pages (a 1-byte poison would back 2 MiB),
	 * and nothing of it in a core dump. */
	sys_madvise(p, len, MADV_NOHUGEPAGE);
	sys_madvise(p, len, MADV_DONTDUMP);
	return 0;
}

static int guard_markers = -1; /* -1 unknown, 0 no, 1 yes */

bool vki_os_has_guard_markers(void)
{
	if (guard_markers < 0) {
		/* Probe on a scratch page: EINVAL means the kernel is too old. */
		void *p = sys_mmap(NULL, VKI_PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int ok = p != MAP_FAILED && sys_madvise(p, VKI_PAGE_SIZE, MADV_GUARD_INSTALL) == 0;
		if (p != MAP_FAILED)
			sys_munmap(p, VKI_PAGE_SIZE);
		guard_markers = ok;
	}
	return guard_markers;
}

int vki_os_commit(uintptr_t addr, size_t len, bool markers)
{
	if (inject_failure(VKI_OS_COMMIT))
		return -1;
	if (markers && !vki_os_has_guard_markers())
		return 0; /* stays PROT_NONE; populate will mprotect */
	if (sys_mprotect((void *)addr, len, PROT_READ | PROT_WRITE))
		return -1;
	if (markers && sys_madvise((void *)addr, len, MADV_GUARD_INSTALL)) {
		sys_mprotect((void *)addr, len, PROT_NONE);
		return -1;
	}
	return 0;
}

int vki_os_guard_install(uintptr_t addr, size_t len, enum vki_os_kind kind)
{
	if (inject_failure(kind))
		return -1;
	if (vki_os_has_guard_markers())
		return sys_madvise((void *)addr, len, MADV_GUARD_INSTALL);
	/* Old kernel: replace with fresh PROT_NONE pages (frees the old ones). */
	void *p = sys_mmap((void *)addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	return p == MAP_FAILED ? -1 : 0;
}

int vki_os_guard_remove(uintptr_t addr, size_t len, enum vki_os_kind kind)
{
	if (inject_failure(kind))
		return -1;
	if (vki_os_has_guard_markers())
		return sys_madvise((void *)addr, len, MADV_GUARD_REMOVE);
	return sys_mprotect((void *)addr, len, PROT_READ | PROT_WRITE);
}

/* Fault in [addr, addr + len) writable in one call (Linux 5.14+); on an
 * older kernel the caller's first writes fault the pages in instead. */
void vki_os_prefault(uintptr_t addr, size_t len)
{
	sys_madvise((void *)addr, len, MADV_POPULATE_WRITE);
}

int vki_os_decommit(uintptr_t addr, size_t len)
{
	if (inject_failure(VKI_OS_DECOMMIT))
		return -1;
	return sys_madvise((void *)addr, len, MADV_DONTNEED);
}

int vki_os_mincore(uintptr_t addr, size_t len, unsigned char *vec)
{
	return mincore((void *)addr, len, vec);
}

/* Copy len bytes of this process's memory at addr into buf without
 * touching them directly: a page that cannot be read (PROT_NONE, a guard
 * marker, a file's page past its end) gives a short count or -1, never a
 * fault.  For the leak check's reading of the program's mappings. */
long vki_os_read_self(uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	return syscall(SYS_process_vm_readv, getpid(), &local, 1UL, &remote, 1UL, 0UL);
}

/* ---------------------------------------------------------------- the program's mappings */

/*
 * For mmap.c.  The pass-through calls are the kernel's own and are never
 * injected; the calls that place a program's mapping in the arena (kind
 * VKI_OS_MMAP) are, so that a failed routing is tested.
 */
void *vki_os_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return sys_mmap(addr, len, prot, flags, fd, off);
}

int vki_os_munmap(void *addr, size_t len)
{
	return sys_munmap(addr, len);
}

int vki_os_mprotect(void *addr, size_t len, int prot)
{
	return sys_mprotect(addr, len, prot);
}

int vki_os_madvise(void *addr, size_t len, int advice)
{
	return sys_madvise(addr, len, advice);
}

void *vki_os_mremap(void *old, size_t oldlen, size_t newlen, int flags, void *newaddr)
{
	return (void *)syscall(SYS_mremap, old, oldlen, newlen, flags, newaddr);
}

int vki_os_map_fixed(uintptr_t addr, size_t len, int prot, int flags, int fd, long off)
{
	if (inject_failure(VKI_OS_MMAP))
		return -1;
	flags = (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED;
	void *p = sys_mmap((void *)addr, len, prot, flags, fd, off);
	return p == MAP_FAILED ? -1 : 0;
}

int vki_os_protect(uintptr_t addr, size_t len, int prot)
{
	if (inject_failure(VKI_OS_MMAP))
		return -1;
	return sys_mprotect((void *)addr, len, prot);
}

/* Back to what a committed arena range is (fresh zero pages, RW, private,
 * NORESERVE, no huge pages), so that the kernel merges it into the arena's
 * mapping again.  Not injected: the caller cannot undo what preceded it. */
int vki_os_arena_restore(uintptr_t addr, size_t len)
{
	void *p = sys_mmap((void *)addr, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sys_madvise(p, len, MADV_NOHUGEPAGE);
	return 0;
}

void *vki_os_map_file(int fd, size_t len)
{
	void *p = sys_mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

long vki_os_fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	vki_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	long n = (long)readlink(link, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/*
 * Page frames that can appear at more than one address (vmap.c): one memfd
 * per process, pages at offsets in it, mapped MAP_SHARED|MAP_FIXED over
 * committed arena ranges.  Creating, sizing and mapping are injectable
 * (vmap/vk_pages_alloc return NULL); putting a range back to the arena's
 * plain anonymous memory (vki_os_arena_restore) is not: a failure there
 * would leave a shared mapping in free space, so it is never simulated.
 */
int vki_os_memfd(const char *name)
{
	if (inject_failure(VKI_OS_META))
		return -1;
	int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3); /* keep 0-2 for the program */
	close(fd);
	return nfd;
}

int vki_os_ftruncate(int fd, uint64_t size)
{
	if (inject_failure(VKI_OS_META))
		return -1;
	return ftruncate(fd, (off_t)size);
}

int vki_os_map_memfd(uintptr_t addr, size_t len, int fd, uint64_t off)
{
	if (inject_failure(VKI_OS_COMMIT))
		return -1;
	void *p = sys_mmap((void *)addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		       (long)off);
	return p == MAP_FAILED ? -1 : 0;
}

void vki_os_punch_hole(int fd, uint64_t off, uint64_t len)
{
	fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len);
}

/* ---------------------------------------------------------------- files */

/*
 * /proc/self/maps, read with a stack buffer and parsed on the fly: only
 * the "lo-hi" at the start of each line matters.  No malloc and no stdio,
 * so it is safe in a report and in a signal handler.
 */
int vki_os_find_mapping(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[4096];
	uintptr_t num[2] = { 0, 0 };
	int field = 0; /* 0: lo, 1: hi, 2: rest of the line */
	int found = -1;
	ssize_t n;
	while (found && (n = sys_read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && found; i++) {
			char c = buf[i];
			if (c == '\n') {
				field = 0;
				num[0] = num[1] = 0;
			} else if (field < 2) {
				int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
				if (d >= 0) {
					num[field] = num[field] << 4 | (uintptr_t)d;
				} else if (++field == 2 && addr >= num[0] && addr < num[1]) {
					*lo = num[0];
					*hi = num[1];
					found = 0;
				}
			}
		}
	}
	close(fd);
	return found;
}

/* A small file such as /proc/self/task/<tid>/comm: one read() into buf.
 * The bytes read (not terminated), or -1. */
long vki_os_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long n = (long)sys_read(fd, buf, size);
	close(fd);
	return n;
}

void vki_os_write(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = sys_write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

int vki_os_open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

void vki_os_close(int fd)
{
	close(fd);
}

/* ---------------------------------------------------------------- tasks */

/* Cached per thread (vk_vmalloc and vk_vfree record it every time); a
 * fork()ed child clears it (vki_thread_after_fork_child). */
int vki_os_gettid(void)
{
	struct vki_thread *t = vki_self();
	if (VKI_UNLIKELY(!t->tid))
		t->tid = (int)syscall(SYS_gettid);
	return t->tid;
}

int vki_os_getpid(void)
{
	return (int)getpid();
}

/* The kernel clears a thread's tid word (CLONE_CHILD_CLEARTID) when it
 * lets go of the thread's memory, before the thread can no longer be
 * signalled: ESRCH from tgkill means its stack is no longer used. */
bool vki_os_task_gone(int tid)
{
	return syscall(SYS_tgkill, vki_os_getpid(), tid, 0) != 0 && errno == ESRCH;
}

void vki_os_thread_name(char *buf, size_t size)
{
	char name[17] = { 0 };
	if (prctl(PR_GET_NAME, name) != 0)
		name[0] = 0;
	vki_snprintf(buf, size, "%s", name[0] ? name : "?");
}

/* ---------------------------------------------------------------- signals */

int vki_os_sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	int r = __sigaction(sig, sa, old);
	/* glibc fills the old mask's 1024 bits from the kernel's 64 and the
	 * rest from its stack: garbage that the leak checker, which scans the
	 * runtime's globals with the program's, would take for pointers. */
	if (r == 0 && old)
		vki_fill((char *)&old->sa_mask + 8, 0, sizeof(old->sa_mask) - 8);
	return r;
}

void vki_os_raise(int sig)
{
	raise(sig);
}

/* The leak checker's stop-the-world (leak.c): the threads of this process,
 * a signal to one of them, and a futex to park it on. */
int vki_os_list_tasks(int *tids, int max)
{
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[4096];
	int n = 0;
	long got;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			const char *name = buf + off + 19; /* d_ino, d_off, d_reclen, d_type */
			unsigned short reclen = *(const unsigned short *)(buf + off + 16);
			int tid = 0;
			for (const char *c = name; *c >= '0' && *c <= '9'; c++)
				tid = tid * 10 + (*c - '0');
			if (tid > 0 && n < max)
				tids[n++] = tid;
			off += reclen;
		}
	}
	close(fd);
	return n;
}

int vki_os_tgkill(int tid, int sig)
{
	return (int)syscall(SYS_tgkill, getpid(), tid, sig);
}

void vki_os_futex_wait(int *word, int val, long timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	syscall(SYS_futex, word, 128 /* FUTEX_WAIT_PRIVATE */, val,
		timeout_ms >= 0 ? &ts : NULL, NULL, 0);
}

void vki_os_futex_wake(int *word)
{
	syscall(SYS_futex, word, 129 /* FUTEX_WAKE_PRIVATE */, 0x7fffffff, NULL, NULL, 0);
}

/*
 * The heap's asymmetric fence (slab.c: fork and the invariant walk wait for
 * other threads' lock-free heap steps, which need then only a compiler
 * barrier): membarrier(2) runs a full memory barrier on every running
 * thread of the process.  Registered once per process (Linux 4.14); false
 * when the kernel (or a seccomp filter) refuses, and slab.c fences itself.
 */
#define VKI_MEMBARRIER_QUERY 0
#define VKI_MEMBARRIER_PRIVATE_EXPEDITED (1 << 3)
#define VKI_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED (1 << 4)

bool vki_os_membarrier_register(void)
{
	long cmds = syscall(SYS_membarrier, VKI_MEMBARRIER_QUERY, 0, 0);
	return cmds > 0 && (cmds & VKI_MEMBARRIER_PRIVATE_EXPEDITED) &&
	       syscall(SYS_membarrier, VKI_MEMBARRIER_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

int vki_os_membarrier(void)
{
	return (int)syscall(SYS_membarrier, VKI_MEMBARRIER_PRIVATE_EXPEDITED, 0, 0);
}

void vki_os_yield(void)
{
	syscall(SYS_sched_yield);
}

/*
 * Alternate signal stacks (signal.c): one per thread, so that a fault on a
 * full stack still reaches the report.  Never fault-injected: a thread that
 * silently got none would die without a report only when it matters.
 */
void *vki_os_map_stack(size_t size)
{
	char *m = sys_mmap(NULL, size + VKI_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	/* The lowest page faults, so an overflow of the handler is loud. */
	if (vki_os_has_guard_markers())
		sys_madvise(m, VKI_PAGE_SIZE, MADV_GUARD_INSTALL);
	else
		sys_mprotect(m, VKI_PAGE_SIZE, PROT_NONE);
	return m + VKI_PAGE_SIZE;
}

void vki_os_unmap_stack(void *sp, size_t size)
{
	sys_munmap((char *)sp - VKI_PAGE_SIZE, size + VKI_PAGE_SIZE);
}

int vki_os_altstack_get(void **sp, size_t *size, bool *on_it)
{
	stack_t cur;
	if (sigaltstack(NULL, &cur) || (cur.ss_flags & SS_DISABLE))
		return -1;
	*sp = cur.ss_sp;
	*size = cur.ss_size;
	*on_it = (cur.ss_flags & SS_ONSTACK) != 0;
	return 0;
}

int vki_os_altstack_set(void *sp, size_t size)
{
	stack_t ss = { .ss_sp = sp, .ss_size = size, .ss_flags = 0 };
	return sigaltstack(&ss, NULL);
}

int vki_os_altstack_disable(void)
{
	stack_t ss = { .ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE };
	return sigaltstack(&ss, NULL);
}

/* ---------------------------------------------------------------- exit */

void vki_os_exit(int status)
{
	exit(status); /* flush the program's stdio: its output before the report matters */
}

void vki_os_exit_now(int status)
{
	fflush(NULL); /* exit() is running: calling it again is undefined */
	_exit(status);
}

void vki_os_abort(void)
{
	struct sigaction dfl = { 0 };
	dfl.sa_handler = SIG_DFL; /* not signal(): the program's, intercepted */
	vki_os_sigaction(SIGABRT, &dfl, NULL);
	abort();
}

/* ---------------------------------------------------------------- child processes */

/*
 * For symbolizer.c, which runs llvm-symbolizer/addr2line on the report
 * path.  Thin wrappers that keep errno for the caller; never fault-injected.
 * The clone calls and what the clone children do stay in symbolizer.c: the
 * children share our memory and TLS and must make raw calls only.
 */
long vki_os_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* lock_stats (arena.c): this thread's CPU time in ns.  CPU time rather
 * than wall time: on a loaded machine a holder preempted for a time slice
 * would otherwise show the scheduler's delay, not the work done under the
 * lock.  A system call (no vDSO for it): only with lock_stats=1. */
uint64_t vki_os_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool vki_os_executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* A program may run with fd 0, 1 or 2 closed; a child's dup2 onto them
 * must not meet a pipe end already sitting there. */
static int fd_above2(int fd)
{
	if (fd > 2)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

int vki_os_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		return -1;
	p[0] = fd_above2(p[0]);
	p[1] = fd_above2(p[1]);
	if (p[0] >= 0 && p[1] >= 0)
		return 0;
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return -1;
}

void vki_os_set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
}

unsigned long vki_os_fifo_ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) ? (unsigned long)st.st_ino : 0;
}

int vki_os_poll(struct pollfd *p, unsigned long n, int timeout_ms)
{
	return poll(p, (nfds_t)n, timeout_ms);
}

long vki_os_read_once(int fd, void *buf, size_t n)
{
	return (long)sys_read(fd, buf, n);
}

long vki_os_write_once(int fd, const void *buf, size_t n)
{
	return (long)sys_write(fd, buf, n);
}

int vki_os_kill(int pid, int sig)
{
	return kill(pid, sig);
}

/* Reap a child without an exit signal (a clone child: waitpid needs __WALL). */
void vki_os_reap_clone(int pid)
{
	int status;
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
}
