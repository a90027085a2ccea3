"""Transfer learning: fit a ResNet to a person's own classes, see what changed, take it home."""
