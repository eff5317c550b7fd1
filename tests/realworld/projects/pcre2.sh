# pcre2: regular expressions, with the JIT; make check runs RunTest (the
# pcre2test scripts), RunGrepTest and pcre2_jit_test.
PKG=pcre2
LIB_TARGET=pcre2test
. "$RW_HERE/lib.sh"
build() { autotools_build --enable-jit; }
check() { make check; }
# RunGrepTest's "script callouts" part fails now and then in any build,
# plain included (README, "Findings"): pcre2grep forks the callout's
# command and flushes its own buffered lines only after fork(), so whether
# "/bin/echo"'s line comes first is up to the scheduler (more often lost
# by the slower sanitized builds, and under load).
