# Record: every input of the collection becomes recordings (results/recordings/<name>/). The
# job finds its input in the inventory by its wildcard name, so its shell line holds only names
# the workflow made; the input's SHA-1 is a parameter, so a changed file is recorded again. A
# bad input is an outcome (outcome.json: refused, with the reason), not a failed job.


rule record:
    input:
        inventory=lambda wildcards: ancient(inventory_file()),
        compiled=ancient("results/compiled.txt"),
    output:
        directory("results/recordings/{name}"),
    log:
        "logs/record/{name}.log",
    benchmark:
        "benchmarks/record/{name}.tsv"
    wildcard_constraints:
        name=r"[a-z0-9_]+",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        # Measured peaks: ~180 MB for 600 s of a jukebox ROM; ~610 MB at worst, a ROM writing
        # just under the flood limit until the 20-million-write cap (synthic.limits).
        mem_mb=1000,
    params:
        sha1=lambda wildcards: input_of(wildcards.name).sha1,
        seconds=config["record"]["seconds"],
        seed=config["seed"],
        explore=json.dumps(config["record"].get("explore", {}), sort_keys=True),
    shell:
        "python -m synthic record --inventory {input.inventory:q} --name {wildcards.name} "
        "--outcome -o {output:q} --seconds {params.seconds} --seed {params.seed} "
        "--explore {params.explore:q} > {log:q} 2>&1"


# The table of every input and its outcome: recorded, silent, refused (with the reason),
# failed (a crashed job: the last error line of its log) or skipped when listed, and the renders
# of each that the quality gate kept.
rule summary:
    input:
        inventory=inventory_file,
        recordings=lambda wildcards: expand(
            "results/recordings/{name}", name=sorted(inventory())
        ),
        renders=lambda wildcards: expand(
            "results/render/{name}", name=sorted(inventory())
        ),
    output:
        report(
            "results/recordings.tsv",
            caption="../report/recordings.rst",
            category="1. Recording",
        ),
    log:
        "logs/summary.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    shell:
        "python -m synthic summary --inventory {input.inventory:q} -o {output:q} > {log:q} 2>&1"
