/*
 * test_inline.c - the inline mode's runtime, in process and without
 * compiler instrumentation: the full shadow layout (mapped here by calling
 * the preinit entry point from a constructor, as vkasan-inline.o does),
 * the global, alloca, set_shadow and no-return entry points, checks of
 * memory outside the arena, and the fault handler's finishing of shadow
 * reads from released arena shadow, instruction form by instruction form,
 * against the same instruction on real 0xF8 bytes.
 */
#include "vt.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The ABI is declared in vk_internal.h (through vt.h). */

__attribute__((constructor(101))) static void map_full_shadow(void)
{
	vki_fullshadow_init();
}

static char log_prefix[64], log_file[96];

/* Reports go to a log file; the tests read back what they added. */
__attribute__((constructor(103))) static void setup_log(void)
{
	snprintf(log_prefix, sizeof(log_prefix), "/tmp/vkasan-test-inline-%d", (int)getpid());
	snprintf(log_file, sizeof(log_file), "%s.%d", log_prefix, (int)getpid());
	vk_set_option("log_path", log_prefix);
	vk_set_option("symbolize", "0");
}

__attribute__((destructor)) static void remove_log(void)
{
	unlink(log_file);
}

static long log_size(void)
{
	FILE *f = fopen(log_file, "r");
	long n = 0;
	if (f) {
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fclose(f);
	}
	return n;
}

/* The log since offset `from` contains text. */
static bool log_has(long from, const char *text)
{
	static char buf[1 << 16];
	FILE *f = fopen(log_file, "r");
	if (!f)
		return false;
	fseek(f, from, SEEK_SET);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (strstr(buf, text))
		return true;
	fprintf(stderr, "  the report has no '%s'\n", text);
	return false;
}

static uint8_t *sh(const void *p)
{
	return (uint8_t *)vki_mem_to_shadow((uintptr_t)p);
}

static bool shadow_is(const void *p, const uint8_t *want, size_t n)
{
	const uint8_t *s = sh(p);
	for (size_t i = 0; i < n; i++)
		if (s[i] != want[i]) {
			fprintf(stderr, "  shadow[%zu] of %p = %02x, expected %02x\n", i, p, s[i],
				want[i]);
			return false;
		}
	return true;
}

TEST(layout)
{
	EXPECT(vki_fullshadow_on);
	int local;
	EXPECT_EQ(*sh(&local), 0); /* stack: high shadow, zero */
	static int global;
	EXPECT_EQ(*sh(&global), 0);
	EXPECT_EQ(*(volatile uint8_t *)0x7fff8000, 0); /* low shadow */
	/* The gap is mapped (mincore does not say ENOMEM) but inaccessible. */
	unsigned char vec;
	EXPECT_EQ(mincore((void *)0x8fff7000, 4096, &vec), 0);
	uintptr_t lo, hi;
	EXPECT_EQ(vki_os_find_mapping(0x8fff7000, &lo, &hi), 0);
	EXPECT_EQ(lo, 0x8fff7000);
	EXPECT_EQ(hi, 0x02008fff7000);
	/* The arena's own shadow stays dynamic: nothing present at start. */
	EXPECT_EQ(vt_stats().shadow_pages, 0);
}

static char gbuf[96] __attribute__((aligned(32)));

TEST(globals)
{
	struct asan_global g[2] = {
		{ (uintptr_t)gbuf, 13, 32, "first", "test_inline.c", 0, NULL, 0 },
		{ (uintptr_t)gbuf + 32, 40, 64, "second", "test_inline.c", 0, NULL, 0 },
	};
	__asan_register_globals(g, 2);
	static const uint8_t want[12] = { 0, 5, 0xf9, 0xf9, 0, 0, 0, 0, 0, 0xf9, 0xf9, 0xf9 };
	EXPECT(shadow_is(gbuf, want, sizeof(want)));
	__asan_load1_noabort((uintptr_t)gbuf + 12);
	long at = log_size();
	EXPECT_REPORT(__asan_load1_noabort((uintptr_t)gbuf + 13));
	EXPECT(log_has(at, "BUG: KASAN: global-out-of-bounds in "));
	EXPECT(log_has(at, "The buggy address belongs to the variable:\n first+0xd/0xd\n"));
	EXPECT(log_has(at, " 13-byte global variable 'first' "));
	EXPECT_REPORT(__asan_load8_noabort((uintptr_t)gbuf + 72));
	EXPECT_REPORT(__asan_storeN_noabort((uintptr_t)gbuf + 30, 4)); /* ends in 'second' */
	EXPECT_REPORT(__asan_report_load1_noabort((uintptr_t)gbuf + 20));
	__asan_unregister_globals(g, 2);
	static const uint8_t zero[12];
	EXPECT(shadow_is(gbuf, zero, sizeof(zero)));
	__asan_load1_noabort((uintptr_t)gbuf + 13); /* no report: unregistered */
}

TEST(alloca_redzones)
{
	static char frame[256] __attribute__((aligned(32)));
	uintptr_t a = (uintptr_t)frame + 32;
	__asan_alloca_poison(a, 13);
	/* ca x4 | 00 05 | cb up to 32 | cb x4 */
	static const uint8_t want[12] = { 0xca, 0xca, 0xca, 0xca, 0, 5, 0xcb, 0xcb,
					  0xcb, 0xcb, 0xcb, 0xcb };
	EXPECT(shadow_is(frame, want, sizeof(want)));
	EXPECT_EQ(*sh(frame + 96), 0);
	__asan_load1_noabort(a + 12);
	long at = log_size();
	EXPECT_REPORT(__asan_load1_noabort(a + 13));
	EXPECT(log_has(at, "BUG: KASAN: alloca-out-of-bounds in "));
	EXPECT_REPORT(__asan_load1_noabort(a - 1));
	__asan_alloca_poison((uintptr_t)frame + 128, 32); /* exact multiple of 32 */
	static const uint8_t want2[12] = { 0xca, 0xca, 0xca, 0xca, 0, 0, 0, 0, 0xcb, 0xcb, 0xcb, 0xcb };
	EXPECT(shadow_is(frame + 96, want2, sizeof(want2)));
	__asan_allocas_unpoison((uintptr_t)frame, (uintptr_t)frame + sizeof(frame));
	static const uint8_t zero[32];
	EXPECT(shadow_is(frame, zero, sizeof(zero)));
	__asan_allocas_unpoison(0, 100); /* ignored */
}

TEST(set_shadow)
{
	static char buf[64] __attribute__((aligned(8)));
	__asan_set_shadow_f1((uintptr_t)sh(buf), 3);
	static const uint8_t want[4] = { 0xf1, 0xf1, 0xf1, 0 };
	EXPECT(shadow_is(buf, want, 4));
	EXPECT_REPORT(__asan_load1_noabort((uintptr_t)buf + 16));
	__asan_set_shadow_00((uintptr_t)sh(buf), 3);
	static const uint8_t zero[4];
	EXPECT(shadow_is(buf, zero, 4));
}

/* The frames __asan_handle_no_return abandons are above it: a caller's
 * poisoned locals become accessible, the stack below stays as it was. */
__attribute__((noinline)) static void no_return_from_here(void)
{
	__asan_handle_no_return();
	__asm__ volatile("" ::: "memory");
}

static void *no_return_case(void *unused)
{
	char local[64] __attribute__((aligned(8)));
	char *below = local - 64 * 1024; /* inside the stack, below us */
	memset(sh(local), 0xf2, sizeof(local) / 8);
	memset(sh(below), 0xf2, 8);
	no_return_from_here();
	static const uint8_t zero[8], f2[8] = { 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2, 0xf2 };
	bool ok = shadow_is(local, zero, 8) && shadow_is(below, f2, 8);
	memset(sh(below), 0, 8);
	return (void *)(uintptr_t)ok;
}

TEST(no_return)
{
	EXPECT(no_return_case(NULL));
	pthread_t t;
	void *ok = NULL;
	pthread_create(&t, NULL, no_return_case, NULL);
	pthread_join(t, &ok);
	EXPECT(ok); /* a thread: its own stack bounds */
}

/* Outside the arena, checks made by the runtime (memcpy & co.) use the
 * full shadow; clean memory (heap, stack) is never reported. */
TEST(outside_arena)
{
	char *heap = malloc(100);
	char stack[100];
	uint64_t r0 = vki_report_count();
	memcpy(stack, heap, 100);
	memset(heap, 0, 100);
	__asan_load8_noabort((uintptr_t)heap + 92);
	EXPECT_EQ(vki_report_count(), r0);
	static char redzoned[64] __attribute__((aligned(32)));
	struct asan_global g = { (uintptr_t)redzoned, 20, 64, "redzoned", "t.c", 0, NULL, 0 };
	__asan_register_globals(&g, 1);
	/* Through pointers: the compiler would expand small calls inline. */
	void *(*volatile set)(void *, int, size_t) = memset;
	void *(*volatile copy)(void *, const void *, size_t) = memcpy;
	EXPECT_REPORT(set(redzoned, 1, 21));
	EXPECT_REPORT(copy(stack, redzoned + 16, 8));
	set(redzoned, 1, 20);
	__asan_unregister_globals(&g, 1);
	free(heap);
}

/* ------------------------------------------------------------ finishing */

/* A window of the arena whose shadow was released at a purge. */
/* A freed and purged mapping whose shadow window is gone.  The arena's
 * address-space quarantine (vmalloc_quarantine, on by default) still knows
 * the mapping, so an access there is use-after-free of it, not a wild
 * access to free space. */
static uintptr_t released_addr(void)
{
	char *t = vk_vmalloc(64 << 10);
	vk_vfree(t);
	vk_purge();
	uintptr_t a = (uintptr_t)t + 40000;
	if (vki_window_present(a))
		return 0;
	return a;
}

struct regs {
	uint64_t rax, rcx, rsi, r10, flags;
};

#define FLAGS 0x8d5UL /* CF PF AF ZF SF OF */

/* Run one instruction whose memory operand reads byte p (and the bytes
 * after it): r9 and rdx = p - 0x7fff8000 (disp32 forms), r12 = p, r13 = p - 1,
 * r8 = 0x7fff8000 with r11 = p - r8 (SIB, scale 1) or rdi = (p - r8) / 2
 * (scale 2). */
#define INSN(fn, text)                                                                     \
	static struct regs fn(uintptr_t p)                                                 \
	{                                                                                  \
		register uint64_t rax asm("rax") = 0x1122334455667788ULL;                  \
		register uint64_t rcx asm("rcx") = 0x99aabbccddeeff00ULL;                  \
		register uint64_t rsi asm("rsi") = 0x0123456789abcdefULL;                  \
		register uint64_t r10 asm("r10") = 0xfedcba9876543210ULL;                  \
		register uint64_t r9 asm("r9") = p - 0x7fff8000;                           \
		register uint64_t r12 asm("r12") = p;                                      \
		register uint64_t r13 asm("r13") = p - 1;                                  \
		register uint64_t r8 asm("r8") = 0x7fff8000;                               \
		register uint64_t r11 asm("r11") = p - 0x7fff8000;                         \
		register uint64_t rdi asm("rdi") = (p - 0x7fff8000) / 2;                   \
		register uint64_t rdx asm("rdx") = p - 0x7fff8000;                         \
		uint64_t fl;                                                               \
		__asm__ volatile(text "\n\tlea -128(%%rsp), %%rsp\n\tpushfq\n\tpopq %[fl]" \
				 "\n\tlea 128(%%rsp), %%rsp"                               \
				 : "+r"(rax), "+r"(rcx), "+r"(rsi), "+r"(r10), [fl] "=&r"(fl) \
				 : "r"(r9), "r"(r12), "r"(r13), "r"(r8), "r"(r11), "r"(rdi), \
				   "r"(rdx)                                                  \
				 : "memory", "cc");                                        \
		return (struct regs){ rax, rcx, rsi, r10, fl };                            \
	}

INSN(i_movzbl, "movzbl 0x7fff8000(%%r9), %%eax")
INSN(i_movb_al, "movb 0x7fff8000(%%r9), %%al")
INSN(i_movb_ah, "movb 0x7fff8000(%%rdx), %%ah")
INSN(i_movb_sil, "movb 0x7fff8000(%%r9), %%sil")
INSN(i_movb_sil_rex40, "movb 0x7fff8000(%%rdx), %%sil") /* bare REX prefix */
INSN(i_movb_dh, "movb 0x7fff8000(%%rdx), %%ch")
INSN(i_movb_r10b, "movb 0x7fff8000(%%r9), %%r10b")
INSN(i_movsbl, "movsbl 0x7fff8000(%%r9), %%eax")
INSN(i_movsbq, "movsbq 0x7fff8000(%%r9), %%rax")
INSN(i_movsbw, "movsbw 0x7fff8000(%%r9), %%cx")
INSN(i_movzwl, "movzwl 0x7fff8000(%%r9), %%ecx")
INSN(i_movswq, "movswq 0x7fff8000(%%r9), %%r10")
INSN(i_movw, "movw 0x7fff8000(%%r9), %%cx")
INSN(i_movl, "movl 0x7fff8000(%%r9), %%eax")
INSN(i_movq, "movq 0x7fff8000(%%r9), %%r10")
INSN(i_movzbl_r12, "movzbl (%%r12), %%esi")
INSN(i_movzbl_r13, "movzbl 1(%%r13), %%eax")
INSN(i_movzbl_sib, "movzbl (%%r8,%%r11,1), %%eax")
INSN(i_movzbl_sib2, "movzbl (%%r8,%%rdi,2), %%ecx")
INSN(i_cmpb0, "cmpb $0, 0x7fff8000(%%r9)")
INSN(i_cmpb_f8, "cmpb $-8, 0x7fff8000(%%r9)")
INSN(i_cmpb_7f, "cmpb $0x7f, 0x7fff8000(%%r9)")
INSN(i_cmpb_80, "cmpb $0x80, (%%r12)")
INSN(i_cmpb_sib, "cmpb $0, (%%r8,%%r11,1)")
INSN(i_cmpw0, "cmpw $0, 0x7fff8000(%%r9)")
INSN(i_cmpw_imm16, "cmpw $0x1234, (%%r12)")
INSN(i_cmpl_imm32, "cmpl $0x12345, 0x7fff8000(%%r9)")
INSN(i_cmpq0, "cmpq $0, (%%r12)")
INSN(i_cmp_mr, "cmpb %%cl, 0x7fff8000(%%r9)")
INSN(i_cmp_mr_sil, "cmpb %%sil, 0x7fff8000(%%rdx)")
INSN(i_cmp_mr_ch, "cmpb %%ch, 0x7fff8000(%%rdx)")
INSN(i_cmp_rm, "cmpb 0x7fff8000(%%r9), %%al")
INSN(i_cmp_mr32, "cmpl %%esi, (%%r12)")
INSN(i_cmp_rm64, "cmpq (%%r12), %%rcx")
INSN(i_testb_imm, "testb $0x80, 0x7fff8000(%%r9)")
INSN(i_testb_imm0, "testb $0x07, (%%r12)")
INSN(i_testb_r, "testb %%al, 0x7fff8000(%%r9)")
INSN(i_testw_imm, "testw $0x0101, (%%r12)")

static const struct {
	const char *name;
	struct regs (*fn)(uintptr_t);
	bool flags; /* the instruction sets the flags */
} insns[] = {
#define I(fn, flags) { #fn, fn, flags }
	I(i_movzbl, 0),	     I(i_movb_al, 0),	  I(i_movb_ah, 0),    I(i_movb_sil, 0),
	I(i_movb_sil_rex40, 0), I(i_movb_dh, 0),
	I(i_movb_r10b, 0),   I(i_movsbl, 0),	  I(i_movsbq, 0),     I(i_movsbw, 0),
	I(i_movzwl, 0),	     I(i_movswq, 0),	  I(i_movw, 0),	      I(i_movl, 0),
	I(i_movq, 0),	     I(i_movzbl_r12, 0),  I(i_movzbl_r13, 0), I(i_movzbl_sib, 0),
	I(i_movzbl_sib2, 0), I(i_cmpb0, 1),	  I(i_cmpb_f8, 1),    I(i_cmpb_7f, 1),
	I(i_cmpb_80, 1),     I(i_cmpb_sib, 1),	  I(i_cmpw0, 1),      I(i_cmpw_imm16, 1),
	I(i_cmpl_imm32, 1),  I(i_cmpq0, 1),	  I(i_cmp_mr, 1),     I(i_cmp_rm, 1),
	I(i_cmp_mr32, 1),    I(i_cmp_mr_sil, 1),  I(i_cmp_mr_ch, 1),    I(i_cmp_rm64, 1),	  I(i_testb_imm, 1),  I(i_testb_imm0, 1),
	I(i_testb_r, 1),     I(i_testw_imm, 1),
#undef I
};

TEST(finish_shadow_reads)
{
	static uint8_t f8[64] __attribute__((aligned(64)));
	memset(f8, 0xf8, sizeof(f8));
	uintptr_t a = released_addr();
	EXPECT(a != 0);
	if (!a)
		return;
	uintptr_t s = vki_mem_to_shadow(a) & ~15UL; /* even, for the scale-2 form */
	uint64_t r0 = vki_report_count();
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		struct regs want = insns[i].fn((uintptr_t)f8 + 16);
		struct regs got = insns[i].fn(s);
		if (want.rax != got.rax || want.rcx != got.rcx || want.rsi != got.rsi ||
		    want.r10 != got.r10 ||
		    (insns[i].flags && (want.flags & FLAGS) != (got.flags & FLAGS))) {
			fprintf(stderr,
				"  %s: rax %lx/%lx rcx %lx/%lx rsi %lx/%lx r10 %lx/%lx flags %lx/%lx "
				"(real/finished)\n",
				insns[i].name, (unsigned long)want.rax, (unsigned long)got.rax,
				(unsigned long)want.rcx, (unsigned long)got.rcx,
				(unsigned long)want.rsi, (unsigned long)got.rsi,
				(unsigned long)want.r10, (unsigned long)got.r10,
				(unsigned long)(want.flags & FLAGS), (unsigned long)(got.flags & FLAGS));
			vt_failed_now = 1;
		}
	}
	EXPECT_EQ(vki_report_count(), r0);     /* finishing a read reports nothing */
	EXPECT(!vki_window_present(a));        /* and backs nothing */
	unsigned char vec = 1;
	EXPECT_EQ(mincore((void *)(s & ~4095UL), 4096, &vec), 0);
	EXPECT_EQ(vec & 1, 0);
	EXPECT_INVARIANTS();
}

/* The check that follows a finished read reports the exact access. */
TEST(finished_read_then_report)
{
	uintptr_t a = released_addr();
	EXPECT(a != 0);
	if (!a)
		return;
	long at = log_size();
	EXPECT_REPORT({
		uint8_t v = i_movzbl(vki_mem_to_shadow(a)).rax & 0xff;
		if (v)
			__asan_report_load_n_noabort(a, 3);
	});
	char line[96];
	snprintf(line, sizeof(line), "Read of size 3 at addr %p by task", (void *)a);
	EXPECT(log_has(at, "BUG: KASAN: use-after-free in "));
	EXPECT(log_has(at, line));
}

/* A shadow read that is not a form we finish (an SSE load) is a fault
 * report, and halts. */
TEST(unknown_form_faults)
{
	uintptr_t a = released_addr();
	EXPECT(a != 0);
	if (!a)
		return;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 2);
		void *s = (void *)vki_mem_to_shadow(a);
		__asm__ volatile("movdqu (%0), %%xmm0" ::"r"(s) : "xmm0", "memory");
		_exit(42); /* not reached */
	}
	int st = 0;
	waitpid(pid, &st, 0);
	EXPECT(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 1);
	/* The child's report went to its own log file. */
	char child_log[128], want[96], buf[8192] = "";
	snprintf(child_log, sizeof(child_log), "%s.%d", log_prefix, (int)pid);
	snprintf(want, sizeof(want), "Read of unknown size at addr %p", (void *)a);
	FILE *f = fopen(child_log, "r");
	if (f) {
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
		fclose(f);
	}
	unlink(child_log);
	EXPECT(strstr(buf, "BUG: KASAN: use-after-free in ") != NULL);
	EXPECT(strstr(buf, want) != NULL);
}

VT_MAIN()
