# The model: a Flax transformer trained on results/dataset/ (results/model/ is the exported best
# model; checkpoints, metrics.jsonl and loss.png live in results/train/, which is no declared
# output, so a failed or interrupted job keeps them and a rerun resumes), and new songs sampled
# from it (results/generated/: song_NN.events, .wav behind the quality gate, generate.tsv); the
# songs the gate passed go to results/wav/ (WAV) and results/songs/ (.events, .vgm, .mid, .gb).


rule train:
    input:
        "results/dataset",
    output:
        report(
            directory("results/model"),
            patterns=["{figure}.png"],
            caption="../report/loss.rst",
            category="3. Training",
        ),
    log:
        "logs/train.log",
    benchmark:
        "benchmarks/train.tsv"
    conda:
        "../../envs/synthic.yaml"
    threads: workflow.cores
    resources:
        mem_mb=4000,
    params:
        config=json.dumps({**config["train"], "seed": config["seed"]}, sort_keys=True),
        work="results/train",
    # The work folder resumes an interrupted run of this same job only: the checkpoints record
    # the config and a fingerprint of the dataset, and when either changed (a model setting, a
    # new input) --restart-on-change starts afresh instead of stopping at a checkpoint of another
    # config or continuing a finished run on the old data.
    shell:
        "python -m synthic train {input:q} -o {output:q} --work {params.work:q} "
        "--restart-on-change --config {params.config:q} > {log:q} 2>&1"


rule generate:
    input:
        "results/model",
    output:
        directory("results/generated"),
    log:
        "logs/generate.log",
    conda:
        "../../envs/synthic.yaml"
    threads: workflow.cores
    resources:
        mem_mb=4000,
    params:
        songs=config["generate"]["songs"],
        seconds=config["generate"]["seconds"],
        temperature=config["generate"]["temperature"],
        top_k=config["generate"]["top_k"],
        top_p=config["generate"]["top_p"],
        penalty=config["generate"]["repetition_penalty"],
        ngram=config["generate"]["no_repeat_ngram"],
        seed=config["seed"],
    shell:
        "python -m synthic generate {input:q} -o {output:q} --songs {params.songs} "
        "--seconds {params.seconds} --temperature {params.temperature} --top-k {params.top_k} "
        "--top-p {params.top_p} --repetition-penalty {params.penalty} "
        "--no-repeat-ngram {params.ngram} --seed {params.seed} > {log:q} 2>&1"


rule songs:
    input:
        "results/generated",
    output:
        wav=directory("results/wav"),
        songs=directory("results/songs"),
    log:
        "logs/songs.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    shell:
        "python -m synthic songs {input:q} -o {output.songs:q} --wav {output.wav:q} "
        "> {log:q} 2>&1"


# The figures of the model on the test set, beside the n-gram and copy baselines trained on the
# same tokens, and of the generated songs (validity, longest verbatim copy, musical statistics).
rule evaluate:
    input:
        model="results/model",
        dataset="results/dataset",
        generated="results/generated",
    output:
        report(
            "results/eval/metrics.json",
            caption="../report/metrics.rst",
            category="3. Training",
        ),
    log:
        "logs/evaluate.log",
    conda:
        "../../envs/synthic.yaml"
    threads: workflow.cores
    resources:
        mem_mb=4000,
    shell:
        "python -m synthic evaluate --metrics {input.model:q} {input.dataset:q} "
        "{input.generated:q} -o {output:q} > {log:q} 2>&1"
