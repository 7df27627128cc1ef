"""What the benchmarks feed the app: digits drawn as the canvas would send them (`canvas_like`), digits
redrawn with one pen as a participant draws (`pen_drawn`), and a room of drawing sessions (`socket_room`)."""
