"""Cases trained side by side: one side's run spread over worker processes of the same env (``--jobs``).

The side's process stays the one that holds the results folder, stages the side and commits it;
it starts ``jobs - 1`` workers (the same ``python -m <package>`` with the same arguments), and every
process, itself included, takes the next case nobody has taken yet from one shared order (an
exclusive file per case), trains it and writes its results into the same staging folder. Each
process imports TensorFlow once and trains with the run's ``--threads``, so a case's numbers do
not depend on which process trained it or on what else ran in that process.

A worker that dies leaves its case claimed but not done: the side's process writes a failed
result, naming the worker and its exit code, for each of that case's implementations it did not
write. Workers die with the side's process (``PR_SET_PDEATHSIG`` on Linux, and a parent check
before each case), so an interrupted or killed run leaves no process behind. Stdlib only.
"""

import json
import os
import shutil
import signal
import subprocess
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence

from shared.core import atomic
from shared.core.counts import from_environment, whole_number
from shared.core.launcher import die_with

MAX_AUTO_JOBS = 4  # each job is one more TensorFlow process (its import and its memory); more rarely pays here
PLAN_FILE = "plan.json"
STOP_S = 5.0  # how long a stopped worker gets to exit on SIGTERM before SIGKILL


def jobs_arg(text: str) -> int:
    """``--jobs`` / ``TFKIT_JOBS``: a whole number >= 1, or 0 for the automatic choice."""
    return whole_number(text, 0, "a whole number >= 1 (processes), or 0 to choose by the cores")


def default_jobs() -> int:
    """``$TFKIT_JOBS`` when set, else 0 (automatic)."""
    return from_environment("TFKIT_JOBS", jobs_arg, 0)


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose(asked: int, cases: int, threads: int, device: str, cpu_devices: int, cores: Optional[int] = None) -> int:
    """How many processes train ``cases`` cases: ``asked`` when it is not 0, else one per ``threads`` cores
    (``threads`` 0 takes every core), at most one per case and :data:`MAX_AUTO_JOBS`; one on CUDA (each
    TensorFlow process maps the GPU's memory for itself) and where a run places replicas on several
    logical CPUs (their replicas share the cores already)."""
    if cases <= 1:
        return 1
    if asked:
        return min(asked, cases)
    if device != "cpu" or cpu_devices > 1 or threads == 0:
        return 1
    cores = usable_cores() if cores is None else cores
    return max(1, min(cases, cores // max(1, threads), MAX_AUTO_JOBS))


def by_cost(previous: Callable[[str], Optional[float]], names: Sequence[str]) -> List[str]:
    """The order in which the processes take the cases: the longest first (``previous(name)``, the seconds the
    case took in the side's last complete run), cases without a figure first of all, ties in registry order;
    the longest first keeps the last case to finish short, so the processes end close together."""
    def key(item):
        index, name = item
        cost = previous(name)
        return (0 if cost is None else 1, -(cost or 0.0), index)

    return [name for _, name in sorted(enumerate(names), key=key)]


CLAIMS_DIR = ".jobs"


class Claims(object):
    """One run's shared order of cases and who took which, in a folder of the staging folder: removed before
    the side commits, and with the staging folder when a run dies (the next run clears dead runs' folders)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    @classmethod
    def create(cls, order: Sequence[str], stage: str) -> "Claims":
        folder = os.path.join(stage, CLAIMS_DIR)
        os.makedirs(folder)
        claims = cls(folder)
        atomic.write_json(os.path.join(folder, PLAN_FILE), {"order": list(order), "stage": stage, "parent": os.getpid()})
        return claims

    def plan(self) -> Dict[str, Any]:
        with open(os.path.join(self.folder, PLAN_FILE)) as handle:
            return json.load(handle)

    def _path(self, case: str, what: str) -> str:
        return os.path.join(self.folder, "%s.%s" % (case, what))

    def take(self, case: str) -> bool:
        """Claim ``case`` for this process; False when another process took it first."""
        try:
            fd = os.open(self._path(case, "claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        return True

    def owner(self, case: str) -> Optional[int]:
        """The PID of the process that took ``case``, or None when nobody has."""
        try:
            with open(self._path(case, "claim")) as handle:
                text = handle.read().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else -1  # claimed, the PID not written yet

    def done(self, case: str, written: Sequence[str], failures: Sequence[str]) -> None:
        """Mark ``case`` finished with the result files its implementations wrote and the failed run ids."""
        atomic.write_json(self._path(case, "done"), {"written": list(written), "failures": list(failures),
                                                      "pid": os.getpid()})

    def record(self, case: str) -> Optional[Dict[str, Any]]:
        """What the process that finished ``case`` wrote, or None while it is not finished."""
        try:
            with open(self._path(case, "done")) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class Worker(object):
    """One worker process: started with ``command``, its output passed line by line to ``log``."""

    def __init__(self, command: Sequence[str], log: Callable[[str], None]) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")  # its log lines as they happen, not when it exits
        self.proc = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                     universal_newlines=True, preexec_fn=die_with(os.getpid()))
        self.pid = self.proc.pid
        self.relay = threading.Thread(target=self._relay, args=(log,), name="tfkit-worker-%d" % self.pid)
        self.relay.daemon = True
        self.relay.start()

    def _relay(self, log: Callable[[str], None]) -> None:
        for line in self.proc.stdout:
            log(line.rstrip("\n"))

    def wait(self) -> int:
        code = self.proc.wait()
        self.relay.join(10.0)
        return code

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after :data:`STOP_S`; waits for the process either way."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.relay.join(10.0)


def parent_gone(plan: Dict[str, Any]) -> bool:
    """True when the side's process that started this worker is no longer its parent (it died)."""
    return os.getppid() != int(plan.get("parent", -1))


def worker_args(argv: Sequence[str], claims: Claims) -> List[str]:
    """A worker's arguments: the side's own, then the claims folder (a later ``--worker`` wins)."""
    return list(argv) + ["--worker", claims.folder]


def start(command: Sequence[str], argv: Sequence[str], claims: Claims, count: int,
          log: Callable[[str], None]) -> List[Worker]:
    """Start ``count`` workers of ``command`` (``python -m <package>``) on the run's own arguments."""
    return [Worker(list(command) + worker_args(argv, claims), log) for _ in range(count)]


def stop_all(workers: Sequence[Worker]) -> None:
    for worker in workers:
        worker.stop()


def wait_all(workers: Sequence[Worker]) -> Dict[int, int]:
    """Wait for every worker; their exit codes by PID."""
    return dict((worker.pid, worker.wait()) for worker in workers)


def serialized(log: Callable[[str], None]) -> Callable[[str], None]:
    """``log`` called by one thread at a time (the side's own lines and its workers' relayed ones stay whole)."""
    lock = threading.Lock()

    def locked(line: str) -> None:
        with lock:
            log(line)

    return locked


def describe_exit(code: Optional[int]) -> str:
    """``exit code 3`` / ``killed by SIGKILL`` for a Popen return code."""
    if code is None:
        return "no exit code"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit code %d" % code
