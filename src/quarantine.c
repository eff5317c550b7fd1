/*
 * quarantine.c - freed heap objects wait here before their memory is reused.
 *
 * A FIFO with a byte budget (quarantine_size, 256 MiB by default as in
 * AddressSanitizer): the longer a freed object stays poisoned, the later a
 * stale pointer to it is still caught.  Each thread collects its frees in a
 * batch of its own (no lock); a full batch joins the global queue under one
 * lock, and while the queue is over budget the oldest batches leave it: their
 * objects go back to their slabs (slab.c) outside the lock.
 *
 * Batches are runtime memory (mmap'd chunks, never malloc), so the queue
 * holds no pointer inside an object a program could overwrite.
 */
#include "vk_internal.h"

#define BATCH_OBJS 509 /* a batch is 4 KiB */
#define BATCH_BYTES (1UL << 20)
#define CHUNK (256UL << 10)

struct vki_qbatch {
	struct vki_qbatch *next;
	uint32_t n;
	size_t bytes;
	void *obj[BATCH_OBJS];
};

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static struct vki_qbatch *head, *tail; /* oldest first */
static size_t qbytes;              /* bytes in the global queue */
static struct vki_qbatch *pool;         /* free batches (under qlock) */

/* This thread's open batch is vki_self()->quarantine_batch (thread.c);
 * after its exit hook (heap_dead) its frees go to the global queue. */
#define QT_B (vki_self()->quarantine_batch)
#define QT_DEAD (vki_self()->heap_dead)

static struct vki_qbatch *batch_new(void)
{
	pthread_mutex_lock(&qlock);
	if (!pool) {
		struct vki_qbatch *c = vki_os_map_anywhere(CHUNK, VKI_OS_META);
		for (size_t i = 0; c && i < CHUNK / sizeof(*c); i++) {
			c[i].next = pool;
			pool = &c[i];
		}
	}
	struct vki_qbatch *b = pool;
	if (b)
		pool = b->next;
	pthread_mutex_unlock(&qlock);
	if (b) {
		b->next = NULL;
		b->n = 0;
		b->bytes = 0;
	}
	return b;
}

/* Objects of the batches in list back to their slabs; batches to the pool. */
static void recycle(struct vki_qbatch *list)
{
	while (list) {
		struct vki_qbatch *b = list;
		list = b->next;
		for (uint32_t i = 0; i < b->n; i++)
			vki_heap_recycle(b->obj[i]);
		pthread_mutex_lock(&qlock);
		b->next = pool;
		pool = b;
		pthread_mutex_unlock(&qlock);
	}
}

/* Append b (may be NULL) and take what is over budget (all when drain). */
static void push(struct vki_qbatch *b, bool drain)
{
	struct vki_qbatch *out = NULL, **outp = &out;
	pthread_mutex_lock(&qlock);
	if (b) {
		b->next = NULL;
		if (tail)
			tail->next = b;
		else
			head = b;
		tail = b;
		qbytes += b->bytes;
	}
	while (head && (drain || qbytes > vki_opt.quarantine_size)) {
		struct vki_qbatch *o = head;
		head = o->next;
		if (!head)
			tail = NULL;
		qbytes -= o->bytes;
		o->next = NULL;
		*outp = o;
		outp = &o->next;
	}
	pthread_mutex_unlock(&qlock);
	recycle(out);
}

void vki_quarantine_put(void *obj, size_t bytes)
{
	if (!vki_opt.quarantine_size) {
		vki_heap_recycle(obj);
		return;
	}
	struct vki_qbatch *b = QT_B;
	if (!b) {
		b = batch_new();
		if (!b) { /* no memory for the batch: no quarantine for this one */
			vki_heap_recycle(obj);
			return;
		}
		if (!QT_DEAD)
			QT_B = b;
	}
	b->obj[b->n++] = obj;
	b->bytes += bytes;
	size_t limit = vki_opt.quarantine_size / 16 < BATCH_BYTES ? vki_opt.quarantine_size / 16
								   : BATCH_BYTES;
	if (QT_DEAD || b->n == BATCH_OBJS || b->bytes >= limit) {
		QT_B = NULL;
		push(b, false);
	}
}

void vki_quarantine_drain(void)
{
	struct vki_qbatch *b = QT_B;
	QT_B = NULL;
	push(b, true);
}

void vki_quarantine_thread_exit(void)
{
	struct vki_qbatch *b = QT_B;
	QT_B = NULL;
	QT_DEAD = true;
	if (b)
		push(b, false);
}

/* No lock: the invariant walk asks while holding it. */
size_t vki_quarantine_bytes(void)
{
	return __atomic_load_n(&qbytes, __ATOMIC_RELAXED);
}

void vki_quarantine_lock(void)
{
	pthread_mutex_lock(&qlock);
}

void vki_quarantine_unlock(void)
{
	pthread_mutex_unlock(&qlock);
}

void vki_quarantine_after_fork_child(void)
{
	pthread_mutex_init(&qlock, NULL);
}
