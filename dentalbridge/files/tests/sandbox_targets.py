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
