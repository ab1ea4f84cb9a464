# The report's own figures (snakemake --report): every generated song as a piano roll
# (results/report/pianoroll/<song>.png, results in the report) and an HTML fragment with each
# song's piano roll and its audio in a player (results/report/songs.html, files embedded), which
# the report's landing page includes (workflow/report/workflow.rst): Snakemake's report offers a
# WAV only as a download, and Chromium blocks an HTML result's frame (a data: URL) above 2 MB.
#   snakemake all results/report/songs.html --cores 2
#   snakemake all results/report/songs.html --report report.html


rule pianoroll:
    input:
        songs="results/songs",
        wav="results/wav",
    output:
        pianoroll=report(
            directory("results/report/pianoroll"),
            patterns=["{song}.png"],
            caption="../report/pianoroll.rst",
            category="4. Songs",
            subcategory="Piano rolls",
        ),
        page="results/report/songs.html",
    log:
        "logs/pianoroll.log",
    conda:
        "../../envs/synthic.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    shell:
        "python -m synthic pianoroll {input.songs:q} -o {output.pianoroll:q} "
        "--wav {input.wav:q} --page {output.page:q} > {log:q} 2>&1"
