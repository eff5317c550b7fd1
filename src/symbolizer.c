/*
 * symbolizer.c - asking an external symbolizer process for function names
 * and file:line.
 *
 * symbolize.c knows the modules and the ELF symbol tables; this file knows
 * the tools: it finds llvm-symbolizer (else addr2line) in $PATH, starts it
 * without malloc through a middle process, talks to it over pipes, and
 * parses its answers into the caller's buffers (vki_symbolizer_query).
 *
 *   - llvm-symbolizer: one process kept for all reports (the "server"
 *     below) and asked once for all the queries of a call.
 *   - addr2line: run once per module and call.
 *
 * Like the rest of the report path: no malloc, bounded static storage, and
 * a tool that is missing, hangs or talks nonsense costs at most a timeout,
 * never the report.  The plain system calls (pipes, poll, read, write,
 * kill, waitpid, the clock) go through os.c.  The clone dance stays here:
 * the clone calls, and what the children do (signal reset, dup2, execve),
 * because they share our memory and must not touch TLS or locks (see
 * spawn()); so do the signal masks around it and around our writes
 * (SIGPIPE), which belong with it.
 */
#include "vk_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

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
		const char *colon = vki_strchr(path, ':');
		size_t dlen = colon ? (size_t)(colon - path) : vki_strlen(path);
		if (dlen && dlen + 1 + vki_strlen(name) < size) {
			memcpy(out, path, dlen);
			out[dlen] = '/';
			vki_strcpy(out + dlen + 1, name);
			if (vki_os_executable(out))
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
		if (vki_strncmp(*e, "LD_PRELOAD=", 11))
			child_env[n++] = *e;
	child_env[n] = NULL;
}

/* ------------------------------------------------------------ spawning */

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
 *
 * The two children run on our memory with our thread's TLS pointer: they
 * make raw libc calls only, nothing that takes a lock or keeps state (which
 * is why they do not go through os.c).
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
	if (vki_os_pipe(in))
		return false;
	if (vki_os_pipe(out)) {
		vki_os_close(in[0]);
		vki_os_close(in[1]);
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
	vki_os_close(in[0]);
	vki_os_close(out[1]);
	if (middle > 0)
		vki_os_reap_clone(middle);
	if (middle < 0 || a.err) {
		vki_os_close(in[1]);
		vki_os_close(out[0]);
		return false;
	}
	vki_os_set_nonblock(in[1]);
	vki_os_set_nonblock(out[0]);
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
 * module and call.)
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
		vki_os_close(to);
		to = -1;
	}
	size_t olen = 0, ioff = 0;
	long deadline = vki_os_now_ms() + 10000;
	for (;;) {
		struct pollfd p[2] = { { from, POLLIN, 0 }, { to, POLLOUT, 0 } };
		long left = deadline - vki_os_now_ms();
		if (left <= 0) {
			if (pid > 0) /* still alive: its output is open */
				vki_os_kill(pid, SIGKILL);
			break;
		}
		int r = vki_os_poll(p, to >= 0 ? 2 : 1, (int)left);
		if (r <= 0)
			continue;
		if (to >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			long w = vki_os_write_once(to, input + ioff, inlen - ioff);
			if (w > 0)
				ioff += (size_t)w;
			if (w < 0 && errno != EINTR && errno != EAGAIN)
				ioff = inlen;
			if (ioff >= inlen) {
				vki_os_close(to);
				to = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char sink[512];
			char *dst = olen + 1 < outsize ? out + olen : sink;
			size_t room = olen + 1 < outsize ? outsize - 1 - olen : sizeof(sink);
			long rd = vki_os_read_once(from, dst, room);
			if (rd < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (rd <= 0)
				break;
			if (dst != sink)
				olen += (size_t)rd;
		}
	}
	if (to >= 0)
		vki_os_close(to);
	vki_os_close(from);
	sigpipe_restore();
	out[olen] = 0;
	return (int)olen;
}

/* ------------------------------------------------------------ answers */

/* Next line of s (modified in place); NULL at the end. */
static char *next_line(char **s)
{
	if (!*s || !**s)
		return NULL;
	char *l = *s, *nl = vki_strchr(l, '\n');
	if (nl) {
		*nl = 0;
		*s = nl + 1;
	} else {
		*s = l + vki_strlen(l);
	}
	return l;
}

/* Store "file:line" from the tool's "file:line[:col]" or "file:line
 * (discriminator n)"; unknown locations ("??:0") leave it empty. */
static void set_where(struct vki_sym_query *q, const char *loc)
{
	char *where = q->where;
	where[0] = 0;
	if (!loc || !vki_strncmp(loc, "??", 2))
		return;
	vki_snprintf(where, q->where_size, "%s", loc);
	char *sp = vki_strchr(where, ' ');
	if (sp)
		*sp = 0;
	/* keep file:line, drop :column */
	char *last = vki_strrchr(where, ':');
	if (last && last != where) {
		char *prev = last - 1;
		while (prev > where && *prev >= '0' && *prev <= '9')
			prev--;
		if (*prev == ':' && prev != last - 1)
			*last = 0;
	}
	size_t n = vki_strlen(where);
	if (n >= 2 && !vki_strcmp(where + n - 2, ":0"))
		where[0] = 0;
}

static void set_func(struct vki_sym_query *q, const char *f)
{
	q->func[0] = 0;
	if (f && vki_strcmp(f, "??"))
		vki_snprintf(q->func, q->func_size, "%s", f);
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
	bool up;                        /* running, as far as we know */
	pid_t pid;                      /* its pid; 0: unknown */
	pid_t owner;                    /* the process that started it */
	int to, from;                   /* our ends of its stdin, stdout */
	unsigned long to_ino, from_ino; /* the pipes' inodes, to recognise them */
	unsigned spawns;                /* children started, ever (tests read it) */
	unsigned failures;              /* children given up on */
	int timeout_ms;                 /* for a whole batch */
} srv = { .timeout_ms = 10000 };

/*
 * Forget the server, closing what is still ours of its pipes: on EOF it
 * exits.  kill_it when it is alive but of no use (hung, out of step).  It
 * is not our child: once dead, init reaps it and its pid may be reused, so
 * it is killed only right after it was seen alive.
 */
static void srv_drop(bool kill_it)
{
	if (vki_os_fifo_ino(srv.to) == srv.to_ino)
		vki_os_close(srv.to);
	if (vki_os_fifo_ino(srv.from) == srv.from_ino)
		vki_os_close(srv.from);
	if (kill_it && srv.pid > 0)
		vki_os_kill(srv.pid, SIGKILL);
	srv.up = false;
	srv.pid = 0;
}

/* Make sure the running server, if any, is ours and reachable. */
static void srv_check(void)
{
	if (!srv.up)
		return;
	if (srv.owner != vki_os_getpid() || /* forked: the parent's, leave it be */
	    vki_os_fifo_ino(srv.to) != srv.to_ino || vki_os_fifo_ino(srv.from) != srv.from_ino)
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
	srv.owner = vki_os_getpid();
	srv.to = to;
	srv.from = from;
	srv.to_ino = vki_os_fifo_ino(to);
	srv.from_ino = vki_os_fifo_ino(from);
	srv.spawns++;
	return true;
}

/* One line of the answer, then the record it belongs to. */
static char srv_line[PATH_MAX + 256];
static size_t srv_line_len;
static struct vki_sym_query *order[VKI_SYMBOLIZER_MAX]; /* the k-th query asked */

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
	struct vki_sym_query *q = order[st->records];
	if (st->pairs_line == 0)
		set_func(q, l);
	else if (st->pairs_line == 1)
		set_where(q, l);
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
	long deadline = vki_os_now_ms() + srv.timeout_ms;
	while (st.records < nasked) {
		struct pollfd p[2] = { { srv.from, POLLIN, 0 }, { srv.to, POLLOUT, 0 } };
		long left = deadline - vki_os_now_ms();
		if (left <= 0)
			goto out;
		int r = vki_os_poll(p, off < len ? 2 : 1, (int)left);
		if (r < 0 && errno != EINTR)
			goto out;
		if (r <= 0)
			continue;
		if (off < len && p[1].revents) {
			long w = vki_os_write_once(srv.to, tool_in + off, len - off);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EINTR && errno != EAGAIN) {
				dead = errno == EPIPE; /* it is gone */
				goto out;
			}
		}
		if (!p[0].revents)
			continue;
		long rd = vki_os_read_once(srv.from, tool_out, sizeof(tool_out));
		if (rd < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (rd <= 0) {
			dead = true; /* it closed its output: gone */
			goto out;
		}
		for (long i = 0; i < rd; i++) {
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
			set_func(order[st.records], NULL);
			set_where(order[st.records], NULL);
		}
		srv_drop(!dead);
		srv.failures++;
	}
	return ok;
}

/* llvm-symbolizer: all the queries in one exchange with the server,
 * "CODE "module" 0xoff" lines in; per query, one (function, location) pair
 * per inlined frame, innermost first, then an empty line. */
static int batch_llvm(struct vki_sym_query *q, int n)
{
	size_t len = 0;
	int nasked = 0;
	for (int i = 0; i < n && nasked < VKI_SYMBOLIZER_MAX; i++) {
		if (vki_strpbrk(q[i].module, "\"\n")) /* cannot be quoted: would put us out of step */
			continue;
		int w = vki_snprintf(tool_in + len, sizeof(tool_in) - len, "CODE \"%s\" 0x%lx\n",
				     q[i].module, (unsigned long)q[i].offset);
		if ((size_t)w >= sizeof(tool_in) - len)
			break;
		len += (size_t)w;
		order[nasked++] = &q[i];
	}
	if (!nasked)
		return 0;
	srv_check();
	/* A server that died since the last report fails at once, having
	 * answered nothing: then one new one gets the same batch. */
	int records = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = !srv.up;
		if (fresh && !srv_start())
			return records;
		if (srv_exchange(len, nasked, &records) || fresh || records)
			return records;
	}
	return records;
}

unsigned vki_symbolizer_spawns(void)
{
	return srv.spawns;
}

int vki_symbolizer_pid(void)
{
	return srv.up && srv.owner == vki_os_getpid() ? (int)srv.pid : 0;
}

void vki_symbolizer_set_timeout(int ms)
{
	srv.timeout_ms = ms > 0 ? ms : 10000;
}

/* ------------------------------------------------------------ addr2line */

/* One run per module, addresses as arguments, exactly two lines
 * (function, file:line) per address. */
static int batch_addr2line(struct vki_sym_query *q, int n)
{
	static bool done[VKI_SYMBOLIZER_MAX];
	int answered = 0;
	if (n > VKI_SYMBOLIZER_MAX)
		n = VKI_SYMBOLIZER_MAX;
	for (int i = 0; i < n; i++)
		done[i] = false;
	for (int i = 0; i < n; i++) {
		if (done[i])
			continue;
		int idx[64], k = 0, a = 0;
		tool_argv[a++] = tool_path;
		tool_argv[a++] = "-f";
		tool_argv[a++] = "-e";
		tool_argv[a++] = (char *)q[i].module;
		for (int j = i; j < n && k < 64; j++) {
			if (done[j] || vki_strcmp(q[j].module, q[i].module))
				continue;
			vki_snprintf(arg_bufs[k], sizeof(arg_bufs[k]), "0x%lx",
				     (unsigned long)q[j].offset);
			tool_argv[a++] = arg_bufs[k];
			idx[k++] = j;
			done[j] = true;
		}
		tool_argv[a] = NULL;
		int r = run_tool(tool_argv, "", 0, tool_out, sizeof(tool_out));
		char *s = r > 0 ? tool_out : NULL;
		for (int j = 0; j < k; j++) {
			char *fn = next_line(&s), *loc = next_line(&s);
			set_func(&q[idx[j]], fn);
			set_where(&q[idx[j]], loc);
			answered += loc != NULL;
		}
	}
	return answered;
}

/* ------------------------------------------------------------ the interface */

int vki_symbolizer_query(struct vki_sym_query *q, int n)
{
	find_tool();
	if (tool_kind == TOOL_LLVM)
		return batch_llvm(q, n);
	if (tool_kind == TOOL_ADDR2LINE)
		return batch_addr2line(q, n);
	return 0;
}
