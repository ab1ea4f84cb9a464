# Record: every input of the collection becomes recordings (results/recordings/<name>/).


rule record:
    input:
        source=lambda wildcards: INPUTS[wildcards.name].path,
        compiled=ancient("results/compiled.txt"),
    output:
        directory("results/recordings/{name}"),
    log:
        "logs/record/{name}.log",
    benchmark:
        "benchmarks/record/{name}.tsv"
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        member=lambda wildcards: (
            f"--member {json.dumps(INPUTS[wildcards.name].member)}"
            if INPUTS[wildcards.name].member
            else ""
        ),
        seconds=config["record"]["seconds"],
        seed=config["seed"],
        explore=EXPLORE_JSON,
    shell:
        "python -m synthic record {input.source:q} {params.member} -o {output:q} "
        "--name {wildcards.name} --seconds {params.seconds} --seed {params.seed} "
        "--explore {params.explore:q} > {log:q} 2>&1"
