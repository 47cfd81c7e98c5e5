"""compose.spec: the build-independent parts of a spec repo."""
