"""Models of the token streams: the n-gram baseline and the transformer."""
