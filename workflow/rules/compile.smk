# Compile: numba builds the emulator's and the renderer's machine code once, into its disk
# cache, before the first recording (results/compiled.txt says how long it took), instead of
# once in every parallel job on a fresh machine. The record and render rules take the report as
# ancient input: it only orders the jobs, and an existing report never makes them run again.


rule compile:
    output:
        "results/compiled.txt",
    log:
        "logs/compile.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python -m synthic compile -o {output:q} > {log:q} 2>&1"
