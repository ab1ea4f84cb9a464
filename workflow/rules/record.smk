# Record: every input of the collection becomes one native recording (.events).


rule record:
    input:
        lambda wildcards: INPUTS[wildcards.name],
    output:
        "results/recordings/{name}.events",
    log:
        "logs/record/{name}.log",
    benchmark:
        "benchmarks/record/{name}.tsv"
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m synthic convert {input:q} {output:q} > {log:q} 2>&1"


rule summarise_recordings:
    input:
        expand("results/recordings/{name}.events", name=sorted(INPUTS)),
    output:
        "results/recordings.tsv",
    log:
        "logs/summarise_recordings.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    shell:
        "python -m synthic info --tsv -o {output:q} {input:q} > {log:q} 2>&1"
