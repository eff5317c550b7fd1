#include <stdio.h>
#include "table.h"

int main(void)
{
	struct table *t = table_new(10);
	printf("sum %d\n", table_sum(t));
	return 0;
}
