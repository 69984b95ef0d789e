"""racewatch: watches the US-China AI race and posts attributed alerts to chat.

The pipeline, one stage per sub-package::

    due sources -> fetch (bytes) -> parse (items) -> classify -> match rules -> outbox -> deliver
        sources/       sources/       sources/      attribution/   rules/ stories/   delivery/

``runtime/`` wires the stages together (the composition root), ``store/`` keeps every
stage's state in SQLite or PostgreSQL, and ``cli/`` is the command line.
"""

__version__ = "0.1.0"
