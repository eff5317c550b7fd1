/*
 * test_tree.c - the augmented AVL tree the allocator is built on (tree.c):
 * order, balance (height within the AVL bound, so O(log n) by counting),
 * the subtree maximum after inserts, removes and value updates, and the
 * queries (find, floor, ceil, first, next) against a plain sorted model.
 * A lowest-fit descent over the augmentation must agree with a linear scan.
 */
#include "vtx.h"

struct item {
	struct vki_node node;
	uintptr_t val;
	int in;
};

static uintptr_t item_val(const struct vki_node *n)
{
	return ((const struct item *)n)->val;
}

enum { N = 20000 };
static struct item items[N];

static int lg_ceil(size_t n)
{
	return 64 - __builtin_clzl(n + 1);
}

/* Lowest key whose value >= need, using only the augmentation. */
static struct vki_node *aug_lowest(const struct vki_tree *t, uintptr_t need, int *steps)
{
	struct vki_node *n = t->root;
	*steps = 0;
	if (!n || n->aug < need)
		return NULL;
	for (;;) {
		++*steps;
		if (n->left && n->left->aug >= need)
			n = n->left;
		else if (item_val(n) >= need)
			return n;
		else
			n = n->right;
	}
}

TEST(random_ops_against_model)
{
	struct vki_tree t = { .value = item_val };
	uint64_t seed = 5;
	long errors = 0;
	int max_steps = 0;
	for (int i = 0; i < N; i++) {
		items[i].node.key = 0x1000 + (uintptr_t)i * 16;
		items[i].in = 0;
	}
	for (int round = 0; round < 200000; round++) {
		int i = (int)(vtx_rand(&seed) % N);
		struct item *it = &items[i];
		uint64_t r = vtx_rand(&seed);
		if (!it->in) {
			it->val = r % 100000;
			vki_tree_insert(&t, &it->node);
			it->in = 1;
		} else if (r % 3 == 0) {
			it->val = (r >> 8) % 100000; /* value change, then update */
			vki_tree_update(&t, &it->node);
		} else {
			vki_tree_remove(&t, &it->node);
			it->in = 0;
		}
		if (round % 20000 == 0 || round == 199999) {
			errors += vki_tree_verify(&t, "test") != 0;
			/* queries against the model */
			size_t count = 0;
			for (int k = 0; k < N; k++)
				count += items[k].in;
			errors += count != t.count;
			errors += t.root && t.root->height > (int)(1.4405 * lg_ceil(t.count));
			struct vki_node *n = vki_tree_first(&t);
			for (int k = 0; k < N; k++) {
				if (!items[k].in)
					continue;
				errors += n != &items[k].node;
				if (n)
					n = vki_tree_next(&t, n);
			}
			errors += n != NULL;
			for (int q = 0; q < 2000; q++) {
				int k = (int)(vtx_rand(&seed) % N);
				uintptr_t key = items[k].node.key + (vtx_rand(&seed) % 3) - 1;
				struct vki_node *f = vki_tree_find(&t, key);
				errors += f != (key == items[k].node.key && items[k].in ? &items[k].node : NULL);
				struct vki_node *fl = vki_tree_floor(&t, key), *want_fl = NULL;
				for (int j = N - 1; j >= 0; j--)
					if (items[j].in && items[j].node.key <= key) {
						want_fl = &items[j].node;
						break;
					}
				errors += fl != want_fl;
				struct vki_node *ce = vki_tree_ceil(&t, key), *want_ce = NULL;
				for (int j = 0; j < N; j++)
					if (items[j].in && items[j].node.key >= key) {
						want_ce = &items[j].node;
						break;
					}
				errors += ce != want_ce;
			}
			for (int q = 0; q < 200; q++) {
				uintptr_t need = vtx_rand(&seed) % 100001;
				int steps;
				struct vki_node *got = aug_lowest(&t, need, &steps), *want = NULL;
				for (int j = 0; j < N && !want; j++)
					if (items[j].in && items[j].val >= need)
						want = &items[j].node;
				errors += got != want;
				if (steps > max_steps)
					max_steps = steps;
			}
		}
	}
	EXPECT_EQ(errors, 0);
	/* The descent never backtracks: at most one step per level. */
	EXPECT(max_steps <= (int)(1.4405 * lg_ceil(N)) + 1);
	for (int i = 0; i < N; i++)
		if (items[i].in)
			vki_tree_remove(&t, &items[i].node);
	EXPECT_EQ(t.count, 0);
	EXPECT(t.root == NULL);
}

/* Sequential inserts (the allocator's common case) stay balanced. */
TEST(sequential_insert_height)
{
	static struct item seq[1 << 17];
	struct vki_tree t = { .value = item_val };
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		seq[i].node.key = i * 8192;
		seq[i].val = i;
		vki_tree_insert(&t, &seq[i].node);
	}
	EXPECT_EQ(vki_tree_verify(&t, "seq"), 0);
	EXPECT(t.root->height <= (int)(1.4405 * lg_ceil(t.count)));
	EXPECT_EQ(t.root->aug, (sizeof(seq) / sizeof(seq[0])) - 1);
	/* Remove from the low end (like purging in address order). */
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]) - 1; i++)
		vki_tree_remove(&t, &seq[i].node);
	EXPECT_EQ(vki_tree_verify(&t, "seq"), 0);
	EXPECT_EQ(t.count, 1);
	EXPECT_EQ(t.root->height, 1);
}

/* vki_tree_verify catches a broken augmentation and a broken order. */
TEST(verify_detects_corruption)
{
	static struct item c[64];
	struct vki_tree t = { .value = item_val };
	for (int i = 0; i < 64; i++) {
		c[i].node.key = (uintptr_t)i * 4096;
		c[i].val = (uintptr_t)i;
		vki_tree_insert(&t, &c[i].node);
	}
	EXPECT_EQ(vki_tree_verify(&t, "c"), 0);
	c[10].val = 1000; /* changed without vki_tree_update */
	EXPECT(vki_tree_verify(&t, "c (expected complaint)") != 0);
	vki_tree_update(&t, &c[10].node);
	EXPECT_EQ(vki_tree_verify(&t, "c"), 0);
	EXPECT_EQ(t.root->aug, 1000);
	t.count++;
	EXPECT(vki_tree_verify(&t, "c (expected complaint)") != 0);
	t.count--;
	uintptr_t k = c[20].node.key;
	c[20].node.key = c[40].node.key + 1; /* out of order */
	EXPECT(vki_tree_verify(&t, "c (expected complaint)") != 0);
	c[20].node.key = k;
	EXPECT_EQ(vki_tree_verify(&t, "c"), 0);
}

VT_MAIN()
