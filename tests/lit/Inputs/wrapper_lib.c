/* Second translation unit for wrapper.c and make_project.c: the bug lives
 * here, so a report proves that this file was instrumented too. */
#include <stdint.h>

__attribute__((noinline)) void fill_table(uint32_t *t, int n)
{
	for (int i = 0; i <= n; i++) /* one past the end */
		((volatile uint32_t *)t)[i] = (uint32_t)i;
	__asm__ volatile("" ::: "memory");
}
