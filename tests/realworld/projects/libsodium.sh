# libsodium: cryptography; make check runs its 70-odd test programs against
# known answers.
PKG=libsodium
. "$RW_HERE/lib.sh"
# The test programs are built with the library ("make check TESTS=" runs
# none), so that the timed suite only runs them.
build() { autotools_build --disable-asm && make -j${RW_JOBS:-2} check TESTS=; }
check() { make check; }
