/*
 * tree.c - an intrusive AVL tree keyed by address, optionally augmented.
 *
 * The arena keeps three of them: free space (augmented with the largest free
 * block in each subtree, so a lowest-fit search never descends into a subtree
 * that cannot hold the request: O(log n)), live mappings and lazily freed
 * mappings (plain, for O(log n) lookup by address).
 *
 * AVL rather than red-black because the rebalancing is easy to verify and the
 * augmentation is recomputed in the same place as the height.  Recursion
 * depth is bounded by 1.44 log2(n): about 30 for a million nodes.
 */
#include "vk_internal.h"

static inline int height(const struct vki_node *n)
{
	return n ? n->height : 0;
}

/* Recompute height and augmentation of n from its children. */
static void pull(const struct vki_tree *t, struct vki_node *n)
{
	int hl = height(n->left), hr = height(n->right);
	n->height = 1 + (hl > hr ? hl : hr);
	if (t->value) {
		uintptr_t a = t->value(n);
		if (n->left && n->left->aug > a)
			a = n->left->aug;
		if (n->right && n->right->aug > a)
			a = n->right->aug;
		n->aug = a;
	}
}

static struct vki_node *rotate_right(const struct vki_tree *t, struct vki_node *n)
{
	struct vki_node *l = n->left;
	n->left = l->right;
	l->right = n;
	pull(t, n);
	pull(t, l);
	return l;
}

static struct vki_node *rotate_left(const struct vki_tree *t, struct vki_node *n)
{
	struct vki_node *r = n->right;
	n->right = r->left;
	r->left = n;
	pull(t, n);
	pull(t, r);
	return r;
}

static struct vki_node *balance(const struct vki_tree *t, struct vki_node *n)
{
	pull(t, n);
	int bf = height(n->left) - height(n->right);
	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(t, n->left);
		return rotate_right(t, n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(t, n->right);
		return rotate_left(t, n);
	}
	return n;
}

static struct vki_node *insert_at(const struct vki_tree *t, struct vki_node *root,
				  struct vki_node *n)
{
	if (!root)
		return n;
	VKI_CHECK(n->key != root->key);
	if (n->key < root->key)
		root->left = insert_at(t, root->left, n);
	else
		root->right = insert_at(t, root->right, n);
	return balance(t, root);
}

void vki_tree_insert(struct vki_tree *t, struct vki_node *n)
{
	n->left = n->right = NULL;
	pull(t, n);
	t->root = insert_at(t, t->root, n);
	t->count++;
}

/* Detach the smallest node of root's subtree into *min. */
static struct vki_node *remove_min(const struct vki_tree *t, struct vki_node *root,
				   struct vki_node **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = remove_min(t, root->left, min);
	return balance(t, root);
}

static struct vki_node *remove_at(const struct vki_tree *t, struct vki_node *root,
				  struct vki_node *n)
{
	VKI_CHECK(root != NULL); /* n must be in the tree */
	if (n->key < root->key) {
		root->left = remove_at(t, root->left, n);
	} else if (n->key > root->key) {
		root->right = remove_at(t, root->right, n);
	} else {
		VKI_CHECK(root == n);
		if (!n->left)
			return n->right;
		if (!n->right)
			return n->left;
		struct vki_node *succ;
		struct vki_node *right = remove_min(t, n->right, &succ);
		succ->left = n->left;
		succ->right = right;
		return balance(t, succ);
	}
	return balance(t, root);
}

void vki_tree_remove(struct vki_tree *t, struct vki_node *n)
{
	t->root = remove_at(t, t->root, n);
	t->count--;
	n->left = n->right = NULL;
}

struct vki_node *vki_tree_find(const struct vki_tree *t, uintptr_t key)
{
	struct vki_node *n = t->root;
	while (n && n->key != key)
		n = key < n->key ? n->left : n->right;
	return n;
}

struct vki_node *vki_tree_floor(const struct vki_tree *t, uintptr_t key)
{
	struct vki_node *n = t->root, *best = NULL;
	while (n) {
		if (n->key <= key) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

struct vki_node *vki_tree_ceil(const struct vki_tree *t, uintptr_t key)
{
	struct vki_node *n = t->root, *best = NULL;
	while (n) {
		if (n->key >= key) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct vki_node *vki_tree_first(const struct vki_tree *t)
{
	struct vki_node *n = t->root;
	while (n && n->left)
		n = n->left;
	return n;
}

struct vki_node *vki_tree_next(const struct vki_tree *t, const struct vki_node *n)
{
	return n->key == UINTPTR_MAX ? NULL : vki_tree_ceil(t, n->key + 1);
}

static void update_at(const struct vki_tree *t, struct vki_node *root, uintptr_t key)
{
	if (!root)
		return;
	if (key < root->key)
		update_at(t, root->left, key);
	else if (key > root->key)
		update_at(t, root->right, key);
	pull(t, root);
}

void vki_tree_update(struct vki_tree *t, struct vki_node *n)
{
	update_at(t, t->root, n->key);
}

/* Returns the subtree height, or -1 after printing a problem. */
static int verify_at(const struct vki_tree *t, const struct vki_node *n, uintptr_t lo,
		     uintptr_t hi, size_t *count, const char *name)
{
	if (!n)
		return 0;
	(*count)++;
	if (n->key < lo || n->key > hi) {
		vki_printf("vkasan: invariant: %s tree: key %p out of order\n", name, (void *)n->key);
		return -1;
	}
	int hl = verify_at(t, n->left, lo, n->key ? n->key - 1 : 0, count, name);
	int hr = verify_at(t, n->right, n->key + 1, hi, count, name);
	if (hl < 0 || hr < 0)
		return -1;
	int h = 1 + (hl > hr ? hl : hr);
	if (n->height != h || hl - hr > 1 || hr - hl > 1) {
		vki_printf("vkasan: invariant: %s tree: node %p height %d (children %d, %d)\n",
			   name, (void *)n->key, n->height, hl, hr);
		return -1;
	}
	if (t->value) {
		uintptr_t a = t->value(n);
		if (n->left && n->left->aug > a)
			a = n->left->aug;
		if (n->right && n->right->aug > a)
			a = n->right->aug;
		if (n->aug != a) {
			vki_printf("vkasan: invariant: %s tree: node %p subtree max %lu, expected %lu\n",
				   name, (void *)n->key, (unsigned long)n->aug, (unsigned long)a);
			return -1;
		}
	}
	return h;
}

int vki_tree_verify(const struct vki_tree *t, const char *name)
{
	size_t count = 0;
	if (verify_at(t, t->root, 0, UINTPTR_MAX, &count, name) < 0)
		return 1;
	if (count != t->count) {
		vki_printf("vkasan: invariant: %s tree: %lu nodes, count says %lu\n", name,
			   (unsigned long)count, (unsigned long)t->count);
		return 1;
	}
	return 0;
}
