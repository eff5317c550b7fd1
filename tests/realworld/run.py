#!/usr/bin/env python3
"""vkasan against AddressSanitizer on real programs and their own test suites.

Each project (a recipe in projects/NAME.sh) is fetched as a Debian source
package with `apt-get source`, built four ways - plain, AddressSanitizer,
vkasan-cc (outline) and vkasan-cc --inline - in separate copies, and its own
test suite run under GNU time with every sanitizer report logged to files.
Then each injected bug (bugs/NAME/*.patch) is applied to the built copies,
rebuilt incrementally, triggered, reverted.  Results: results.md and
results.csv in the work directory.

  run.py [--quick] [--projects a,b] [--builds plain,asan,vk,vki]
         [--no-bugs] [--bugs-only [--bug a,b]] [--report-only] [--publish DIR]
         [--repeat N] [--retime] [--resume] [--ci]

Environment: VKASAN_BUILD (the vkasan build tree, default ./build),
VKASAN_RW_DIR (work directory, default $VKASAN_BUILD/realworld), RW_JOBS
(parallel build jobs, default 2).
"""
import argparse, csv, glob, json, math, os, re, shutil, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDS = ["plain", "asan", "vk", "vki"]
BUILD_NAMES = {"plain": "plain", "asan": "ASan", "vk": "vkasan outline", "vki": "vkasan inline"}
QUICK = ["libyaml", "zlib"]  # the two fastest to build (make realworld-quick)
CFLAGS = "-O2 -g"

VK_RE = re.compile(r"BUG: KASAN: ([\w-]+)")
ASAN_RE = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")
# Leak checks at exit: vkasan's summary line, LeakSanitizer's header.
VK_LEAK_RE = re.compile(r"^vkasan: \d+ unreferenced objects", re.M)
LSAN_RE = re.compile(r"ERROR: LeakSanitizer: detected memory leaks")


def log(msg):
    print("realworld %s: %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def sh(cmd, cwd=None, env=None, out=None, check=True, timeout=None, sampler=None):
    """Run a shell command; its output goes to the file `out` (appended).
    A command still running after `timeout` seconds is killed (status 124).
    sampler: an RssSampler started on the command's process."""
    f = open(out, "a") if out else None
    try:
        p = subprocess.Popen(cmd, shell=True, cwd=cwd, env=env, stdout=f or subprocess.DEVNULL,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        if sampler:
            sampler.start_on(p.pid)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            rc = 124
            if f:
                f.write("\nrealworld: killed after %s s\n" % timeout)
    finally:
        if sampler:
            sampler.finish()
        if f:
            f.close()
    if check and rc != 0:
        raise RuntimeError("failed (%d): %s" % (rc, cmd))
    return rc


class RssSampler:
    """The peak RSS of the project's own programs in a suite: every 10 ms,
    the process tree under the suite's shell is walked (/proc/PID/task/TID/
    children) and, for each process whose executable lies in the project's
    tree, its VmHWM (its own high-water mark) is read.  GNU time's figure is
    the largest process of the suite, which for ctest-driven suites is
    ctest itself; this one leaves the drivers (ctest, make, sh, python) out.
    A program that lives less than ~10 ms can be missed."""

    def __init__(self, tree):
        self.tree = os.path.realpath(tree) + "/"
        self.peak_kb = 0
        self.procs = set()
        self._stop = threading.Event()
        self._t = None

    def start_on(self, pid):
        self.root = pid
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def finish(self):
        self._stop.set()
        if self._t:
            self._t.join()

    @staticmethod
    def _children(pid):
        out = []
        try:
            for t in os.listdir("/proc/%d/task" % pid):
                try:
                    with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                        out += [int(x) for x in f.read().split()]
                except OSError:
                    pass
        except OSError:
            pass
        return out

    def _sample(self):
        todo = [self.root]
        while todo:
            pid = todo.pop()
            todo += self._children(pid)
            try:
                if not os.readlink("/proc/%d/exe" % pid).startswith(self.tree):
                    continue
                with open("/proc/%d/status" % pid) as f:
                    m = re.search(r"^VmHWM:\s+(\d+)", f.read(), re.M)
            except OSError:
                continue
            if m:
                self.procs.add(pid)
                self.peak_kb = max(self.peak_kb, int(m.group(1)))

    def _run(self):
        while not self._stop.wait(0.01):
            self._sample()


def recipe_var(name, var):
    """A variable of a recipe: `. projects/NAME.sh; echo $VAR`."""
    p = os.path.join(HERE, "projects", name + ".sh")
    r = subprocess.run(["sh", "-c", '. "$0"; eval "printf %s \\"\\$$1\\""', p, var],
                       capture_output=True, text=True, env=dict(os.environ, RW_HERE=HERE))
    return r.stdout


# ------------------------------------------------------------------ sources

SUDO = "" if os.geteuid() == 0 else "sudo "


def setup_deb_src(work):
    """Add deb-src lines for the archive apt already uses (once)."""
    lst = "/etc/apt/sources.list.d/vkasan-src.list"
    lines = subprocess.run(["sh", os.path.join(HERE, "debsrc.sh")], capture_output=True,
                           text=True, check=True).stdout
    # Only Debian's archives publish sources here.
    lines = "".join(l + "\n" for l in lines.splitlines() if "/debian" in l)
    old = open(lst).read() if os.path.exists(lst) else None
    if old != lines:
        log("writing %s and running apt-get update" % lst)
        tmp = os.path.join(work, "vkasan-src.list")
        with open(tmp, "w") as f:
            f.write(lines)
        sh("%scp %s %s && %sapt-get update -q" % (SUDO, tmp, lst, SUDO), out=os.path.join(work, "apt.log"))


def install_tools(work):
    """The tools the recipes need, from the distribution (once)."""
    need = [p for p, exe in (("dpkg-dev", "dpkg-source"), ("time", "/usr/bin/time"),
                             ("cmake", "cmake"), ("autoconf", "autoreconf"),
                             ("automake", "automake"), ("libtool", "libtoolize"),
                             ("g++", "g++"), ("patch", "patch"), ("zlib1g-dev", None))
            if (exe and not shutil.which(exe)) or (not exe and not os.path.exists("/usr/include/zlib.h"))]
    if need:
        log("installing " + " ".join(need))
        sh("%sDEBIAN_FRONTEND=noninteractive apt-get install -y -q " % SUDO + " ".join(need),
           out=os.path.join(work, "apt.log"))


def fetch(pkg, work):
    """Download (cached) and extract a source package; return its tree."""
    dl = os.path.join(work, "dl")
    os.makedirs(dl, exist_ok=True)
    dscs = sorted(glob.glob(os.path.join(dl, pkg + "_*.dsc")))
    if not dscs:
        aptlog = os.path.join(work, "apt.log")
        if sh("apt-get source --download-only -q %s" % pkg, cwd=dl, out=aptlog, check=False):
            # The newest version may live in a suite whose pool lacks it
            # (security updates): try the others, newest first.
            vers = subprocess.run("apt-cache showsrc %s | sed -n 's/^Version: //p'" % pkg,
                                  shell=True, capture_output=True, text=True).stdout.split()
            for v in reversed(sorted(vers, key=_debver)):
                if sh("apt-get source --download-only -q %s=%s" % (pkg, v), cwd=dl, out=aptlog,
                      check=False) == 0:
                    break
            else:
                raise RuntimeError("apt-get source %s failed (see %s)" % (pkg, aptlog))
        dscs = sorted(glob.glob(os.path.join(dl, pkg + "_*.dsc")))
    dsc = dscs[-1]
    src = os.path.join(work, "src", os.path.basename(dsc)[:-4])
    if not os.path.isdir(src):
        os.makedirs(os.path.dirname(src), exist_ok=True)
        sh("dpkg-source -x %s %s" % (dsc, src + ".tmp"),
           out=os.path.join(work, "apt.log"))
        os.rename(src + ".tmp", src)
    return src


def _debver(v):
    """Sort key for Debian versions, good enough for one package's list."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", v)]


# ------------------------------------------------------------------ compilers

def make_wrappers(work, vkb):
    """One directory of cc/c++ wrappers per build, so every build system
    sees a plain compiler path whatever the flags are."""
    vkcc = os.path.join(vkb, "bin", "vkasan-cc")
    if not os.access(vkcc, os.X_OK):
        sys.exit("realworld: %s not found: build vkasan first (make)" % vkcc)
    defs = {
        "plain": ("exec gcc \"$@\"", "exec g++ \"$@\""),
        "asan": ("exec gcc -fsanitize=address -fno-omit-frame-pointer \"$@\"",
                 "exec g++ -fsanitize=address -fno-omit-frame-pointer \"$@\""),
        "vk": ("VKASAN_CC=gcc exec %s \"$@\"" % vkcc, "VKASAN_CC=g++ exec %s \"$@\"" % vkcc),
        "vki": ("VKASAN_CC=gcc exec %s --inline \"$@\"" % vkcc,
                "VKASAN_CC=g++ exec %s --inline \"$@\"" % vkcc),
    }
    for b, (c, cxx) in defs.items():
        d = os.path.join(work, "cc", b)
        os.makedirs(d, exist_ok=True)
        for name, body in (("cc", c), ("c++", cxx)):
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write("#!/bin/sh\n%s\n" % body)
            os.chmod(p, 0o755)


def build_env(work, build, logdir):
    env = dict(os.environ)
    d = os.path.join(work, "cc", build)
    env.update(CC=os.path.join(d, "cc"), CXX=os.path.join(d, "c++"), CFLAGS=CFLAGS,
               CXXFLAGS=CFLAGS, LDFLAGS="", LC_ALL="C")
    # Parallel build jobs: RW_JOBS (default 2; the recipes use it too).
    env["MAKEFLAGS"] = "-j%s" % env.get("RW_JOBS", "2")
    env["RW_HERE"] = HERE
    env.pop("MAKELEVEL", None)
    env.pop("MFLAGS", None)
    # Reports from every process go to files: nothing disturbs the suites'
    # own output checks, and every process is counted.
    # Both leak checks on (their defaults on Linux): each scans the heap at
    # every process's exit, so the times compare the same work, and a leak
    # either finds shows in both columns.  An impossible allocation returns
    # NULL, as vkasan's does (json-c's tests ask for one on purpose).
    env["ASAN_OPTIONS"] = ("log_path=%s/asan:halt_on_error=0:detect_leaks=1:"
                           "allocator_may_return_null=1" % logdir)
    env["VKASAN_OPTIONS"] = "log_path=%s/vk:halt_on_error=0:print_stats=1" % logdir
    return env


# ------------------------------------------------------------------ logs

def scan_reports(logdir, findings=""):
    """Sanitizer reports in a log directory: list of (kind, type, file,
    finding).  A leak report is type "leak".  finding: the log file matches
    the recipe's FINDINGS regex (a real bug of the project, documented in
    the README), so its reports are not false reports."""
    found = []
    fre = re.compile(findings, re.M) if findings else None
    for f in sorted(glob.glob(os.path.join(logdir, "*"))):
        if not os.path.isfile(f):
            continue
        try:
            text = open(f, errors="replace").read()
        except OSError:
            continue
        fd = bool(fre and fre.search(text))
        for m in VK_RE.finditer(text):
            found.append(("vkasan", m.group(1), f, fd))
        for m in VK_LEAK_RE.finditer(text):
            found.append(("vkasan", "leak", f, fd))
        for m in ASAN_RE.finditer(text):
            found.append(("asan", m.group(1), f, fd))
        for m in LSAN_RE.finditer(text):
            found.append(("asan", "leak", f, fd))
    return found


def scan_shadow(logdir):
    """Largest resident shadow (pages present at exit) of any process."""
    best = 0
    for f in glob.glob(os.path.join(logdir, "vk.*")):
        for m in re.finditer(r"^\s+shadow_pages\s+(\d+)", open(f, errors="replace").read(), re.M):
            best = max(best, int(m.group(1)))
    return best * 4096


def parse_counts(text, rc):
    """(passed, failed) from a suite's output - automake's summaries, ctest's
    and the recipes' RW-COUNT lines, added up - or from its exit status."""
    p = f = 0
    hit = False
    for m in re.finditer(r"^# (PASS|FAIL|XPASS|ERROR):\s+(\d+)", text, re.M):
        hit = True
        if m.group(1) == "PASS":
            p += int(m.group(2))
        else:
            f += int(m.group(2))
    for m in re.finditer(r"tests passed, (\d+) tests failed out of (\d+)", text):
        hit = True
        f += int(m.group(1))
        p += int(m.group(2)) - int(m.group(1))
    for m in re.finditer(r"^RW-COUNT passed=(\d+) failed=(\d+)", text, re.M):
        hit = True
        p += int(m.group(1))
        f += int(m.group(2))
    if not hit:
        return (1, 0) if rc == 0 else (0, 1)
    if rc != 0 and f == 0:
        f = 1  # the suite failed in a way its counts do not show
    return p, f


# ------------------------------------------------------------------ phases

def run_project(name, work, builds, do_tests, do_bugs, resume=False, repeat=1, retime=False):
    """Build the project the four ways, back to back; then time the suites,
    interleaved (plain, asan, vk, vki, plain, ...) `repeat` times; then the
    injected bugs."""
    pkg = recipe_var(name, "PKG") or name
    src = fetch(pkg, work)
    recipe = os.path.join(HERE, "projects", name + ".sh")
    findings = recipe_var(name, "FINDINGS")
    state = {}
    for b in builds:
        tree = os.path.join(work, "build", name, b)
        res_file = os.path.join(work, "results", "%s.%s.json" % (name, b))
        res = json.load(open(res_file)) if os.path.exists(res_file) else {}
        logs = os.path.join(work, "logs", name, b)
        state[b] = (tree, res_file, res, logs)
        if (resume or retime) and res.get("builds") is not None and os.path.isdir(tree):
            log("%s/%s: build kept from an earlier run (--resume)" % (name, b))
        elif do_tests:
            res = {"project": name, "build": b, "version": os.path.basename(src)}
            state[b] = (tree, res_file, res, logs)
            shutil.rmtree(tree, ignore_errors=True)
            shutil.rmtree(logs, ignore_errors=True)
            os.makedirs(logs)
            shutil.copytree(src, tree, symlinks=True)
            blog = os.path.join(logs, "build.log")
            os.makedirs(os.path.join(logs, "build"))
            env = build_env(work, b, os.path.join(logs, "build"))
            log("%s/%s: building" % (name, b))
            t0 = time.time()
            rc = sh('. "%s"; set -x; build' % recipe, cwd=tree, env=env, out=blog, check=False)
            res["build_s"] = round(time.time() - t0, 1)
            res["builds"] = rc == 0
            reps = scan_reports(os.path.join(logs, "build"), findings)
            res["build_reports"] = len([r for r in reps if not r[3]])
            res["build_findings"] = len([r for r in reps if r[3]])
            log("%s/%s: build %s in %.0f s" % (name, b, "ok" if rc == 0 else "FAILED", res["build_s"]))
            os.makedirs(os.path.dirname(res_file), exist_ok=True)
            json.dump(res, open(res_file, "w"), indent=1)
    if do_tests:
        todo = [b for b in builds if state[b][2].get("builds")
                and not (resume and state[b][2].get("runs"))]
        for b in todo:
            res = state[b][2]
            res["runs"] = []
            shutil.rmtree(os.path.join(state[b][3], "test"), ignore_errors=True)
        for i in range(repeat):
            if i and todo and max(state[b][2]["runs"][0]["test_s"] for b in todo) > REPEAT_MAX_S:
                log("%s: a suite took more than %d s: run once" % (name, REPEAT_MAX_S))
                break
            for b in todo:
                tree, res_file, res, logs = state[b]
                log("%s/%s: running the test suite (%d/%d)" % (name, b, i + 1, repeat))
                res["runs"].append(run_suite(work, b, recipe, tree, logs, i, findings))
                summarize(res)
                json.dump(res, open(res_file, "w"), indent=1)
            for b in todo:
                log("%s/%s: %s" % (name, b, json.dumps(state[b][2]["runs"][-1])))
    for b in builds:
        tree, res_file, res, logs = state[b]
        if do_bugs and res.get("builds") and b != "plain" and not (resume and "bugs" in res):
            res["bugs"] = run_bugs(name, recipe, tree, work, b, res.get("bugs") if ONLY_BUGS else None)
            json.dump(res, open(res_file, "w"), indent=1)


REPEAT_MAX_S = 60  # suites longer than this (in any build) run once


def run_suite(work, b, recipe, tree, logs, i, findings):
    """One run of the suite under GNU time; its reports go to logs/test/N."""
    ldir = os.path.join(logs, "test", str(i))
    shutil.rmtree(ldir, ignore_errors=True)
    os.makedirs(ldir)
    env = build_env(work, b, ldir)
    tlog = os.path.join(logs, "test.%d.log" % i)
    if os.path.exists(tlog):
        os.remove(tlog)
    rss = os.path.join(logs, "time.%d.txt" % i)
    load = os.getloadavg()[0]
    t0 = time.time()
    smp = RssSampler(tree)
    rc = sh('/usr/bin/time -v -o "%s" sh -c \'. "%s"; set -x; check\'' % (rss, recipe),
            cwd=tree, env=env, out=tlog, check=False, timeout=3600, sampler=smp)
    run = {"test_s": round(time.time() - t0, 2), "load": round(load, 2), "rc": rc,
           "prog_rss_kb": smp.peak_kb or None, "prog_procs": len(smp.procs)}
    text = open(tlog, errors="replace").read()
    run["passed"], run["failed"] = parse_counts(text, rc)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(rss).read())
    run["peak_rss_kb"] = int(m.group(1)) if m else None
    reps = scan_reports(ldir, findings)
    run["false_reports"] = len([r for r in reps if not r[3]])
    run["findings"] = len([r for r in reps if r[3]])
    run["report_types"] = sorted({"%s:%s" % (k, t) for k, t, _, fd in reps if not fd})
    run["finding_types"] = sorted({"%s:%s" % (k, t) for k, t, _, fd in reps if fd})
    run["shadow_bytes"] = scan_shadow(ldir) if b in ("vk", "vki") else None
    return run


def summarize(res):
    """The figures of a build over its suite runs: best wall time and the
    peak RSS of that run; counts and reports of the worst run."""
    runs = res["runs"]
    best = min(runs, key=lambda r: r["test_s"])
    res["test_s"] = best["test_s"]
    res["test_s_all"] = [r["test_s"] for r in runs]
    res["load"] = [r["load"] for r in runs]
    res["peak_rss_kb"] = best["peak_rss_kb"]
    res["peak_rss_kb_all"] = [r["peak_rss_kb"] for r in runs]
    res["prog_rss_kb"] = best.get("prog_rss_kb")
    res["prog_procs"] = best.get("prog_procs")
    res["passed"] = min(r["passed"] for r in runs)
    res["failed"] = max(r["failed"] for r in runs)
    res["false_reports"] = max(r["false_reports"] for r in runs)
    res["findings"] = max(r["findings"] for r in runs)
    res["report_types"] = sorted({t for r in runs for t in r["report_types"]})
    res["finding_types"] = sorted({t for r in runs for t in r["finding_types"]})
    sh_ = [r["shadow_bytes"] for r in runs if r["shadow_bytes"] is not None]
    res["shadow_bytes"] = max(sh_) if sh_ else None


def bug_header(patch, key):
    for line in open(patch):
        if line.lower().startswith("# %s:" % key):
            return line.split(":", 1)[1].strip()
    return ""


ONLY_BUGS = None  # --bug: run only these bugs, keep the others' results


def run_bugs(name, recipe, tree, work, b, keep=None):
    """Apply each injected bug, rebuild incrementally, trigger, revert."""
    out = {}
    # A bug left applied by an interrupted run is reverted first.
    mark = os.path.join(tree, "_rw_applied")
    if os.path.exists(mark):
        sh('patch -R -p1 --no-backup-if-mismatch < "%s"' % open(mark).read().strip(), cwd=tree,
           check=False)
        os.remove(mark)
    for patch in sorted(glob.glob(os.path.join(HERE, "bugs", name, "*.patch"))):
        bug = os.path.basename(patch)[:-6]
        if ONLY_BUGS and bug not in ONLY_BUGS:
            if keep and bug in keep:
                out[bug] = keep[bug]
            continue
        logs = os.path.join(work, "logs", name, b, "bug-" + bug)
        shutil.rmtree(logs, ignore_errors=True)
        os.makedirs(logs)
        blog = os.path.join(logs, "build.log")
        env = build_env(work, b, logs)
        env["RW_BUGS"] = os.path.join(HERE, "bugs", name)
        r = {"expect": bug_header(patch, "expect"), "caught": False, "type": None}
        modes = bug_header(patch, "modes").split("(")[0].split()
        if modes and b not in modes:
            r["type"] = "n/a"  # e.g. a stack bug in outline mode: nothing to catch it with
            out[bug] = r
            continue
        if sh('patch --dry-run -p1 < "%s"' % patch, cwd=tree, out=blog, check=False):
            r["type"] = "patch-failed"
            out[bug] = r
            continue
        with open(mark, "w") as f:
            f.write(patch + "\n")
        sh('patch -p1 --no-backup-if-mismatch < "%s"' % patch, cwd=tree, out=blog)
        try:
            if sh('. "%s"; set -x; rebuild' % recipe, cwd=tree, env=env, out=blog, check=False):
                r["type"] = "build-failed"
            else:
                trig = bug_header(patch, "trigger")
                rc = sh(trig, cwd=tree, env=env, out=os.path.join(logs, "trigger.log"), check=False,
                        timeout=60)
                # Leaks at exit are the suites' business, not the bug's.
                reps = [x for x in scan_reports(logs) if x[1] != "leak"]
                r["rc"] = rc
                if reps:
                    r["caught"] = True
                    r["type"] = reps[0][1]
        finally:
            # Reverted now, rebuilt with the next bug's build (or below).
            sh('patch -R -p1 --no-backup-if-mismatch < "%s"' % patch, cwd=tree, out=blog)
            os.remove(mark)
        log("%s/%s bug %s: %s" % (name, b, bug, r))
        out[bug] = r
    if out and not ONLY_BUGS or any(b in out for b in ONLY_BUGS or []):
        sh('. "%s"; rebuild' % recipe, cwd=tree, env=build_env(work, b, os.path.join(work, "logs", name, b)),
           out=os.path.join(work, "logs", name, b, "rebuild.log"), check=False)
    return out


# ------------------------------------------------------------------ report

def fmt_s(x):
    return "-" if x is None else ("%.2f" % x if x < 10 else "%.1f" % x)


def fmt_mb(kb):
    return "-" if kb is None else "%.1f" % (kb / 1024.0)


def ratios(by, b, rss="prog_rss_kb"):
    """Per project: (wall time, peak RSS) of build b over ASan's."""
    out = {}
    for (p, bb), r in by.items():
        a = by.get((p, "asan"))
        if bb != b or not a or not r.get("test_s") or not a.get("test_s") \
                or not r.get(rss) or not a.get(rss):
            continue
        out[p] = (r["test_s"] / a["test_s"], r[rss] / a[rss])
    return out


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def plot_svg(path, per):
    """Grouped bars, one group per project: vkasan outline and inline wall
    time and peak RSS over ASan's; lines at 1.0 and 1.2.  Plain SVG text."""
    series = [("vk", 0, "#d62728", "outline wall time"), ("vki", 0, "#ff9896", "inline wall time"),
              ("vk", 1, "#1f77b4", "outline peak RSS"), ("vki", 1, "#aec7e8", "inline peak RSS")]
    projects = sorted(set(per.get("vk", {})) | set(per.get("vki", {})))
    if not projects:
        return
    vals = [per[b][p][k] for b, k, _, _ in series for p in projects if p in per.get(b, {})]
    top = max(2.0, math.ceil(max(vals) * 4) / 4)
    W, H, L, T, B = 90 + 70 * len(projects), 380, 50, 40, 80
    ph = H - T - B
    y = lambda v: T + ph - v / top * ph
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="18" font-size="13">vkasan / AddressSanitizer per project: suite wall time (best of runs) and peak RSS</text>' % L]
    step = 0.25 if top <= 2 else 0.5
    v = 0.0
    while v <= top + 1e-9:
        o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e0e0e0"/>' % (L, W - 10, y(v), y(v)))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (L - 4, y(v) + 4, v))
        v += step
    for v, dash in ((1.0, ""), (1.2, ' stroke-dasharray="4,3"')):
        o.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="black"%s/>' % (L, W - 10, y(v), y(v), dash))
    for i, p in enumerate(projects):
        x0 = L + 10 + 70 * i
        for j, (b, k, col, _) in enumerate(series):
            if p not in per.get(b, {}):
                continue
            v = per[b][p][k]
            o.append('<rect x="%d" y="%.1f" width="13" height="%.1f" fill="%s"><title>%s %s %.2f</title></rect>'
                     % (x0 + 14 * j, y(v), T + ph - y(v), col, p, series[j][3], v))
        o.append('<text x="%d" y="%d" text-anchor="end" transform="rotate(-40 %d %d)">%s</text>'
                 % (x0 + 30, T + ph + 14, x0 + 30, T + ph + 14, p))
    for j, (_, _, col, label) in enumerate(series):
        lx = L + 150 * j
        o.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>'
                 % (lx, H - 16, col, lx + 14, H - 7, label))
    o.append('<text x="%d" y="%d">solid line 1.0x, dashed 1.2x (the wall-time target)</text>' % (L, T - 6))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def rescan(work, r):
    """Classify the suite runs' reports again with the recipe's current
    FINDINGS (a finding documented after the run)."""
    if not r.get("runs"):
        return r
    findings = recipe_var(r["project"], "FINDINGS")
    for i, run in enumerate(r["runs"]):
        ldir = os.path.join(work, "logs", r["project"], r["build"], "test", str(i))
        if not os.path.isdir(ldir):
            continue
        reps = scan_reports(ldir, findings)
        run["false_reports"] = len([x for x in reps if not x[3]])
        run["findings"] = len([x for x in reps if x[3]])
        run["report_types"] = sorted({"%s:%s" % (k, t) for k, t, _, fd in reps if not fd})
        run["finding_types"] = sorted({"%s:%s" % (k, t) for k, t, _, fd in reps if fd})
    summarize(r)
    return r


def report(work, vkb, publish=None):
    rows = []
    for f in sorted(glob.glob(os.path.join(work, "results", "*.json"))):
        rows.append(rescan(work, json.load(open(f))))
    order = {b: i for i, b in enumerate(BUILDS)}
    rows.sort(key=lambda r: (r["project"], order.get(r["build"], 9)))
    commit = subprocess.run("git -C %s rev-parse --short HEAD" % HERE, shell=True,
                            capture_output=True, text=True).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    loads = [x for r in rows for x in r.get("load", [])]
    nruns = sorted({len(r.get("test_s_all", [])) for r in rows if r.get("test_s_all")})
    md = ["# vkasan real-world results", "",
          "%s, vkasan commit %s, gcc %s, %s %s, %d CPUs; load average (1 min) at the "
          "suites' starts %s." % (
              stamp, commit or "?",
              subprocess.run("gcc -dumpfullversion", shell=True, capture_output=True,
                             text=True).stdout.strip(), "CFLAGS", repr(CFLAGS), os.cpu_count(),
              "%.1f-%.1f (median %.1f)" % (min(loads), max(loads), sorted(loads)[len(loads) // 2])
              if loads else "?"), "",
          "Each project's four builds are made back to back, then their suites run "
          "interleaved (plain, ASan, outline, inline, plain, ...), %s times each; "
          "a suite longer than %d s runs once.  Wall time: the best run.  Peak RSS "
          "(programs): that run's largest VmHWM of any process whose executable is in "
          "the project's tree, sampled every 10 ms (the project's own programs, not "
          "ctest/make/sh); suite max RSS: GNU time's largest process of that run, "
          "drivers included.  Reports: every `BUG: KASAN`, vkasan leak summary, "
          "`ERROR: AddressSanitizer` and `ERROR: LeakSanitizer` from any process of the "
          "unpatched build (its build and every suite run; both leak checks on); "
          "findings are the reports the recipe's FINDINGS names (real bugs of the "
          "project, in the README), false reports all others.  Resident shadow: the "
          "largest `shadow_pages` of any process at exit (`print_stats=1`) x 4 KiB." % (
              "/".join(str(n) for n in nruns) or "?", REPEAT_MAX_S), "",
          "| project | build | builds | tests passed | failed | false reports | findings "
          "| suite wall s | runs | peak RSS (programs) MiB | suite max RSS MiB | resident shadow KiB |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cwf = open(os.path.join(work, "results.csv"), "w", newline="")
    cw = csv.writer(cwf)
    cw.writerow(["project", "version", "build", "builds", "build_s", "passed", "failed",
                 "false_reports", "report_types", "findings", "finding_types", "test_s",
                 "test_s_all", "load", "prog_rss_kb", "peak_rss_kb", "shadow_bytes"])
    for r in rows:
        fr = (r.get("false_reports") or 0) + (r.get("build_reports") or 0)
        fd = (r.get("findings") or 0) + (r.get("build_findings") or 0)
        shadow = r.get("shadow_bytes")
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["project"], BUILD_NAMES.get(r["build"], r["build"]),
            "yes" if r.get("builds") else "**no**", r.get("passed", "-"),
            r.get("failed", "-"), ("**%d** %s" % (fr, " ".join(r.get("report_types", []))))
            if fr else "0", ("%d %s" % (fd, " ".join(r.get("finding_types", [])))) if fd else "0",
            fmt_s(r.get("test_s")), len(r.get("test_s_all", [])) or "-",
            fmt_mb(r.get("prog_rss_kb")), fmt_mb(r.get("peak_rss_kb")), "-" if shadow is None else "%d" % (shadow // 1024)))
        cw.writerow([r["project"], r.get("version"), r["build"], int(bool(r.get("builds"))),
                     r.get("build_s"), r.get("passed"), r.get("failed"), fr,
                     " ".join(r.get("report_types", [])), fd, " ".join(r.get("finding_types", [])),
                     r.get("test_s"), " ".join(str(x) for x in r.get("test_s_all", [])),
                     " ".join(str(x) for x in r.get("load", [])), r.get("prog_rss_kb"),
                     r.get("peak_rss_kb"), shadow])
    # Geometric means of the suite's wall time and peak RSS, relative to ASan,
    # over the projects that ran under both.
    by = {(r["project"], r["build"]): r for r in rows}
    per = {b: ratios(by, b) for b in ("plain", "vk", "vki")}
    gper = {b: ratios(by, b, "peak_rss_kb") for b in ("plain", "vk", "vki")}
    md += ["", "| vs ASan (geomean over projects) | suite wall time | peak RSS (programs) | projects "
           "| suite max RSS (GNU time) |", "|---|---|---|---|---|"]
    for b in ("plain", "vk", "vki"):
        if per[b]:
            md.append("| %s | %.2fx | %.2fx | %d | %.2fx |" % (
                BUILD_NAMES[b], geomean([t for t, _ in per[b].values()]),
                geomean([m for _, m in per[b].values()]), len(per[b]),
                geomean([m for _, m in gper[b].values()]) or 0))
    md += ["", "| project | outline/ASan wall | inline/ASan wall | outline/ASan RSS | inline/ASan RSS |",
           "|---|---|---|---|---|"]
    for p in sorted(set(per["vk"]) | set(per["vki"])):
        c = lambda b, k: "%.2f" % per[b][p][k] if p in per[b] else "-"
        md.append("| %s | %s | %s | %s | %s |" % (p, c("vk", 0), c("vki", 0), c("vk", 1), c("vki", 1)))
    plot_svg(os.path.join(work, "results.svg"), per)
    # Injected bugs.
    bugs = {}
    for r in rows:
        for bug, br in (r.get("bugs") or {}).items():
            bugs.setdefault((r["project"], bug), {})[r["build"]] = br
    md += ["", "## Injected bugs", "",
           "Caught: a report of any type (leaks at exit not counted); the type shown is the first report's.", "",
           "| project | bug | expected | vkasan outline | vkasan inline | ASan |",
           "|---|---|---|---|---|---|"]
    cbf = open(os.path.join(work, "bugs.csv"), "w", newline="")
    cb = csv.writer(cbf)
    cb.writerow(["project", "bug", "expected", "vk", "vki", "asan"])

    def cell(br, build, modes, exp):
        if modes and build not in modes:
            return "n/a"
        if not br:
            return "-"
        if br.get("caught"):
            wrong = build != "asan" and exp and br["type"] != exp
            return "yes (%s%s)" % (br["type"], ", not the expected type" if wrong else "")
        return "no" + (" (%s)" % br["type"] if br.get("type") else "")
    caught = {"vk": [0, 0], "vki": [0, 0], "asan": [0, 0]}
    for (p, bug), per_ in sorted(bugs.items()):
        exp = next((x.get("expect") for x in per_.values() if x.get("expect")), "")
        patch = os.path.join(HERE, "bugs", p, bug + ".patch")
        modes = bug_header(patch, "modes").split("(")[0].split() if os.path.exists(patch) else []
        cells = [cell(per_.get(b), b, modes, exp) for b in ("vk", "vki", "asan")]
        for b, c in zip(("vk", "vki", "asan"), cells):
            if c not in ("n/a", "-"):
                caught[b][1] += 1
                caught[b][0] += c.startswith("yes")
        md.append("| %s | %s | %s | %s | %s | %s |" % (p, bug, exp, *cells))
        cb.writerow([p, bug, exp, *cells])
    md.append("| **caught** | | | %d/%d | %d/%d | %d/%d |" % (*caught["vk"], *caught["vki"], *caught["asan"]))
    cwf.close()
    cbf.close()
    with open(os.path.join(work, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    log("wrote %s/results.md, results.csv, bugs.csv, results.svg" % work)
    if publish:
        os.makedirs(publish, exist_ok=True)
        for n in ("results.md", "results.csv", "bugs.csv", "results.svg"):
            if os.path.exists(os.path.join(work, n)):
                shutil.copy(os.path.join(work, n), os.path.join(publish, n))
        log("copied them to %s" % publish)


def ci_verdicts(work, names, unfetched):
    """--ci: one PASS/FAIL line per check of the projects that ran, then
    "realworld: N passed, N failed".  Checks: per build, it builds; its suite
    fails no more tests than the plain build's plus those the recipe's
    documented findings fail (FINDING_FAILS); no false report; per injected
    bug and build that can catch it, a report.  Projects whose sources could
    not be fetched are named and not counted."""
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        print("%s: realworld %s" % ("PASS" if ok else "FAIL", what), flush=True)
        passed += ok
        failed += not ok
    for n in names:
        if n in unfetched:
            continue
        rows = {}
        for b in BUILDS:
            f = os.path.join(work, "results", "%s.%s.json" % (n, b))
            if os.path.exists(f):
                rows[b] = json.load(open(f))
        ff = int(recipe_var(n, "FINDING_FAILS") or 0)
        base = (rows.get("plain") or {}).get("failed") or 0
        for b in BUILDS:
            r = rows.get(b)
            if r is None:
                check(False, "%s/%s: no result" % (n, b))
                continue
            check(bool(r.get("builds")), "%s/%s builds" % (n, b))
            if not r.get("builds"):
                continue
            allow = base + (ff if r.get("findings") else 0)
            check(r.get("failed") is not None and r["failed"] <= allow,
                  "%s/%s suite: %s passed, %s failed (%d allowed)" % (n, b, r.get("passed"), r.get("failed"), allow))
            fr = (r.get("false_reports") or 0) + (r.get("build_reports") or 0)
            check(fr == 0, "%s/%s false reports: %d %s" % (n, b, fr, " ".join(r.get("report_types", []))))
            for bug, br in sorted((r.get("bugs") or {}).items()):
                if br.get("type") == "n/a":
                    continue
                check(bool(br.get("caught")), "%s/%s bug %s: %s" % (n, b, bug, br.get("type")))
    if unfetched:
        print("realworld: not run (source packages or tools could not be fetched, no network?): %s"
              % " ".join(unfetched))
    print("realworld: %d passed, %d failed" % (passed, failed))
    return failed == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--projects")
    ap.add_argument("--builds", default=",".join(BUILDS))
    ap.add_argument("--no-bugs", action="store_true")
    ap.add_argument("--bugs-only", action="store_true")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--publish", metavar="DIR",
                    help="copy results.md/.csv, bugs.csv and results.svg to DIR (e.g. tests/realworld/results)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="suite runs per build, interleaved; the best is kept (suites over %d s run once)" % REPEAT_MAX_S)
    ap.add_argument("--retime", action="store_true",
                    help="keep the builds of an earlier run, run the suites again")
    ap.add_argument("--resume", action="store_true",
                    help="keep the builds and suite results of an earlier run")
    ap.add_argument("--ci", action="store_true",
                    help="CI: the quick subset (or --projects) once each, then PASS/FAIL lines and a count")
    ap.add_argument("--bug", help="with --bugs-only: only these injected bugs (a,b), the others' results kept")
    a = ap.parse_args()
    global ONLY_BUGS
    ONLY_BUGS = set(a.bug.split(",")) if a.bug else None
    if a.ci:
        a.repeat = 1
        a.quick = True
    vkb = os.path.abspath(os.environ.get("VKASAN_BUILD", "build"))
    work = os.path.abspath(os.environ.get("VKASAN_RW_DIR", os.path.join(vkb, "realworld")))
    os.makedirs(work, exist_ok=True)
    if not a.report_only:
        if a.projects:
            names = a.projects.split(",")
        elif a.quick:
            names = QUICK
        else:
            names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "projects", "*.sh")))
        unfetched = []
        try:
            setup_deb_src(work)
            install_tools(work)
        except Exception as e:
            if not a.ci:
                raise
            log("cannot set up the sources or tools: %s" % e)
            unfetched = names
        make_wrappers(work, vkb)
        t0 = time.time()
        for n in names:
            if n in unfetched:
                continue
            try:
                fetch(recipe_var(n, "PKG") or n, work)
            except Exception as e:
                log("%s: %s" % (n, e))
                unfetched.append(n)
                continue
            try:
                run_project(n, work, a.builds.split(","), not a.bugs_only, not a.no_bugs, a.resume, a.repeat, a.retime)
            except Exception as e:  # one project's trouble does not stop the others
                log("%s: %s" % (n, e))
        log("total %.0f s" % (time.time() - t0))
    report(work, vkb, a.publish)
    if a.ci:
        sys.exit(0 if ci_verdicts(work, names, unfetched) else 1)


if __name__ == "__main__":
    main()
