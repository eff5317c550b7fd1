#!/bin/sh
# run-lit.sh BUILD_DIR - run the lit suite in every configuration:
# {gcc, clang} x {-O0, -O2} x {outline, inline}, all in one lit process (-j2), so
# that lit prints one summary ("  Passed: N", "  Failed: N") for
# tests/run-tests.sh to add up.  Exits non-zero when anything failed.
#
# Environment: VK_LIT_CCS (default "gcc clang"), VK_LIT_OPTS ("-O0 -O2"),
# VK_LIT_MODES ("outline inline"), VK_LIT_JOBS (2), LIT (lit.py), LIT_ARGS (extra
# lit arguments, e.g. "--filter uaf").
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
LIT=${LIT:-/usr/lib/llvm-14/build/utils/lit/lit.py}

if [ ! -d "$B" ]; then
	echo "run-lit.sh: build directory '$B' not found (run make B=$B)" >&2
	exit 2
fi
B=$(cd "$B" && pwd)
if [ ! -f "$LIT" ]; then
	echo "run-lit.sh: lit not found at $LIT (apt-get install llvm-14-tools)" >&2
	exit 2
fi

dirs=
for mode in ${VK_LIT_MODES:-outline inline}; do
	for cc in ${VK_LIT_CCS:-gcc clang}; do
		for opt in ${VK_LIT_OPTS:--O0 -O2}; do
			d=$B/lit/$cc$opt-$mode
			mkdir -p "$d"
			cat > "$d/lit.site.cfg.py" <<SITE
# Written by tests/lit/run-lit.sh: one configuration of the suite.
config.vk_cc = "$cc"
config.vk_opt = "$opt"
config.vk_mode = "$mode"
config.vk_build = "$B"
config.vk_exec_root = "$d"
lit_config.load_config(config, "$here/lit.cfg.py")
SITE
			dirs="$dirs $d"
		done
	done
done

# shellcheck disable=SC2086
# -v without -s: a "PASS: name (i of N)" line per test, which
# tests/run-tests.sh turns into progress lines.
exec python3 "$LIT" -v --no-progress-bar -j "${VK_LIT_JOBS:-2}" $LIT_ARGS $dirs
