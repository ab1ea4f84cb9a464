"""`synthic generate MODEL_DIR -o OUTDIR`: new songs from a trained model."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "generate",
        help="write new songs with a trained model",
        description="Sample new songs from MODEL_DIR (exported by synthic train: params/, "
        "config.json, vocab.json) with a KV cache and constrained decoding (every song is a "
        "valid event stream: the token grammar, no bits the hardware ignores, time only "
        "forward), from scratch or continuing the first --prompt-seconds of --prompt, any "
        "length (a sliding window past the model's context). Writes OUTDIR/song_NN.events "
        "and, for each song the quality gate passes, OUTDIR/song_NN.wav; a rejected song's "
        "reason is logged. OUTDIR/generate.tsv lists every song (tokens, seconds, loop "
        "measures, the gate's verdict).",
        formatter_class=HelpFormatter,
    )
    p.add_argument("model", metavar="MODEL_DIR", help="folder exported by synthic train")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder to write to")
    p.add_argument("--songs", type=_positive_int, default=4, help="songs to write")
    p.add_argument("--seconds", type=_positive_float, default=20.0,
                   help="seconds of music to generate per song (after the prompt)")  # fmt: skip
    p.add_argument("--prompt", metavar="RECORDING", help="continue this recording")
    p.add_argument("--prompt-seconds", type=_positive_float, default=5.0,
                   help="with --prompt: how much of it to continue from")  # fmt: skip
    p.add_argument("--temperature", type=_nonneg_float, default=1.0, help="0: greedy")
    p.add_argument("--top-k", type=_nonneg_int, default=0, help="0: off")
    p.add_argument("--top-p", type=_positive_float, default=1.0, help="nucleus; 1: off")
    p.add_argument("--repetition-penalty", type=_positive_float, default=1.0,
                   help="penalise write tokens seen in the window (>= 1; 1: off)")  # fmt: skip
    p.add_argument("--no-repeat-ngram", type=_nonneg_int, default=0,
                   help="ban repeating any n-gram of the window (0: off)")  # fmt: skip
    p.add_argument("--window", type=_positive_int, default=64,
                   help="tokens the repetition controls look back")  # fmt: skip
    p.add_argument("--batch", type=_positive_int, default=16, help="songs sampled at once")
    p.add_argument("--seed", type=_nonneg_int, default=0, help="the same seed, the same songs")
    p.add_argument("--rate", type=int, choices=(44_100, 48_000), default=44_100, help="WAV rate")
    p.add_argument("--no-wav", action="store_true", help="write the .events files only")
    p.set_defaults(run=run)


def _number(kind, test, what):
    import argparse
    import math

    def parse(text: str):
        try:
            x = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if isinstance(x, float) and not math.isfinite(x) or not test(x):
            raise argparse.ArgumentTypeError(f"must be {what}: {text!r}")
        return x

    return parse


_positive_int = _number(int, lambda x: x > 0, "at least 1")
_nonneg_int = _number(int, lambda x: x >= 0, "at least 0")
_positive_float = _number(float, lambda x: x > 0, "above 0")
_nonneg_float = _number(float, lambda x: x >= 0, "at least 0")


def run(args) -> int:
    import csv
    from pathlib import Path

    from synthic import events
    from synthic.audio import quality, render_recording, write_audio
    from synthic.errors import SynthicError
    from synthic.model import generate as gen

    try:
        sampling = gen.Sampling(
            temperature=args.temperature,
            top_k=args.top_k,
            top_p=args.top_p,
            repetition_penalty=args.repetition_penalty,
            no_repeat_ngram=args.no_repeat_ngram,
            window=args.window,
        )
    except ValueError as e:
        raise SynthicError(str(e)) from None
    model_dir = Path(args.model)
    for name in ("config.json", "vocab.json", "params"):
        if not (model_dir / name).exists():
            raise SynthicError(f"{model_dir}: no {name} (not a model exported by synthic train)")
    model, tok, _ = gen.load(model_dir)
    prompt = None
    if args.prompt:
        prompt = gen.prompt_tokens(events.read(args.prompt), tok, args.prompt_seconds)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    sampler = gen.Sampler(model, tok, sampling)
    rows = []
    for first in range(0, args.songs, args.batch):
        n = min(args.batch, args.songs - first)
        # each song's randomness depends on the seed and its number only
        songs = sampler.generate(n, prompt=prompt, seconds=args.seconds, seed=args.seed + first)
        for i, ids in enumerate(songs):
            k = first + i + 1
            rec = tok.decode(ids, strict=True, meta={"title": f"synthic song {k}"})
            path = out / f"song_{k:02d}.events"
            events.write(rec, path)
            loops = gen.loop_stats(ids, rec.duration_seconds)
            verdict, reason = "", ""
            if not args.no_wav:
                audio = render_recording(rec, rate_hz=args.rate)
                q = quality(audio, args.rate)
                if q.ok:
                    write_audio(out / f"song_{k:02d}.wav", audio, args.rate)
                    verdict = "ok"
                else:
                    verdict, reason = "rejected", q.reason
                    print(f"song_{k:02d}: rejected by the quality gate: {q.reason}",
                          file=sys.stderr)  # fmt: skip
            rows.append(
                {
                    "song": path.name,
                    "tokens": len(ids),
                    "writes": len(rec),
                    "seconds": round(rec.duration_seconds, 3),
                    "distinct_4grams_per_second": round(loops["distinct_per_second"], 2),
                    "repeated_4gram_fraction": round(loops["repeated_fraction"], 4),
                    "quality": verdict,
                    "reason": reason,
                }
            )
            print(f"wrote {path} ({rec.duration_seconds:.1f} s, {len(rec)} writes)")
    with open(out / "generate.tsv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t")
        w.writeheader()
        w.writerows(rows)
    return 0
