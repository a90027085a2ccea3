"""The Gradio layer of the ResNet playground: settings, errors, choices, the web guard, the
locales and one module per tab. ``resnet_core`` computes, ``viz`` draws, this package lays out
and wires; ``app.py`` only builds and launches."""

from .page import build_demo, launch_kwargs
from .settings import Settings, parse_settings

__all__ = ["Settings", "build_demo", "launch_kwargs", "parse_settings"]
