"""Functions the sandbox tests run in a child process (they must be importable)."""


def add(a, b):
    return a + b


def spin():
    while True:
        pass


def allocate(megabytes):
    return len(bytearray(megabytes * 1024 * 1024))


def fail():
    raise ValueError("bad header")


def modules_loaded(names):
    """Which of ``names`` were imported before this call (by the fork server's preload)."""
    import sys

    return {name: name in sys.modules for name in names}


def identity_and_limits():
    """This child's pid and the limits it runs under."""
    import os
    import resource

    return {
        "pid": os.getpid(),
        "memory": resource.getrlimit(resource.RLIMIT_AS),
        "cpu": resource.getrlimit(resource.RLIMIT_CPU),
    }


STATE = []


def remember(value):
    STATE.append(value)
    return list(STATE)


def crash():
    import os
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)


def write_pid_and_spin(path):
    import os

    with open(path, "w") as fh:
        fh.write(f"{os.getpid()} {os.getppid()}")
    spin()


def write_pid_and_sleep(path):
    import os
    import time

    with open(path, "w") as fh:
        fh.write(f"{os.getpid()} {os.getppid()}")
    time.sleep(3600)  # blocked, using no CPU: only a signal ends it


def threads_and_sockets():
    """The number of threads of this process and the inodes of the sockets it holds."""
    import os

    with open("/proc/self/status") as fh:
        threads = next(int(line.split()[1]) for line in fh if line.startswith("Threads:"))
    sockets = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            sockets.add(int(target[len("socket:[") : -1]))
    return threads, sockets


def nap(seconds):
    import time

    time.sleep(seconds)
    return "rested"
