"""sentence-transformers (PyTorch, CPU) as the embedding peer of
scripts/bench-embed.sh: the same converted multilingual-e5-small folder the
model pack installs, the same passage file, the same thread count, batches
of 16, best of ROUNDS after a warm-up, printed as JSON like
`seogo bench embed --json`.

    python st_bench.py MODEL_DIR PASSAGES.txt ROUNDS THREADS [FIRST_VECTOR.json]
"""

import json
import os
import sys
import tempfile
import time


def model_folder(model_dir: str, work: str) -> str:
    """The model pack's folder (config, safetensors, tokenizer.json) plus
    the two files sentence-transformers and transformers look for: the
    tokenizer class (XLM-R's SentencePiece, as in the original model) and
    mean pooling then normalisation, as multilingual-e5 is defined."""
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        os.symlink(os.path.join(model_dir, name), os.path.join(work, name))
    with open(os.path.join(work, "tokenizer_config.json"), "w") as f:
        json.dump(
            {
                "tokenizer_class": "XLMRobertaTokenizerFast",
                "model_max_length": 512,
                "bos_token": "<s>",
                "eos_token": "</s>",
                "cls_token": "<s>",
                "sep_token": "</s>",
                "pad_token": "<pad>",
                "unk_token": "<unk>",
                "mask_token": "<mask>",
            },
            f,
        )
    os.makedirs(os.path.join(work, "pooling"))
    with open(os.path.join(work, "pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True}, f)
    with open(os.path.join(work, "modules.json"), "w") as f:
        json.dump(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "", "type": "sentence_transformers.models.Normalize"},
            ],
            f,
        )
    with open(os.path.join(work, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": 512, "do_lower_case": False}, f)
    return work


def main() -> None:
    model_dir, passages, rounds, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    lines = [l.strip() for l in open(passages, encoding="utf-8") if l.strip()]
    texts = ["passage: " + l for l in lines]
    with tempfile.TemporaryDirectory() as work:
        # The pack stores f16; Seogo computes in f32, and so does the peer.
        model = SentenceTransformer(
            model_folder(model_dir, work),
            device="cpu",
            local_files_only=True,
            model_kwargs={"dtype": torch.float32},
        )
        with torch.inference_mode():
            model.encode(texts[:8], batch_size=16)
            best = float("inf")
            for _ in range(max(rounds, 1)):
                start = time.perf_counter()
                vectors = model.encode(texts, batch_size=16)
                best = min(best, time.perf_counter() - start)
    assert len(vectors) == len(texts)
    if len(sys.argv) > 5:
        # The first passage's vector, for checking that both engines
        # compute the same embedding.
        with open(sys.argv[5], "w") as f:
            json.dump([float(x) for x in vectors[0]], f)
    print(
        json.dumps(
            {
                "passages": len(texts),
                "threads": torch.get_num_threads(),
                "seconds": best,
                "passages_per_s": len(texts) / best,
                "torch": torch.__version__,
                "rounds": rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
