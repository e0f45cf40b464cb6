#!/usr/bin/env python3
"""Write the hotspot benchmark inputs: a 20 kb reference, a BED over all of
it, and two SAMs with the same N read pairs (2x100 from 150 bp fragments):
`pile.sam` with every fragment at one position (an amplicon pile) and
`spread.sam` with the fragments spread evenly. Seeded; no dependencies."""
import os
import random
import sys

out, pairs = sys.argv[1], int(sys.argv[2])
rng = random.Random(5)
length = 20_000
ref = "".join(rng.choice("ACGT") for _ in range(length))
with open(os.path.join(out, "ref.fa"), "w") as f:
    f.write(">hot\n")
    for i in range(0, length, 60):
        f.write(ref[i:i + 60] + "\n")
with open(os.path.join(out, "targets.bed"), "w") as f:
    f.write(f"hot\t0\t{length}\n")
qual = "I" * 100
header = f"@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:hot\tLN:{length}\n@RG\tID:r\tSM:hotspot\n"
for name, starts in (
    ("pile", [10_000] * pairs),
    ("spread", [100 + (i * (length - 400)) // pairs for i in range(pairs)]),
):
    with open(os.path.join(out, f"{name}.sam"), "w") as f:
        f.write(header)
        for i, s in enumerate(starts):
            r1, r2 = ref[s:s + 100], ref[s + 50:s + 150]
            p1, p2 = s + 1, s + 51
            f.write(f"p{i}\t99\thot\t{p1}\t60\t100M\t=\t{p2}\t150\t{r1}\t{qual}\tRG:Z:r\n")
            f.write(f"p{i}\t147\thot\t{p2}\t60\t100M\t=\t{p1}\t-150\t{r2}\t{qual}\tRG:Z:r\n")
