/*
 * malloc.c - the C library's allocation functions and C++'s operators new
 * and delete, served by the heap (slab.c).
 *
 * The program defines them (vkasan-cc links the runtime into it), so the
 * dynamic loader binds every call to them - the program's, libc's own
 * (strdup, getline, stdio buffers), the loader's once it is relocated.
 * Option heap=0 forwards everything to glibc's __libc_* entry points.
 *
 * The runtime starts from the first call.  Until it can (while it starts,
 * and before libc has set up the environment, which the options are read
 * from), calls are served from a static bump buffer whose blocks are never
 * reused: the loader asks for a few kilobytes there at most.
 *
 * Every exported function saves its stack itself, so that the stored stack
 * starts at the program's call.  The C++ operators are defined under their
 * mangled names (Itanium ABI, x86_64: size_t is 'm').
 */
#include "vk_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h> /* the prototypes of what we define */
#include <stdlib.h>

extern char **__environ;
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

enum { MODE_BOOT, MODE_HEAP, MODE_LIBC };
static int mode;
static __thread int starting __attribute__((tls_model("initial-exec")));
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The heap serves malloc only when ours is the process's malloc: the one
 * the program's own search list resolves (a program linked with the static
 * runtime and its exports list, libvkasan.so linked in or preloaded).  When
 * libvkasan.so arrives later, by dlopen() of an instrumented library into a
 * plain program, libc's malloc already owns memory and keeps serving the
 * program and libc; a call that still reaches ours (a library bound to it
 * with RTLD_DEEPBIND) must then not mix allocators - free() of libc's block
 * would be a false invalid-free - so the heap stays off and everything goes
 * to libc (heap=0).  The same holds for a program linked with the static
 * runtime that does not export it: libc's own calls go to libc.  The
 * program's search list, not RTLD_DEFAULT: under RTLD_DEEPBIND our own
 * lookups would find ourselves first.  (dlopen(NULL) returns the program's
 * handle and dlsym of a name that exists does not allocate.)
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-attributes" /* only its address is used */
#endif
extern void *vki_malloc_self(size_t size) __attribute__((alias("malloc"), visibility("hidden")));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static bool ours_is_the_malloc(void)
{
	void *prog = dlopen(NULL, RTLD_LAZY | RTLD_NOLOAD);
	return prog && dlsym(prog, "malloc") == (void *)vki_malloc_self;
}

static VKI_NOINLINE int start(void)
{
	if (starting || !__environ || vki_self()->in_init)
		return MODE_BOOT; /* the runtime is starting on this thread (init.c) */
	starting = 1;
	vki_init();
	/* Asked before start_lock: dlopen takes the loader's lock, which a
	 * thread waiting for start_lock from inside the loader may hold. */
	bool ours = vki_opt.heap && ours_is_the_malloc();
	pthread_mutex_lock(&start_lock);
	if (!mode) {
		/* heap=0: the heap is set up only if kmalloc & co. are used */
		bool ok = ours && vki_heap_setup();
		__atomic_store_n(&mode, ok ? MODE_HEAP : MODE_LIBC, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&start_lock);
	starting = 0;
	return mode;
}

static inline int get_mode(void)
{
	int m = __atomic_load_n(&mode, __ATOMIC_ACQUIRE);
	return VKI_LIKELY(m) ? m : start();
}

/*
 * init.c's fork handler, before the heap's locks: a start-up in progress on
 * another thread (it holds start_lock, and slab.c's setup_lock, until the
 * heap is set up) is waited for, so that the child finds the heap either
 * set up or not started, and start_lock free.  Not on the thread that is in
 * start() itself (a fork from a signal handler): it goes on in the child.
 */
void vki_malloc_fork_prepare(void)
{
	if (!starting)
		pthread_mutex_lock(&start_lock);
}

void vki_malloc_fork_parent(void)
{
	if (!starting)
		pthread_mutex_unlock(&start_lock);
}

void vki_malloc_fork_child(void)
{
	if (!starting)
		pthread_mutex_init(&start_lock, NULL);
}

/* kmalloc.c: the runtime is up and the heap set up, whatever malloc uses. */
bool vki_heap_start(void)
{
	get_mode();
	return vki_heap_setup();
}

/* Start before main even if the program never allocates (kmalloc users). */
__attribute__((constructor(103))) static void malloc_ctor(void)
{
	get_mode();
}

/* ---------------------------------------------------------------- bootstrap */

static char boot_buf[1UL << 20] __attribute__((aligned(4096)));
static size_t boot_used;

static bool boot_owns(const void *p)
{
	return (uintptr_t)p - (uintptr_t)boot_buf < sizeof(boot_buf);
}

static void *boot_alloc(size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	if (size > sizeof(boot_buf) || align > 4096)
		return NULL;
	size_t need = VKI_ROUND_UP(size, 16) + align + 16;
	size_t off = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
	if (off + need > sizeof(boot_buf))
		return NULL;
	uintptr_t p = VKI_ROUND_UP((uintptr_t)boot_buf + off + 16, align);
	((size_t *)p)[-1] = size;
	return (void *)p; /* zero: the buffer is never reused */
}

static size_t boot_size(const void *p)
{
	return ((const size_t *)p)[-1];
}

/* ---------------------------------------------------------------- common */

static inline __attribute__((always_inline)) void *
alloc(size_t size, size_t align, uint8_t kind, uint32_t stack)
{
	int m = get_mode();
	void *p;
	if (m == MODE_HEAP)
		p = vki_heap_alloc(NULL, size, align, kind, stack);
	else if (m == MODE_LIBC)
		p = align <= 16 ? __libc_malloc(size) : __libc_memalign(align, size);
	else
		p = boot_alloc(size, align);
	if (!p)
		errno = ENOMEM;
	return p;
}

static inline __attribute__((always_inline)) void
release(void *p, uint8_t kind, uintptr_t pc, uint32_t stack)
{
	if (!p || boot_owns(p))
		return;
	int m = get_mode();
	if (m == MODE_LIBC)
		__libc_free(p);
	else if (m == MODE_HEAP)
		vki_heap_free(p, kind, NULL, pc, stack);
	/* MODE_BOOT: the loader's early blocks are not ours to free */
}

#define PC() ((uintptr_t)__builtin_return_address(0))
#define STACK() vki_stack_save(0)

/* ---------------------------------------------------------------- C */

VKI_EXPORT void *malloc(size_t size)
{
	return alloc(size, 16, VKI_KIND_MALLOC, STACK());
}

VKI_EXPORT void free(void *p)
{
	if (p)
		release(p, VKI_KIND_MALLOC, PC(), STACK());
}

VKI_EXPORT void *calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = alloc(total, 16, VKI_KIND_MALLOC, STACK());
	if (p && !boot_owns(p))
		vki_fill(p, 0, total);
	return p;
}

static inline __attribute__((always_inline)) void *
resize(void *p, size_t size, uintptr_t pc, uint32_t stack)
{
	if (!p)
		return alloc(size, 16, VKI_KIND_MALLOC, stack);
	int m = get_mode();
	if (m == MODE_LIBC && !boot_owns(p))
		return __libc_realloc(p, size);
	size_t old;
	if (boot_owns(p)) {
		old = boot_size(p);
	} else if (m == MODE_BOOT) {
		return NULL;
	} else {
		if (size == 0) { /* glibc: free, return NULL */
			vki_heap_free(p, VKI_KIND_MALLOC, NULL, pc, stack);
			return NULL;
		}
		old = vki_heap_size(p);
		if (!old && !vki_heap_owns(p)) { /* not ours: report, as free would */
			vki_heap_free(p, VKI_KIND_MALLOC, NULL, pc, stack);
			return NULL;
		}
	}
	void *q = alloc(size, 16, VKI_KIND_MALLOC, stack);
	if (!q)
		return NULL;
	vki_copy(q, p, old < size ? old : size);
	if (!boot_owns(p))
		vki_heap_free(p, VKI_KIND_MALLOC, NULL, pc, stack);
	return q;
}

VKI_EXPORT void *realloc(void *p, size_t size)
{
	return resize(p, size, PC(), STACK());
}

VKI_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return resize(p, total, PC(), STACK());
}

static bool pow2(size_t a)
{
	return a && !(a & (a - 1));
}

VKI_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (!pow2(align) || align % sizeof(void *))
		return EINVAL;
	int saved = errno;
	void *p = alloc(size, align, VKI_KIND_MALLOC, STACK());
	errno = saved;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

VKI_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc(size, align, VKI_KIND_MALLOC, STACK());
}

VKI_EXPORT void *memalign(size_t align, size_t size)
{
	size_t a = 16;
	while (a < align && a) /* glibc rounds up to a power of two */
		a <<= 1;
	if (!a) {
		errno = EINVAL;
		return NULL;
	}
	return alloc(size, a, VKI_KIND_MALLOC, STACK());
}

VKI_EXPORT void *valloc(size_t size)
{
	return alloc(size, VKI_PAGE_SIZE, VKI_KIND_MALLOC, STACK());
}

VKI_EXPORT void *pvalloc(size_t size)
{
	size_t n = VKI_ROUND_UP(size ? size : 1, VKI_PAGE_SIZE);
	if (n < size) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc(n, VKI_PAGE_SIZE, VKI_KIND_MALLOC, STACK());
}

/* The requested size (not what the slot could hold): using more is a bug
 * the heap reports. */
VKI_EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (boot_owns(p))
		return boot_size(p);
	if (get_mode() == MODE_LIBC) {
		static size_t (*libc_usable)(void *);
		if (!libc_usable)
			libc_usable = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
		return libc_usable ? libc_usable(p) : 0;
	}
	return vki_heap_size(p);
}

/* ---------------------------------------------------------------- C++ */

static VKI_NOINLINE void *new_failed(size_t size)
{
	vki_printf("vkasan: out of memory: operator new (%lu bytes) failed\n", (unsigned long)size);
	vki_os_abort();
}

#define NEW(name, kind, align_expr, nothrow, ...)                                      \
	VKI_EXPORT void *name(__VA_ARGS__);                                            \
	VKI_EXPORT void *name(__VA_ARGS__)                                             \
	{                                                                              \
		void *p = alloc(size, align_expr, kind, STACK());                      \
		if (!p && !nothrow)                                                    \
			new_failed(size);                                              \
		return p;                                                              \
	}

NEW(_Znwm, VKI_KIND_NEW, 16, 0, size_t size)
NEW(_Znam, VKI_KIND_NEW_ARRAY, 16, 0, size_t size)
NEW(_ZnwmRKSt9nothrow_t, VKI_KIND_NEW, 16, 1, size_t size, const void *nt)
NEW(_ZnamRKSt9nothrow_t, VKI_KIND_NEW_ARRAY, 16, 1, size_t size, const void *nt)
NEW(_ZnwmSt11align_val_t, VKI_KIND_NEW, al, 0, size_t size, size_t al)
NEW(_ZnamSt11align_val_t, VKI_KIND_NEW_ARRAY, al, 0, size_t size, size_t al)
NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, VKI_KIND_NEW, al, 1, size_t size, size_t al,
    const void *nt)
NEW(_ZnamSt11align_val_tRKSt9nothrow_t, VKI_KIND_NEW_ARRAY, al, 1, size_t size, size_t al,
    const void *nt)

#define DELETE(name, kind, ...)                                                        \
	VKI_EXPORT void name(__VA_ARGS__);                                             \
	VKI_EXPORT void name(__VA_ARGS__)                                              \
	{                                                                              \
		if (p)                                                                 \
			release(p, kind, PC(), STACK());                               \
	}

DELETE(_ZdlPv, VKI_KIND_NEW, void *p)
DELETE(_ZdaPv, VKI_KIND_NEW_ARRAY, void *p)
DELETE(_ZdlPvm, VKI_KIND_NEW, void *p, size_t size)
DELETE(_ZdaPvm, VKI_KIND_NEW_ARRAY, void *p, size_t size)
DELETE(_ZdlPvRKSt9nothrow_t, VKI_KIND_NEW, void *p, const void *nt)
DELETE(_ZdaPvRKSt9nothrow_t, VKI_KIND_NEW_ARRAY, void *p, const void *nt)
DELETE(_ZdlPvSt11align_val_t, VKI_KIND_NEW, void *p, size_t al)
DELETE(_ZdaPvSt11align_val_t, VKI_KIND_NEW_ARRAY, void *p, size_t al)
DELETE(_ZdlPvmSt11align_val_t, VKI_KIND_NEW, void *p, size_t size, size_t al)
DELETE(_ZdaPvmSt11align_val_t, VKI_KIND_NEW_ARRAY, void *p, size_t size, size_t al)
DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, VKI_KIND_NEW, void *p, size_t al, const void *nt)
DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, VKI_KIND_NEW_ARRAY, void *p, size_t al,
       const void *nt)
