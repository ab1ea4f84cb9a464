"""Developer tools of the checkout, not installed with the package (pyproject.toml installs only
synthic*): the sdcc driver that rebuilds the committed Game Boy images (`asm`) and the generator
of the CPU's interpreter loop, synthic/gb/sm83.py (`gen_sm83`, with `gen_sm83_loop`).

Run them from the repository root, e.g. `python -m tools.gen_sm83 --check`.
"""
