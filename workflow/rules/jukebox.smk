# The embedded demo collection: jukebox ROMs of public-domain music (results/jukebox/), one job
# per ROM. ROM i draws from its own share of the sources, so it builds alone and does not
# depend on jukebox.roms; the record stage records them like any ROM (roms: jukebox).


rule jukebox:
    input:
        jukebox_midi_files,
    output:
        rom="results/jukebox/jukebox_{index}.gb",
        songs="results/jukebox/jukebox_{index}.tsv",
    log:
        "logs/jukebox/jukebox_{index}.log",
    benchmark:
        "benchmarks/jukebox/jukebox_{index}.tsv"
    wildcard_constraints:
        index=r"0[1-9]|[1-9][0-9]+",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        rom=lambda wildcards: int(wildcards.index),
        songs=config["jukebox"]["songs"],
        sources=",".join(config["jukebox"]["sources"]),
        seed=config["seed"],
    shell:
        "python -m synthic jukebox -o results/jukebox --rom {params.rom} "
        "--songs {params.songs} --sources {params.sources:q} --seed {params.seed} -v "
        "> {log:q} 2>&1"
