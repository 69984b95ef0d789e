"""The offline demo: a bundled snapshot of feeds and hub answers, served on loopback."""
