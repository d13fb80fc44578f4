"""The Docker engine as the tests see it: the docker CLI, never the app's code."""

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

VOLUME_MOUNTS = {
    "session": "/home/opencode/.local/share/opencode",
    "projects": "/home/opencode/workspace",
    "config": "/home/opencode/.config/opencode",
}


def docker(*args, check=True):
    out = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def inspect(name):
    """`docker inspect` of a container as a dict, or None when there is no such container."""
    out = subprocess.run(["docker", "inspect", "--type", "container", name],
                         capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)[0] if out.returncode == 0 else None


def running(name):
    info = inspect(name)
    return bool(info and info["State"]["Running"])


def healthy(name):
    info = inspect(name)
    return bool(info and info["State"]["Running"]
                and info["State"].get("Health", {}).get("Status") == "healthy")


def published(name):
    """`docker port NAME 3000/tcp` lines, e.g. ["127.0.0.1:41234"]."""
    return docker("port", name, "3000/tcp").splitlines()


def image_exists(ref):
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True,
                          timeout=60).returncode == 0


def remove_instance(instance):
    """The container and the three volumes of one test instance; gone already is fine."""
    docker("rm", "-f", instance, check=False)
    docker("volume", "rm", "-f", *(f"{instance}-{v}" for v in VOLUME_MOUNTS), check=False)


def remove_images(*refs):
    present = [r for r in refs if image_exists(r)]
    if present:
        docker("rmi", "-f", *present, check=False)


def seed_volumes(container):
    """Writes a small file tree in each of the three volumes; returns their checksum listing."""
    for n, mount in enumerate(VOLUME_MOUNTS.values()):
        docker("exec", container, "sh", "-c",
               f"set -e; mkdir -p {mount}/e2e/sub; echo 'volume {n} of {container}' > {mount}/e2e/a.txt; "
               f"head -c 50000 /dev/urandom > {mount}/e2e/sub/b.bin")
    digest = volume_digest(container)
    assert len(digest.splitlines()) == 6, digest
    return digest


def volume_digest(container):
    mounts = " ".join(VOLUME_MOUNTS.values())
    return docker("exec", container, "sh", "-c",
                  f"for m in {mounts}; do find $m/e2e -type f; done | sort | xargs md5sum")


def container_events(name, since, until):
    """What happened to the container between two engine times (health checks left out)."""
    out = docker("events", "--since", since, "--until", until, "--filter", f"container={name}",
                 "--format", "{{.Action}}")
    return [a for a in out.splitlines() if not a.startswith(("exec_", "health_status"))]


def engine_time():
    """The engine's clock, as `docker events --since/--until` take it."""
    return docker("info", "--format", "{{.SystemTime}}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def refuses_tcp(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def refuses(url):
    try:
        urllib.request.urlopen(url, timeout=3)
    except (urllib.error.URLError, ConnectionError):
        return True
    return False


def wait_until(what, condition, timeout=30, interval=0.1):
    """Polls `condition` until it returns something truthy, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(interval)
