# Render: every recording becomes audio through the DMG APU model (results/render/<name>/);
# the quality gate drops silent, short or clipped renders and the log says why. The summary
# table (results/recordings.tsv) counts the renders each input kept. results/wav/ holds the new
# songs the model writes (songs.smk), not these.


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
    wildcard_constraints:
        name=r"[a-z0-9_]+",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        # Rendering goes in blocks: ~150 MB peak for 600 s (measured); any length fits.
        mem_mb=500,
    shell:
        "python -m synthic wav {input.recordings:q} -o {output:q} --check --drop-flagged "
        "--allow-empty --jobs 1 > {log:q} 2>&1"
