# Render: every recording becomes audio through the DMG APU model (results/render/<name>/);
# the quality gate drops silent, short or clipped renders and the log says why. results/wav/
# collects the kept files in one folder.


rule render:
    input:
        recordings="results/recordings/{name}",
        compiled=ancient("results/compiled.txt"),
    output:
        directory("results/render/{name}"),
    log:
        "logs/render/{name}.log",
    benchmark:
        "benchmarks/render/{name}.tsv"
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    shell:
        "python -m synthic wav {input.recordings:q} -o {output:q} --check --drop-flagged --jobs 1 "
        "> {log:q} 2>&1"


rule collect_wav:
    input:
        expand("results/render/{name}", name=sorted(INPUTS)),
    output:
        directory("results/wav"),
    log:
        "logs/collect_wav.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    shell:
        "(mkdir -p {output:q} && "
        "find {input:q} -name '*.wav' -exec ln -f {{}} {output:q}/ ';' && "
        "ls {output:q} | wc -l) > {log:q} 2>&1"
