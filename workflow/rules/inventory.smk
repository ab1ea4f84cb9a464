# Inventory: the collection is listed once (results/inventory.tsv: every input's wildcard name,
# kind, SHA-1 and size, and every skipped file with the reason) and every later job looks its
# input up there by name: no file name from the user's disk reaches a shell line, and no job
# scans the collection again. It is made again when the collection changes (a fingerprint of
# names, sizes and times); unchanged files keep their SHA-1 without being read again.


checkpoint inventory:
    input:
        builtin_inputs(),
    output:
        INVENTORY,
    log:
        "logs/inventory.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=500,
    params:
        roots=collection_roots(),
        fingerprint=lambda wildcards: collection_fingerprint(),
        reuse="results/inventory.cache.tsv",
    shell:
        "python -m synthic inventory -o {output:q} --reuse {params.reuse:q} "
        "-- {params.roots:q} > {log:q} 2>&1"
