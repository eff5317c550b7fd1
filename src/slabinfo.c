/*
 * slabinfo.c - what the heap says about its objects: the description of an
 * address for a report (object, cache, where the address lies, stacks),
 * the statistics of vk_get_stats, and the heap's part of the invariant walk.
 */
#include "slab.h"

/* ---------------------------------------------------------------- reports */

static const char *kind_name(uint8_t k)
{
	switch (k) {
	case VKI_KIND_NEW: return "operator new";
	case VKI_KIND_NEW_ARRAY: return "operator new []";
	case VKI_KIND_CACHE: return "kmem_cache_alloc";
	default: return "malloc";
	}
}

static const char *dealloc_name(uint8_t k)
{
	switch (k) {
	case VKI_KIND_NEW: return "operator delete";
	case VKI_KIND_NEW_ARRAY: return "operator delete []";
	case VKI_KIND_CACHE: return "kmem_cache_free";
	default: return "free";
	}
}

static void desc_from(struct vki_heap_desc *d, const struct objmeta *m, uintptr_t user,
		      const struct vki_kcache *c)
{
	d->object = true;
	d->obj = user;
	d->size = m->size;
	d->freed = m->state == OBJ_QUAR || m->state == OBJ_AVAIL;
	d->kind = m->kind & ~VKI_KIND_LEAK_IGNORED;
	d->alloc_stack = m->alloc_stack;
	d->free_stack = d->freed ? m->free_stack : 0;
	d->alloc_tid = m->alloc_tid;
	d->free_tid = m->free_tid;
	if (c) {
		vki_snprintf(d->cache, sizeof(d->cache), "%s", c->name);
		d->cache_size = c->size;
	}
}

bool vki_heap_describe(uintptr_t addr, const struct vki_area_info *ai, uint8_t code,
		       bool present, struct vki_heap_desc *d)
{
	vki_fill(d, 0, sizeof(*d));
	if (!ai || (ai->owner != VKI_OWNER_SLAB && ai->owner != VKI_OWNER_LARGE))
		return false;
	struct vki_slab *s = ai->state == VKI_AREA_BUSY ? lookup(addr) : NULL;
	if (!s || s->magic != HDR_MAGIC) {
		/* A slab or large object already given back to the arena. */
		d->type = "slab-use-after-free";
		return true;
	}
	if (s->type == HDR_LARGE) {
		desc_from(d, s->meta, s->start, NULL);
	} else {
		const struct vki_kcache *c = s->cache;
		long i = slot_index(s, addr);
		if (i < 0 && addr >= s->start + c->lead)
			i = c->nobj - 1; /* the metadata area: after the last object */
		if (i >= 0) {
			/* In a slot's redzone: the next object when closer to it. */
			uintptr_t slot = slot_addr(s, (uint32_t)i);
			const struct objmeta *m = &s->meta[i];
			uintptr_t end = slot + m->off + m->size;
			if (addr >= slot + c->size && (uint32_t)i + 1 < c->nobj) {
				uintptr_t next = slot_addr(s, (uint32_t)i + 1);
				const struct objmeta *nm = &s->meta[i + 1];
				if (next + nm->off - addr < addr - end) {
					i++;
					slot = next;
				}
			}
		} else {
			i = 0; /* the lead redzone: left of object 0 */
		}
		uintptr_t slot = slot_addr(s, (uint32_t)i);
		desc_from(d, &s->meta[i], slot + s->meta[i].off, c);
	}
	bool inside = addr >= d->obj && addr < d->obj + d->size;
	if (code == VKI_SHADOW_SLAB_FREE || (d->freed && inside))
		d->type = "slab-use-after-free";
	else if (!present)
		d->type = "slab-use-after-free";
	else
		d->type = "slab-out-of-bounds";
	return true;
}

void vki_heap_print(uintptr_t addr, const struct vki_heap_desc *d)
{
#define P vki_report_printf
	if (!d->object) {
		P("The buggy address belongs to a heap mapping that was freed and given back\n\n");
		return;
	}
	uint8_t freeing = vki_self()->heap_mismatch_kind;
	if (freeing)
		P("The object was allocated by %s and is being freed by %s\n\n",
		  kind_name(d->kind), dealloc_name(freeing - 1));
	P("Allocated by task ");
	vki_report_task(d->alloc_tid);
	P(":\n");
	vki_report_stack(d->alloc_stack);
	P("\n");
	if (d->freed) {
		P("Freed by task ");
		vki_report_task(d->free_tid);
		P(":\n");
		vki_report_stack(d->free_stack);
		P("\n");
	}
	if (d->cache[0])
		P("The buggy address belongs to the object at 0x%lx\n which belongs to the cache "
		  "%s of size %lu\n",
		  (unsigned long)d->obj, d->cache, (unsigned long)d->cache_size);
	else
		P("The buggy address belongs to the object at 0x%lx\n which is a large object "
		  "(%s) with a mapping of its own\n",
		  (unsigned long)d->obj, kind_name(d->kind));
	const char *what = d->freed ? "freed" : "allocated";
	uintptr_t rs = d->obj, re = d->obj + d->size;
	if (addr < rs)
		P("The buggy address is located %lu bytes to the left of\n",
		  (unsigned long)(rs - addr));
	else if (addr >= re)
		P("The buggy address is located %lu bytes to the right of\n",
		  (unsigned long)(addr - re));
	else
		P("The buggy address is located %lu bytes inside of\n", (unsigned long)(addr - rs));
	P(" %s %lu-byte region [0x%lx, 0x%lx)\n\n", what, (unsigned long)d->size,
	  (unsigned long)rs, (unsigned long)re);
#undef P
}

/*
 * The owner hooks of SLAB and LARGE mappings (owners[] in report.c).
 * Reports are made one at a time (the report lock), so describe leaves
 * the heap's description here for print.  The object is found from the
 * first bad byte: a range access that starts inside an object and runs
 * past it is "0 bytes to the right of" it.
 */
static struct vki_heap_desc report_hd;

/* Codes the heap writes (or the arena under a large object).  Inline code
 * may also write frame redzones into heap memory - a coroutine stack the
 * program malloc'd - and those keep the type the shadow code gives
 * (stack-out-of-bounds, ...); the object is still described. */
static bool heap_code(uint8_t code)
{
	return code < 0x80 || code == VKI_SHADOW_SLAB_REDZONE || code == VKI_SHADOW_SLAB_FREE ||
	       code == VKI_SHADOW_VMALLOC_INVALID;
}

static void heap_owner_describe(struct vki_desc *d)
{
	bool present = d->kind == VKI_BUG_ACCESS ? d->present : true;
	uint8_t code = d->kind == VKI_BUG_ACCESS ? d->code : 0;
	if (!d->found || !vki_heap_describe(d->bad_byte, &d->area, code, present, &report_hd)) {
		report_hd.type = NULL;
		return;
	}
	if (d->kind == VKI_BUG_ACCESS && (!present || heap_code(code)))
		d->bug_type = report_hd.type; /* free bugs keep theirs */
	if (report_hd.object) { /* the object's stacks, not the slab's */
		d->area.alloc_stack = report_hd.alloc_stack;
		d->area.free_stack = report_hd.free_stack;
		d->area.alloc_tid = report_hd.alloc_tid;
		d->area.free_tid = report_hd.free_tid;
		d->area.state = report_hd.freed ? VKI_AREA_LAZY : VKI_AREA_BUSY;
	}
}

static void heap_owner_print(const struct vki_desc *d)
{
	/* A frame redzone in heap memory run as a stack: the frame and its
	 * variables say most (redzone.c), as on any stack. */
	if (d->kind == VKI_BUG_ACCESS && d->present && !heap_code(d->code) &&
	    vki_redzone_describe(d->addr, d->bad))
		return;
	if (report_hd.type)
		vki_heap_print(d->bad_byte, &report_hd);
}

const struct vki_owner_ops vki_heap_ops = {
	.name = "heap",
	.describe = heap_owner_describe,
	.print = heap_owner_print,
};

/* ---------------------------------------------------------------- leaks */

/* Called by leak.c with the heap's locks and the arena's lock held and the
 * other threads stopped; the objects' metadata is read without meta_verify,
 * since a stopped thread may be half-way through writing one of its own
 * (that object is SETTLING, not LIVE, and skipped). */
void vki_heap_for_each_live(uintptr_t mapping,
			    void (*fn)(uintptr_t start, size_t size, uint32_t alloc_stack,
				       bool ignored, void *ctx),
			    void *ctx)
{
	struct vki_slab *s = lookup(mapping);
	if (!s || s->magic != HDR_MAGIC || s->start != mapping)
		return;
	if (s->type == HDR_LARGE) {
		const struct objmeta *m = s->meta;
		if (m->state == OBJ_LIVE)
			fn(s->start, m->size == UINT32_MAX ? s->len : m->size, m->alloc_stack,
			   m->kind & VKI_KIND_LEAK_IGNORED, ctx);
		return;
	}
	for (uint32_t i = 0; i < s->cache->nobj; i++) {
		const struct objmeta *m = &s->meta[i];
		if (m->state == OBJ_LIVE)
			fn(slot_addr(s, i) + m->off, m->size, m->alloc_stack,
			   m->kind & VKI_KIND_LEAK_IGNORED, ctx);
	}
}

/* ---------------------------------------------------------------- stats, walk */

struct heap_count {
	uint64_t objects, bytes;
};

static void count_slab(const struct vki_slab *s, struct heap_count *hc)
{
	for (uint32_t i = 0; i < s->cache->nobj; i++)
		if (s->meta[i].state == OBJ_LIVE) {
			hc->objects++;
			hc->bytes += s->meta[i].size;
		}
}

void vki_heap_stats(struct vk_stats *out)
{
	if (!__atomic_load_n(&vki_slab_ready, __ATOMIC_ACQUIRE))
		return;
	struct heap_count hc = { 0, 0 };
	uint64_t slabs = 0, large = 0;
	pthread_mutex_lock(&vki_slab_caches_lock);
	for (struct vki_kcache *c = vki_slab_caches; c; c = c->next) {
		pthread_mutex_lock(&c->lock);
		for (struct vki_slab *s = c->all; s; s = s->next)
			count_slab(s, &hc);
		slabs += c->nslabs;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&vki_slab_caches_lock);
	pthread_mutex_lock(&vki_slab_large_lock);
	for (struct vki_slab *s = vki_slab_large; s; s = s->next, large++)
		if (s->meta->state == OBJ_LIVE) {
			hc.objects++;
			hc.bytes += s->meta->size;
		}
	pthread_mutex_unlock(&vki_slab_large_lock);
	out->heap_objects = hc.objects;
	out->heap_bytes = hc.bytes;
	out->heap_quarantine_bytes = vki_quarantine_bytes();
	out->heap_slabs = slabs;
	out->heap_large_objects = large; /* live and quarantined */
}

struct hwalk {
	int bad;
	uint64_t mappings;
};

static void hbad(struct hwalk *w, const char *what, uintptr_t a)
{
	if (w->bad++ < 10)
		vki_printf("vkasan: heap invariant: %s at %p\n", what, (void *)a);
}

/* Shadow of [s, e) reads code (where backed; a heap mapping is always). */
static bool shadow_is(uintptr_t s, uintptr_t e, uint8_t code)
{
	for (uintptr_t a = s; a < e; a += VKI_GRANULE) {
		uint8_t v;
		if (!vki_shadow_peek(a, &v) || v != code)
			return false;
	}
	return true;
}

static void verify_slab(struct hwalk *w, const struct vki_slab *s)
{
	const struct vki_kcache *c = s->cache;
	struct vki_area_info ai;
	if (!vki_arena_describe(s->start, &ai) || ai.state != VKI_AREA_BUSY ||
	    ai.owner != VKI_OWNER_SLAB || ai.start != s->start)
		hbad(w, "slab is not a live slab mapping of the arena", s->start);
	if (lookup(s->start) != s || lookup(s->start + s->len - 1) != s)
		hbad(w, "slab missing from the address vki_slab_table", s->start);
	uint32_t onlist = 0;
	for (uintptr_t f = s->free_head; f && onlist <= c->nobj; onlist++)
		f = *(uintptr_t *)(f + c->size);
	if (onlist != s->navail)
		hbad(w, "free list length differs from the count", s->start);
	if ((s->navail > 0) != s->on_partial)
		hbad(w, "slab on the wrong list", s->start);
	if (!vki_opt.shadow)
		return;
	if (!shadow_is(s->start, s->start + c->lead, VKI_SHADOW_SLAB_REDZONE) ||
	    !shadow_is(s->start + c->meta_off, s->start + s->len, VKI_SHADOW_SLAB_REDZONE))
		hbad(w, "slab lead redzone or metadata area not 0xFC", s->start);
	for (uint32_t i = 0; i < c->nobj; i++) {
		uintptr_t slot = slot_addr(s, i);
		const struct objmeta *m = &s->meta[i];
		uint8_t st = __atomic_load_n(&m->state, __ATOMIC_ACQUIRE);
		if (st == OBJ_SETTLING)
			continue; /* being allocated right now, without a lock */
		if (m->check != meta_hash(m, slot))
			hbad(w, "object metadata check failed", slot);
		if (!shadow_is(slot + c->size, slot + c->slot, VKI_SHADOW_SLAB_REDZONE))
			hbad(w, "object redzone not 0xFC", slot);
		if (st != OBJ_LIVE) {
			if (!shadow_is(slot, slot + c->size, VKI_SHADOW_SLAB_FREE))
				hbad(w, "free object not 0xFB", slot);
			continue;
		}
		uintptr_t u = slot + m->off;
		uintptr_t full = u + (m->size & ~(VKI_GRANULE - 1));
		uint8_t v = 0;
		if (!shadow_is(slot, u, VKI_SHADOW_SLAB_REDZONE) || !shadow_is(u, full, 0) ||
		    ((m->size & 7) && (!vki_shadow_peek(full, &v) || v != (m->size & 7))) ||
		    !shadow_is(VKI_ROUND_UP(u + m->size, VKI_GRANULE), slot + c->size,
			       VKI_SHADOW_SLAB_REDZONE))
			hbad(w, "live object shadow not exact", u);
	}
}

static void verify_mapping(const struct vki_area *a, void *ctx)
{
	struct hwalk *w = ctx;
	if (a->state != VKI_AREA_BUSY ||
	    (a->owner != VKI_OWNER_SLAB && a->owner != VKI_OWNER_LARGE))
		return; /* vmalloc's, the program's mmap mappings, ... */
	w->mappings++;
	struct vki_slab *s = lookup(a->node.key);
	if (!s || s->magic != HDR_MAGIC || s->start != a->node.key ||
	    (s->type == HDR_LARGE) != (a->owner == VKI_OWNER_LARGE))
		hbad(w, "heap mapping without its slab or object", a->node.key);
}

int vki_heap_verify(void)
{
	if (!__atomic_load_n(&vki_slab_ready, __ATOMIC_ACQUIRE))
		return 0;
	struct hwalk w = { 0, 0 };
	uint64_t slabs = 0;
	vki_heap_lock_all();
	vki_arena_lock();
	for (struct vki_kcache *c = vki_slab_caches; c; c = c->next) {
		uint64_t n = 0;
		for (struct vki_slab *s = c->all; s; s = s->next, n++)
			verify_slab(&w, s);
		if (n != c->nslabs)
			hbad(&w, "cache slab count differs from its list", (uintptr_t)c);
		slabs += n;
	}
	for (struct vki_slab *s = vki_slab_large; s; s = s->next, slabs++) {
		uint8_t st = s->meta->state;
		if (vki_opt.shadow && st == OBJ_LIVE &&
		    (!shadow_is(s->start, s->start + (s->meta->size & ~7UL), 0)))
			hbad(&w, "large object shadow not exact", s->start);
		if (vki_opt.shadow && st == OBJ_QUAR &&
		    !shadow_is(s->start, s->start + s->len, VKI_SHADOW_SLAB_FREE))
			hbad(&w, "freed large object not 0xFB", s->start);
	}
	vki_arena_for_each(VKI_EACH_MAPPING, verify_mapping, &w);
	if (w.mappings != slabs)
		hbad(&w, "heap mappings of the arena and slabs + large objects differ", slabs);
	if (vki_slab_headers != slabs)
		hbad(&w, "slab headers in use differ from slabs + large objects", vki_slab_headers);
	size_t q = vki_quarantine_bytes();
	if (q > vki_opt.quarantine_size)
		hbad(&w, "quarantine over its budget", q);
	vki_arena_unlock();
	vki_heap_unlock_all();
	return w.bad;
}
