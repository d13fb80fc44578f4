"""Small helpers the scenarios share."""

import engine


def base_settings(names, **overrides):
    """settings.json for a test's own instance on a free port; `overrides` add the image part."""
    settings = {
        "instance": names.instance,
        "port": engine.free_port(),
        "bind_address": "127.0.0.1",
        "stop_on_quit": False,
        "start_at_login": False,
    }
    settings.update(overrides)
    return settings


def dockerfile_steps(context):
    """The instructions of a build context's Dockerfile, in order (one per line there)."""
    lines = (context / "Dockerfile").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]
