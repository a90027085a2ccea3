"""One module per tab: its handlers at module level (plain functions of the page's context, testable
without a server) and ``create(page)``, which only lays out and wires its part."""
