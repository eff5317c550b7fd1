/*
 * ir_stub.c - a do-nothing AddressSanitizer runtime, so that the check
 * kernels' instrumented code can be counted instruction by instruction
 * under valgrind (callgrind), which runs neither libasan nor a vkasan
 * --inline program: both map the shadow gap, where valgrind keeps its own
 * memory and the client's stack.
 *
 * check_bench.c compiled by gcc -fsanitize=address (with and without
 * -fsanitize-recover=address) and linked with this file instead of libasan:
 * the shadow it reads is mapped zero (nothing poisoned, nothing reported),
 * malloc and the string functions are glibc's.  What is counted is the
 * compiler's instrumentation alone.  vkasan-cc --inline compiles the kernels
 * to the same instructions as gcc -fsanitize=address -fsanitize-recover=address,
 * and --inline --no-recover to the same as plain -fsanitize=address (the
 * Makefile's ir target checks that on the disassembly), so the counts are
 * those of vkasan's inline code too.  The runtimes' own work (interceptors,
 * allocation) is not in them.
 *
 * Not part of the runtime; built only by `make -C bench ir`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SHADOW_OFFSET 0x7fff8000UL
#define LOW_SHADOW_END 0x8fff7000UL
#define HIGH_SHADOW_BEG 0x02008fff7000UL
#define HIGH_SHADOW_END 0x10007fff8000UL

static void map_zero(uintptr_t beg, uintptr_t end, int must)
{
	beg &= ~4095UL;
	end = (end + 4095) & ~4095UL;
	if (mmap((void *)beg, end - beg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1,
		 0) == MAP_FAILED && must) {
		perror("ir_stub: mmap of shadow");
		abort();
	}
}

/* Called first by every instrumented module's constructor. */
void __asan_init(void)
{
	static int done;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (done++)
		return;
	/* Low memory (program, heap, libraries under valgrind) ... */
	map_zero(SHADOW_OFFSET, LOW_SHADOW_END, 1);
	/* ... high memory (a PIE program and its heap natively), if free ... */
	map_zero(HIGH_SHADOW_BEG, HIGH_SHADOW_END, 0);
	/* ... and the stack, wherever it is (under valgrind: in the gap). */
	if (sp >= LOW_SHADOW_END && sp < HIGH_SHADOW_END)
		map_zero(((sp - (64UL << 20)) >> 3) + SHADOW_OFFSET,
			 ((sp + (1UL << 20)) >> 3) + SHADOW_OFFSET, 1);
}

void __asan_version_mismatch_check_v8(void) {}
void __asan_register_globals(void *g, size_t n) { (void)g; (void)n; }
void __asan_unregister_globals(void *g, size_t n) { (void)g; (void)n; }
void __asan_handle_no_return(void) {}
int __asan_option_detect_stack_use_after_return;
void *__asan_stack_malloc_0(size_t n) { (void)n; return 0; }
void *__asan_stack_malloc_1(size_t n) { (void)n; return 0; }
void *__asan_stack_malloc_2(size_t n) { (void)n; return 0; }
void *__asan_stack_malloc_3(size_t n) { (void)n; return 0; }
void *__asan_stack_malloc_4(size_t n) { (void)n; return 0; }

/* Nothing is poisoned, so these are never reached. */
#define REPORT(name)                                                   \
	void name(uintptr_t a)                                         \
	{                                                              \
		fprintf(stderr, "ir_stub: %s(%#lx)\n", #name, (unsigned long)a); \
		abort();                                               \
	}
#define REPORTS(size)                                                  \
	REPORT(__asan_report_load##size)                               \
	REPORT(__asan_report_store##size)                              \
	REPORT(__asan_report_load##size##_noabort)                     \
	REPORT(__asan_report_store##size##_noabort)
REPORTS(1)
REPORTS(2)
REPORTS(4)
REPORTS(8)
REPORTS(16)
void __asan_report_load_n(uintptr_t a, size_t n) { (void)n; __asan_report_load1(a); }
void __asan_report_store_n(uintptr_t a, size_t n) { (void)n; __asan_report_load1(a); }
void __asan_report_load_n_noabort(uintptr_t a, size_t n) { (void)n; __asan_report_load1(a); }
void __asan_report_store_n_noabort(uintptr_t a, size_t n) { (void)n; __asan_report_load1(a); }
