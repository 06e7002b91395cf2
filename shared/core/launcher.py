"""Start N worker processes of one multi-worker run on 127.0.0.1, bounded in time, leaving none behind.

``python -m shared.core.launcher --workers 2 --timeout 300 --dir DIR -- python -m ...`` (stdlib only):

- ports: N sockets bound to ``127.0.0.1:0`` at once (so they differ), read, closed just before the
  workers start; each worker gets ``TF_CONFIG`` naming those ports, only in its own environment;
- ``--netns auto`` (the default) runs the launcher and its workers in a private network namespace
  that holds only loopback when ``unshare -rn`` works here: TensorFlow's gRPC server listens on every
  interface whatever address ``TF_CONFIG`` names, and inside the namespace there is no other;
- each worker is its own process group (the launcher kills the group), gets ``PR_SET_PDEATHSIG``
  (the kernel kills it when the launcher dies, even by SIGKILL) and, as a second guard, a stdin pipe
  whose only write end the launcher holds (:func:`watch_launcher` exits on its EOF);
- one worker failing stops the others at once (they would wait in a collective); past ``--timeout``
  every group gets SIGTERM, then SIGKILL after ``--grace`` seconds (TensorFlow 2's coordination
  service catches SIGTERM, so SIGTERM alone leaves a worker running); SIGTERM, SIGINT or SIGHUP to
  the launcher does the same cleanup;
- ``--watch-stdin``: the process that started the launcher holds its stdin pipe; EOF there (that
  process is gone, however it died) stops every worker the same way;
- ``DIR/launch.json`` records ports, ``TF_CONFIG``s, pids, exit codes, outcome and wall time;
  ``DIR/worker<i>.log`` holds each worker's output, ``DIR/worker<i>.json`` its result.

Exit status: 0 every worker exited 0, 1 one failed, 124 the timeout, 128 + N signal N.
"""

import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

from shared.core import atomic

PR_SET_PDEATHSIG = 1
NETNS_ENV = "TFKIT_LAUNCHER_NETNS"  # set inside the namespace, so the re-executed launcher does not enter it again
PID_ENV = "TFKIT_LAUNCHER_PID"
DIR_ENV = "TFKIT_LAUNCH_DIR"
EXIT = {"done": 0, "failed": 1, "timeout": 124}
LAUNCHER_GONE = 71  # a worker's exit status when it finds its launcher gone


def free_ports(n: int, host: str = "127.0.0.1") -> List[int]:
    """``n`` distinct free TCP ports on ``host``: all bound at once, then released."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(ports: Sequence[int], index: int) -> Dict[str, object]:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of workers on 127.0.0.1 at ``ports``."""
    return {"cluster": {"worker": ["127.0.0.1:%d" % p for p in ports]}, "task": {"type": "worker", "index": index}}


def die_with(parent: int):
    """A ``preexec_fn``: the child gets SIGKILL when ``parent`` dies, and exits at once if it already has."""
    def hook() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(72)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(73)
    return hook


class Launch(object):
    """One multi-worker run: ``cmd`` started ``n`` times with its own ``TF_CONFIG``, watched until done."""

    def __init__(self, cmd: Sequence[str], n: int, folder: str, grace: float = 1.0) -> None:
        self.cmd = list(cmd)
        self.n = int(n)
        self.folder = folder
        self.grace = float(grace)
        self.procs = []  # type: List[subprocess.Popen]
        self.pipe_w = None  # type: Optional[int]
        self.record = {"workers": [], "netns": os.environ.get(NETNS_ENV) == "1"}  # type: Dict[str, object]

    def start(self) -> None:
        os.makedirs(self.folder, exist_ok=True)
        for i in range(self.n):
            for stale in ("worker%d.json" % i, "worker%d.log" % i):
                if os.path.exists(os.path.join(self.folder, stale)):
                    os.remove(os.path.join(self.folder, stale))
        ports = free_ports(self.n)
        pipe_r, self.pipe_w = os.pipe()
        me = os.getpid()
        self.record.update(ports=ports, cluster=tf_config(ports, 0)["cluster"], launcher_pid=me, cmd=self.cmd)
        for i in range(self.n):
            env = dict(os.environ)
            env.update(TF_CONFIG=json.dumps(tf_config(ports, i)), **{PID_ENV: str(me), DIR_ENV: self.folder})
            with open(os.path.join(self.folder, "worker%d.log" % i), "wb") as log:
                proc = subprocess.Popen(self.cmd, stdin=pipe_r, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True, close_fds=True, preexec_fn=die_with(me))
            self.procs.append(proc)
            self.record["workers"].append({"index": i, "pid": proc.pid, "tf_config": tf_config(ports, i)})
        os.close(pipe_r)
        self.write()

    def write(self) -> None:
        atomic.write_json(os.path.join(self.folder, "launch.json"), self.record)

    def wait(self, timeout: float) -> str:
        """``done`` (all exited 0), ``failed`` (one exited otherwise) or ``timeout``."""
        end = time.time() + timeout
        while True:
            codes = [p.poll() for p in self.procs]
            if all(c == 0 for c in codes):
                return "done"
            if any(c not in (None, 0) for c in codes):
                return "failed"
            if time.time() > end:
                return "timeout"
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM to every worker group still running, SIGKILL after the grace period; closes the stdin pipe."""
        for sig, grace in ((signal.SIGTERM, self.grace), (signal.SIGKILL, 5.0)):
            for p in self.procs:
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, sig)
                    except (ProcessLookupError, PermissionError):
                        pass
            end = time.time() + grace
            while time.time() < end and any(p.poll() is None for p in self.procs):
                time.sleep(0.02)
        if self.pipe_w is not None:
            os.close(self.pipe_w)
            self.pipe_w = None
        self.record["exit_codes"] = [p.poll() for p in self.procs]


def netns_available() -> bool:
    """Whether ``unshare -rn`` (a user and network namespace, no privilege needed) works on this machine."""
    try:
        return subprocess.run(["unshare", "-rn", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def enter_netns(argv: Sequence[str]) -> None:
    """Re-execute this launcher in a private network namespace (same pid: ``unshare`` execs), then bring ``lo`` up."""
    if os.environ.get(NETNS_ENV) == "1":
        subprocess.check_call(["ip", "link", "set", "lo", "up"])
        return
    os.environ[NETNS_ENV] = "1"
    os.execvp("unshare", ["unshare", "-rn", "--", sys.executable, "-m", "shared.core.launcher"] + list(argv))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shared.core.launcher",
                                description="Start N workers of one multi-worker run on 127.0.0.1, bounded in time.")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds before every worker is stopped (exit 124)")
    p.add_argument("--grace", type=float, default=1.0, help="seconds between SIGTERM and SIGKILL")
    p.add_argument("--dir", required=True, help="launch.json, worker logs and results go here")
    p.add_argument("--netns", choices=("auto", "on", "off"), default="auto",
                   help="a private network namespace holding only loopback (auto: where unshare -rn works)")
    p.add_argument("--watch-stdin", action="store_true",
                   help="stop every worker when stdin reaches EOF (the process that started the launcher is gone)")
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- the worker's command line")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd or args.workers < 1:
        parser().error("give the worker's command after -- and --workers >= 1")
    if os.environ.get(NETNS_ENV) == "1" or args.netns == "on" or (args.netns == "auto" and netns_available()):
        enter_netns(argv)  # re-executes this launcher inside the namespace, where it brings lo up
    launch = Launch(cmd, args.workers, os.path.abspath(args.dir), args.grace)
    ending = threading.RLock()  # a signal handler runs on the main thread, maybe inside the block below
    ended = []  # type: List[str]

    def finish(outcome: str, **more: object) -> None:
        with ending:  # a signal, the stdin watch and the normal end may all arrive: one cleanup, the first
            if ended:
                return
            ended.append(outcome)
            launch.stop()
            launch.record.update(outcome=outcome, **more)
            launch.write()

    def end_now(outcome: str, code: int) -> None:
        finish(outcome)
        os._exit(code)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: end_now("signal %d" % signum, 128 + signum))
    if args.watch_stdin:
        threading.Thread(target=_on_eof, args=(lambda: end_now("starter gone (stdin EOF)", 128 + signal.SIGHUP),),
                         name="starter-watch", daemon=True).start()
    t0 = time.perf_counter()
    launch.start()
    outcome = launch.wait(args.timeout)
    finish(outcome, wall_s=time.perf_counter() - t0, timeout_s=args.timeout)
    return EXIT.get(ended[0], 1)


def _on_eof(then) -> None:
    """Read fd 0 until EOF, then call ``then`` (the raw fd: a daemon thread blocked in a buffered read of
    ``sys.stdin`` aborts interpreter shutdown)."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    then()


def watch_launcher() -> None:
    """In a worker: exit (status 71) when the launcher is gone: its pid is not our parent, or stdin reaches EOF."""
    expected = int(os.environ.get(PID_ENV, "0") or 0)
    if expected and os.getppid() != expected:
        os._exit(LAUNCHER_GONE)

    threading.Thread(target=_on_eof, args=(lambda: os._exit(LAUNCHER_GONE),), name="launcher-watch",
                     daemon=True).start()


def worker_result(index: int, folder: Optional[str] = None) -> str:
    """Where worker ``index`` writes its result."""
    return os.path.join(folder or os.environ[DIR_ENV], "worker%d.json" % index)


def peers_done(index: int, n: int, timeout: float = 60.0) -> bool:
    """Wait until every other worker has written its result (its last collective is over) before leaving."""
    peers = [worker_result(i) for i in range(n) if i != index]
    end = time.time() + timeout
    while not all(os.path.exists(p) for p in peers) and time.time() < end:
        time.sleep(0.05)
    return all(os.path.exists(p) for p in peers)


if __name__ == "__main__":
    sys.exit(main())
