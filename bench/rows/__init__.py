"""One module per row of the table in ``docs/performance.md``; each has
``run(ctx) -> list[Row]``."""
