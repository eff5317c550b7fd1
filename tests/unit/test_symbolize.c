/*
 * test_symbolize.c - the llvm-symbolizer kept across reports: one child for
 * many reports, a new one in a forked process (the parent's left alone),
 * one in place of a child that died or whose pipes the program closed, and
 * reports that still print, without file:line and without hanging, when
 * the symbolizer hangs, dies or talks nonsense.  The reports go to a log
 * file; the tests read what they add.
 *
 * Without llvm-symbolizer in PATH (addr2line or nothing) the tests that
 * need it pass vacuously.  The fake symbolizers run in a fresh exec of this
 * binary (the tool is looked up once per process).
 */
#include "vt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static void log_to_file(void)
{
	vt_log_to("symbolize", "1");
}

__attribute__((constructor(103))) static void setup_log(void)
{
	log_to_file();
}

static int count(const char *text, const char *what)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static __attribute__((noinline)) void bad_reader(char *p, size_t off)
{
	__asan_load1_noabort((uintptr_t)p + off);
	__asm__ volatile("" ::: "memory");
}

/* n reports; the text they added to the log. */
static char *reports(int n)
{
	char *p = vk_vmalloc(10);
	off_t from = vt_log_size();
	for (int i = 0; i < n; i++)
		EXPECT_REPORT(bad_reader(p, 10));
	vk_vfree(p);
	return vt_log_since(from);
}

/* Lines starting with prefix that contain what. */
static int count_lines(const char *text, const char *prefix, const char *what)
{
	int n = 0;
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		const char *hit = strstr(l, what);
		if (!strncmp(l, prefix, strlen(prefix)) && hit && hit < l + len)
			n++;
		l += len + (end ? 1 : 0);
	}
	return n;
}

/* Call trace lines of bad_reader with file:line, one per report. */
static int symbolized_frames(const char *t)
{
	return count_lines(t, " bad_reader+0x", "test_symbolize.c:");
}

static bool symbolized(const char *t)
{
	return symbolized_frames(t) > 0 &&
	       symbolized_frames(t) == count(t, "BUG: KASAN: vmalloc-out-of-bounds");
}

static bool have_llvm_symbolizer(void)
{
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char f[4200];
		snprintf(f, sizeof(f), "%s/llvm-symbolizer", d);
		if (access(f, X_OK) == 0)
			return true;
		for (int v = 7; v <= 30; v++) {
			snprintf(f, sizeof(f), "%s/llvm-symbolizer-%d", d, v);
			if (access(f, X_OK) == 0)
				return true;
		}
	}
	return false;
}

/* The process is gone (or a zombie, left to its parent, init): the
 * symbolizer is not our child, so we cannot wait for it. */
static bool gone(int pid)
{
	for (int i = 0; i < 300; i++) {
		char path[64], stat[256] = "";
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			return true;
		ssize_t n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		stat[n > 0 ? n : 0] = 0;
		const char *paren = strrchr(stat, ')');
		if (paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'))
			return true;
		usleep(10000);
	}
	return false;
}

/* ------------------------------------------------------------ reuse */

TEST(one_symbolizer_for_many_reports)
{
	if (!have_llvm_symbolizer())
		return;
	unsigned s0 = vki_symbolizer_spawns();
	char *t = reports(20);
	EXPECT_EQ(count(t, "BUG: KASAN: vmalloc-out-of-bounds in bad_reader+0x"), 20);
	EXPECT_EQ(count(t, " bad_reader+0x"), 2 * 20); /* title and call trace */
	EXPECT_EQ(symbolized_frames(t), 20);
	EXPECT(vki_symbolizer_spawns() <= s0 + 1);
	EXPECT(vki_symbolizer_spawns() >= 1);
	EXPECT(vki_symbolizer_pid() > 0);
	unsigned s1 = vki_symbolizer_spawns();
	t = reports(5);
	EXPECT_EQ(symbolized_frames(t), 5);
	EXPECT_EQ(vki_symbolizer_spawns(), s1);
}

/* The program's own wait() must not see (or wait for) the symbolizer. */
TEST(symbolizer_invisible_to_wait)
{
	if (!have_llvm_symbolizer())
		return;
	reports(1);
	EXPECT(vki_symbolizer_pid() > 0);
	int st;
	errno = 0;
	EXPECT_EQ(waitpid(-1, &st, WNOHANG), -1);
	EXPECT_EQ(errno, ECHILD);
}

TEST(forked_child_starts_its_own)
{
	if (!have_llvm_symbolizer())
		return;
	reports(1);
	int ppid_sym = vki_symbolizer_pid();
	unsigned s0 = vki_symbolizer_spawns();
	EXPECT(ppid_sym > 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		log_to_file(); /* this process's own log */
		int bad = vki_symbolizer_pid() != 0; /* not ours */
		bad |= !symbolized(reports(3));
		bad |= vki_symbolizer_spawns() != s0 + 1;
		bad |= vki_symbolizer_pid() == ppid_sym || vki_symbolizer_pid() <= 0;
		bad |= kill(ppid_sym, 0) != 0; /* the parent's lives on */
		unlink(vt_log_file);
		_exit(bad);
	}
	int st = -1;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the parent's symbolizer still answers */
	EXPECT(symbolized(reports(2)));
	EXPECT_EQ(vki_symbolizer_pid(), ppid_sym);
	EXPECT_EQ(vki_symbolizer_spawns(), s0);
}

TEST(dead_symbolizer_is_replaced)
{
	if (!have_llvm_symbolizer())
		return;
	reports(1);
	int old = vki_symbolizer_pid();
	unsigned s0 = vki_symbolizer_spawns();
	EXPECT(old > 0);
	kill(old, SIGKILL);
	EXPECT(gone(old));
	/* the same report gets its answers from the new one */
	EXPECT(symbolized(reports(1)));
	EXPECT_EQ(vki_symbolizer_spawns(), s0 + 1);
	EXPECT(vki_symbolizer_pid() > 0 && vki_symbolizer_pid() != old);
}

/* The program closes or reuses our descriptors: we must not write into
 * what now sits there. */
TEST(program_closes_the_pipes)
{
	if (!have_llvm_symbolizer())
		return;
	reports(1);
	int old = vki_symbolizer_pid();
	unsigned s0 = vki_symbolizer_spawns();
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "/tmp/vkasan-test-symbolize-fd-%d", (int)getpid());
	int file = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	EXPECT(file >= 0);
	/* our ends of the pipes on the symbolizer's stdin and stdout: the
	 * descriptors whose link names are the same "pipe:[inode]" */
	char want[2][64];
	for (int i = 0; i < 2; i++) {
		char link[64];
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", old, i);
		ssize_t n = readlink(link, want[i], sizeof(want[i]) - 1);
		want[i][n > 0 ? n : 0] = 0;
	}
	int replaced = 0;
	for (int fd = 3; fd < 1024; fd++) {
		char link[64], name[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, name, sizeof(name) - 1);
		if (n <= 0 || fd == file)
			continue;
		name[n] = 0;
		if (!strncmp(name, "pipe:", 5) && (!strcmp(name, want[0]) || !strcmp(name, want[1]))) {
			dup2(file, fd);
			replaced++;
		}
	}
	EXPECT_EQ(replaced, 2);
	EXPECT(symbolized(reports(2)));
	EXPECT_EQ(vki_symbolizer_spawns(), s0 + 1);
	EXPECT(vki_symbolizer_pid() > 0 && vki_symbolizer_pid() != old);
	EXPECT(gone(old)); /* the pipe we kept closed: EOF */
	struct stat st;
	EXPECT(fstat(file, &st) == 0 && st.st_size == 0); /* nothing written there */
	close(file);
	unlink(tmp);
}

/* ------------------------------------------------------------ bad symbolizers */

/* Run this binary again with PATH holding only a fake llvm-symbolizer
 * (a shell script body); its output, with reports, into out. */
static int run_fake(const char *script, char *out, size_t outsz, double *secs)
{
	char dir[64], tool[96];
	snprintf(dir, sizeof(dir), "/tmp/vkasan-test-fakesym-%d", (int)getpid());
	snprintf(tool, sizeof(tool), "%s/llvm-symbolizer", dir);
	mkdir(dir, 0700);
	FILE *f = fopen(tool, "w");
	if (!f)
		return -1;
	fprintf(f, "#!/bin/sh\n%s\n", script);
	fclose(f);
	chmod(tool, 0700);
	int fd[2];
	if (pipe(fd))
		return -1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		setenv("PATH", dir, 1);
		setenv("VT_FAKE_SYMBOLIZER", "1", 1);
		execl("/proc/self/exe", "test_symbolize", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	size_t len = 0;
	ssize_t r;
	char tmp[4096];
	while ((r = read(fd[0], tmp, sizeof(tmp))) > 0)
		for (ssize_t i = 0; i < r && len + 1 < outsz; i++)
			out[len++] = tmp[i];
	out[len] = 0;
	close(fd[0]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	int st = -1;
	waitpid(pid, &st, 0);
	unlink(tool);
	rmdir(dir);
	return st;
}

/* The fake's side: 5 reports on stderr with a short timeout, then the
 * counters. */
static int fake_main(void)
{
	vk_set_option("log_path", "stderr");
	vk_set_option("halt_on_error", "0");
	vk_set_option("symbolize", "1");
	vki_symbolizer_set_timeout(300);
	char *p = vk_vmalloc(10);
	for (int i = 0; i < 5; i++)
		bad_reader(p, 10);
	vk_vfree(p);
	fprintf(stderr, "spawns=%u pid=%d reports=%lu\n", vki_symbolizer_spawns(),
		vki_symbolizer_pid(), vki_report_count());
	return 0;
}

static void expect_unsymbolized(const char *script, double max_secs)
{
	static char out[1 << 20];
	double secs = 0;
	int st = run_fake(script, out, sizeof(out), &secs);
	EXPECT(st == 0);
	EXPECT_EQ(count(out, "BUG: KASAN: vmalloc-out-of-bounds in bad_reader+0x"), 5);
	EXPECT_EQ(count(out, "\n bad_reader+0x"), 5); /* from the symbol table */
	EXPECT_EQ(count(out, "test_symbolize.c:"), 0);
	EXPECT_EQ(count(out, "CODE"), 0);
	EXPECT(strstr(out, "spawns=3 pid=0 reports=5\n") != NULL); /* gave up after 3 */
	EXPECT(secs < max_secs);
	if (vt_failed_now)
		fprintf(stderr, "  fake '%s': status %#x, %.1f s, output:\n%.2000s\n", script, st,
			secs, out);
}

TEST(hung_symbolizer_is_killed)
{
	expect_unsymbolized("exec /bin/sleep 1000", 5);
}

TEST(dying_symbolizer_is_given_up)
{
	expect_unsymbolized("exit 0", 5);
}

TEST(symbolizer_talking_nonsense)
{
	expect_unsymbolized("exec /bin/cat", 5); /* echoes: never an empty line */
}

int main(int argc, char **argv)
{
	if (getenv("VT_FAKE_SYMBOLIZER"))
		return fake_main();
	return vt_main(argc, argv, __FILE__);
}
