"""ResNet playground: a Gradio app that lays a ResNet open.

The entry point only (what ``python app.py`` and Hugging Face Spaces run): read the settings
(the command line, then the environment: :data:`playground.settings.OPTIONS`), build the page,
launch. The page lives in ``playground/``, the computing in ``resnet_core/``, the drawing in
``viz/``. ``python app.py --help`` lists the options.
"""

from __future__ import annotations

import dataclasses
import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playground import Settings, build_demo, launch_kwargs, parse_settings  # noqa: E402

log = logging.getLogger("resnet_playground")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, build the page and serve it until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = parse_settings(argv)
    demo = build_demo(settings, backend=ray_backend(settings) if settings.backend == "ray" else None)
    demo.launch(**launch_kwargs(settings, demo.ledger))


def ray_backend(settings: Settings) -> object:
    """The models in a Ray Serve deployment (docs/scaling.md), started or joined."""
    import ray

    from resnet_core.backends.ray_serve import RayBackend, RayConfig

    ray.init(address=settings.ray_address, ignore_reinit_error=True, include_dashboard=False)
    config = RayConfig(num_replicas=settings.replicas, num_gpus=settings.gpus_per_replica,
                       service=dataclasses.replace(settings.service, warm_up=False))
    log.info("deploying %d Ray Serve replicas", settings.replicas)
    return RayBackend.deploy(config)


if __name__ == "__main__":
    main()

__all__ = ["Settings", "build_demo", "launch_kwargs", "main", "parse_settings"]
