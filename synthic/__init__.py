"""Synthic: learn the music of Game Boy games and write new songs for its sound chip.

The data flows one way: ROM -> recording (synthic.events) -> samples -> tokens -> model ->
events -> audio. Each step lives in one subpackage named after it.
"""

__version__ = "0.1.0"
