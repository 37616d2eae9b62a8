"""Judging stage: per-criterion verdicts on sampled interactions (``judge_scores``).

Public entry points (import from the submodules; nothing heavy is imported here):

* ``evalflow.judges.runner.judge_partition(wh, day, settings.judges, backend, openai_cfg)``
  - read, judge and write one daily partition; returns a ``JudgeRun``.
* ``evalflow.judges.runner.judge_heuristic`` / ``judge_openai`` - the two backends on
  already-built ``Item`` lists (no I/O besides the model calls).
* ``evalflow.judges.heuristics`` - ``faithfulness``, ``relevance``, ``safety``,
  ``helpfulness``, ``keyword_rubric``, ``THRESHOLDS``, ``HEURISTIC_MODEL``.
* ``evalflow.judges.toxicity.toxicity`` - the whole-token toxicity matcher shared by the
  ``safety`` judge and the ``toxic`` signal (score, pass/uncertain/fail, hits with
  context); vocabulary in ``toxicity_lexicon``; ``bias_probe.identity_fpr`` measures it
  on non-toxic identity-term sentences.
* ``evalflow.judges.semantic`` - offline semantic similarity shared by the judges:
  ``embed``, ``max_similarity``, ``similarity_matrix``, ``covered``, ``available``.
* ``evalflow.judges.faithfulness.judge_claims`` / ``evalflow.judges.claims`` - per-claim
  faithfulness and the claim splitter / number, date and name normalisation behind it.
* ``evalflow.judges.redaction.redact_pii`` - what every text passes before judging.
* ``evalflow.judges.resource.JudgeResource`` and ``evalflow.judges.assets.RESOURCES``.
* ``evalflow.judges.benchmark.judge_benchmark`` / ``evalflow.judges.bench.bench_throughput``.
* ``evalflow.judges.testing_server.FakeOpenAIServer`` - OpenAI-compatible test server.
"""
