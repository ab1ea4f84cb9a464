# The dataset: each input's recordings pruned to samples of hands-off music (results/samples/
# <name>/, with prune.tsv of every candidate stretch and why it was dropped), the games split
# into train/validation/test (results/manifest.tsv; results/samples.tsv gathers the prune
# tables), and the kept samples tokenized (results/dataset/: vocab.json, <set>.tokens.npy,
# <set>.meta.json), which the training rule reads without touching the recordings again.


rule prune:
    input:
        "results/recordings/{name}",
    output:
        directory("results/samples/{name}"),
    log:
        "logs/prune/{name}.log",
    benchmark:
        "benchmarks/prune/{name}.tsv"
    wildcard_constraints:
        name=r"[a-z0-9_]+",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        config=json.dumps(config["prune"], sort_keys=True),
    shell:
        "python -m synthic prune {input:q} -o {output:q} --config {params.config:q} "
        "> {log:q} 2>&1"


rule split:
    input:
        inventory=inventory_file,
        samples=lambda wildcards: expand(
            "results/samples/{name}", name=sorted(inventory())
        ),
    output:
        manifest=report(
            "results/manifest.tsv",
            caption="../report/manifest.rst",
            category="2. Dataset",
            subcategory="Split",
        ),
        prune_table=report(
            "results/samples.tsv",
            caption="../report/samples.rst",
            category="2. Dataset",
            subcategory="Pruning",
        ),
    log:
        "logs/split.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    params:
        seed=config["seed"],
        fractions=",".join(str(f) for f in config["split"]["fractions"]),
    shell:
        "python -m synthic split {input.samples:q} -o {output.manifest:q} "
        "--prune-table {output.prune_table:q} --seed {params.seed} "
        "--fractions {params.fractions} > {log:q} 2>&1"


rule tokenize:
    input:
        "results/manifest.tsv",
    output:
        directory("results/dataset"),
    log:
        "logs/tokenize.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        design=config["tokens"]["design"],
        augment=augment_options(),
    shell:
        "python -m synthic tokenize {input:q} -o {output:q} --design {params.design} "
        "{params.augment} > {log:q} 2>&1"
