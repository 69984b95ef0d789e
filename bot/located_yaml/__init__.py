"""YAML read with line numbers, and pydantic errors turned into located problems
(``file:line: where: message (hint)``): for settings, rules and the organisation registry."""
