"""Rules of the uniform room with no Flask in them."""
