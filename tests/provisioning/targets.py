"""Where the system-state tests look: a provisioned root filesystem, or a live Pi over SSH.

Both run shell commands *inside* the target (chroot under qemu-user, or ssh + sudo), so the
same assertion reads the same files with the target's own tools, users and groups.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str


class Target:
    live: bool = False

    def run(self, command: str) -> Result:
        raise NotImplementedError

    def check(self, command: str) -> str:
        result = self.run(command)
        assert result.rc == 0, f"{self}: `{command}` exited {result.rc}: {result.stderr.strip()}"
        return result.stdout

    def read(self, path: str) -> str:
        return self.check(f"cat {shlex.quote(path)}")

    def exists(self, path: str) -> bool:
        return self.run(f"test -e {shlex.quote(path)} || test -L {shlex.quote(path)}").rc == 0

    def stat(self, path: str) -> tuple[str, str, str]:
        """(octal mode, owner, group) as the target names them."""
        mode, owner, group = self.check(f"stat -c '%a %U %G' {shlex.quote(path)}").split()
        return mode, owner, group

    def glob(self, pattern: str) -> list[str]:
        out = self.run(f"for f in {pattern}; do [ -e \"$f\" ] || [ -L \"$f\" ] && echo \"$f\"; done")
        return out.stdout.split()


class ChrootTarget(Target):
    def __init__(self, root: Path):
        self.root = root

    def run(self, command: str) -> Result:
        proc = subprocess.run(["chroot", str(self.root), "/bin/sh", "-c", command],
                              capture_output=True, text=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"})
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def __str__(self) -> str:
        return f"chroot {self.root}"


class SshTarget(Target):
    live = True

    def __init__(self, destination: str):
        self.destination = destination

    def run(self, command: str) -> Result:
        remote = "sudo -n /bin/sh -c " + shlex.quote(command)
        # Bounds for a hung connection, not for a slow Pi: a busy appliance may take its time.
        proc = subprocess.run(["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=60",
                               self.destination, remote], capture_output=True, text=True, timeout=600)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def __str__(self) -> str:
        return f"ssh {self.destination}"
