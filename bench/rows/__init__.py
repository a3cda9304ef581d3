"""One module per row of issue 11's table; each has ``run(ctx) -> list[Row]``."""
