// A C++ program whose containers are alive at exit (globals, a static local,
// thread_local ones, a thread still running) and that used iostreams,
// locales and exceptions: the leak check at exit reports nothing (the
// library's own allocations hang off its globals) and the program exits 0.
// Then the control: one object leaked on purpose is reported.
//
// RUN: %cxx %s -o %t -pthread
// RUN: %run %t > %t.out 2> %t.err
// RUN: count 0 < %t.err
// RUN: FileCheck %s < %t.out
// RUN: not %run %t leak 2>&1 | FileCheck %s --check-prefix=LEAK
// CHECK: words=4 map=1000 list=100 caught=boom
#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <list>
#include <locale>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

std::map<std::string, std::vector<int>> g_map;
std::unordered_map<int, std::string> g_hash;
std::list<std::shared_ptr<std::string>> g_list;
std::unique_ptr<std::vector<std::string>> g_words;
thread_local std::vector<std::string> t_vec;
static std::atomic<bool> stop_spin;

static std::string &cached()
{
	static std::string s(1000, 'x');
	return s;
}

int main(int argc, char **argv)
{
	for (int i = 0; i < 1000; i++) {
		g_map["key" + std::to_string(i)].assign(i % 7 + 1, i);
		g_hash[i] = std::string(i % 50 + 20, 'h');
	}
	for (int i = 0; i < 100; i++)
		g_list.push_back(std::make_shared<std::string>(64, 'l'));
	g_words.reset(new std::vector<std::string>{"alpha", "beta", "gamma", "delta"});
	t_vec.assign(10, std::string(100, 't'));
	cached();
	std::ostringstream os;
	os.imbue(std::locale::classic());
	os << 3.25 << ' ' << std::string(200, 's');
	std::string caught;
	try {
		throw std::runtime_error("boom");
	} catch (const std::exception &e) {
		caught = e.what();
	}
	// A thread that is still running (with containers of its own) at exit.
	std::thread([] {
		t_vec.assign(5, std::string(300, 'u'));
		std::vector<std::unique_ptr<int>> mine;
		for (int i = 0; i < 50; i++)
			mine.emplace_back(new int(i));
		while (!stop_spin)
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}).detach();
	if (argc > 1 && !strcmp(argv[1], "leak")) {
		// LEAK: unreferenced object 0x{{[0-9a-f]+}} (size 4000):
		// LEAK: vkasan: 1 unreferenced objects (4000 bytes): 1 direct, 0 indirect
		volatile int *lost = new int[1000];
		lost[0] = 1;
		lost = nullptr;
	}
	std::cout << "words=" << g_words->size() << " map=" << g_map.size()
		  << " list=" << g_list.size() << " caught=" << caught << std::endl;
	return 0;
}
