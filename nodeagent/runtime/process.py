"""The process runtime: each container is a real OS process.

`command` + `args` run with `env` in `workingDir`, stdout and stderr appended
to `<root>/pods/<uid>/<container>.log`. Restart policy Always/OnFailure/Never
with Kubernetes' crash-loop backoff (10 s doubling, capped at 5 min, reset once
a container ran 10 min); exit codes and reasons go to containerStatuses.
Stopping is SIGTERM to the process group, the grace period, then SIGKILL.
The image is recorded, never pulled, so there is no image entrypoint: `args`
alone run as the process (as they would with an image that has no ENTRYPOINT,
`kubectl run --image=python:3.11 -- python3 app.py`); a container with neither
`command` nor `args` cannot run here and waits with a clear reason.
PIDs are written next to the logs, so a restarted agent re-adopts the
processes of pods still bound to it and kills the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nodeagent.runtime.base import Obj, PodState

INITIAL_BACKOFF = 10.0
MAX_BACKOFF = 300.0
BACKOFF_RESET_AFTER = 600.0
NO_COMMAND = ("the process runtime cannot run an image's default entrypoint: set spec.containers[].command "
              "or args")


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Container:
    name: str
    log_path: Path
    pid_path: Path
    proc: subprocess.Popen[bytes] | None = None
    adopted_pid: int | None = None
    started_at: str | None = None
    started_mono: float = 0.0
    restart_count: int = 0
    last_terminated: Obj | None = None
    backoff: float = 0.0
    next_start: float = 0.0
    done: bool = False  # exited and will not be restarted
    waiting_reason: str = "ContainerCreating"
    waiting_message: str = ""

    def pid(self) -> int | None:
        if self.proc is not None:
            return self.proc.pid
        return self.adopted_pid

    def running(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return self.adopted_pid is not None and _alive(self.adopted_pid)


@dataclass
class PodRecord:
    uid: str
    directory: Path
    containers: dict[str, Container] = field(default_factory=dict)
    started_at: str | None = None


class ProcessRuntime:
    name = "process"

    def __init__(self, root: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.root = Path(root)
        (self.root / "pods").mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._pods: dict[str, PodRecord] = {}

    # ------------------------------------------------------------- adoption
    def adopt(self, bound_uids: set[str]) -> list[int]:
        """After an agent restart: keep processes of pods still bound here,
        kill those of pods that are gone. Returns the PIDs killed."""
        killed = []
        for pod_dir in (self.root / "pods").iterdir():
            for pid_file in pod_dir.glob("*.pid"):
                try:
                    pid = int(pid_file.read_text())
                except ValueError:
                    continue
                if not _alive(pid):
                    pid_file.unlink(missing_ok=True)
                    continue
                if pod_dir.name in bound_uids:
                    record = self._pods.setdefault(pod_dir.name, PodRecord(pod_dir.name, pod_dir))
                    name = pid_file.stem
                    record.containers[name] = Container(name, pod_dir / f"{name}.log", pid_file, adopted_pid=pid,
                                                        started_at=stamp(), started_mono=self._clock())
                else:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                    pid_file.unlink(missing_ok=True)
                    killed.append(pid)
        return killed

    def known_pods(self) -> set[str]:
        return set(self._pods)

    def log_path(self, uid: str, container: str, previous: bool = False) -> Path | None:
        """The current instance's log, or the previous (terminated) one's."""
        return self.root / "pods" / uid / (f"{container}.previous.log" if previous else f"{container}.log")

    def writing(self, uid: str, container: str) -> bool:
        record = self._pods.get(uid)
        instance = record.containers.get(container) if record is not None else None
        return instance is not None and instance.running()

    # ----------------------------------------------------------------- sync
    async def sync(self, pod: Obj) -> PodState:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        uid = meta.get("uid", "")
        record = self._pods.get(uid)
        if record is None:
            directory = self.root / "pods" / uid
            directory.mkdir(parents=True, exist_ok=True)
            record = self._pods[uid] = PodRecord(uid, directory)
        policy = spec.get("restartPolicy") or "Always"
        events: list[tuple[str, str, str]] = []
        statuses = []
        for container_spec in spec.get("containers") or []:
            name = container_spec["name"]
            container = record.containers.get(name)
            if container is None:
                container = record.containers[name] = Container(
                    name, record.directory / f"{name}.log", record.directory / f"{name}.pid")
            self._step(pod, container_spec, container, policy, events)
            statuses.append(self._status(container_spec, container))
        record.started_at = record.started_at or stamp()
        return PodState(self._phase(record, policy), statuses, record.started_at, events=events)

    def _step(self, pod: Obj, spec: Obj, c: Container, policy: str, events: list[tuple[str, str, str]]) -> None:
        now = self._clock()
        if c.pid() is not None and not c.running():
            self._record_exit(c)
            exit_code = int((c.last_terminated or {}).get("exitCode", 0))
            restart = policy == "Always" or (policy == "OnFailure" and exit_code != 0)
            if not restart:
                c.done = True
                return
            ran = now - c.started_mono
            c.backoff = INITIAL_BACKOFF if ran >= BACKOFF_RESET_AFTER or not c.backoff else min(c.backoff * 2,
                                                                                                MAX_BACKOFF)
            c.next_start = now + c.backoff
            meta = pod["metadata"]
            c.waiting_reason = "CrashLoopBackOff"
            c.waiting_message = (f"back-off {int(c.backoff)}s restarting failed container={c.name} "
                                 f"pod={meta['name']}_{meta['namespace']}({meta.get('uid', '')})")
            events.append(("Warning", "BackOff", f"Back-off restarting failed container {c.name} in pod "
                                                 f"{meta['name']}_{meta['namespace']}"))
        if c.done or c.running():
            return
        if not spec.get("command") and not spec.get("args"):
            if c.waiting_reason != "RunContainerError":
                events.append(("Warning", "Failed", f"Error: container {c.name}: {NO_COMMAND}"))
            c.waiting_reason, c.waiting_message = "RunContainerError", NO_COMMAND
            return
        if now < c.next_start:
            return
        self._start(pod, spec, c, events)

    def _start(self, pod: Obj, spec: Obj, c: Container, events: list[tuple[str, str, str]]) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOSTNAME": pod["metadata"]["name"]}
        env.update({e["name"]: str(e.get("value") or "") for e in spec.get("env") or [] if e.get("name")})
        argv = [*(spec.get("command") or []), *(spec.get("args") or [])]
        cwd = spec.get("workingDir") or str(c.log_path.parent)
        if c.last_terminated is not None:  # it ran before: this is a restart
            c.restart_count += 1
            if c.log_path.exists():  # kept as the previous instance's log (kubectl logs -p)
                c.log_path.replace(c.log_path.with_name(f"{c.name}.previous.log"))
        try:
            with open(c.log_path, "ab") as log:
                c.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as err:
            c.proc = None
            c.waiting_reason = "RunContainerError"
            c.waiting_message = f"failed to start container {c.name}: {err.strerror}: {argv[0]}"
            events.append(("Warning", "Failed", f"Error: {c.waiting_message}"))
            c.next_start = self._clock() + INITIAL_BACKOFF
            return
        c.adopted_pid = None
        c.pid_path.write_text(str(c.proc.pid))
        c.started_at, c.started_mono = stamp(), self._clock()
        c.waiting_reason = c.waiting_message = ""
        events.append(("Normal", "Started", f"Started container {c.name}"))

    def _record_exit(self, c: Container) -> None:
        if c.proc is not None:
            code = c.proc.returncode
            c.proc = None
        else:
            code = None  # an adopted process is not our child: its exit code is unknown
            c.adopted_pid = None
        signal_number = -code if code is not None and code < 0 else None
        exit_code = 128 + signal_number if signal_number else (code if code is not None else 0)
        reason = "Completed" if exit_code == 0 and code is not None else ("Unknown" if code is None else "Error")
        c.last_terminated = {"exitCode": exit_code, "reason": reason, "startedAt": c.started_at,
                             "finishedAt": stamp(), **({"signal": signal_number} if signal_number else {})}
        c.pid_path.unlink(missing_ok=True)

    def _status(self, spec: Obj, c: Container) -> Obj:
        status: Obj = {"name": c.name, "image": spec.get("image", ""), "imageID": "",
                       "restartCount": c.restart_count, "ready": c.running(), "started": c.running()}
        if c.pid() is not None:
            status["containerID"] = f"process://{c.pid()}"
        if c.running():
            status["state"] = {"running": {"startedAt": c.started_at}}
        elif c.done and c.last_terminated is not None:
            status["state"] = {"terminated": c.last_terminated}
        else:
            waiting: Obj = {"reason": c.waiting_reason}
            if c.waiting_message:
                waiting["message"] = c.waiting_message
            status["state"] = {"waiting": waiting}
        if c.last_terminated is not None and not c.done:
            status["lastState"] = {"terminated": c.last_terminated}
        return status

    def _phase(self, record: PodRecord, policy: str) -> str:
        containers = list(record.containers.values())
        if any(c.running() for c in containers):
            return "Running"
        if containers and all(c.done for c in containers):
            failed = any(int((c.last_terminated or {}).get("exitCode", 0)) != 0 for c in containers)
            return "Failed" if failed else "Succeeded"
        if any(c.last_terminated is not None for c in containers):
            return "Running"  # between restarts (CrashLoopBackOff)
        return "Pending"

    # ----------------------------------------------------------------- kill
    async def kill(self, pod: Obj, grace_seconds: int) -> None:
        record = self._pods.pop(pod["metadata"].get("uid", ""), None)
        if record is None:
            return
        pids = [pid for c in record.containers.values() if c.running() and (pid := c.pid()) is not None]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        deadline = self._clock() + grace_seconds
        while self._clock() < deadline and any(c.running() for c in record.containers.values()):
            await asyncio.sleep(0.1)
        for c in record.containers.values():
            if c.running() and (pid := c.pid()) is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            if c.proc is not None:
                c.proc.wait()
            c.pid_path.unlink(missing_ok=True)

    def stop_all(self) -> None:
        """For the agent's own shutdown in tests: nothing may outlive it there."""
        for record in self._pods.values():
            for c in record.containers.values():
                if c.running() and (pid := c.pid()) is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)


