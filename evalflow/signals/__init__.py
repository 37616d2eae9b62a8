"""Online signals: cheap, code-based quality and risk indicators on 100% of traffic.

Everything here is vectorised over a day of interactions (pyarrow's RE2 kernels for
regular expressions, numpy for tokens and set arithmetic) because this layer sees
every row; the LLM judges downstream only see a sample chosen from these signals.
"""
