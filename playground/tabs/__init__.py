"""One module per tab; each has ``create(page)`` that lays out, handles and wires its part."""
