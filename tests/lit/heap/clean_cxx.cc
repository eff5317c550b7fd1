// A C++ program built with vkasan-cc (the configuration's C++ compiler):
// containers, strings, smart pointers, aligned new, threads - silent; the
// heap served its allocations (the operators are interposed).
//
// RUN: %cxx %s -o %t -pthread
// RUN: %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// CHECK: sum=49995000 map=10000 str=10000
// CHECK-NEXT: heap objects seen: 1, reports=0, invariants=0
#include <cstdio>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>
#include "vkasan.h"

struct alignas(64) Wide {
	char c[100];
};

int main()
{
	std::vector<long> v;
	std::map<int, std::string> m;
	std::unordered_map<std::string, int> u;
	for (int i = 0; i < 10000; i++) {
		v.push_back(i);
		m[i] = std::to_string(i) + " is a number long enough for the heap";
		u[m[i]] = i;
	}
	long sum = 0;
	for (long x : v)
		sum += x;
	std::vector<std::thread> ts;
	for (int t = 0; t < 3; t++)
		ts.emplace_back([t] {
			auto p = std::make_unique<Wide[]>(10 + t);
			p[3].c[99] = 1;
			auto s = std::make_shared<std::string>(1000, 'x');
			std::vector<std::unique_ptr<int>> w;
			for (int i = 0; i < 1000; i++)
				w.push_back(std::make_unique<int>(i));
		});
	for (auto &t : ts)
		t.join();
	Wide *w = new Wide;
	bool aligned = ((uintptr_t)w & 63) == 0;
	delete w;
	int *probe = new int(5);
	struct vk_stats s;
	vk_get_stats(&s);
	std::printf("sum=%ld map=%zu str=%zu\n", sum, m.size(), u.size());
	std::printf("heap objects seen: %d, reports=%d, invariants=%d\n",
		    s.heap_objects > 10000 && aligned, (int)s.reports, vk_check_invariants());
	delete probe;
	return 0;
}
