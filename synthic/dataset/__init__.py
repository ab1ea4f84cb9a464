"""The dataset stages: from recordings to the sequences a model learns from.

- `synthic.dataset.prune`: cut each input's recordings into samples of music, dropping
  silence, sound effects, button-pressing and duplicates (`synthic prune`);
- `synthic.dataset.tokens`: a recording's writes as integer tokens, and back;
- further modules (e.g. the split into training, validation and test sets) live beside them.
"""
