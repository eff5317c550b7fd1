// A C++ program for cxx_names.test: the bug is in a member function of a
// class in a namespace.
#include "vkasan.h"

namespace drv {
struct Dev {
	char *buf;
	explicit Dev(unsigned long n) : buf(static_cast<char *>(vk_vmalloc(n))) {}
	~Dev() { vk_vfree(buf); }
	__attribute__((noinline)) void poke(int i) { static_cast<volatile char *>(buf)[i] = 1; }
};
} // namespace drv

int main()
{
	drv::Dev d(16);
	d.poke(16);
	return 0;
}
