"""Golden bytes: ``simulate`` keeps its promise "same arguments, same bytes".

The digests below were recorded before the knowledge base moved to data files and
before ``generate`` was split into phases (demo covers bias, toxicity, the new
theme, the rollout regression and the hallucination spike; input drift, run dirty,
also covers the malformed-line injection); any change to the text pools, to the
order of random draws or to a writer changes a digest. Every written file is
compared, ``_truth`` included. JSONL, gzip (``mtime=0``), CSV and Parquet (pyarrow,
zstd) were all checked byte-stable run to run, so files are compared as bytes, not
decoded. A pinned-library upgrade (pyarrow, DuckDB in ``uv.lock``) may legitimately
change the Parquet/CSV bytes: re-record the digests then, in a commit of its own,
after checking the decoded records did not change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from evalflow.simulate import simulate

START = dt.date(2026, 3, 2)
CASES = {  # name: (scenario, days, per_day, seed, style, dirty)
    "demo-support": ("demo", 5, 300, 3, "support", False),
    "quiet-support": ("quiet", 3, 200, 11, "support", False),
    "hallucination_spike-chat": ("hallucination_spike", 3, 100, 5, "chat", False),
    "input_drift-support": ("input_drift", 3, 150, 7, "support", True),
    "pii_leak-support": ("pii_leak", 3, 150, 8, "support", False),
}
GOLDEN: dict[str, dict[str, str]] = {
    "demo-support": {
        "_truth/incidents.json": "3aaf961eb8fb1357e121891382c021cefe6ad72579c3c2343c3bef5d75ff5b98",
        "_truth/interactions/2026-03-02.parquet": "75096ef1e0aa922d63bc5bcfd12462f1790daf623b2a1c34dc51931dac715baf",
        "_truth/interactions/2026-03-03.parquet": "c74f9c51b54ac9802788c3dd98ed7c193c7ed53a7ff0137f04332e2757ab2be1",
        "_truth/interactions/2026-03-04.parquet": "54b2aa03dfa0e730cecb17311b45bc699a0f9d99c193f880124ef9352c7a1b8c",
        "_truth/interactions/2026-03-05.parquet": "fa314427734dda660740b2f3ee58151c1ba4e5a1f6a3fca6cef306e85cfa00bf",
        "_truth/interactions/2026-03-06.parquet": "8da6638530688256aef4b2297cb244c8ec67a15bd99cb4d58d5f0ff6821802c8",
        "_truth/manifest.json": "6dfcafee5eaa90a7c1395740b81234c9fd8c2422535fc658761b934cd7494e4a",
        "app=copilot/date=2026-03-02/part-0.jsonl": "86f65485ae7281b06b9fca412e8fc4246a08681e9420d5222fc50b9f00371c95",
        "app=copilot/date=2026-03-03/part-0.jsonl.gz": "7dbbe415bf31888a98461b5ccd2c4cc1f6cfb76555f1f720a20ec586038f95ab",
        "app=copilot/date=2026-03-04/part-0.csv": "706bcd596166aa17020fa7a6dea8dc1e9eea750b4cf7d1bbc2a692b8b76804d3",
        "app=copilot/date=2026-03-05/part-0.jsonl": "a10090c1b500e705c0350584f5354e9b10fa4cc8f103f9f532023c67e1fbe9dd",
        "app=copilot/date=2026-03-06/part-0.parquet": "6209a6ec889f46aa66f02ce0893343f1d2de1b0e1ec6e9ad6ab5f73939dfd716",
    },
    "quiet-support": {
        "_truth/incidents.json": "37517e5f3dc66819f61f5a7bb8ace1921282415f10551d2defa5c3eb0985b570",
        "_truth/interactions/2026-03-02.parquet": "fa228de26a66bbb2509c572d71c47d9c76ce3c7e013d6affac1e0481b7fa19e5",
        "_truth/interactions/2026-03-03.parquet": "94138afb7e9cc79d89df05182cba57815ac3ef56294f0ffe2fd16fbbb3029b1c",
        "_truth/interactions/2026-03-04.parquet": "78b9774975c94a74b3fa3fa6f30a74e0deaf11ed5a239cc24fd9c7378dd8d771",
        "_truth/manifest.json": "0e76e2cf2fa03b7f03d6c41c219a395efdf25e3351362dc1a0dc0cd51eab003a",
        "app=copilot/date=2026-03-02/part-0.jsonl": "66e67f762d8e601955fbd9dfd488a0dca8971e7a661c4a2e693b90ca9e528014",
        "app=copilot/date=2026-03-03/part-0.jsonl.gz": "1ad48326da7d185799d34bce69dbe935a6d9ced15245c3bd96c86738b5264031",
        "app=copilot/date=2026-03-04/part-0.csv": "22f5f8928f711da3a7ea693110c87d98c1a09c7c0178023156c37d2b742d0d90",
    },
    "hallucination_spike-chat": {
        "_truth/incidents.json": "8abdb2d13b114f6133129252e7e4fdc5ced76cc122d8f435f4452cd68ee7898f",
        "_truth/interactions/2026-03-02.parquet": "965000093aa74aace482855f30c6f41bbf0b122b6bc081ff5e9ee7a63971dde0",
        "_truth/interactions/2026-03-03.parquet": "309eed04ae9360d69318f7257445ffe387d246750ba1e49aae86f1451d9c27f3",
        "_truth/interactions/2026-03-04.parquet": "246a0c3f9d24aa6ca4047265319c0a204d5086fcc740dc6d5ac8796a7bedc454",
        "_truth/manifest.json": "1e950626238e64cfacbb1bafefd148c02315ba468db647b287a73f03369d3a28",
        "app=copilot/date=2026-03-02/part-0.jsonl": "863614daa3875f71062c697439ab4c99613c6e2da9736b1b1b26c6a0c79bb238",
        "app=copilot/date=2026-03-03/part-0.jsonl.gz": "656a41be02fa3cc7855f3f07f40a89ed9823ce6af511aabe1bcbc92b38f0b120",
        "app=copilot/date=2026-03-04/part-0.csv": "ea4d5ad526ba795e2adb91b427d2ea5f3137359ad23831ae19f9250f57422171",
    },
    "input_drift-support": {
        "_truth/incidents.json": "926f081f1ca685d85384c694918933bb5afd3c617b3f84e791a20198a9d0a0f5",
        "_truth/interactions/2026-03-02.parquet": "1e833802adec3942be8c63d844ba5b6ca229f2460bdb50f07de3981fbd588fdc",
        "_truth/interactions/2026-03-03.parquet": "4c1fb5c124703563b7641c42749447b62a3fd143b97ad8aae23e753ce89249b9",
        "_truth/interactions/2026-03-04.parquet": "fce94b8be936cbd4cb84877587b65f7892721d20b46509a45da9a31c0b587bc6",
        "_truth/manifest.json": "29aaee65c1a59e8e2364c2f17251efb8bb7fa750ab23e4ae72d09d2d442b016e",
        "app=copilot/date=2026-03-02/part-0.jsonl": "f7a81c055caef37e19c66ee74edf63335c878b228b6c6a82a2d8d5845403525d",
        "app=copilot/date=2026-03-03/part-0.jsonl.gz": "00aa3e24bfce7096ddf0aeaa9a363f66ea69f81125d09a1f5fdae4b169c73c44",
        "app=copilot/date=2026-03-04/part-0.csv": "d8cfafe962c0d56ef7bce0238b5073b9dbb26054d2c23a90288cc1d65abd7c31",
    },
    "pii_leak-support": {
        "_truth/incidents.json": "bdb232fea233fd373722ae7797f92ff6dceefeaf8993687e44c89d53527c70f8",
        "_truth/interactions/2026-03-02.parquet": "c0690941083189e941ed79270e24277d4d41284917ef24ae60091ac8e8d61f36",
        "_truth/interactions/2026-03-03.parquet": "b3a171af1a09c226dbe87cf57f2ca8317b9db79e85906c5a81dd19adee631ac2",
        "_truth/interactions/2026-03-04.parquet": "efb1025c9bbb03fb7b4aa1df5e54b0ffb06816fcd9d1f107cb8561cfc5e864e0",
        "_truth/manifest.json": "1f6bddd6dfe8a3789d312e359243ef26e5992929b6f7c91b06e480a1cd09caa9",
        "app=copilot/date=2026-03-02/part-0.jsonl": "ab0db2222e5020dee29554050fdb8333dc1fc8cdc1c7676dd2e44aa97ce2d6c8",
        "app=copilot/date=2026-03-03/part-0.jsonl.gz": "bb5f33dcfe23f786fdf4a07e527c9a3707838f54972cba587f58df830e1732cd",
        "app=copilot/date=2026-03-04/part-0.csv": "0297212d5c7bd3b5f2816a5ae86afcac03d7b072e8e50dfa4c555f2434d3b2bb",
    },
}


def _digests(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, keyed by its relative POSIX path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_arguments_same_bytes(case: str, tmp_path: Path) -> None:
    scenario, days, per_day, seed, style, dirty = CASES[case]
    simulate(
        START, days, per_day, seed, scenario=scenario, out_dir=tmp_path, style=style, dirty=dirty
    )
    got = _digests(tmp_path)
    assert sorted(got) == sorted(GOLDEN[case]), "a different set of files was written"
    changed = [p for p, h in GOLDEN[case].items() if got[p] != h]
    assert not changed, f"bytes changed for {case}: {changed}"
