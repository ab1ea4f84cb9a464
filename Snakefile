# Synthic: learn the music of Game Boy games and write new songs for its sound chip.
# Stages live in workflow/rules/, one file each; every rule calls the `synthic` command line.


from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/jukebox.smk"
include: "workflow/rules/compile.smk"
include: "workflow/rules/inventory.smk"
include: "workflow/rules/record.smk"
include: "workflow/rules/render.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        "results/wav",
        "results/songs",
        "results/recordings.tsv",
        "results/eval/metrics.json",
        "results/report/songs.html",
