"""Activity files (FIT, GPX, TCX): sniffed, unpacked and parsed with well-kept libraries, checked for
plausibility, kept content-addressed so they can be parsed again, and filed like any other source's copy."""
