# roms: demo: three tiny public-domain demo tunes, written as VGM files to be recorded; handy
# for quick checks (the default collection is the jukebox, see jukebox.smk).


rule demo:
    output:
        "results/demo/{song}.vgm",
    log:
        "logs/demo/{song}.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    shell:
        "python -m synthic demo {wildcards.song:q} -o {output:q} > {log:q} 2>&1"
