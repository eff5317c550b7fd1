/*
 * fiber.c - stacks for fibers and coroutines, and switching between them.
 *
 * vk_stack_alloc(size) gives a stack in the arena, | G0 | size bytes |,
 * with a guard marker below (an overflow is reported as a stack guard hit,
 * stack.c) and lazily backed shadow like a thread stack's; vk_stack_free
 * poisons and quarantines it like vk_vfree.
 *
 * Switching.  Inline instrumentation poisons each frame's redzones on entry
 * and clears them on return; a frame that never returns (a coroutine that is
 * abandoned, or one whose stack is switched away from for good) leaves its
 * redzones behind, and the next coroutine on the same memory trips over
 * them: the false reports of reused fiber stacks (llvm #53891, wasmtime
 * #8440).  Everything below a stack's live stack pointer is dead, so a
 * switch clears the stale poison there on the stack it switches to:
 *
 *   __sanitizer_finish_switch_fiber  runs on the new stack right after the
 *       switch: [bottom, our own frame) is cleared;
 *   swapcontext / setcontext         before switching: [bottom, saved sp)
 *       of the target context, its bottom from uc_stack (makecontext) or
 *       from the arena stack that holds it.
 *
 * Only bytes that are not zero are written (a read of untouched shadow
 * costs no memory), and in the arena only backed windows.  Outline
 * programs have no stack redzones, so there is nothing to clear.
 *
 * The AddressSanitizer fiber interface is accepted unchanged, so coroutine
 * libraries built for it work as they are; vkasan has no fake stacks, so
 * fake_stack_save is always NULL.
 */
#include "vk_internal.h"

#include <dlfcn.h>
#include <ucontext.h>

#define RET_PC ((uintptr_t)__builtin_return_address(0))

/* ---------------------------------------------------------------- allocation */

VKI_EXPORT void *vk_stack_alloc(size_t size)
{
	vki_init();
	if (!size || size > (1UL << 36))
		return NULL;
	size = VKI_ROUND_UP(size, VKI_PAGE_SIZE);
	const size_t guards[1] = { 0 };
	struct vki_area_req req = {
		.size = VKI_PAGE_SIZE + size, .align = VKI_PAGE_SIZE, .owner = VKI_OWNER_STACK,
		.stack = vki_stack_save(0), .shadow = true, .lazy = true,
		.eager_top = 16UL << 10, .markers_below = guards, .nmarkers = 1,
	};
	uintptr_t start = (uintptr_t)vki_area_alloc_ex(&req);
	return start ? (void *)(start + VKI_PAGE_SIZE) : NULL;
}

VKI_EXPORT void vk_stack_free(void *p)
{
	if (!p)
		return;
	uintptr_t pc = RET_PC, a = (uintptr_t)p;
	uint32_t stack = vki_stack_save(0);
	vki_init();
	struct vki_area_info ai;
	bool ours = vki_arena_describe(a, &ai) && ai.owner == VKI_OWNER_STACK &&
		    ai.start + VKI_PAGE_SIZE == a && !vki_stack_of_thread(&ai);
	if (!(ours && ai.state == VKI_AREA_BUSY &&
	      vki_arena_free_stack(ai.start, stack, (uint32_t)vki_os_gettid())))
		vki_report_free(a, ours ? VKI_DOUBLE_FREE : VKI_INVALID_FREE, pc);
}

/* ---------------------------------------------------------------- switching */

/* This thread's fiber stacks live in struct vki_thread: fiber_cur (the one
 * it runs on, once known), fiber_prev (switched away from), fiber_next
 * (announced by start_switch). */

static inline bool inline_mode(void)
{
	return __atomic_load_n(&vki_fullshadow_on, __ATOMIC_ACQUIRE);
}

/* The stack this thread runs on now, if it was never told. */
static struct vki_fiber_range stack_of(uintptr_t sp)
{
	struct vki_fiber_range r = { 0, 0 };
	uintptr_t lo, hi;
	if (vki_stack_bounds(sp, &lo, &hi) || !vki_os_find_mapping(sp, &lo, &hi)) {
		r.bottom = lo;
		r.size = hi - lo;
	}
	return r;
}

VKI_EXPORT void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
					       size_t size)
{
	struct vki_thread *t = vki_self();
	if (fake_stack_save)
		*fake_stack_save = NULL;
	if (!t->fiber_cur.bottom)
		t->fiber_cur = stack_of((uintptr_t)__builtin_frame_address(0));
	t->fiber_prev = t->fiber_cur;
	t->fiber_next.bottom = (uintptr_t)bottom;
	t->fiber_next.size = size;
}

VKI_EXPORT void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
						size_t *size_old)
{
	struct vki_thread *t = vki_self();
	if (bottom_old)
		*bottom_old = (const void *)t->fiber_prev.bottom;
	if (size_old)
		*size_old = t->fiber_prev.size;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (t->fiber_next.bottom && sp - t->fiber_next.bottom < t->fiber_next.size)
		t->fiber_cur = t->fiber_next;
	else
		t->fiber_cur = stack_of(sp);
	t->fiber_next.bottom = 0;
	t->fiber_next.size = 0;
	/* Below our own (uninstrumented) frame everything is dead. */
	if (inline_mode() && sp - t->fiber_cur.bottom < t->fiber_cur.size)
		vki_stack_clear_shadow(t->fiber_cur.bottom, sp);
}

/* The target context's stack below its saved stack pointer is dead. */
static void clear_target(const ucontext_t *ucp)
{
	if (!ucp || !inline_mode())
		return;
	uintptr_t sp = (uintptr_t)ucp->uc_mcontext.gregs[REG_RSP];
	uintptr_t lo = (uintptr_t)ucp->uc_stack.ss_sp, hi;
	if (lo && sp > lo && sp - lo <= ucp->uc_stack.ss_size) {
		vki_stack_clear_shadow(lo, sp);
		return;
	}
	if (vki_stack_bounds(sp, &lo, &hi))
		vki_stack_clear_shadow(lo, sp);
}

typedef int (*swap_fn)(ucontext_t *, const ucontext_t *);
typedef int (*set_fn)(const ucontext_t *);
static swap_fn real_swap;
static set_fn real_set;

/* Resolved once (dlsym allocates only when a lookup fails). */
static void resolve(void)
{
	if (__atomic_load_n(&real_set, __ATOMIC_ACQUIRE))
		return;
	swap_fn s = (swap_fn)dlsym(RTLD_NEXT, "swapcontext");
	set_fn t = (set_fn)dlsym(RTLD_NEXT, "setcontext");
	if (!s || !t)
		vki_die("vkasan: cannot find the C library's swapcontext (dlsym)\n");
	__atomic_store_n(&real_swap, s, __ATOMIC_RELEASE);
	__atomic_store_n(&real_set, t, __ATOMIC_RELEASE);
}

VKI_EXPORT int swapcontext(ucontext_t *oucp, const ucontext_t *ucp)
{
	resolve();
	clear_target(ucp);
	return real_swap(oucp, ucp);
}

VKI_EXPORT int setcontext(const ucontext_t *ucp)
{
	resolve();
	clear_target(ucp);
	return real_set(ucp);
}
