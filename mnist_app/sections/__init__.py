"""One module per section of the page; each has a `render()`."""
