/*
 * symbolize.c - return addresses to " function+0xoff/0xsize file:line".
 *
 * Only reports come here, so nothing in this file is fast; it must instead
 * be safe where reports run (after a bad access, inside vk_vfree, in the
 * SIGSEGV handler): no malloc, bounded static storage, and always some
 * readable output even when every helper below fails.
 *
 * Three sources, best first, each a fallback for the one before:
 *   - function+offset/size: the module's ELF symbol table (.symtab, else
 *     .dynsym), read from the file mapped read-only.  Exact, no subprocess.
 *   - file:line: llvm-symbolizer, one process kept for all reports and
 *     asked once for all frames of a report (vki_symbolize_batch); else
 *     addr2line, run once per module and report.  Only when the option
 *     symbolize is on.
 *   - otherwise "0x<pc> [module+0xoff]", from dl_iterate_phdr alone.
 *
 * Modules are found with dl_iterate_phdr: addresses handed to the tools and
 * to the symbol table are module-relative (pc minus the load bias), which is
 * right for PIE executables and shared libraries alike.
 *
 * The system calls here (open, mmap of files, pipes, clone/execve, waitpid)
 * are used by this file alone and only on the report path.
 */
#include "vk_internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------ modules */

struct module {
	const char *path; /* file to read; NULL for the vdso and unknown */
	const char *name; /* basename, for "[name+0xoff]" */
	uintptr_t bias;   /* load bias: module-relative = pc - bias */
};

static char exe_path[PATH_MAX];

struct find_ctx {
	uintptr_t pc;
	struct module *m;
	bool found;
};

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find_ctx *c = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (c->pc - lo >= ph->p_memsz)
			continue;
		const char *path = info->dlpi_name;
		if (!path || !path[0]) { /* the main program */
			if (!exe_path[0]) {
				ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
				exe_path[n > 0 ? n : 0] = 0;
			}
			path = exe_path[0] ? exe_path : NULL;
		} else if (path[0] != '/') { /* linux-vdso.so.1: no file */
			c->m->path = NULL;
			c->m->name = path;
			c->m->bias = info->dlpi_addr;
			c->found = true;
			return 1;
		}
		c->m->path = path;
		c->m->name = path ? path : "?";
		if (path) {
			const char *slash = strrchr(path, '/');
			c->m->name = slash ? slash + 1 : path;
		}
		c->m->bias = info->dlpi_addr;
		c->found = true;
		return 1;
	}
	return 0;
}

static bool find_module(uintptr_t pc, struct module *m)
{
	struct find_ctx c = { pc, m, false };
	dl_iterate_phdr(find_cb, &c);
	return c.found;
}

/* ------------------------------------------------------------ ELF symbols */

#define MAX_ELF 16

struct elf_file {
	char path[PATH_MAX];
	bool failed;
	const char *map;
	size_t len;
	const ElfW(Sym) *syms;
	size_t nsyms;
	const char *strs;
	size_t strs_len;
};

static struct elf_file elves[MAX_ELF];
static int nelves;

static bool elf_load(struct elf_file *e)
{
	int fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(ElfW(Ehdr)))
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	e->map = p;
	e->len = st.st_size;
	const ElfW(Ehdr) *eh = p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff >= e->len ||
	    e->len - eh->e_shoff < (size_t)eh->e_shnum * sizeof(ElfW(Shdr)))
		goto bad;
	const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(e->map + eh->e_shoff);
	const ElfW(Shdr) *best = NULL;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_SYMTAB)
			best = &sh[i];
		else if (sh[i].sh_type == SHT_DYNSYM && !best)
			best = &sh[i];
	}
	if (!best || best->sh_link >= eh->e_shnum)
		goto bad;
	const ElfW(Shdr) *str = &sh[best->sh_link];
	if (best->sh_offset > e->len || best->sh_size > e->len - best->sh_offset ||
	    str->sh_offset > e->len || str->sh_size > e->len - str->sh_offset)
		goto bad;
	e->syms = (const ElfW(Sym) *)(e->map + best->sh_offset);
	e->nsyms = best->sh_size / sizeof(ElfW(Sym));
	e->strs = e->map + str->sh_offset;
	e->strs_len = str->sh_size;
	return true;
bad:
	munmap((void *)e->map, e->len);
	e->map = NULL;
	return false;
}

static struct elf_file *elf_get(const char *path)
{
	for (int i = 0; i < nelves; i++)
		if (!strcmp(elves[i].path, path))
			return elves[i].failed ? NULL : &elves[i];
	if (nelves == MAX_ELF || strlen(path) >= PATH_MAX)
		return NULL;
	struct elf_file *e = &elves[nelves++];
	strcpy(e->path, path);
	e->failed = !elf_load(e);
	return e->failed ? NULL : e;
}

/* The function symbol containing module-relative address v. */
static bool elf_lookup(struct elf_file *e, uintptr_t v, const char **name, uintptr_t *start,
		       size_t *size)
{
	const ElfW(Sym) *hit = NULL;
	for (size_t i = 0; i < e->nsyms; i++) {
		const ElfW(Sym) *s = &e->syms[i];
		int type = ELF64_ST_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF)
			continue;
		if (v - s->st_value < s->st_size && s->st_name < e->strs_len) {
			hit = s;
			if (ELF64_ST_BIND(s->st_info) != STB_LOCAL)
				break; /* prefer the global name of an alias */
		}
	}
	if (!hit)
		return false;
	*name = e->strs + hit->st_name;
	*start = hit->st_value;
	*size = hit->st_size;
	return true;
}

/* ------------------------------------------------------------ the cache */

/*
 * Results of the last batch: one entry per lookup address.  Reports print
 * at most three stacks of 64 frames.
 */
#define CACHE_SIZE 256
#define WHERE_LEN 200
#define FUNC_LEN 128

struct sym_entry {
	uintptr_t addr;        /* lookup address: pc, or return address - 1 */
	char where[WHERE_LEN]; /* "file:line", empty if unknown */
	char func[FUNC_LEN];   /* the tool's function name, empty if unknown */
};

static struct sym_entry cache[CACHE_SIZE];
static int ncache;

void vki_symbolize_reset(void)
{
	ncache = 0;
}

static struct sym_entry *cache_find(uintptr_t addr)
{
	for (int i = 0; i < ncache; i++)
		if (cache[i].addr == addr)
			return &cache[i];
	return NULL;
}

/* ------------------------------------------------------------ the tool */

enum tool_kind { TOOL_NONE, TOOL_LLVM, TOOL_ADDR2LINE };

static char tool_path[PATH_MAX];
static enum tool_kind tool_kind;
static bool tool_searched;

static bool in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t dlen = colon ? (size_t)(colon - path) : strlen(path);
		if (dlen && dlen + 1 + strlen(name) < size) {
			memcpy(out, path, dlen);
			out[dlen] = '/';
			strcpy(out + dlen + 1, name);
			if (access(out, X_OK) == 0)
				return true;
		}
		path += dlen + (colon ? 1 : 0);
	}
	return false;
}

static void find_tool(void)
{
	if (tool_searched)
		return;
	tool_searched = true;
	char name[32];
	if (in_path("llvm-symbolizer", tool_path, sizeof(tool_path))) {
		tool_kind = TOOL_LLVM;
		return;
	}
	for (int v = 30; v >= 7; v--) {
		vki_snprintf(name, sizeof(name), "llvm-symbolizer-%d", v);
		if (in_path(name, tool_path, sizeof(tool_path))) {
			tool_kind = TOOL_LLVM;
			return;
		}
	}
	if (in_path("addr2line", tool_path, sizeof(tool_path)))
		tool_kind = TOOL_ADDR2LINE;
}

/* The child gets our environment minus LD_PRELOAD, so a preloaded vkasan
 * does not load itself into the symbolizer. */
static char *child_env[512];

static void build_child_env(void)
{
	int n = 0;
	for (char **e = environ; e && *e && n < (int)(sizeof(child_env) / sizeof(*child_env)) - 1;
	     e++)
		if (strncmp(*e, "LD_PRELOAD=", 11))
			child_env[n++] = *e;
	child_env[n] = NULL;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* A program may run with fd 0, 1 or 2 closed; the child's dup2 onto them
 * must not meet a pipe end already sitting there. */
static int fd_above2(int fd)
{
	if (fd > 2)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static int open_pipe(int p[2])
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

/*
 * Tools are started through a middle process that exits at once, so that
 * the tool is an orphan, the child of init (or of a subreaper), not ours:
 *
 *     program ──clone(VM|VFORK, no signal)──> middle ──clone(VM|VFORK)──> tool
 *        waitpid(middle, __WALL)              _exit(0)                  execve
 *
 * A long-lived child of the program would show in the program's own
 * wait() and waitpid(-1): a program that reaps "all its children" would
 * wait for the symbolizer forever.  The middle process has no exit signal
 * (a "clone" child: invisible to the program's wait(), no SIGCHLD) and we
 * reap it ourselves; the tool is reaped by its new parent.  CLONE_VM |
 * CLONE_VFORK, as posix_spawn does but without its malloc: no copy of our
 * memory, the middle process hands the tool's pid back in spawn_args, and
 * each clone returns once the next process has called execve or exited.
 */
struct spawn_args {
	char *const *argv;
	int in, out; /* become the tool's stdin and stdout */
	pid_t pid;   /* the tool's, from the middle process (0: unknown) */
	int err;     /* why it did not start (0: it did) */
};

static char middle_stack[16 * 1024] __attribute__((aligned(16)));
static char tool_stack[64 * 1024] __attribute__((aligned(16)));

static int tool_child(void *arg)
{
	struct spawn_args *a = arg;
	/* The program's handlers must not run here, on its memory: back to
	 * SIG_DFL (this process has its own copy of the table), then unblock. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++) {
		struct sigaction old;
		if (s != SIGKILL && s != SIGSTOP && !sigaction(s, NULL, &old) &&
		    old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
			sigaction(s, &dfl, NULL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	dup2(a->in, 0);
	dup2(a->out, 1);
	int null = open("/dev/null", O_WRONLY);
	if (null >= 0 && null != 2)
		dup2(null, 2);
	/* Nothing of the program's (a test harness's pipe, say) may stay open
	 * in a process that outlives a report. */
	close_range(3, ~0U, 0);
	execve(a->argv[0], a->argv, child_env);
	a->err = errno ? errno : ENOEXEC;
	_exit(127);
}

static int middle_child(void *arg)
{
	struct spawn_args *a = arg;
	pid_t pid = clone(tool_child, tool_stack + sizeof(tool_stack),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, a);
	if (pid < 0)
		a->err = errno;
	else
		a->pid = pid;
	_exit(0);
}

/* Start argv with pipes on its stdin (*to, ours to write) and stdout
 * (*from, ours to read), both O_CLOEXEC and O_NONBLOCK on our side.
 * Returns false if it could not; *pid is 0 when unknown. */
static bool spawn(char *const argv[], pid_t *pid, int *to, int *from)
{
	int in[2], out[2];
	if (open_pipe(in))
		return false;
	if (open_pipe(out)) {
		close(in[0]);
		close(in[1]);
		return false;
	}
	build_child_env();
	struct spawn_args a = { argv, in[0], out[1], 0, 0 };
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pid_t middle = clone(middle_child, middle_stack + sizeof(middle_stack),
			     CLONE_VM | CLONE_VFORK, &a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(in[0]);
	close(out[1]);
	if (middle > 0) {
		int status;
		while (waitpid(middle, &status, __WALL) < 0 && errno == EINTR)
			;
	}
	if (middle < 0 || a.err) {
		close(in[1]);
		close(out[0]);
		return false;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*pid = a.pid;
	*to = in[1];
	*from = out[0];
	return true;
}

/* A symbolizer that dies early must not kill us with SIGPIPE: block it
 * around our writes, then drop one we caused (not one already pending). */
static sigset_t pipe_set, pipe_old;
static bool pipe_was_pending;

static void sigpipe_block(void)
{
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigset_t pend;
	pipe_was_pending = !sigpending(&pend) && sigismember(&pend, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &pipe_old);
}

static void sigpipe_restore(void)
{
	struct timespec zero = { 0, 0 };
	if (!pipe_was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, &pipe_old, NULL);
}

/*
 * Run argv once with input on its stdin; collect stdout into out (NUL
 * terminated).  Returns the output length, or -1.  Reading and writing are
 * interleaved with poll, so a large answer cannot deadlock a large question;
 * a tool that hangs is killed after 10 seconds.  (addr2line: one run per
 * module and report.)
 */
static int run_tool(char *const argv[], const char *input, size_t inlen, char *out,
		    size_t outsize)
{
	int to, from;
	pid_t pid;
	sigpipe_block();
	if (!spawn(argv, &pid, &to, &from)) {
		sigpipe_restore();
		return -1;
	}
	if (inlen == 0) {
		close(to);
		to = -1;
	}
	size_t olen = 0, ioff = 0;
	long deadline = now_ms() + 10000;
	for (;;) {
		struct pollfd p[2] = { { from, POLLIN, 0 }, { to, POLLOUT, 0 } };
		long left = deadline - now_ms();
		if (left <= 0) {
			if (pid > 0) /* still alive: its output is open */
				kill(pid, SIGKILL);
			break;
		}
		int r = poll(p, to >= 0 ? 2 : 1, (int)left);
		if (r <= 0)
			continue;
		if (to >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(to, input + ioff, inlen - ioff);
			if (w > 0)
				ioff += (size_t)w;
			if (w < 0 && errno != EINTR && errno != EAGAIN)
				ioff = inlen;
			if (ioff >= inlen) {
				close(to);
				to = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char sink[512];
			char *dst = olen + 1 < outsize ? out + olen : sink;
			size_t room = olen + 1 < outsize ? outsize - 1 - olen : sizeof(sink);
			ssize_t rd = read(from, dst, room);
			if (rd < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (rd <= 0)
				break;
			if (dst != sink)
				olen += (size_t)rd;
		}
	}
	if (to >= 0)
		close(to);
	close(from);
	sigpipe_restore();
	out[olen] = 0;
	return (int)olen;
}

/* Next line of s (modified in place); NULL at the end. */
static char *next_line(char **s)
{
	if (!*s || !**s)
		return NULL;
	char *l = *s, *nl = strchr(l, '\n');
	if (nl) {
		*nl = 0;
		*s = nl + 1;
	} else {
		*s = l + strlen(l);
	}
	return l;
}

/* Store "file:line" from the tool's "file:line[:col]" or "file:line
 * (discriminator n)"; unknown locations ("??:0") leave it empty. */
static void set_where(struct sym_entry *e, const char *loc)
{
	e->where[0] = 0;
	if (!loc || !strncmp(loc, "??", 2))
		return;
	vki_snprintf(e->where, sizeof(e->where), "%s", loc);
	char *sp = strchr(e->where, ' ');
	if (sp)
		*sp = 0;
	/* keep file:line, drop :column */
	char *last = strrchr(e->where, ':');
	if (last && last != e->where) {
		char *prev = last - 1;
		while (prev > e->where && *prev >= '0' && *prev <= '9')
			prev--;
		if (*prev == ':' && prev != last - 1)
			*last = 0;
	}
	size_t n = strlen(e->where);
	if (n >= 2 && !strcmp(e->where + n - 2, ":0"))
		e->where[0] = 0;
}

static void set_func(struct sym_entry *e, const char *f)
{
	e->func[0] = 0;
	if (f && strcmp(f, "??"))
		vki_snprintf(e->func, sizeof(e->func), "%s", f);
}


static char tool_in[32768];
static char tool_out[65536];
static char *tool_argv[72];
static char arg_bufs[64][24];

/* ------------------------------------------------------------ the server */

/*
 * llvm-symbolizer runs once per process, not once per report: starting it
 * and loading the debug info is ~50-150 ms, answering a batch well under a
 * millisecond, and a program run with halt_on_error=0 may print hundreds of
 * reports.  It is started at the first report that needs it and stays
 * until the process exits, which closes our pipe ends: it reads EOF and
 * exits (nothing at exit waits for it).
 *
 *     report ──"CODE "module" 0xoff\n" x n──> llvm-symbolizer
 *            <──(function, location)+ "\n" x n──
 *
 * Each query gets one record: a (function, location) line pair per inlined
 * frame, innermost first, then an empty line.  A batch is done when n
 * records are in.  A child that has not answered a batch within the
 * timeout (10 s), closes its output or says more than it was asked is
 * killed and reaped; the report goes on with what it has (the ELF symbol
 * table's names), and the next report starts a new child, until
 * SRV_MAX_FAILURES children have failed.
 *
 * Things a program can do to the server under our feet:
 *   - fork(): the child process inherits the server's pid and our pipe
 *     ends, but the symbolizer is its parent's.  The first report in the
 *     child closes its copies (the parent's server never notices) and
 *     starts its own.
 *   - close or dup2 over our descriptors: each batch first checks that both
 *     still are the pipes we made (inode numbers), else forgets them
 *     without touching whatever sits on those numbers now.
 *   - wait for all its children: it cannot see ours (spawn() above).
 */
#define SRV_MAX_FAILURES 3

static struct {
	bool up;               /* running, as far as we know */
	pid_t pid;             /* its pid; 0: unknown */
	pid_t owner;           /* the process that started it */
	int to, from;          /* our ends of its stdin, stdout */
	ino_t to_ino, from_ino; /* the pipes' inodes, to recognise them */
	unsigned spawns;       /* children started, ever (tests read it) */
	unsigned failures;     /* children given up on */
	int timeout_ms;        /* for a whole batch */
} srv = { .timeout_ms = 10000 };

static ino_t fd_ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) ? st.st_ino : 0;
}

/*
 * Forget the server, closing what is still ours of its pipes: on EOF it
 * exits.  kill_it when it is alive but of no use (hung, out of step).  It
 * is not our child: once dead, init reaps it and its pid may be reused, so
 * it is killed only right after it was seen alive.
 */
static void srv_drop(bool kill_it)
{
	if (fd_ino(srv.to) == srv.to_ino)
		close(srv.to);
	if (fd_ino(srv.from) == srv.from_ino)
		close(srv.from);
	if (kill_it && srv.pid > 0)
		kill(srv.pid, SIGKILL);
	srv.up = false;
	srv.pid = 0;
}

/* Make sure the running server, if any, is ours and reachable. */
static void srv_check(void)
{
	if (!srv.up)
		return;
	if (srv.owner != getpid() || /* forked: the parent's, leave it be */
	    fd_ino(srv.to) != srv.to_ino || fd_ino(srv.from) != srv.from_ino)
		srv_drop(false);
}

static bool srv_start(void)
{
	if (srv.failures >= SRV_MAX_FAILURES)
		return false;
	static char *argv[] = { tool_path, "--functions=linkage", "--no-demangle", "--inlines",
				NULL };
	int to, from;
	pid_t pid;
	if (!spawn(argv, &pid, &to, &from)) {
		srv.failures++;
		return false;
	}
	srv.up = true;
	srv.pid = pid;
	srv.owner = getpid();
	srv.to = to;
	srv.from = from;
	srv.to_ino = fd_ino(to);
	srv.from_ino = fd_ino(from);
	srv.spawns++;
	return true;
}

/* One line of the answer, then the record it belongs to. */
static char srv_line[PATH_MAX + 256];
static size_t srv_line_len;
static int order[CACHE_SIZE]; /* cache index of the k-th query */

struct srv_state {
	int nasked, records; /* records complete so far */
	int pairs_line;      /* lines of the current record so far */
};

/* Feed one complete line; false when the answer cannot be ours. */
static bool srv_feed_line(struct srv_state *st, char *l)
{
	if (st->records >= st->nasked)
		return false; /* more than we asked for: out of step */
	if (!*l) {
		st->records++;
		st->pairs_line = 0;
		return true;
	}
	struct sym_entry *e = &cache[order[st->records]];
	if (st->pairs_line == 0)
		set_func(e, l);
	else if (st->pairs_line == 1)
		set_where(e, l);
	/* later lines: outer inlined frames, not printed */
	st->pairs_line++;
	return true;
}

/* Ask the running server tool_in[0..len); false if it failed (and is
 * gone).  *records: how many answers came in. */
static bool srv_exchange(size_t len, int nasked, int *records)
{
	struct srv_state st = { nasked, 0, 0 };
	size_t off = 0;
	bool ok = false, dead = false;
	srv_line_len = 0;
	sigpipe_block();
	long deadline = now_ms() + srv.timeout_ms;
	while (st.records < nasked) {
		struct pollfd p[2] = { { srv.from, POLLIN, 0 }, { srv.to, POLLOUT, 0 } };
		long left = deadline - now_ms();
		if (left <= 0)
			goto out;
		int r = poll(p, off < len ? 2 : 1, (int)left);
		if (r < 0 && errno != EINTR)
			goto out;
		if (r <= 0)
			continue;
		if (off < len && p[1].revents) {
			ssize_t w = write(srv.to, tool_in + off, len - off);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EINTR && errno != EAGAIN) {
				dead = errno == EPIPE; /* it is gone */
				goto out;
			}
		}
		if (!p[0].revents)
			continue;
		ssize_t rd = read(srv.from, tool_out, sizeof(tool_out));
		if (rd < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (rd <= 0) {
			dead = true; /* it closed its output: gone */
			goto out;
		}
		for (ssize_t i = 0; i < rd; i++) {
			if (tool_out[i] != '\n') {
				if (srv_line_len + 1 < sizeof(srv_line)) /* a longer line is cut */
					srv_line[srv_line_len++] = tool_out[i];
				continue;
			}
			srv_line[srv_line_len] = 0;
			srv_line_len = 0;
			if (!srv_feed_line(&st, srv_line))
				goto out;
		}
		/* Anything after the last record: out of step for next time. */
		if (st.records == nasked && srv_line_len)
			goto out;
	}
	ok = true;
out:
	sigpipe_restore();
	*records = st.records;
	if (!ok) {
		if (st.records < nasked) { /* half an answer is no answer */
			set_func(&cache[order[st.records]], NULL);
			set_where(&cache[order[st.records]], NULL);
		}
		srv_drop(!dead);
		srv.failures++;
	}
	return ok;
}

/* llvm-symbolizer: all the frames of a report in one exchange with the
 * server, "CODE "module" 0xoff" lines in; per address, one (function,
 * location) pair per inlined frame, innermost first, then an empty line. */
static void batch_llvm(int first, int n)
{
	size_t len = 0;
	int nasked = 0;
	for (int i = first; i < first + n; i++) {
		struct module m;
		if (!find_module(cache[i].addr, &m) || !m.path)
			continue;
		if (strpbrk(m.path, "\"\n")) /* cannot be quoted: would put us out of step */
			continue;
		int w = vki_snprintf(tool_in + len, sizeof(tool_in) - len, "CODE \"%s\" 0x%lx\n",
				     m.path, (unsigned long)(cache[i].addr - m.bias));
		if ((size_t)w >= sizeof(tool_in) - len)
			break;
		len += (size_t)w;
		order[nasked++] = i;
	}
	if (!nasked)
		return;
	srv_check();
	/* A server that died since the last report fails at once, having
	 * answered nothing: then one new one gets the same batch. */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = !srv.up;
		if (fresh && !srv_start())
			return;
		int records;
		if (srv_exchange(len, nasked, &records) || fresh || records)
			return;
	}
}

unsigned vki_symbolizer_spawns(void)
{
	return srv.spawns;
}

int vki_symbolizer_pid(void)
{
	return srv.up && srv.owner == getpid() ? (int)srv.pid : 0;
}

void vki_symbolizer_set_timeout(int ms)
{
	srv.timeout_ms = ms > 0 ? ms : 10000;
}

/* addr2line: one run per module, addresses as arguments, exactly two lines
 * (function, file:line) per address. */
static void batch_addr2line(int first, int n)
{
	static struct module mods[CACHE_SIZE];
	static bool done[CACHE_SIZE];
	for (int i = first; i < first + n; i++)
		done[i] = !find_module(cache[i].addr, &mods[i]) || !mods[i].path;
	for (int i = first; i < first + n; i++) {
		if (done[i])
			continue;
		int idx[64], k = 0, a = 0;
		tool_argv[a++] = tool_path;
		tool_argv[a++] = "-f";
		tool_argv[a++] = "-e";
		tool_argv[a++] = (char *)mods[i].path;
		for (int j = i; j < first + n && k < 64; j++) {
			if (done[j] || strcmp(mods[j].path, mods[i].path))
				continue;
			vki_snprintf(arg_bufs[k], sizeof(arg_bufs[k]), "0x%lx",
				     (unsigned long)(cache[j].addr - mods[j].bias));
			tool_argv[a++] = arg_bufs[k];
			idx[k++] = j;
			done[j] = true;
		}
		tool_argv[a] = NULL;
		int r = run_tool(tool_argv, "", 0, tool_out, sizeof(tool_out));
		char *s = r > 0 ? tool_out : NULL;
		for (int j = 0; j < k; j++) {
			char *fn = next_line(&s), *loc = next_line(&s);
			set_func(&cache[idx[j]], fn);
			set_where(&cache[idx[j]], loc);
		}
	}
}

static uintptr_t lookup_addr(uintptr_t pc, bool exact)
{
	/* A return address may point past a call at the very end of a function
	 * (noreturn callee): look up the call instruction instead. */
	return exact ? pc : pc - 1;
}

/*
 * Symbolize the frames of one report in one go.  frames[0] is an exact pc
 * when first_exact (a faulting instruction), every other frame a return
 * address.  Results stay cached until vki_symbolize_reset.
 */
void vki_symbolize_batch(const uintptr_t *frames, int n, bool first_exact)
{
	int saved_errno = errno; /* the program may go on (halt_on_error=0) */
	int first = ncache;
	for (int i = 0; i < n && ncache < CACHE_SIZE; i++) {
		uintptr_t a = lookup_addr(frames[i], first_exact && i == 0);
		if (cache_find(a))
			continue;
		cache[ncache].addr = a;
		cache[ncache].where[0] = 0;
		cache[ncache].func[0] = 0;
		ncache++;
	}
	if (ncache == first || !vki_opt.symbolize)
		return;
	find_tool();
	if (tool_kind == TOOL_LLVM)
		batch_llvm(first, ncache - first);
	else if (tool_kind == TOOL_ADDR2LINE)
		batch_addr2line(first, ncache - first);
	errno = saved_errno;
}

/*
 * "function+0xoff/0xsize" for pc, from the symbol table; else the tool's
 * function name; else "0xpc [module+0xoff]" or "0xpc".  Returns true when a
 * function name was found.
 */
bool vki_symbolize_function(uintptr_t pc, bool exact, char *buf, size_t size)
{
	uintptr_t a = lookup_addr(pc, exact);
	struct module m;
	bool have_mod = find_module(a, &m);
	if (have_mod && m.path) {
		struct elf_file *e = elf_get(m.path);
		const char *name;
		uintptr_t start;
		size_t fsize;
		if (e && elf_lookup(e, a - m.bias, &name, &start, &fsize)) {
			vki_snprintf(buf, size, "%s+0x%lx/0x%lx", name,
				     (unsigned long)(pc - m.bias - start), (unsigned long)fsize);
			return true;
		}
	}
	struct sym_entry *c = cache_find(a);
	if (c && c->func[0]) {
		vki_snprintf(buf, size, "%s", c->func);
		return true;
	}
	if (have_mod)
		vki_snprintf(buf, size, "0x%lx [%s+0x%lx]", (unsigned long)pc, m.name,
			     (unsigned long)(pc - m.bias));
	else
		vki_snprintf(buf, size, "0x%lx", (unsigned long)pc);
	return false;
}

void vki_print_frames_ex(const uintptr_t *frames, int n, bool first_exact)
{
	vki_symbolize_batch(frames, n, first_exact);
	for (int i = 0; i < n; i++) {
		bool exact = first_exact && i == 0;
		char fn[FUNC_LEN + 64];
		vki_symbolize_function(frames[i], exact, fn, sizeof(fn));
		struct sym_entry *c = cache_find(lookup_addr(frames[i], exact));
		if (c && c->where[0])
			vki_report_printf(" %s %s\n", fn, c->where);
		else
			vki_report_printf(" %s\n", fn);
	}
}

void vki_print_frames(const uintptr_t *frames, int n)
{
	vki_print_frames_ex(frames, n, false);
}
